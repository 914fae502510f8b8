// Tests of validate.ts.
import { describe, expect, it } from "vitest";
import { newProbe, newStep, newWorkflowForm, type ProbeForm, type StepForm, type WorkflowForm } from "./form";
import { dnsLabelError, fieldOfMessage, parseDuration, scheduleError, validateForm } from "./validate";

/** A valid workflow: one pod-delete step against app=web. */
function valid(): WorkflowForm {
  const form = newWorkflowForm(["demo"]);
  form.name = "my-flow";
  form.steps[0].selector = "app=web";
  return form;
}

/** The errors of a valid form after `change`. */
function errorsAfter(change: (form: WorkflowForm, step: StepForm) => void): Record<string, string> {
  const form = valid();
  change(form, form.steps[0]);
  return validateForm(form);
}

function withProbe(change: (p: ProbeForm) => void): Record<string, string> {
  return errorsAfter((_, s) => {
    const p = newProbe("up");
    p.http.url = "http://web.demo/";
    change(p);
    s.probes.push(p);
  });
}

describe("validateForm", () => {
  it("passes a valid form", () => {
    expect(validateForm(valid())).toEqual({});
  });

  it("checks the workflow's name", () => {
    expect(errorsAfter((f) => (f.name = ""))).toEqual({ name: "required" });
    expect(errorsAfter((f) => (f.name = "My_Flow")).name).toMatch(/lowercase/);
    expect(errorsAfter((f) => (f.name = "a".repeat(64))).name).toMatch(/63/);
    expect(errorsAfter((f) => (f.name = "-flow")).name).toMatch(/lowercase/);
  });

  it("checks the schedule's shape: five fields or a macro", () => {
    for (const ok of ["*/30 8-18 * * 1-5", "0 0 * * *", "@hourly", "@annually", "0 12 1 jan-mar mon", "5,10 * * * 0"]) {
      expect(errorsAfter((f) => (f.schedule = ok)), ok).toEqual({});
    }
    expect(errorsAfter((f) => (f.schedule = "* * * *")).schedule).toMatch(/five fields/);
    expect(errorsAfter((f) => (f.schedule = "@sometimes")).schedule).toMatch(/macro/);
  });

  it("checks whole numbers and the max duration's syntax", () => {
    expect(errorsAfter((f) => (f.runHistoryLimit = "2.5")).runHistoryLimit).toBe("a whole number");
    expect(errorsAfter((f) => (f.startingDeadlineSeconds = "1e3")).startingDeadlineSeconds).toBe("a whole number");
    expect(errorsAfter((f) => (f.maxDuration = "15 minutes")).maxDuration).toMatch(/not a duration/);
    expect(errorsAfter((f) => Object.assign(f, { maxDuration: "1h30m", runHistoryLimit: "10", startingDeadlineSeconds: "60" }))).toEqual({});
  });

  it("needs a step", () => {
    expect(errorsAfter((f) => (f.steps = [])).steps).toMatch(/at least one/);
  });

  it("checks a step's name, weight and durations", () => {
    expect(errorsAfter((_, s) => (s.name = "Kill Pods"))["steps.0.name"]).toMatch(/lowercase/);
    expect(errorsAfter((_, s) => (s.name = ""))["steps.0.name"]).toBe("required");
    expect(errorsAfter((_, s) => (s.weight = "1.5"))["steps.0.weight"]).toBe("a whole number");
    expect(errorsAfter((_, s) => (s.duration = "30"))["steps.0.fault.duration"]).toMatch(/not a duration/);
    expect(errorsAfter((_, s) => (s.duration = "1.5s"))["steps.0.fault.duration"]).toMatch(/not a duration/);
    expect(errorsAfter((_, s) => (s.duration = ""))).toEqual({});
    expect(errorsAfter((_, s) => (s.interval = "ten"))["steps.0.fault.interval"]).toMatch(/not a duration/);
    expect(errorsAfter((_, s) => (s.interval = "250ms"))).toEqual({});
  });

  it("checks the fault's parameters are whole numbers, where its type shows them", () => {
    expect(errorsAfter((_, s) => (s.gracePeriodSeconds = "2.5"))["steps.0.fault.params.gracePeriodSeconds"]).toBe("a whole number");
    const scaler = (replicas: string) =>
      errorsAfter((_, s) => Object.assign(s, { faultType: "pod-autoscaler", kind: "Deployment", replicas, selector: "", targetName: "web" }));
    expect(scaler("x")["steps.0.fault.params.replicas"]).toBe("a whole number");
    expect(scaler("3")).toEqual({});
    // a field its type does not show (or send) is not judged
    expect(errorsAfter((_, s) => Object.assign(s, { faultType: "node-cordon", kind: "Node", gracePeriodSeconds: "x", interval: "x" }))).toEqual({});
  });

  it("checks the target's namespace, label selector and value", () => {
    expect(errorsAfter((_, s) => (s.namespace = ""))["steps.0.fault.target.namespace"]).toBe("required");
    expect(errorsAfter((_, s) => (s.namespace = "Demo"))["steps.0.fault.target.namespace"]).toMatch(/lowercase/);
    expect(errorsAfter((_, s) => Object.assign(s, { faultType: "node-cordon", kind: "Node", namespace: "" }))).toEqual({});
    expect(errorsAfter((_, s) => (s.selector = "app in (web"))["steps.0.fault.target.selector"]).toMatch(/parentheses/);
    expect(errorsAfter((_, s) => Object.assign(s, { mode: "fixed", value: "two" }))["steps.0.fault.target.value"]).toBe("a whole number");
    expect(errorsAfter((_, s) => Object.assign(s, { mode: "one", value: "two" }))).toEqual({});
  });

  it("checks probes: names, required settings of their type, syntax of run properties", () => {
    expect(withProbe(() => {})).toEqual({});
    expect(withProbe((p) => (p.name = "Up!"))["steps.0.probes.0.name"]).toMatch(/lowercase/);
    expect(withProbe((p) => (p.http.url = ""))["steps.0.probes.0.http.url"]).toBe("required");
    expect(withProbe((p) => (p.http.url = "ftp://x"))["steps.0.probes.0.http.url"]).toMatch(/http/);
    expect(withProbe((p) => (p.http.expectStatus = "2xx"))["steps.0.probes.0.http.expectStatus"]).toBe("a whole number");
    expect(withProbe((p) => Object.assign(p, { type: "k8s", k8s: { ...p.k8s, apiVersion: "", operation: "count", count: "1.5" } }))).toEqual({
      "steps.0.probes.0.k8s.apiVersion": "required, e.g. v1 or apps/v1",
      "steps.0.probes.0.k8s.count": "a whole number",
    });
    expect(withProbe((p) => Object.assign(p, { type: "prom", prom: { ...p.prom, comparator: { criteria: "", value: "" } } }))).toEqual({
      "steps.0.probes.0.prom.endpoint": "required",
      "steps.0.probes.0.prom.query": "required",
      "steps.0.probes.0.prom.comparator.criteria": "required",
    });
    expect(withProbe((p) => Object.assign(p, { type: "cmd", cmd: { ...p.cmd, command: "\n  \n" } }))).toEqual({
      "steps.0.probes.0.cmd.command": "name the program to run, e.g. sh (one argument per line)",
      "steps.0.probes.0.cmd.image": "required",
    });
    expect(withProbe((p) => (p.interval = "2"))["steps.0.probes.0.runProperties.interval"]).toMatch(/not a duration/);
    expect(withProbe((p) => (p.timeout = "soon"))["steps.0.probes.0.runProperties.timeout"]).toMatch(/not a duration/);
    expect(withProbe((p) => (p.attempts = "1.5"))["steps.0.probes.0.runProperties.attempts"]).toBe("a whole number");
    expect(withProbe((p) => (p.initialDelay = "soon"))["steps.0.probes.0.runProperties.initialDelay"]).toMatch(/not a duration/);
  });

  it("checks a network fault's parameters: the required ones with the server's words, and syntax", () => {
    const net = (change: Partial<StepForm>) => errorsAfter((_, s) => Object.assign(s, change));
    const at = (field: string) => `steps.0.fault.params.${field}`;
    expect(net({ faultType: "network-delay" })).toEqual({ [at("latency")]: "required for network-delay: a duration such as 100ms" });
    expect(net({ faultType: "network-delay", latency: "100", jitter: "a bit", correlation: "high" })).toEqual({
      [at("latency")]: '"100" is not a duration such as 30s, 5m, 1h or 1m30s',
      [at("jitter")]: '"a bit" is not a duration such as 30s, 5m, 1h or 1m30s',
      [at("correlation")]: "a number",
    });
    expect(net({ faultType: "network-delay", latency: "100ms", jitter: "10ms", correlation: "12.5" })).toEqual({});
    for (const type of ["network-loss", "network-duplicate", "network-corrupt"] as const) {
      expect(net({ faultType: type })).toEqual({ [at("percent")]: `required for ${type}: a percentage above 0, at most 100` });
      expect(net({ faultType: type, percent: "30%" })).toEqual({ [at("percent")]: "a number" });
      expect(net({ faultType: type, percent: "0.5" })).toEqual({});
    }
    expect(net({ faultType: "network-rate" })).toEqual({ [at("rate")]: "required for network-rate: a bandwidth such as 1mbit or 500kbit" });
    expect(net({ faultType: "network-rate", rate: "1 Mbit/s" })).toEqual({ [at("rate")]: '"1 Mbit/s" is not a bandwidth such as 1mbit, 500kbit or 2gbit' });
    expect(net({ faultType: "network-rate", rate: "500kbit" })).toEqual({});
  });

  it("checks destinations where the fault takes them", () => {
    const dest = (faultType: StepForm["faultType"], d: Partial<StepForm["destinations"]>, more: Partial<StepForm> = {}) =>
      errorsAfter((_, s) => Object.assign(s, { faultType, percent: "10", ...more, destinations: { ...s.destinations, ...d } }));
    const at = (field: string) => `steps.0.fault.params.destinations.${field}`;
    expect(dest("network-loss", { ports: "80, 443 8080", podsSelector: "app=db", podsNamespace: "data", cidrs: "10.0.0.0/8" })).toEqual({});
    expect(dest("network-loss", { ports: "80, -1", podsSelector: "app in (db", podsNamespace: "Data" })).toEqual({
      [at("ports")]: '"-1" is not a port number',
      [at("pods.namespace")]: "lowercase letters, digits and '-', starting and ending with a letter or digit",
      [at("pods.selector")]: "the parentheses do not match",
    });
    // not shown (nor sent) for network-rate, nor for a NetworkPolicy partition
    expect(dest("network-rate", { ports: "http" }, { rate: "1mbit" })).toEqual({});
    expect(dest("network-partition", { ports: "http" }, { mechanism: "network-policy" })).toEqual({});
    expect(dest("network-partition", { ports: "http" })).toEqual({ [at("ports")]: '"http" is not a port number' });
  });

  it("leaves ranges, limits and rules across fields to the server", () => {
    // each of these is wrong, and the server's validator says so with its limit
    expect(
      errorsAfter((f, s) => {
        Object.assign(f, { description: "x".repeat(2000), schedule: "61 * * * *", timeZone: "Mars/Olympus", runHistoryLimit: "5000", startingDeadlineSeconds: "0" });
        Object.assign(s, { weight: "5000", interval: "0s", gracePeriodSeconds: "99999", kind: "Node", mode: "fixed-percent", value: "150", dependsOn: ["kill-pods", "ghost"] });
        f.steps.push({ ...newStep("kill-pods", "demo"), selector: "" });
      }),
    ).toEqual({});
    expect(withProbe((p) => Object.assign(p, { timeout: "0s", attempts: "0", http: { ...p.http, expectStatus: "99" } }))).toEqual({});
    expect(
      withProbe((p) => Object.assign(p, { type: "prom", prom: { endpoint: "http://prom:9090", query: "up", comparator: { type: "int", criteria: "contains", value: "1.5" } } })),
    ).toEqual({});
  });
});

describe("helpers", () => {
  it("parses durations", () => {
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("1d")).toBeNull();
    expect(parseDuration("")).toBeNull();
  });

  it("judges schedules alone", () => {
    expect(scheduleError("")).toBeNull();
    expect(scheduleError("0 0 L * *")).toBeNull();
    expect(scheduleError("99 * * * *")).toBeNull();
  });

  it("names DNS label errors", () => {
    expect(dnsLabelError("web-1")).toBeNull();
    expect(dnsLabelError("")).toBe("required");
    expect(dnsLabelError("Web")).toMatch(/lowercase/);
  });
});

describe("fieldOfMessage", () => {
  const form = valid();
  form.steps[0].probes = [{ ...newProbe("web-up"), http: { ...newProbe("x").http, url: "http://x/" } }];
  form.steps.push({ ...newStep("scale", "demo"), faultType: "pod-autoscaler", kind: "Deployment", targetName: "web", replicas: "1" });

  it("maps index paths from the API server", () => {
    expect(fieldOfMessage('ChaosWorkflow.chaoscenter.io "x" is invalid: spec.steps[0].fault.duration: Invalid value: "x"', form)).toBe(
      "steps.0.fault.duration",
    );
    expect(fieldOfMessage("spec.steps[1].fault.params.replicas: required for pod-autoscaler", form)).toBe("steps.1.fault.params.replicas");
    expect(fieldOfMessage("spec.maxDuration: Invalid value", form)).toBe("maxDuration");
  });

  it("maps name paths from the operator", () => {
    expect(fieldOfMessage("spec.steps[scale].fault.target.kind: pod-autoscaler needs Deployment or StatefulSet", form)).toBe(
      "steps.1.fault.target.kind",
    );
    expect(fieldOfMessage("spec.steps[kill-pods].probes[web-up].http.url: not a URL", form)).toBe("steps.0.probes.0.http.url");
    expect(fieldOfMessage("spec.steps[kill-pods].dependsOn: unknown step", form)).toBe("steps.0.dependsOn");
  });

  it("maps blocks and deeper paths to the field that stands for them", () => {
    expect(fieldOfMessage("spec.steps[0].fault.target: a target needs a selector or a name", form)).toBe("steps.0.fault.target.selector");
    expect(fieldOfMessage("spec.steps[0].fault.target.selector.matchLabels: bad", form)).toBe("steps.0.fault.target.selector");
    expect(fieldOfMessage("spec.steps[0].dependsOn[0]: bad", form)).toBe("steps.0.dependsOn");
    expect(fieldOfMessage("yaml: metadata.name is required", form)).toBe("name");
  });

  it("maps the validator's field paths", () => {
    expect(fieldOfMessage("spec.steps[0].probes[0].runProperties.timeout", form)).toBe("steps.0.probes.0.runProperties.timeout");
    expect(fieldOfMessage("spec.steps[0].fault.target.selector.matchExpressions[0].operator", form)).toBe("steps.0.fault.target.selector");
    expect(fieldOfMessage("spec.steps[0].fault.target.selector.matchLabels[app.kubernetes.io/name]", form)).toBe("steps.0.fault.target.selector");
    expect(fieldOfMessage("spec.steps[1].dependsOn[0]", form)).toBe("steps.1.dependsOn");
    expect(fieldOfMessage("spec.steps", form)).toBe("steps");
    expect(fieldOfMessage("spec.steps[0].probes", form)).toBe("steps.0.probes");
  });

  it("maps the validator's paths into a network fault's parameters and destinations", () => {
    const net = valid();
    Object.assign(net.steps[0], { faultType: "network-delay", latency: "100ms" });
    net.steps.push({ ...newStep("thin", "demo"), faultType: "network-rate", rate: "1bit" });
    net.steps.push({ ...newStep("policy", "demo"), faultType: "network-partition", mechanism: "network-policy" });
    const at = (message: string) => fieldOfMessage(message, net);
    expect(at('spec.steps[0].fault.params.jitter: "200ms" is more than the latency (100ms)')).toBe("steps.0.fault.params.jitter");
    expect(at("spec.steps[0].fault.params.correlation: 120 is not a percentage from 0 to 100")).toBe("steps.0.fault.params.correlation");
    expect(at('spec.steps[0].fault.params.destinations.cidrs[1]: "10.0.0.300" is not an address')).toBe("steps.0.fault.params.destinations.cidrs");
    expect(at("spec.steps[0].fault.params.destinations.hosts[0]: not a host name")).toBe("steps.0.fault.params.destinations.hosts");
    expect(at("spec.steps[0].fault.params.destinations.ports: icmp has no ports")).toBe("steps.0.fault.params.destinations.ports");
    expect(at("spec.steps[0].fault.params.destinations.ports[2]: 70000 is not a port from 1 to 65535")).toBe("steps.0.fault.params.destinations.ports");
    expect(at("spec.steps[0].fault.params.destinations.pods.selector.matchLabels[app]: bad")).toBe("steps.0.fault.params.destinations.pods.selector");
    expect(at("spec.steps[0].fault.params.destinations.pods: x")).toBe("steps.0.fault.params.destinations.pods.selector");
    expect(at("spec.steps[0].fault.params.destinations: names no peer, port or protocol")).toBe("steps.0.fault.params.destinations.cidrs");
    expect(at('spec.steps[thin].fault.params.rate: "1bit" is outside 8kbit to 100gbit')).toBe("steps.1.fault.params.rate");
    expect(at("spec.steps[policy].fault.params.mechanism: x")).toBe("steps.2.fault.params.mechanism");
    // parameters the step's type (or mechanism) does not take are not shown: their messages are listed apart
    expect(at("spec.steps[thin].fault.params.destinations: not used by network-rate; remove it")).toBeNull();
    expect(at("spec.steps[thin].fault.params.latency: not used by network-rate; remove it")).toBeNull();
    expect(at("spec.steps[policy].fault.params.destinations: not used by mechanism network-policy")).toBeNull();
    expect(at("spec.steps[0].fault.params.percent: not used by network-delay; remove it")).toBeNull();
  });

  it("maps nothing it cannot place", () => {
    expect(fieldOfMessage("forbidden: you may not", form)).toBeNull();
    expect(fieldOfMessage("spec.steps[ghost].fault.duration: x", form)).toBeNull();
    expect(fieldOfMessage("spec: is not valid", form)).toBeNull();
    expect(fieldOfMessage("spec.steps[0]: x", form)).toBeNull();
    // fields the form does not show now: not their block's or list's field either
    expect(fieldOfMessage("spec.steps[0].fault.target.value: not used by mode all", form)).toBeNull();
    expect(fieldOfMessage("spec.steps[0].fault.params.replicas: not used by pod-delete", form)).toBeNull();
    expect(fieldOfMessage("spec.steps[0].probes[0].k8s: set, but the probe's type is http", form)).toBeNull();
    expect(fieldOfMessage("spec.suspend: x", form)).toBeNull();
    expect(fieldOfMessage("spec.suspend: x", { ...form, schedule: "@daily" })).toBe("suspend");
  });
});
