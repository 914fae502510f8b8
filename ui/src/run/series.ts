// Chart and list data for the dashboard and the history: days of scores, score lines per workflow, runs per
// phase, runs in progress; pure, so what the charts show is tested without drawing them.
import { PHASES } from "./status";

export interface DayScoreIn {
  day: string;
  averageScore: number;
  runs: number;
}

export interface DayPoint {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  /** The average score of that day's runs; null on a day without scored runs. */
  score: number | null;
  runs: number;
}

/** The UTC day `YYYY-MM-DD` of an instant. */
export function utcDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** The last `days` days up to today (UTC), each with its average score or null. */
export function dailyScores(byDay: readonly DayScoreIn[], now = Date.now(), days = 30): DayPoint[] {
  const known = new Map(byDay.map((d) => [d.day, d]));
  const out: DayPoint[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = utcDay(now - i * 86_400_000);
    const d = known.get(day);
    out.push({ day, score: d ? d.averageScore : null, runs: d ? d.runs : 0 });
  }
  return out;
}

/** "25 Nov" for a `YYYY-MM-DD` day. */
export function shortDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return day;
  return d.toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
}

/** A sentence describing the daily scores, for screen readers. */
export function describeDays(points: readonly DayPoint[]): string {
  const scored = points.filter((p) => p.score !== null);
  if (scored.length === 0) return `No scored runs in the last ${points.length} days.`;
  const scores = scored.map((p) => p.score as number);
  const round = (n: number) => Math.round(n * 10) / 10;
  const last = scored[scored.length - 1];
  return (
    `Average score per day over the last ${points.length} days: ${scored.length} days with scored runs, ` +
    `lowest ${round(Math.min(...scores))}, highest ${round(Math.max(...scores))}, ` +
    `latest ${round(last.score as number)} on ${last.day}.`
  );
}

export interface ScoredRunIn {
  name: string;
  workflow: string;
  score?: number | null;
  createdAt: string;
}

export interface ScorePoint {
  /** createdAt in milliseconds. */
  t: number;
  score: number;
  run: string;
}

export interface WorkflowSeries {
  workflow: string;
  points: ScorePoint[];
}

/** One line per workflow (sorted by name) of its scored runs' scores, oldest first. */
export function scoreSeries(runs: readonly ScoredRunIn[]): WorkflowSeries[] {
  const by = new Map<string, ScorePoint[]>();
  for (const r of runs) {
    const t = Date.parse(r.createdAt);
    if (r.score === null || r.score === undefined || Number.isNaN(t)) continue;
    let points = by.get(r.workflow);
    if (!points) by.set(r.workflow, (points = []));
    points.push({ t, score: r.score, run: r.name });
  }
  return [...by.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([workflow, points]) => ({ workflow, points: points.sort((a, b) => a.t - b.t) }));
}

/** A sentence describing the score lines, for screen readers. */
export function describeSeries(series: readonly WorkflowSeries[]): string {
  if (series.length === 0) return "No scored runs in the list.";
  return (
    "Scores over time: " +
    series
      .map((s) => {
        const first = s.points[0].score;
        const last = s.points[s.points.length - 1].score;
        const n = s.points.length;
        return `${s.workflow}, ${n} scored run${n === 1 ? "" : "s"}, from ${Math.round(first)} to ${Math.round(last)}`;
      })
      .join("; ") +
    "."
  );
}

export interface PhaseCountIn {
  phase?: string | null;
  runs: number;
}

export interface PhaseBar {
  phase: string;
  runs: number;
  /** The share of the largest count, 0–100, for the bar's width. */
  percent: number;
}

/** Runs per phase in phase order (a missing phase reads as Pending), with bar widths. */
export function phaseBars(counts: readonly PhaseCountIn[]): PhaseBar[] {
  const total = new Map<string, number>();
  for (const c of counts) {
    const p = c.phase ?? "Pending";
    total.set(p, (total.get(p) ?? 0) + c.runs);
  }
  const max = Math.max(0, ...total.values());
  const order = [...PHASES, ...[...total.keys()].filter((p) => !(PHASES as readonly string[]).includes(p))];
  return order
    .filter((p) => (total.get(p) ?? 0) > 0)
    .map((phase) => {
      const runs = total.get(phase)!;
      return { phase, runs, percent: max ? Math.round((runs / max) * 100) : 0 };
    });
}

/** Runs in progress from the Running and Pending lists: newest first, each once. */
export function inProgress<T extends { uid: string; createdAt: string }>(...lists: readonly (readonly T[])[]): T[] {
  const byUid = new Map<string, T>();
  for (const list of lists) for (const r of list) if (!byUid.has(r.uid)) byUid.set(r.uid, r);
  return [...byUid.values()].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}
