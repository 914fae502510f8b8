// A run's event timeline: Kubernetes Events put in time order (oldest first), warnings flagged.

export interface RunEvent {
  time?: string | null;
  kind: string;
  reason: string;
  message: string;
}

export interface TimelineEntry extends RunEvent {
  /** A stable key for the list. */
  key: string;
  warning: boolean;
}

/** The events oldest first, newest last. An event without a time keeps its place after the one before it;
 *  events at the same instant keep the server's order. */
export function timeline(events: readonly RunEvent[]): TimelineEntry[] {
  let carried = Number.NEGATIVE_INFINITY;
  const keyed = events.map((e, i) => {
    const t = e.time ? Date.parse(e.time) : Number.NaN;
    if (!Number.isNaN(t)) carried = t;
    return { e, i, t: carried };
  });
  keyed.sort((a, b) => a.t - b.t || a.i - b.i);
  return keyed.map(({ e, i }) => ({ ...e, key: `${i}-${e.time ?? ""}-${e.reason}`, warning: e.kind === "Warning" }));
}

/** How many of the events are warnings. */
export function warningCount(events: readonly RunEvent[]): number {
  return events.filter((e) => e.kind === "Warning").length;
}
