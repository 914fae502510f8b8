// The history's "Load more" state: pages of runs fetched by cursor for one set of filters; a pure reducer
// that ignores stale answers (old filters, a cursor not asked for) so pages never repeat or leave gaps.

export interface PageInfo {
  hasNextPage: boolean;
  endCursor?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Page<T> {
  /** The cursor this page was fetched after (null: the first page). */
  after: string | null;
  items: T[];
}

export interface PagerState<T> {
  /** Identifies the filters the pages belong to; any change starts over. */
  key: string;
  pages: Page<T>[];
  /** The cursor of the page being fetched (undefined: nothing is being fetched). */
  loading?: string | null;
  hasNextPage: boolean;
  endCursor: string | null;
  error?: unknown;
}

export type PagerAction<T> =
  /** The filters are now `key`: start over, unless they did not change. */
  | { type: "filters"; key: string }
  /** Start over with the same filters. */
  | { type: "refresh" }
  | { type: "loadMore"; key: string }
  /** Fetch again the page that failed. */
  | { type: "retry" }
  | { type: "received"; key: string; after: string | null; edges: Edge<T>[]; pageInfo: PageInfo }
  | { type: "failed"; key: string; after: string | null; error: unknown };

/** The state for `key` before anything is fetched: it asks for the first page. */
export function initialPager<T>(key: string): PagerState<T> {
  return { key, pages: [], loading: null, hasNextPage: false, endCursor: null };
}

export function pagerReducer<T extends { uid: string }>(state: PagerState<T>, action: PagerAction<T>): PagerState<T> {
  switch (action.type) {
    case "filters":
      return action.key === state.key ? state : initialPager<T>(action.key);
    case "refresh":
      return initialPager<T>(state.key);
    case "retry":
      if (state.loading !== undefined || !state.error) return state;
      return { ...state, loading: state.pages.length === 0 ? null : state.endCursor, error: undefined };
    case "loadMore":
      if (action.key !== state.key || state.loading !== undefined || !state.hasNextPage || !state.endCursor) {
        return state;
      }
      return { ...state, loading: state.endCursor, error: undefined };
    case "received": {
      if (action.key !== state.key || action.after !== state.loading) return state;
      const seen = new Set(state.pages.flatMap((p) => p.items.map((r) => r.uid)));
      const items = action.edges.map((e) => e.node).filter((r) => !seen.has(r.uid));
      const lastCursor = action.edges.length ? action.edges[action.edges.length - 1].cursor : null;
      const endCursor = action.pageInfo.endCursor ?? lastCursor ?? state.endCursor;
      return {
        ...state,
        pages: [...state.pages, { after: action.after, items }],
        loading: undefined,
        // a page that ends without a cursor cannot be continued
        hasNextPage: action.pageInfo.hasNextPage && !!endCursor,
        endCursor,
        error: undefined,
      };
    }
    case "failed":
      if (action.key !== state.key || action.after !== state.loading) return state;
      return { ...state, loading: undefined, error: action.error };
  }
}

/** Every run fetched so far, newest first. */
export function pagerItems<T>(state: PagerState<T>): T[] {
  return state.pages.flatMap((p) => p.items);
}
