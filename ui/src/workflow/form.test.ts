// Tests of form.ts.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  changeFaultType,
  formToSpec,
  moveStep,
  newProbe,
  newStep,
  newWorkflowForm,
  removeStep,
  renameStep,
  specToForm,
  uniqueName,
  type StepForm,
} from "./form";
import type { ChaosWorkflow, ChaosWorkflowSpec, FaultType } from "./types";
import { validateForm } from "./validate";
import { formToYaml, yamlToForm } from "./yaml";

// The repository's sample workflow, read from disk (it lies outside Vite's root, so it cannot be imported;
// node:fs is loaded by name because the UI's types leave out Node's).
const fsModule = "node:fs";
const { readFileSync } = (await import(/* @vite-ignore */ fsModule)) as { readFileSync(path: string, encoding: "utf8"): string };
const here = (import.meta as ImportMeta & { dirname: string }).dirname;
const sample = parse(readFileSync(`${here}/../../../config/samples/chaosworkflow.yaml`, "utf8")) as ChaosWorkflow;

/** The demo workflow as the server answers it: every default written out. */
const served: ChaosWorkflowSpec = {
  description: "The web Service keeps answering while half its pods are deleted every 10 s",
  timeZone: "UTC",
  concurrencyPolicy: "Forbid",
  suspend: false,
  runOnChange: false,
  runHistoryLimit: 10,
  maxDuration: "5m",
  steps: [
    {
      name: "delete-half-the-web-pods",
      weight: 10,
      fault: {
        type: "pod-delete",
        target: { namespace: "demo", selector: { matchLabels: { app: "web" } }, mode: "fixed-percent", value: 50 },
        duration: "30s",
        interval: "10s",
        params: { gracePeriodSeconds: 1 },
      },
      probes: [
        {
          name: "web-answers",
          type: "http",
          mode: "Continuous",
          http: { url: "http://10.96.100.100/", method: "GET", expectStatus: 200, expectBodyContains: "hello" },
          runProperties: { interval: "1s", timeout: "2s", attempts: 3, stopOnFailure: false },
        },
      ],
    },
  ],
};

describe("spec <-> form", () => {
  it("gives back the sample's spec exactly", () => {
    const form = specToForm(sample.metadata.name ?? "", sample.spec);
    expect(form.name).toBe("checkout-resilience");
    expect(form.steps[0].selector).toBe("app=checkout");
    expect(form.steps[1].dependsOn).toEqual(["kill-checkout"]);
    expect(formToSpec(form)).toStrictEqual(sample.spec);
    expect(validateForm(form)).toEqual({});
  });

  it("gives back a served spec with its defaults written out", () => {
    expect(formToSpec(specToForm("web-survives-pod-loss", served))).toStrictEqual(served);
  });

  it("keeps selectors with expressions, cmd probes, taints and partitions", () => {
    const spec: ChaosWorkflowSpec = {
      schedule: "@hourly",
      startingDeadlineSeconds: 60,
      suspend: true,
      steps: [
        {
          name: "taint",
          fault: {
            type: "node-taint",
            target: { kind: "Node", selector: { matchLabels: { role: "worker" }, matchExpressions: [{ key: "zone", operator: "In", values: ["a", "b"] }] }, mode: "one" },
            params: { taint: { key: "chaoscenter.io/chaos", value: "yes", effect: "NoExecute" } },
          },
        },
        {
          name: "cut",
          dependsOn: ["taint"],
          fault: {
            type: "network-partition",
            target: { namespace: "shop", selector: { matchExpressions: [{ key: "canary", operator: "DoesNotExist" }] }, mode: "fixed", value: 2 },
            params: { direction: "Ingress" },
          },
          probes: [
            {
              name: "shell",
              type: "cmd",
              cmd: { command: ["sh", "-c", "wget -qO- http://checkout/healthz"], image: "busybox", comparator: { type: "string", criteria: "contains", value: "ok" } },
              runProperties: { initialDelay: "5s", stopOnFailure: true },
            },
            { name: "count", type: "k8s", mode: "Edge", k8s: { apiVersion: "apps/v1", kind: "Deployment", operation: "count", count: 0 } },
          ],
        },
      ],
    };
    expect(formToSpec(specToForm("x", spec))).toStrictEqual(spec);
  });

  it("writes only the settings of the chosen fault and probe types", () => {
    const form = newWorkflowForm(["demo"]);
    const step = form.steps[0];
    step.gracePeriodSeconds = "5";
    step.interval = "10s";
    step.replicas = "3";
    step.probes = [{ ...newProbe("up"), type: "k8s" }];
    step.probes[0].http.url = "http://ignored";
    const asScaler = { ...changeFaultType(step, "pod-autoscaler"), probes: step.probes };
    const spec = formToSpec({ ...form, steps: [asScaler] });
    expect(spec.steps[0].fault).toEqual({
      type: "pod-autoscaler",
      target: { namespace: "demo", kind: "Deployment", mode: "all" },
      duration: "30s",
      params: { replicas: 3 },
    });
    expect(spec.steps[0].probes?.[0]).toEqual({
      name: "up",
      type: "k8s",
      mode: "Continuous",
      k8s: { apiVersion: "v1", kind: "Pod", operation: "present" },
    });
  });

  it("drops the namespace of node faults and the value of modes that need none", () => {
    const form = newWorkflowForm(["demo"]);
    form.steps[0] = { ...changeFaultType(form.steps[0], "node-cordon"), selector: "role=worker", value: "5" };
    expect(formToSpec(form).steps[0].fault.target).toEqual({ kind: "Node", selector: { matchLabels: { role: "worker" } }, mode: "all" });
  });
});

describe("a new workflow", () => {
  it("starts with one pod-delete step against the first target namespace", () => {
    const form = newWorkflowForm(["demo", "other"]);
    form.name = "my-flow";
    form.steps[0].selector = "app=web";
    expect(formToSpec(form)).toEqual({
      steps: [
        {
          name: "kill-pods",
          weight: 10,
          fault: { type: "pod-delete", target: { namespace: "demo", kind: "Pod", selector: { matchLabels: { app: "web" } }, mode: "all" }, duration: "30s" },
        },
      ],
    });
    expect(validateForm(form)).toEqual({});
  });

  it("prints as a whole ChaosWorkflow and reads back", () => {
    const form = newWorkflowForm(["demo"]);
    form.name = "my-flow";
    form.steps[0].selector = "app=web";
    const text = formToYaml(form);
    expect(text).toContain("apiVersion: chaoscenter.io/v1alpha1");
    expect(text).toContain("kind: ChaosWorkflow");
    expect(text).toContain("name: my-flow");
    const back = yamlToForm(text);
    expect(back.problems).toBeUndefined();
    expect(formToSpec(back.form!)).toEqual(formToSpec(form));
    expect(back.form!.name).toBe("my-flow");
  });
});

describe("step list edits", () => {
  const three = () => {
    const form = newWorkflowForm(["demo"]);
    form.steps = [newStep("a", "demo"), { ...newStep("b", "demo"), dependsOn: ["a"] }, { ...newStep("c", "demo"), dependsOn: ["a", "b"] }];
    return form;
  };

  it("renames a step and the dependencies on it", () => {
    const form = renameStep(three(), 0, "first");
    expect(form.steps.map((s) => s.name)).toEqual(["first", "b", "c"]);
    expect(form.steps[1].dependsOn).toEqual(["first"]);
    expect(form.steps[2].dependsOn).toEqual(["first", "b"]);
  });

  it("removes a step and the dependencies on it", () => {
    const form = removeStep(three(), 1);
    expect(form.steps.map((s) => s.name)).toEqual(["a", "c"]);
    expect(form.steps[1].dependsOn).toEqual(["a"]);
  });

  it("moves steps and stops at the ends", () => {
    const form = three();
    expect(moveStep(form, 0, 1).steps.map((s) => s.name)).toEqual(["b", "a", "c"]);
    expect(moveStep(form, 2, -1).steps.map((s) => s.name)).toEqual(["a", "c", "b"]);
    expect(moveStep(form, 0, -1)).toBe(form);
    expect(moveStep(form, 2, 1)).toBe(form);
  });

  it("finds unused names", () => {
    expect(uniqueName("step", [])).toBe("step");
    expect(uniqueName("step", ["step", "step-2"])).toBe("step-3");
  });

  it("keeps the kind when the new fault type allows it", () => {
    const step = { ...newStep("a", "demo"), kind: "Deployment" as const };
    expect(changeFaultType(step, "pod-autoscaler").kind).toBe("Deployment");
    expect(changeFaultType(step, "node-drain").kind).toBe("Node");
    expect(changeFaultType(newStep("a", "demo"), "pod-autoscaler").kind).toBe("Deployment");
  });
});

describe("renaming through an empty name", () => {
  it("keeps the dependency on the step", () => {
    const form = newWorkflowForm(["demo"]);
    form.steps = [newStep("ab", "demo"), { ...newStep("c", "demo"), dependsOn: ["ab"] }];
    let f = renameStep(form, 0, "a");
    f = renameStep(f, 0, "");
    f = renameStep(f, 0, "x");
    expect(f.steps[1].dependsOn).toEqual(["x"]);
  });
});

describe("network faults", () => {
  const target = { namespace: "shop", selector: { matchLabels: { app: "checkout" } } };
  /** A spec with each network fault type, every parameter it takes set. */
  const network: ChaosWorkflowSpec = {
    steps: [
      {
        name: "slow",
        fault: {
          type: "network-delay",
          target,
          duration: "1m",
          params: {
            latency: "100ms",
            jitter: "10ms",
            correlation: 25,
            destinations: {
              cidrs: ["10.96.0.0/12", "10.1.0.7", "fd00::/8"],
              hosts: ["db.shop.svc.cluster.local"],
              pods: { namespace: "data", selector: { matchLabels: { app: "db" }, matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] } },
              ports: [5432, 6379],
              protocol: "tcp",
            },
          },
        },
      },
      { name: "lossy", fault: { type: "network-loss", target, params: { percent: 30, correlation: 0, destinations: { protocol: "icmp" } } } },
      { name: "twice", fault: { type: "network-duplicate", target, params: { percent: 2.5, destinations: { pods: { selector: { matchLabels: { app: "db" } } } } } } },
      { name: "garbled", fault: { type: "network-corrupt", target, params: { percent: 100, destinations: { ports: [53] } } } },
      { name: "thin", fault: { type: "network-rate", target, params: { rate: "1mbit" } } },
      {
        name: "cut",
        fault: { type: "network-partition", target, params: { direction: "Egress", mechanism: "agent", destinations: { hosts: ["api.example.org"] } } },
      },
      { name: "policy", fault: { type: "network-partition", target, params: { mechanism: "network-policy" } } },
    ],
  };

  it("gives back every parameter of each type, through the form and through YAML", () => {
    const form = specToForm("net", network);
    expect(form.steps[0].destinations).toEqual({
      cidrs: "10.96.0.0/12, 10.1.0.7, fd00::/8",
      hosts: "db.shop.svc.cluster.local",
      podsNamespace: "data",
      podsSelector: "app=db,tier in (a,b)",
      ports: "5432, 6379",
      protocol: "tcp",
    });
    expect(formToSpec(form)).toStrictEqual(network);
    expect(validateForm(form)).toEqual({});
    const back = yamlToForm(formToYaml(form));
    expect(back.problems).toBeUndefined();
    expect(formToSpec(back.form!)).toStrictEqual(network);
  });

  it("drops the parameters the new fault type does not take", () => {
    const delay = specToForm("net", network).steps[0];
    const paramsAs = (type: Parameters<typeof changeFaultType>[1]) =>
      formToSpec({ ...newWorkflowForm(["shop"]), steps: [{ ...changeFaultType(delay, type), percent: "5", rate: "2mbit" }] }).steps[0].fault.params;
    expect(paramsAs("network-rate")).toEqual({ rate: "2mbit" });
    expect(paramsAs("network-loss")).toEqual({ percent: 5, correlation: 25, destinations: network.steps[0].fault.params!.destinations });
    expect(paramsAs("network-corrupt")).toEqual({ percent: 5, destinations: network.steps[0].fault.params!.destinations });
    expect(paramsAs("network-partition")).toEqual({ destinations: network.steps[0].fault.params!.destinations });
    expect(paramsAs("pod-delete")).toBeUndefined();
    // and back: what the form held comes back with the type that takes it
    const there = changeFaultType(changeFaultType(delay, "network-rate"), "network-delay");
    expect(formToSpec({ ...newWorkflowForm(["shop"]), steps: [there] }).steps[0].fault.params).toStrictEqual(network.steps[0].fault.params);
  });

  it("sends no destinations with a NetworkPolicy partition, nor when none are named", () => {
    const cut = specToForm("net", network).steps[5];
    expect(formToSpec({ ...newWorkflowForm(["shop"]), steps: [{ ...cut, mechanism: "network-policy" }] }).steps[0].fault.params).toEqual({
      direction: "Egress",
      mechanism: "network-policy",
    });
    const bare = { ...cut, destinations: { cidrs: " , ", hosts: "", podsNamespace: "", podsSelector: "  ", ports: "" } };
    expect(formToSpec({ ...newWorkflowForm(["shop"]), steps: [bare] }).steps[0].fault.params).toEqual({ direction: "Egress", mechanism: "agent" });
  });

  it("reads lists separated by commas or spaces, and passes a word among ports on for validation", () => {
    const step = { ...newStep("slow", "shop"), faultType: "network-delay" as const, latency: "50ms" };
    step.destinations = { cidrs: "10.0.0.0/8,10.1.2.3\n fd00::/8", hosts: "a.example b.example", podsNamespace: "data", podsSelector: "", ports: "80, http", protocol: undefined };
    const params = formToSpec({ ...newWorkflowForm(["shop"]), steps: [step] }).steps[0].fault.params;
    expect(params?.destinations).toEqual({
      cidrs: ["10.0.0.0/8", "10.1.2.3", "fd00::/8"],
      hosts: ["a.example", "b.example"],
      pods: { namespace: "data", selector: {} },
      ports: [80, "http"],
    });
    expect(validateForm({ ...newWorkflowForm(["shop"]), name: "net", steps: [step] })).toEqual({
      "steps.0.fault.params.destinations.ports": '"http" is not a port number',
      "steps.0.fault.params.destinations.pods.selector": "required with a namespace: the peer pods' labels, e.g. app=db",
    });
  });
});

describe("the node agent's container, stress, disk, DNS, HTTP and node faults", () => {
  const target = { namespace: "shop", selector: { matchLabels: { app: "checkout" } } };
  const node = { kind: "Node" as const, selector: { matchLabels: { pool: "chaos" } } };
  /** A spec with each of these fault types, every parameter it takes set. */
  const agent: ChaosWorkflowSpec = {
    steps: [
      { name: "kill", fault: { type: "container-kill", target, params: { container: "app", signal: "SIGTERM" } } },
      { name: "cpu", fault: { type: "pod-cpu-stress", target, params: { container: "app", cores: 2, load: 80 } } },
      { name: "mem", fault: { type: "pod-memory-stress", target, params: { container: "app", size: "256Mi", allowOom: true } } },
      { name: "mem-share", fault: { type: "pod-memory-stress", target, params: { percent: 50 } } },
      { name: "io", fault: { type: "pod-io-stress", target, params: { container: "app", workers: 4, size: "128Mi", path: "/data" } } },
      { name: "fill", fault: { type: "disk-fill", target, params: { container: "app", percent: 80, path: "/var/cache" } } },
      { name: "nx", fault: { type: "dns-error", target, params: { dns: { names: ["api.example.com", "*.example.org"], error: "SERVFAIL" } } } },
      { name: "spoof", fault: { type: "dns-spoof", target, params: { dns: { answers: { "api.example.com": "10.0.0.1", "*.example.org": "10.0.0.2" } } } } },
      { name: "slow", fault: { type: "http-latency", target, params: { latency: "200ms", http: { port: 8080, direction: "outbound", method: "GET", path: "/api" } } } },
      { name: "reset", fault: { type: "http-abort", target, params: { http: { port: 8080 } } } },
      { name: "teapot", fault: { type: "http-status", target, params: { http: { port: 80, status: 418, body: "I'm a teapot\n" } } } },
      {
        name: "rewrite",
        fault: { type: "http-modify", target, params: { http: { port: 80, direction: "inbound", body: "{}", headers: { "X-Chaos": "on", "Cache-Control": "no-store" } } } },
      },
      { name: "node-cpu", fault: { type: "node-cpu-stress", target: node, params: { cores: 4, load: 50 } } },
      { name: "node-mem", fault: { type: "node-memory-stress", target: node, params: { size: "1Gi" } } },
    ],
  };
  const one = (step: StepForm) => formToSpec({ ...newWorkflowForm(["shop"]), steps: [step] }).steps[0].fault;

  it("gives back every parameter of each type, through the form and through YAML", () => {
    const form = specToForm("agent", agent);
    expect(form.steps[7].dns.answers).toBe("api.example.com=10.0.0.1\n*.example.org=10.0.0.2");
    expect(form.steps[11].http.headers).toBe("X-Chaos: on\nCache-Control: no-store");
    expect(formToSpec(form)).toStrictEqual(agent);
    expect(validateForm(form)).toEqual({});
    const back = yamlToForm(formToYaml(form));
    expect(back.problems).toBeUndefined();
    expect(formToSpec(back.form!)).toStrictEqual(agent);
  });

  it("sends only the parameters the fault type takes", () => {
    // a step holding a value in every field the new types use
    const full: StepForm = {
      ...newStep("all", "shop"),
      container: "app",
      signal: "SIGINT",
      cores: "2",
      load: "70",
      size: "64Mi",
      percent: "10",
      allowOom: true,
      workers: "3",
      containerPath: "/tmp",
      latency: "50ms",
      dns: { names: "a.example", error: "NXDOMAIN", answers: "b.example=10.0.0.9" },
      http: { port: "8080", direction: "inbound", method: "POST", path: "/x", status: "503", body: "down", headers: "X-A: 1" },
    };
    const paramsAs = (type: FaultType) => one(changeFaultType(full, type)).params;
    const match = { port: 8080, direction: "inbound", method: "POST", path: "/x" };
    expect(paramsAs("container-kill")).toEqual({ container: "app", signal: "SIGINT" });
    expect(paramsAs("pod-cpu-stress")).toEqual({ container: "app", cores: 2, load: 70 });
    expect(paramsAs("pod-memory-stress")).toEqual({ container: "app", size: "64Mi", percent: 10, allowOom: true });
    expect(paramsAs("pod-io-stress")).toEqual({ container: "app", workers: 3, size: "64Mi", path: "/tmp" });
    expect(paramsAs("disk-fill")).toEqual({ container: "app", size: "64Mi", percent: 10, path: "/tmp" });
    expect(paramsAs("dns-error")).toEqual({ dns: { names: ["a.example"], error: "NXDOMAIN" } });
    expect(paramsAs("dns-spoof")).toEqual({ dns: { answers: { "b.example": "10.0.0.9" } } });
    expect(paramsAs("http-latency")).toEqual({ latency: "50ms", http: match });
    expect(paramsAs("http-abort")).toEqual({ http: match });
    expect(paramsAs("http-status")).toEqual({ http: { ...match, status: 503, body: "down" } });
    expect(paramsAs("http-modify")).toEqual({ http: { ...match, body: "down", headers: { "X-A": "1" } } });
    expect(paramsAs("node-cpu-stress")).toEqual({ cores: 2, load: 70 });
    expect(paramsAs("node-memory-stress")).toEqual({ size: "64Mi", percent: 10 });
    expect(paramsAs("pod-delete")).toBeUndefined();
  });

  it("sends no dns or http block when nothing in it is set", () => {
    expect(one({ ...newStep("nx", "shop"), faultType: "dns-error" }).params).toBeUndefined();
    expect(one({ ...newStep("teapot", "shop"), faultType: "http-status" }).params).toBeUndefined();
  });

  it("targets Nodes with the node faults, without a namespace", () => {
    for (const type of ["node-cpu-stress", "node-memory-stress"] as const) {
      const step = changeFaultType(newStep("hog", "shop"), type);
      expect(step.kind).toBe("Node");
      expect(one({ ...step, selector: "pool=chaos", size: "1Gi" }).target).toEqual({ kind: "Node", selector: { matchLabels: { pool: "chaos" } }, mode: "all" });
    }
    // and the pod faults keep a Pod or workload target
    expect(changeFaultType({ ...newStep("x", "shop"), kind: "Deployment" }, "pod-cpu-stress").kind).toBe("Deployment");
    expect(changeFaultType(changeFaultType(newStep("x", "shop"), "node-cpu-stress"), "disk-fill").kind).toBe("Pod");
  });
});
