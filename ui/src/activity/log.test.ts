// Tests of log.ts: merging pages without duplicates, the `before` of the next page, stale answers.
import { describe, expect, it } from "vitest";
import { entryKey, initialLog, justAfter, logReducer, mergeEntries, type AuditEntry, type LogState } from "./log";

function entry(at: string, name: string, over: Partial<AuditEntry> = {}): AuditEntry {
  return { at, actor: "alice", source: "API", action: "update", kind: "ChaosWorkflow", name, ...over };
}

function receive(state: LogState, before: string | null, entries: AuditEntry[], first: number, key = state.key) {
  return logReducer(state, { type: "received", key, before, first, entries });
}

const T1 = "2026-11-25T10:00:03.000Z";
const T2 = "2026-11-25T10:00:02.000Z";
const T3 = "2026-11-25T10:00:01.000Z";

describe("entryKey and mergeEntries", () => {
  it("tells entries apart by time, actor, action, kind and name", () => {
    const a = entry(T1, "web");
    expect(entryKey(a)).toBe(entryKey({ ...a, namespace: "demo-chaos", source: "CLUSTER" }));
    for (const change of [{ at: T2 }, { actor: "bob" }, { action: "delete" }, { kind: "ChaosWorkflowRun" }, { name: "api" }]) {
      expect(entryKey({ ...a, ...change })).not.toBe(entryKey(a));
    }
    // no separator can make two different entries look alike
    expect(entryKey(entry(T1, "web", { actor: "a b", action: "c" }))).not.toBe(
      entryKey(entry(T1, "web", { actor: "a", action: "b c" })),
    );
  });

  it("appends only what is new, keeping the order, also within one page", () => {
    const loaded = [entry(T1, "a"), entry(T2, "b")];
    const merged = mergeEntries(loaded, [entry(T2, "b"), entry(T2, "c"), entry(T3, "d"), entry(T3, "d")]);
    expect(merged.map((e) => e.name)).toEqual(["a", "b", "c", "d"]);
    // two different entries in the same millisecond both stay
    expect(mergeEntries([entry(T1, "a")], [entry(T1, "a", { action: "run" })])).toHaveLength(2);
  });

  it("justAfter is one millisecond later, in RFC 3339", () => {
    expect(justAfter("2026-11-25T10:00:00Z")).toBe("2026-11-25T10:00:00.001Z");
    expect(justAfter("2026-11-25T10:00:00.999Z")).toBe("2026-11-25T10:00:01.000Z");
    expect(justAfter("2026-11-25T11:00:00.5+01:00")).toBe("2026-11-25T10:00:00.501Z");
    expect(justAfter("not a time")).toBe("not a time");
  });
});

describe("logReducer", () => {
  it("starts by asking for the newest page", () => {
    const s = initialLog("demo");
    expect(s).toEqual({ key: "demo", entries: [], loading: null, end: false });
  });

  it("asks for the next page from just after the last entry, and drops the overlap", () => {
    let s = receive(initialLog("demo"), null, [entry(T1, "a"), entry(T2, "b")], 2);
    expect(s.loading).toBeUndefined();
    expect(s.end).toBe(false);
    // entries sharing T2 that did not fit in the page must come with the next one
    expect(s.next).toBe(justAfter(T2));

    s = logReducer(s, { type: "loadOlder", key: "demo" });
    expect(s.loading).toBe(justAfter(T2));
    s = receive(s, justAfter(T2), [entry(T2, "b"), entry(T2, "c")], 2);
    expect(s.entries.map((e) => e.name)).toEqual(["a", "b", "c"]);
    expect(s.next).toBe(justAfter(T2));

    // a full page of nothing new (one busy millisecond): step past that millisecond
    s = logReducer(s, { type: "loadOlder", key: "demo" });
    s = receive(s, justAfter(T2), [entry(T2, "b"), entry(T2, "c")], 2);
    expect(s.entries).toHaveLength(3);
    expect(s.next).toBe(T2);
    expect(s.end).toBe(false);

    s = logReducer(s, { type: "loadOlder", key: "demo" });
    expect(s.loading).toBe(T2);
    s = receive(s, T2, [entry(T3, "d")], 2);
    expect(s.entries.map((e) => e.name)).toEqual(["a", "b", "c", "d"]);
    // a short page is the last one
    expect(s.end).toBe(true);
    expect(s.next).toBeUndefined();
    expect(logReducer(s, { type: "loadOlder", key: "demo" })).toBe(s);
  });

  it("ends on an empty first page, and when stepping past a millisecond brings nothing new", () => {
    const empty = receive(initialLog("demo"), null, [], 50);
    expect(empty).toMatchObject({ entries: [], end: true, loading: undefined });

    let s = receive(initialLog("demo"), null, [entry(T1, "a")], 1);
    s = logReducer(s, { type: "loadOlder", key: "demo" });
    s = receive(s, justAfter(T1), [entry(T1, "a")], 1);
    expect(s.next).toBe(T1);
    s = logReducer(s, { type: "loadOlder", key: "demo" });
    s = receive(s, T1, [entry(T1, "a")], 1);
    expect(s.end).toBe(true);
  });

  it("ignores answers for another project or a page not asked for", () => {
    const s = initialLog("demo");
    expect(receive(s, null, [entry(T1, "a")], 50, "other")).toBe(s);
    expect(receive(s, T1, [entry(T1, "a")], 50)).toBe(s);
    expect(logReducer(s, { type: "failed", key: "demo", before: T1, error: "x" })).toBe(s);
    // nor does it ask for more while a page is on its way
    expect(logReducer(s, { type: "loadOlder", key: "demo" })).toBe(s);
  });

  it("keeps what is loaded on a failure and retries the page that failed", () => {
    let s = receive(initialLog("demo"), null, [entry(T1, "a")], 1);
    s = logReducer(s, { type: "loadOlder", key: "demo" });
    s = logReducer(s, { type: "failed", key: "demo", before: justAfter(T1), error: "down" });
    expect(s.loading).toBeUndefined();
    expect(s.error).toEqual({ cause: "down", before: justAfter(T1) });
    expect(s.entries).toHaveLength(1);

    s = logReducer(s, { type: "retry" });
    expect(s.loading).toBe(justAfter(T1));
    expect(s.error).toBeUndefined();
    expect(logReducer(s, { type: "retry" })).toBe(s);

    const first = logReducer(initialLog("demo"), { type: "failed", key: "demo", before: null, error: "down" });
    expect(logReducer(first, { type: "retry" }).loading).toBeNull();
  });

  it("starts over on refresh and for another project, not for the same one", () => {
    let s = receive(initialLog("demo"), null, [entry(T1, "a")], 50);
    expect(logReducer(s, { type: "project", key: "demo" })).toBe(s);
    expect(logReducer(s, { type: "project", key: "other" })).toEqual(initialLog("other"));
    s = logReducer(s, { type: "refresh" });
    expect(s).toEqual(initialLog("demo"));
  });
});
