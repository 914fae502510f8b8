// Tests of log.ts: pages by the server's cursor, the end of the log, stale answers, retries.
import { describe, expect, it } from "vitest";
import { initialLog, logReducer, type AuditEntry, type LogState } from "./log";

function entry(name: string): AuditEntry {
  return { at: "2026-11-25T10:00:00.000Z", actor: "alice", source: "API", action: "update", kind: "ChaosWorkflow", name, cursor: `c-${name}` };
}

function receive(state: LogState, after: string | null, entries: AuditEntry[], first: number, key = state.key) {
  return logReducer(state, { type: "received", key, after, first, entries });
}

describe("logReducer", () => {
  it("starts by asking for the newest page", () => {
    const s = initialLog("demo");
    expect(s).toEqual({ key: "demo", entries: [], loading: null, end: false });
  });

  it("asks for the next page after the last entry's cursor, and ends on a short page", () => {
    let s = receive(initialLog("demo"), null, [entry("a"), entry("b")], 2);
    expect(s.loading).toBeUndefined();
    expect(s.end).toBe(false);
    expect(s.next).toBe("c-b");

    s = logReducer(s, { type: "loadOlder", key: "demo" });
    expect(s.loading).toBe("c-b");
    s = receive(s, "c-b", [entry("c")], 2);
    expect(s.entries.map((e) => e.name)).toEqual(["a", "b", "c"]);
    expect(s.end).toBe(true);
    expect(s.next).toBeUndefined();
    expect(logReducer(s, { type: "loadOlder", key: "demo" })).toBe(s);
  });

  it("ends on an empty page", () => {
    expect(receive(initialLog("demo"), null, [], 50)).toMatchObject({ entries: [], end: true, loading: undefined });
    let s = receive(initialLog("demo"), null, [entry("a")], 1);
    s = logReducer(s, { type: "loadOlder", key: "demo" });
    s = receive(s, "c-a", [], 1);
    expect(s).toMatchObject({ end: true, next: undefined });
    expect(s.entries).toHaveLength(1);
  });

  it("ignores answers for another project or a page not asked for", () => {
    const s = initialLog("demo");
    expect(receive(s, null, [entry("a")], 50, "other")).toBe(s);
    expect(receive(s, "c-x", [entry("a")], 50)).toBe(s);
    expect(logReducer(s, { type: "failed", key: "demo", after: "c-x", error: "x" })).toBe(s);
    // nor does it ask for more while a page is on its way
    expect(logReducer(s, { type: "loadOlder", key: "demo" })).toBe(s);
  });

  it("keeps what is loaded on a failure and retries the page that failed", () => {
    let s = receive(initialLog("demo"), null, [entry("a")], 1);
    s = logReducer(s, { type: "loadOlder", key: "demo" });
    s = logReducer(s, { type: "failed", key: "demo", after: "c-a", error: "down" });
    expect(s.loading).toBeUndefined();
    expect(s.error).toEqual({ cause: "down", after: "c-a" });
    expect(s.entries).toHaveLength(1);

    s = logReducer(s, { type: "retry" });
    expect(s.loading).toBe("c-a");
    expect(s.error).toBeUndefined();
    expect(logReducer(s, { type: "retry" })).toBe(s);

    const first = logReducer(initialLog("demo"), { type: "failed", key: "demo", after: null, error: "down" });
    expect(logReducer(first, { type: "retry" }).loading).toBeNull();
  });

  it("starts over on refresh and for another project, not for the same one", () => {
    let s = receive(initialLog("demo"), null, [entry("a")], 50);
    expect(logReducer(s, { type: "project", key: "demo" })).toBe(s);
    expect(logReducer(s, { type: "project", key: "other" })).toEqual(initialLog("other"));
    s = logReducer(s, { type: "refresh" });
    expect(s).toEqual(initialLog("demo"));
  });
});
