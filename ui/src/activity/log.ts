// The activity page's "Load older" state: pages of audit entries fetched by the server's cursor (`after`
// the last entry seen); a pure reducer that ignores stale answers (another project, a page not asked for).

/** Entries per page. */
export const PAGE_SIZE = 50;

/** One audit entry, as the `auditLog` query returns it. */
export interface AuditEntry {
  /** RFC 3339, millisecond precision. */
  at: string;
  actor: string;
  /** `API` or `CLUSTER`. */
  source: string;
  action: string;
  kind: string;
  namespace?: string | null;
  name: string;
  project?: string | null;
  /** Unique and ordered: `after` this, the server answers the older entries. */
  cursor: string;
}

export interface LogState {
  /** The project the entries belong to; another one starts over. */
  key: string;
  /** Newest first. */
  entries: AuditEntry[];
  /** The `after` of the page being fetched (null: the newest page); undefined when nothing is fetched. */
  loading?: string | null;
  /** The `after` of the next older page; undefined before the first page and at the end. */
  next?: string;
  /** The oldest entry has been loaded. */
  end: boolean;
  /** Why the page asked for with `after` could not be loaded. */
  error?: { cause: unknown; after: string | null };
}

export type LogAction =
  /** The project is now `key`: start over, unless it did not change. */
  | { type: "project"; key: string }
  /** Start over with the same project. */
  | { type: "refresh" }
  | { type: "loadOlder"; key: string }
  /** Fetch again the page that failed. */
  | { type: "retry" }
  /** A page of at most `first` entries fetched with `after`. */
  | { type: "received"; key: string; after: string | null; first: number; entries: readonly AuditEntry[] }
  | { type: "failed"; key: string; after: string | null; error: unknown };

/** The state for `key` before anything is fetched: it asks for the newest page. */
export function initialLog(key: string): LogState {
  return { key, entries: [], loading: null, end: false };
}

export function logReducer(state: LogState, action: LogAction): LogState {
  switch (action.type) {
    case "project":
      return action.key === state.key ? state : initialLog(action.key);
    case "refresh":
      return initialLog(state.key);
    case "retry":
      if (state.loading !== undefined || !state.error) return state;
      return { ...state, loading: state.error.after, error: undefined };
    case "loadOlder":
      if (action.key !== state.key || state.loading !== undefined || state.next === undefined) return state;
      return { ...state, loading: state.next, error: undefined };
    case "received": {
      if (action.key !== state.key || action.after !== state.loading) return state;
      // a full page may have older entries behind it; a short one is the last
      const last = action.entries.at(-1);
      const next = last && action.entries.length >= action.first ? last.cursor : undefined;
      const entries = [...state.entries, ...action.entries];
      return { ...state, entries, loading: undefined, next, end: next === undefined, error: undefined };
    }
    case "failed":
      if (action.key !== state.key || action.after !== state.loading) return state;
      return { ...state, loading: undefined, error: { cause: action.error, after: action.after } };
  }
}
