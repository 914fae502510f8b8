// A run's log as the Logs tab shows it: each line split into its time, level and text (the apiserver sends
// `<time> <LEVEL> <text>`; the marker saying how many older lines were dropped has no time), and whether the
// tab still follows the log.

/** How often a followed log is read again. */
export const LOG_POLL_MS = 2000;
/** How long after a run finished its log is still followed (its last lines are written a moment later). */
export const LOG_SETTLE_MS = 15_000;

export type LogLevel = "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE" | "OUTPUT";

export interface LogLine {
  /** RFC 3339, as the operator wrote it (absent for the marker line). */
  time?: string;
  level?: LogLevel;
  text: string;
}

const LEVELS: readonly string[] = ["ERROR", "WARN", "INFO", "DEBUG", "TRACE", "OUTPUT"];

/** One line of the log, split; a line in no known shape is all text. */
export function parseLogLine(line: string): LogLine {
  const match = /^(\d{4}-\d{2}-\d{2}T\S+) +(\S+) +(.*)$/s.exec(line);
  if (!match || !LEVELS.includes(match[2])) return { text: line };
  return { time: match[1], level: match[2] as LogLevel, text: match[3] };
}

/** The time of day of a line, local, with milliseconds ("21:59:16.275"); the text as given if unreadable. */
export function timeOfDay(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** Whether the log is still followed: while the run is in progress, and a short while after it finished. */
export function following(live: boolean, finishedAt: string | null | undefined, now: number): boolean {
  if (live) return true;
  if (!finishedAt) return false;
  const finished = Date.parse(finishedAt);
  return !Number.isNaN(finished) && now - finished < LOG_SETTLE_MS;
}
