// The activity page's "Load older" state: pages of audit entries fetched by `before`, merged without
// duplicates; a pure reducer that ignores stale answers (another project, a page not asked for).

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
}

/** What tells two entries apart (the API gives them no id). */
export function entryKey(e: AuditEntry): string {
  return JSON.stringify([e.at, e.actor, e.action, e.kind, e.name]);
}

/** `loaded` followed by the entries of `page` not in it yet (nor repeated within the page). */
export function mergeEntries(loaded: readonly AuditEntry[], page: readonly AuditEntry[]): AuditEntry[] {
  const seen = new Set(loaded.map(entryKey));
  const merged = [...loaded];
  for (const e of page) {
    const key = entryKey(e);
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(e);
  }
  return merged;
}

/** The instant 1 ms after `at` (RFC 3339); `at` itself if it cannot be read. */
export function justAfter(at: string): string {
  const t = Date.parse(at);
  return Number.isNaN(t) ? at : new Date(t + 1).toISOString();
}

export interface LogState {
  /** The project the entries belong to; another one starts over. */
  key: string;
  /** Newest first. */
  entries: AuditEntry[];
  /** The `before` of the page being fetched (null: the newest page); undefined when nothing is fetched. */
  loading?: string | null;
  /** The `before` of the next older page; undefined before the first page and at the end. */
  next?: string;
  /** The oldest entry has been loaded. */
  end: boolean;
  /** Why the page asked for with `before` could not be loaded. */
  error?: { cause: unknown; before: string | null };
}

export type LogAction =
  /** The project is now `key`: start over, unless it did not change. */
  | { type: "project"; key: string }
  /** Start over with the same project. */
  | { type: "refresh" }
  | { type: "loadOlder"; key: string }
  /** Fetch again the page that failed. */
  | { type: "retry" }
  /** A page of at most `first` entries fetched with `before`. */
  | { type: "received"; key: string; before: string | null; first: number; entries: readonly AuditEntry[] }
  | { type: "failed"; key: string; before: string | null; error: unknown };

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
      return { ...state, loading: state.error.before, error: undefined };
    case "loadOlder":
      if (action.key !== state.key || state.loading !== undefined || state.next === undefined) return state;
      return { ...state, loading: state.next, error: undefined };
    case "received": {
      if (action.key !== state.key || action.before !== state.loading) return state;
      const entries = mergeEntries(state.entries, action.entries);
      const added = entries.length - state.entries.length;
      const last = action.entries.at(-1);
      let next: string | undefined;
      if (last && action.entries.length >= action.first) {
        // the server answers entries strictly older than `before`: asking from just after the last one
        // seen brings again those sharing its millisecond (dropped as duplicates) and the ones that did not
        // fit in this page, which `before = last.at` would skip; a page of nothing new (a full page within
        // one millisecond) steps past that millisecond instead, so paging always moves on
        if (added > 0) next = justAfter(last.at);
        else if (action.before !== last.at) next = last.at;
      }
      return { ...state, entries, loading: undefined, next, end: next === undefined, error: undefined };
    }
    case "failed":
      if (action.key !== state.key || action.before !== state.loading) return state;
      return { ...state, loading: undefined, error: { cause: action.error, before: action.before } };
  }
}
