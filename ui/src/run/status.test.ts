// Tests of status.ts.
import { describe, expect, it } from "vitest";
import { failedConditions, parseDefinition, parseStatus, runDuration, stepRows, targetName } from "./status";

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
