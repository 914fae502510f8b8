// Tests of pagination.ts.
import { describe, expect, it } from "vitest";
import { initialPager, pagerItems, pagerReducer, type Edge, type PagerState } from "./pagination";

interface Run {
  uid: string;
}

const edges = (...uids: string[]): Edge<Run>[] => uids.map((uid) => ({ cursor: `c-${uid}`, node: { uid } }));

function receive(state: PagerState<Run>, after: string | null, uids: string[], hasNextPage: boolean, key = state.key) {
  return pagerReducer(state, {
    type: "received",
    key,
    after,
    edges: edges(...uids),
    pageInfo: { hasNextPage, endCursor: uids.length ? `c-${uids[uids.length - 1]}` : null },
  });
}

describe("pagerReducer", () => {
  it("starts by asking for the first page", () => {
    const s = initialPager<Run>("k");
    expect(s.loading).toBeNull();
    expect(pagerItems(s)).toEqual([]);
  });

  it("appends pages by cursor without gaps or duplicates", () => {
    let s = initialPager<Run>("k");
    s = receive(s, null, ["1", "2"], true);
    expect(s.loading).toBeUndefined();
    expect(s.hasNextPage).toBe(true);
    expect(s.endCursor).toBe("c-2");

    s = pagerReducer(s, { type: "loadMore", key: "k" });
    expect(s.loading).toBe("c-2");
    // a run repeated across pages is listed once
    s = receive(s, "c-2", ["2", "3"], false);
    expect(pagerItems(s).map((r) => r.uid)).toEqual(["1", "2", "3"]);
    expect(s.pages.map((p) => p.after)).toEqual([null, "c-2"]);
    expect(s.hasNextPage).toBe(false);
  });

  it("does not load more while loading or when there is no next page", () => {
    let s = initialPager<Run>("k");
    expect(pagerReducer(s, { type: "loadMore", key: "k" })).toBe(s); // first page still loading
    s = receive(s, null, ["1"], false);
    expect(pagerReducer(s, { type: "loadMore", key: "k" })).toBe(s);
  });

  it("ignores a page delivered twice and answers for cursors not asked for", () => {
    let s = receive(initialPager<Run>("k"), null, ["1", "2"], true);
    const again = receive(s, null, ["1", "2"], true);
    expect(again).toBe(s);
    s = pagerReducer(s, { type: "loadMore", key: "k" });
    expect(receive(s, "c-9", ["7"], false)).toBe(s);
  });

  it("starts over when the filters change and drops answers for the old filters", () => {
    let s = receive(initialPager<Run>("old"), null, ["1", "2"], true);
    s = pagerReducer(s, { type: "loadMore", key: "old" });
    s = pagerReducer(s, { type: "filters", key: "new" });
    expect(s).toEqual(initialPager("new"));
    // the old filters' next page arrives late
    expect(receive(s, "c-2", ["3"], false, "old")).toBe(s);
    // the same filters again change nothing
    expect(pagerReducer(s, { type: "filters", key: "new" })).toBe(s);
    s = receive(s, null, ["5"], false);
    expect(pagerItems(s).map((r) => r.uid)).toEqual(["5"]);
  });

  it("refreshes from the first page", () => {
    let s = receive(initialPager<Run>("k"), null, ["1"], true);
    s = pagerReducer(s, { type: "refresh" });
    expect(s.pages).toEqual([]);
    expect(s.loading).toBeNull();
    expect(s.key).toBe("k");
  });

  it("keeps the pages on a failure and retries the same cursor", () => {
    let s = receive(initialPager<Run>("k"), null, ["1"], true);
    s = pagerReducer(s, { type: "loadMore", key: "k" });
    s = pagerReducer(s, { type: "failed", key: "k", after: "c-1", error: "boom" });
    expect(s.error).toBe("boom");
    expect(s.loading).toBeUndefined();
    expect(pagerItems(s).map((r) => r.uid)).toEqual(["1"]);
    s = pagerReducer(s, { type: "retry" });
    expect(s.loading).toBe("c-1");
    expect(s.error).toBeUndefined();
  });

  it("retries the first page when it failed", () => {
    let s = pagerReducer(initialPager<Run>("k"), { type: "failed", key: "k", after: null, error: "down" });
    s = pagerReducer(s, { type: "retry" });
    expect(s.loading).toBeNull();
  });

  it("stops when a page says there is more but gives no cursor", () => {
    const s = pagerReducer(initialPager<Run>("k"), {
      type: "received",
      key: "k",
      after: null,
      edges: [],
      pageInfo: { hasNextPage: true, endCursor: null },
    });
    expect(s.hasNextPage).toBe(false);
  });
});
