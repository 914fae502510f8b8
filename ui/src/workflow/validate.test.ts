// Tests of validate.ts.
import { describe, expect, it } from "vitest";
import { newProbe, newStep, newWorkflowForm, type ProbeForm, type StepForm, type WorkflowForm } from "./form";
import { fieldOfMessage, findCycle, parseDuration, scheduleError, validateForm } from "./validate";

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

  it("checks the description's length", () => {
    expect(errorsAfter((f) => (f.description = "x".repeat(1025))).description).toMatch(/1024/);
    expect(errorsAfter((f) => (f.description = "x".repeat(1024)))).toEqual({});
  });

  it("checks the schedule", () => {
    for (const ok of ["*/30 8-18 * * 1-5", "0 0 * * *", "@hourly", "@annually", "0 12 1 jan-mar mon", "5,10 * * * 0"]) {
      expect(errorsAfter((f) => (f.schedule = ok)), ok).toEqual({});
    }
    expect(errorsAfter((f) => (f.schedule = "* * * *")).schedule).toMatch(/five fields/);
    expect(errorsAfter((f) => (f.schedule = "@sometimes")).schedule).toMatch(/macro/);
    expect(errorsAfter((f) => (f.schedule = "61 * * * *")).schedule).toMatch(/minute/);
    expect(errorsAfter((f) => (f.schedule = "* 24 * * *")).schedule).toMatch(/hour/);
    expect(errorsAfter((f) => (f.schedule = "*/0 * * * *")).schedule).toMatch(/step of 0/);
    expect(errorsAfter((f) => (f.schedule = "x * * * *")).schedule).toMatch(/minute/);
  });

  it("checks the time zone, deadline, history limit and max duration", () => {
    expect(errorsAfter((f) => (f.timeZone = "Europe/Berlin"))).toEqual({});
    expect(errorsAfter((f) => (f.timeZone = "Europe Berlin")).timeZone).toMatch(/IANA/);
    expect(errorsAfter((f) => (f.startingDeadlineSeconds = "0")).startingDeadlineSeconds).toMatch(/at least 1/);
    expect(errorsAfter((f) => (f.runHistoryLimit = "1001")).runHistoryLimit).toMatch(/0 to 1000/);
    expect(errorsAfter((f) => (f.runHistoryLimit = "2.5")).runHistoryLimit).toMatch(/whole number/);
    expect(errorsAfter((f) => (f.maxDuration = "15 minutes")).maxDuration).toMatch(/not a duration/);
    expect(errorsAfter((f) => (f.maxDuration = "1h30m"))).toEqual({});
  });

  it("needs one to a hundred steps", () => {
    expect(errorsAfter((f) => (f.steps = [])).steps).toMatch(/at least one/);
    expect(
      errorsAfter((f) => {
        f.steps = Array.from({ length: 101 }, (_, i) => ({ ...newStep(`s${i}`, "demo"), selector: "app=web" }));
      }).steps,
    ).toMatch(/100/);
  });

  it("checks step names: DNS labels, unique", () => {
    expect(errorsAfter((_, s) => (s.name = "Kill Pods"))["steps.0.name"]).toMatch(/lowercase/);
    expect(errorsAfter((_, s) => (s.name = ""))["steps.0.name"]).toBe("required");
    expect(
      errorsAfter((f) => f.steps.push({ ...newStep("kill-pods", "demo"), selector: "app=web" }))["steps.1.name"],
    ).toMatch(/another step/);
  });

  it("checks dependsOn: existing steps, not itself, no cycles", () => {
    expect(errorsAfter((_, s) => (s.dependsOn = ["ghost"]))["steps.0.dependsOn"]).toMatch(/"ghost"/);
    expect(errorsAfter((_, s) => (s.dependsOn = ["kill-pods"]))["steps.0.dependsOn"]).toMatch(/itself/);
    const cyclic = errorsAfter((f, s) => {
      f.steps.push({ ...newStep("b", "demo"), selector: "app=web", dependsOn: ["kill-pods"] });
      s.dependsOn = ["b"];
    });
    expect(cyclic["steps.0.dependsOn"]).toMatch(/cycle: kill-pods → b → kill-pods/);
    expect(cyclic["steps.1.dependsOn"]).toMatch(/cycle/);
    expect(
      errorsAfter((f) => f.steps.push({ ...newStep("b", "demo"), selector: "app=web", dependsOn: ["kill-pods"] })),
    ).toEqual({});
  });

  it("checks weight, durations and the interval", () => {
    expect(errorsAfter((_, s) => (s.weight = "1001"))["steps.0.weight"]).toMatch(/0 to 1000/);
    expect(errorsAfter((_, s) => (s.weight = "0"))).toEqual({});
    expect(errorsAfter((_, s) => (s.duration = "30"))["steps.0.fault.duration"]).toMatch(/not a duration/);
    expect(errorsAfter((_, s) => (s.duration = "1.5s"))["steps.0.fault.duration"]).toMatch(/not a duration/);
    expect(errorsAfter((_, s) => (s.duration = ""))).toEqual({});
    expect(errorsAfter((_, s) => (s.interval = "0s"))["steps.0.fault.interval"]).toMatch(/more than zero/);
    expect(errorsAfter((_, s) => (s.interval = "ten"))["steps.0.fault.interval"]).toMatch(/not a duration/);
    expect(errorsAfter((_, s) => (s.interval = "250ms"))).toEqual({});
  });

  it("checks fault parameters by type", () => {
    expect(errorsAfter((_, s) => (s.gracePeriodSeconds = "3601"))["steps.0.fault.params.gracePeriodSeconds"]).toMatch(/0 to 3600/);
    const scaler = (replicas: string) =>
      errorsAfter((_, s) => Object.assign(s, { faultType: "pod-autoscaler", kind: "Deployment", replicas, selector: "", targetName: "web" }));
    expect(scaler("")["steps.0.fault.params.replicas"]).toBe("required");
    expect(scaler("10001")["steps.0.fault.params.replicas"]).toMatch(/0 to 10000/);
    expect(scaler("0")).toEqual({});
    const taint = (taintKey: string) => errorsAfter((_, s) => Object.assign(s, { faultType: "node-taint", kind: "Node", taintKey }));
    expect(taint("")["steps.0.fault.params.taint.key"]).toMatch(/required/);
    expect(taint("bad key")["steps.0.fault.params.taint.key"]).toMatch(/a key such as/);
    expect(taint("chaoscenter.io/chaos")).toEqual({});
  });

  it("checks the target", () => {
    expect(errorsAfter((_, s) => (s.namespace = ""))["steps.0.fault.target.namespace"]).toBe("required");
    expect(errorsAfter((_, s) => (s.namespace = "Demo"))["steps.0.fault.target.namespace"]).toMatch(/lowercase/);
    expect(errorsAfter((_, s) => Object.assign(s, { faultType: "node-cordon", kind: "Node", namespace: "" }))).toEqual({});
    expect(errorsAfter((_, s) => (s.kind = "Node"))["steps.0.fault.target.kind"]).toMatch(/pod-delete hits Pod/);
    expect(errorsAfter((_, s) => Object.assign(s, { faultType: "pod-autoscaler", kind: undefined, replicas: "1" }))["steps.0.fault.target.kind"]).toMatch(
      /Deployment or StatefulSet/,
    );
    expect(errorsAfter((_, s) => (s.selector = ""))["steps.0.fault.target.selector"]).toMatch(/selector or a target name/);
    expect(errorsAfter((_, s) => Object.assign(s, { selector: "", targetName: "web-0" }))).toEqual({});
    expect(errorsAfter((_, s) => (s.selector = "app in (web"))["steps.0.fault.target.selector"]).toMatch(/parentheses/);
  });

  it("checks the value each mode needs", () => {
    const mode = (m: StepForm["mode"], value: string) => errorsAfter((_, s) => Object.assign(s, { mode: m, value }))["steps.0.fault.target.value"];
    expect(mode("fixed", "")).toBe("required for mode fixed");
    expect(mode("fixed", "0")).toMatch(/at least 1/);
    expect(mode("fixed", "500")).toBeUndefined();
    expect(mode("fixed-percent", "0")).toMatch(/1 to 100/);
    expect(mode("fixed-percent", "101")).toMatch(/1 to 100/);
    expect(mode("fixed-percent", "50")).toBeUndefined();
    expect(mode("random-max-percent", "")).toBe("required for mode random-max-percent");
    expect(mode("random-max-percent", "100")).toBeUndefined();
    expect(mode("one", "")).toBeUndefined();
    expect(mode("all", "")).toBeUndefined();
  });

  it("checks probes: names, settings of their type, run properties", () => {
    expect(withProbe(() => {})).toEqual({});
    expect(withProbe((p) => (p.name = "Up!"))["steps.0.probes.0.name"]).toMatch(/lowercase/);
    expect(
      errorsAfter((_, s) => {
        s.probes = [newProbe("up"), newProbe("up")].map((p) => ({ ...p, http: { ...p.http, url: "http://x/" } }));
      })["steps.0.probes.1.name"],
    ).toMatch(/another probe/);
    expect(withProbe((p) => (p.http.url = ""))["steps.0.probes.0.http.url"]).toBe("required");
    expect(withProbe((p) => (p.http.url = "ftp://x"))["steps.0.probes.0.http.url"]).toMatch(/http/);
    expect(withProbe((p) => (p.http.expectStatus = "99"))["steps.0.probes.0.http.expectStatus"]).toMatch(/100 to 599/);
    expect(withProbe((p) => Object.assign(p, { type: "k8s", k8s: { ...p.k8s, apiVersion: "", operation: "count" } }))).toEqual({
      "steps.0.probes.0.k8s.apiVersion": "required, e.g. v1 or apps/v1",
      "steps.0.probes.0.k8s.count": "required",
    });
    expect(withProbe((p) => Object.assign(p, { type: "prom" }))).toEqual({
      "steps.0.probes.0.prom.endpoint": "required",
      "steps.0.probes.0.prom.query": "required",
      "steps.0.probes.0.prom.comparator.value": "a number",
    });
    const prom = (criteria: string, type: "int" | "float" | "string", value: string) =>
      withProbe((p) =>
        Object.assign(p, { type: "prom", prom: { endpoint: "http://prom:9090", query: "up", comparator: { type, criteria, value } } }),
      );
    expect(prom("<=", "float", "0.5")).toEqual({});
    expect(prom("contains", "float", "1")["steps.0.probes.0.prom.comparator.criteria"]).toMatch(/compares strings/);
    expect(prom(">", "string", "a")["steps.0.probes.0.prom.comparator.criteria"]).toMatch(/compares numbers/);
    expect(prom("==", "int", "1.5")["steps.0.probes.0.prom.comparator.value"]).toMatch(/whole number/);
    expect(prom("", "int", "1")["steps.0.probes.0.prom.comparator.criteria"]).toBe("required");
    expect(withProbe((p) => Object.assign(p, { type: "cmd", cmd: { ...p.cmd, command: "\n  \n" } }))).toEqual({
      "steps.0.probes.0.cmd.command": "name the program to run, e.g. sh (one argument per line)",
      "steps.0.probes.0.cmd.image": "required",
    });
    expect(withProbe((p) => (p.timeout = "0s"))["steps.0.probes.0.runProperties.timeout"]).toMatch(/more than zero/);
    expect(withProbe((p) => (p.interval = "2"))["steps.0.probes.0.runProperties.interval"]).toMatch(/not a duration/);
    expect(withProbe((p) => (p.attempts = "0"))["steps.0.probes.0.runProperties.attempts"]).toMatch(/1 to 100/);
    expect(withProbe((p) => (p.initialDelay = "soon"))["steps.0.probes.0.runProperties.initialDelay"]).toMatch(/not a duration/);
    expect(
      errorsAfter((_, s) => {
        s.probes = Array.from({ length: 21 }, (_, i) => ({ ...newProbe(`p${i}`), http: { ...newProbe("x").http, url: "http://x/" } }));
      })["steps.0.probes"],
    ).toMatch(/20/);
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

  it("finds cycles", () => {
    expect(findCycle([{ name: "a", dependsOn: [] }, { name: "b", dependsOn: ["a"] }])).toEqual([]);
    expect(findCycle([{ name: "a", dependsOn: ["c"] }, { name: "b", dependsOn: ["a"] }, { name: "c", dependsOn: ["b"] }])).toEqual(["a", "c", "b", "a"]);
  });

  it("judges schedules alone", () => {
    expect(scheduleError("")).toBeNull();
    expect(scheduleError("0 0 L * *")).toBeNull();
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

  it("maps nothing it cannot place", () => {
    expect(fieldOfMessage("forbidden: you may not", form)).toBeNull();
    expect(fieldOfMessage("spec.steps[ghost].fault.duration: x", form)).toBeNull();
    expect(fieldOfMessage("spec.steps: dependsOn forms a cycle", form)).toBeNull();
  });
});
