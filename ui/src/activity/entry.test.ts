// Tests of entry.ts: the source and the link of an entry.
import { describe, expect, it } from "vitest";
import { entryLink, isCluster, whoOf, whoText } from "./entry";

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

describe("whoOf and whoText", () => {
  it("names the person for changes through ChaosCenter", () => {
    expect(whoOf({ actor: "bob", source: "API" })).toEqual({ name: "bob", path: "ChaosCenter", verified: true });
    expect(whoText({ actor: "bob", source: "API" })).toBe("bob");
  });

  it("names the person and the path for changes made in the cluster", () => {
    expect(whoText({ actor: "bob", source: "CLUSTER" })).toBe("bob · via Kubernetes");
    expect(whoText({ actor: "system:serviceaccount:argocd:argocd-application-controller", source: "CLUSTER" })).toBe(
      "system:serviceaccount:argocd:argocd-application-controller · via Kubernetes",
    );
  });

  it("marks entries from before the admission webhook, which know only a field manager, as unverified", () => {
    const old = { actor: "kubectl-client-side-apply (field manager, unverified)", source: "CLUSTER" };
    expect(whoOf(old)).toEqual({ name: "kubectl-client-side-apply", path: "via Kubernetes", verified: false });
    expect(whoText(old)).toBe("kubectl-client-side-apply · via Kubernetes unverified");
    expect(whoText({ actor: "unknown (not seen by the admission webhook)", source: "CLUSTER" })).toBe(
      "unknown · via Kubernetes unverified",
    );
  });
});
