// Tests of filters.ts: the URL round trip, matching, the actions offered.
import { describe, expect, it } from "vitest";
import { actionsSeen, filterEntries, isOwnWrite, matches, OWN_WRITE, readFilters, writeFilters } from "./filters";
import type { AuditEntry } from "./log";

function entry(actor: string, action: string, source = "API"): AuditEntry {
  return { at: "2026-11-25T10:00:00.000Z", actor, source, action, kind: "ChaosWorkflow", name: "web", cursor: `${actor}-${action}` };
}

const ENTRIES = [
  entry("alice", "update"),
  entry("kubectl-create", "create", "CLUSTER"),
  entry("Bob", "run"),
  entry("argocd-controller", "delete", "CLUSTER"),
  entry("alice", "run"),
];

describe("readFilters and writeFilters", () => {
  it("round-trips through the URL, leaving out what is not set", () => {
    const params = writeFilters({ action: "run", who: "ali" });
    expect(params.toString()).toBe("action=run&who=ali");
    expect(readFilters(params)).toEqual({ action: "run", who: "ali" });
    expect(writeFilters({ who: "  " }).toString()).toBe("");
    expect(readFilters(new URLSearchParams("action=&who=%20&other=1"))).toEqual({ action: undefined, who: undefined });
  });
});

describe("matches", () => {
  it("keeps exactly the action asked for", () => {
    expect(filterEntries(ENTRIES, { action: "run" }).map((e) => e.actor)).toEqual(["Bob", "alice"]);
    expect(filterEntries(ENTRIES, { action: "ru" })).toEqual([]);
  });

  it("finds the Who text in what the column shows, in any case", () => {
    expect(filterEntries(ENTRIES, { who: "ALI" }).map((e) => e.action)).toEqual(["update", "run"]);
    expect(filterEntries(ENTRIES, { who: " bob " })).toHaveLength(1);
    // "via Kubernetes" is shown for changes made in the cluster
    expect(filterEntries(ENTRIES, { who: "kubernetes" }).map((e) => e.actor)).toEqual(["kubectl-create", "argocd-controller"]);
    expect(matches(entry("kubernetes-admin", "run"), { who: "via kubernetes" })).toBe(false);
    expect(matches(entry("bob", "run", "CLUSTER"), { who: "bob · via" })).toBe(true);
    // and "unverified" where only a field manager is known
    expect(matches(entry("kubectl-edit (field manager, unverified)", "update", "CLUSTER"), { who: "unverified" })).toBe(true);
    expect(matches(entry("bob", "run", "CLUSTER"), { who: "unverified" })).toBe(false);
  });

  it("combines both, and no filter keeps everything", () => {
    expect(filterEntries(ENTRIES, { action: "run", who: "alice" })).toEqual([ENTRIES[4]]);
    expect(filterEntries(ENTRIES, {})).toEqual(ENTRIES);
  });
});

describe("actionsSeen", () => {
  it("lists each action once, sorted, with the selected one even if not loaded", () => {
    expect(actionsSeen(ENTRIES)).toEqual(["create", "delete", "run", "update"]);
    expect(actionsSeen(ENTRIES, "abort")).toEqual(["abort", "create", "delete", "run", "update"]);
    expect(actionsSeen([], "run")).toEqual(["run"]);
  });
});

describe("isOwnWrite", () => {
  it("recognises the state the page's own writes carry", () => {
    expect(isOwnWrite(OWN_WRITE)).toBe(true);
    expect(isOwnWrite(null)).toBe(false);
    expect(isOwnWrite({ from: "/login" })).toBe(false);
  });
});
