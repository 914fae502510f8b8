// The history's filters: read from and written to the URL's search params, and turned into the `runs`
// query's variables (dates are whole local days: From inclusive, To inclusive).
import { isPhase, isTrigger, type RunPhase, type RunTrigger } from "./status";

export interface HistoryFilters {
  workflow?: string;
  phase?: RunPhase;
  trigger?: RunTrigger;
  /** `YYYY-MM-DD`, the first day shown. */
  from?: string;
  /** `YYYY-MM-DD`, the last day shown. */
  to?: string;
}

export interface RunsFilterVariables {
  workflow?: string;
  phase?: RunPhase;
  trigger?: RunTrigger;
  since?: string;
  until?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function localMidnight(day: string, plusDays = 0): Date | undefined {
  if (!DAY.test(day)) return undefined;
  const [y, m, d] = day.split("-").map(Number);
  const date = new Date(y, m - 1, d + plusDays);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function validDay(v: string | null): string | undefined {
  return v && localMidnight(v) ? v : undefined;
}

/** The filters in the URL; unknown or malformed values are dropped. */
export function readFilters(params: URLSearchParams): HistoryFilters {
  const workflow = params.get("workflow")?.trim();
  const phase = params.get("phase");
  const trigger = params.get("trigger");
  return {
    workflow: workflow || undefined,
    phase: isPhase(phase) ? phase : undefined,
    trigger: isTrigger(trigger) ? trigger : undefined,
    from: validDay(params.get("from")),
    to: validDay(params.get("to")),
  };
}

/** The search params for the filters (only those set), in a stable order. */
export function writeFilters(filters: HistoryFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of ["workflow", "phase", "trigger", "from", "to"] as const) {
    const v = filters[key];
    if (v) params.set(key, v);
  }
  return params;
}

/** Why the dates cannot be used, if they cannot. */
export function dateRangeError(filters: HistoryFilters): string | undefined {
  if (filters.from && filters.to && filters.from > filters.to) return "From must not be after To.";
  return undefined;
}

/** The `runs` query's filter variables: From's local midnight up to the local midnight after To. */
export function filterVariables(filters: HistoryFilters): RunsFilterVariables {
  const vars: RunsFilterVariables = {};
  if (filters.workflow) vars.workflow = filters.workflow;
  if (filters.phase) vars.phase = filters.phase;
  if (filters.trigger) vars.trigger = filters.trigger;
  const since = filters.from ? localMidnight(filters.from) : undefined;
  const until = filters.to ? localMidnight(filters.to, 1) : undefined;
  if (since) vars.since = since.toISOString();
  if (until) vars.until = until.toISOString();
  return vars;
}

/** A key that changes exactly when the variables do. */
export function filterKey(vars: RunsFilterVariables): string {
  return JSON.stringify([vars.workflow ?? null, vars.phase ?? null, vars.trigger ?? null, vars.since ?? null, vars.until ?? null]);
}
