// Tests of entry.ts: the source and the link of an entry.
import { describe, expect, it } from "vitest";
import { entryLink, isCluster } from "./entry";

describe("entryLink", () => {
  it("links workflows to their editor and runs to their view", () => {
    expect(entryLink("demo", { kind: "ChaosWorkflow", name: "web-survives-pod-loss" })).toBe(
      "/projects/demo/workflows/web-survives-pod-loss",
    );
    expect(entryLink("demo", { kind: "ChaosWorkflowRun", name: "web-survives-pod-loss-x7k2q" })).toBe(
      "/projects/demo/runs/web-survives-pod-loss-x7k2q",
    );
  });

  it("does not link other kinds, or an entry without a name", () => {
    expect(entryLink("demo", { kind: "Project", name: "demo" })).toBeUndefined();
    expect(entryLink("demo", { kind: "ChaosUser", name: "alice" })).toBeUndefined();
    expect(entryLink("demo", { kind: "ChaosWorkflow", name: "" })).toBeUndefined();
  });

  it("escapes what is put in the path", () => {
    expect(entryLink("my project", { kind: "ChaosWorkflow", name: "a/b" })).toBe("/projects/my%20project/workflows/a%2Fb");
  });
});

describe("isCluster", () => {
  it("is true only for changes seen in the cluster", () => {
    expect(isCluster({ source: "CLUSTER" })).toBe(true);
    expect(isCluster({ source: "API" })).toBe(false);
  });
});
