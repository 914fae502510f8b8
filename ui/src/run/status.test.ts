// Tests of status.ts.
import { describe, expect, it } from "vitest";
import {
  failedConditions,
  ineffective,
  injectionNote,
  parseDefinition,
  parseStatus,
  runDuration,
  runStop,
  showsMechanism,
  stepRows,
  targetName,
} from "./status";

const status = {
  phase: "Running",
  startedAt: "2026-11-25T21:59:16Z",
  deadline: "2026-11-25T22:04:16Z",
  steps: [
    {
      name: "kill",
      phase: "Running",
      verdict: "Awaited",
      injections: 2,
      targets: [{ kind: "Pod", namespace: "demo", name: "web-1", round: 1, injectedAt: "2026-11-25T21:59:17Z", revertVerified: true }],
      probes: [{ name: "web-answers", verdict: "Passed", passed: 7, failed: 0 }],
    },
    { name: "extra", phase: "Bogus" },
    { phase: "Running" },
  ],
  conditions: [
    { type: "Admitted", status: "True", reason: "Admitted", message: "ok" },
    { type: "Ready", status: "False", reason: "Refused", message: "namespace not allowed" },
  ],
};

const definition = {
  maxDuration: "5m",
  steps: [
    { name: "kill", weight: 20, fault: { type: "pod-delete", duration: "30s" }, probes: [{ name: "web-answers" }] },
    { name: "scale", dependsOn: ["kill"], fault: { type: "pod-autoscaler" } },
  ],
};

describe("parseStatus", () => {
  it("reads the status with defaults for what is missing", () => {
    const s = parseStatus(status);
    expect(s.phase).toBe("Running");
    expect(s.steps.map((x) => x.name)).toEqual(["kill", "extra"]); // a step without a name is dropped
    expect(s.steps[1]).toMatchObject({ phase: "Pending", verdict: "Awaited", injections: 0, targets: [], probes: [] });
    expect(s.steps[0].targets[0]).toMatchObject({ kind: "Pod", round: 1, revertVerified: true, revertedAt: undefined });
    expect(s.steps[0].probes[0]).toMatchObject({ name: "web-answers", passed: 7, failed: 0, message: "" });
  });

  it("reads garbage as an empty status", () => {
    for (const junk of [null, undefined, 3, "x", [], { steps: "no", conditions: {} }]) {
      expect(parseStatus(junk)).toMatchObject({ phase: undefined, steps: [], conditions: [] });
    }
  });
});

describe("stepRows", () => {
  it("merges the definition and the status by step name, in definition order", () => {
    const rows = stepRows(parseDefinition(definition), parseStatus(status));
    expect(rows.map((r) => [r.name, r.phase, r.weight, r.faultType, r.defined])).toEqual([
      ["kill", "Running", 20, "pod-delete", true],
      ["scale", "Pending", 10, "pod-autoscaler", true],
      ["extra", "Pending", 10, undefined, false],
    ]);
    expect(rows[1].dependsOn).toEqual(["kill"]);
    expect(rows[0].targets).toHaveLength(1);
    // a step without probes in its definition has no success rate to show
    expect(rows.map((r) => r.probeCount)).toEqual([1, 0, 0]);
  });

  it("shows the status's steps when the definition is unknown", () => {
    const rows = stepRows(parseDefinition(null), parseStatus(status));
    expect(rows.map((r) => r.name)).toEqual(["kill", "extra"]);
  });
});

describe("status helpers", () => {
  it("picks the conditions that do not hold", () => {
    expect(failedConditions(parseStatus(status).conditions).map((c) => c.reason)).toEqual(["Refused"]);
  });

  it("measures a running run up to now and a finished one to its end", () => {
    const now = Date.parse("2026-11-25T22:00:16Z");
    expect(runDuration(parseStatus(status), "2026-11-25T21:59:00Z", now)).toBe("1 min 0 s");
    const done = parseStatus({ ...status, phase: "Succeeded", finishedAt: "2026-11-25T21:59:46Z" });
    expect(runDuration(done, "2026-11-25T21:59:00Z", now)).toBe("30 s");
    // finished without an end time: the operator's own duration, never a ticking clock
    const ended = parseStatus({ phase: "Failed", startedAt: "2026-11-25T21:59:16Z", duration: "12s" });
    expect(runDuration(ended, "2026-11-25T21:59:00Z", now)).toBe("12s");
    expect(runDuration(parseStatus({ phase: "Pending" }), "2026-11-25T21:59:00Z", now)).toBe("—");
  });

  it("names targets with their namespace when they have one", () => {
    expect(targetName({ namespace: "demo", name: "web-1" })).toBe("demo/web-1");
    expect(targetName({ name: "node-1" })).toBe("node-1");
  });
});

describe("runStop", () => {
  const refusal = {
    type: "Admitted",
    status: "False",
    reason: "NamespaceNotAllowed",
    message:
      'spec.steps[1].fault.target.namespace: namespace shop does not allow project team-a (annotation chaoscenter.io/chaos-projects is "team-b")',
    lastTransitionTime: "2026-11-25T21:59:17Z",
  };

  it("explains a run refused by policy: the namespace and what is missing, the field and the step", () => {
    const stop = runStop("Failed", parseStatus({ conditions: [refusal] }).conditions);
    expect(stop).toEqual({
      kind: "refused",
      reason: "NamespaceNotAllowed",
      title: "Refused: a namespace this run targets is not open to this project",
      message: refusal.message,
      detail: 'namespace shop does not allow project team-a (annotation chaoscenter.io/chaos-projects is "team-b")',
      field: "spec.steps[1].fault.target.namespace",
      step: 1,
      advice: expect.stringContaining("chaoscenter.io/chaos-projects"),
      at: "2026-11-25T21:59:17Z",
    });
  });

  it("names a refused node, and keeps a message without a field whole", () => {
    const node = runStop("Failed", [
      { ...refusal, reason: "NodeNotAllowed", message: "spec.steps[0].fault.target: node worker-1 does not allow project team-a" },
    ]);
    expect(node).toMatchObject({ title: "Refused: a node this run targets is not open to this project", field: "spec.steps[0].fault.target", step: 0 });
    expect(node?.detail).toBe("node worker-1 does not allow project team-a");
    const halted = runStop("Failed", [{ ...refusal, reason: "Halted", message: "the halt switch is on: no run may start" }]);
    expect(halted).toMatchObject({ detail: "the halt switch is on: no run may start", field: undefined, step: undefined });
    const other = runStop("Failed", [{ ...refusal, reason: "SomethingNew", message: "why" }]);
    expect(other).toMatchObject({ title: "The run was refused", reason: "SomethingNew", advice: undefined });
  });

  it("explains a run stopped because its spec changed after admission", () => {
    const message =
      "the run's spec changed after it was admitted (changed: spec.workflow.steps[0].fault.target.namespace): nothing more was injected, every fault was reverted";
    const conditions = parseStatus({
      conditions: [
        { type: "Admitted", status: "True", reason: "Admitted", message: "every policy check passed" },
        { type: "Completed", status: "True", reason: "DefinitionChanged", message },
        { type: "Succeeded", status: "False", reason: "DefinitionChanged", message },
      ],
    }).conditions;
    expect(runStop("Error", conditions)).toMatchObject({
      kind: "stopped",
      reason: "DefinitionChanged",
      title: "Stopped: the run's spec was changed after it was admitted",
      detail: message,
      field: undefined,
    });
  });

  it("is nothing for runs that ended for other reasons, or have not ended", () => {
    const stepsFailed = { type: "Succeeded", status: "False", reason: "StepsFailed", message: "steps that did not pass: kill" };
    expect(runStop("Failed", [stepsFailed])).toBeUndefined();
    expect(runStop("Aborted", [{ ...stepsFailed, reason: "DeadlineExceeded" }])).toBeUndefined();
    expect(runStop("Running", [refusal])).toBeUndefined();
    expect(runStop(null, [refusal])).toBeUndefined();
    expect(runStop("Succeeded", [])).toBeUndefined();
  });
});

describe("network fault targets", () => {
  const web1 = parseStatus({
    steps: [{ name: "slow", targets: [{ kind: "Pod", namespace: "demo", name: "web-1", fault: "network-delay", injectionError: "InjectionIneffective: pod demo/web-1 still answers" }] }],
  }).steps[0].targets[0];
  const injected = (time: string, message: string) => ({ time, kind: "Normal", reason: "Injected", message });

  it("reads the fault and the injection error of a target", () => {
    expect(web1.fault).toBe("network-delay");
    expect(web1.injectionError).toBe("InjectionIneffective: pod demo/web-1 still answers");
    expect(ineffective(web1)).toBe(true);
    expect(ineffective({ injectionError: "not injected: namespace demo withdrew" })).toBe(false);
    expect(ineffective({})).toBe(false);
  });

  it("shows the mechanism of the node agent's faults, not the API faults' notes that repeat the action", () => {
    const agent = ["network-partition", "network-rate", "container-kill", "pod-cpu-stress", "pod-memory-stress", "pod-io-stress", "disk-fill"];
    agent.push("dns-error", "dns-spoof", "http-latency", "http-abort", "http-status", "http-modify", "node-cpu-stress", "node-memory-stress");
    for (const type of agent) expect(showsMechanism(type), type).toBe(true);
    for (const type of ["pod-delete", "pod-autoscaler", "node-cordon", "node-taint", "node-drain", "", undefined]) {
      expect(showsMechanism(type), String(type)).toBe(false);
    }
  });

  it("finds the note of the target's newest Injected event of its step", () => {
    const note = "nfqueue by the node agent on node-1 (ChaosInjection slow-web-1-abcde)";
    const events = [
      injected("2026-11-25T21:59:20Z", `step slow: network-delay injected into Pod demo/web-1: ${note}`),
      injected("2026-11-25T21:59:10Z", "step slow: network-delay injected into Pod demo/web-1: netem by the node agent on node-1 (ChaosInjection old)"),
      injected("2026-11-25T21:59:30Z", "step other: network-delay injected into Pod demo/web-1: tbf by the node agent on node-2 (ChaosInjection x)"),
      injected("2026-11-25T21:59:40Z", "step slow: network-delay injected into Pod demo/web-12: tbf by the node agent on node-2 (ChaosInjection y)"),
      injected("2026-11-25T21:59:50Z", "step slow: network-delay injected into Pod demo/web-1: already done before the operator restarted"),
      { time: "2026-11-25T21:59:55Z", kind: "Warning", reason: "InjectionFailed", message: "step slow: network-delay injected into Pod demo/web-1: no" },
    ];
    expect(injectionNote(events, "slow", web1)).toBe(note);
    expect(injectionNote(events.slice(2), "slow", web1)).toBeUndefined();
    expect(injectionNote([], "slow", web1)).toBeUndefined();
  });
});

