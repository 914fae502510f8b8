// The activity page's filters (Action, Who): read from and written to the URL's search params, and applied
// to the entries loaded so far (the `auditLog` query cannot filter).
import { whoText } from "./entry";
import type { AuditEntry } from "./log";

export interface ActivityFilters {
  /** Exactly this action. */
  action?: string;
  /** Text the Who column contains (case-insensitive). */
  who?: string;
}

/** The filters in the URL; blank values are dropped. */
export function readFilters(params: URLSearchParams): ActivityFilters {
  const action = params.get("action")?.trim();
  const who = params.get("who");
  return { action: action || undefined, who: who?.trim() ? who : undefined };
}

/** The search params for the filters (only those set), in a stable order. */
export function writeFilters(filters: ActivityFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.action) params.set("action", filters.action);
  if (filters.who?.trim()) params.set("who", filters.who);
  return params;
}

/** Whether `entry` passes the filters; Who matches what the Who column shows (`whoText`). */
export function matches(entry: AuditEntry, filters: ActivityFilters): boolean {
  if (filters.action && entry.action !== filters.action) return false;
  const who = filters.who?.trim().toLowerCase();
  if (!who) return true;
  return whoText(entry).toLowerCase().includes(who);
}

export function filterEntries(entries: readonly AuditEntry[], filters: ActivityFilters): AuditEntry[] {
  return entries.filter((e) => matches(e, filters));
}

/** The actions of the loaded entries, sorted, with `selected` among them even if no entry has it (yet). */
export function actionsSeen(entries: readonly AuditEntry[], selected?: string): string[] {
  const actions = new Set(entries.map((e) => e.action));
  if (selected) actions.add(selected);
  return [...actions].sort((a, b) => a.localeCompare(b));
}

/** The history state the page's own filter writes carry, to tell them from other navigation. */
export const OWN_WRITE = { activityFilters: true } as const;

/** Whether a location's state comes from the page's own filter writes (not a link, back or forward). */
export function isOwnWrite(state: unknown): boolean {
  return typeof state === "object" && state !== null && (state as Record<string, unknown>).activityFilters === true;
}
