// A hub's state in words, from its conditions: synced, serving an older catalogue after a failed sync,
// failing, or not synced yet.

export interface HubCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export interface HubState {
  /** A short word for the badge. */
  label: "Synced" | "Sync failed" | "Failing" | "Pending";
  /** The badge's class suffix. */
  tone: "good" | "warn" | "bad" | "none";
  /** Why, when something is wrong (the Synced condition's reason and message). */
  problem: string | null;
}

const condition = (conditions: readonly HubCondition[], type: string) => conditions.find((c) => c.type === type);

/**
 * The hub's state: Synced when the last sync worked; "Sync failed" when it did not but the hub still
 * serves its last catalogue (Ready); Failing when it serves nothing; Pending before the first sync.
 */
export function hubState(conditions: readonly HubCondition[]): HubState {
  const synced = condition(conditions, "Synced");
  const ready = condition(conditions, "Ready");
  const why = (c: HubCondition | undefined) => (c ? [c.reason, c.message].filter(Boolean).join(": ") || null : null);
  if (synced?.status === "True") return { label: "Synced", tone: "good", problem: null };
  if (synced?.status === "False") {
    if (ready?.status === "True") return { label: "Sync failed", tone: "warn", problem: why(synced) };
    return { label: "Failing", tone: "bad", problem: why(synced) };
  }
  if (ready?.status === "False") return { label: "Failing", tone: "bad", problem: why(ready) };
  return { label: "Pending", tone: "none", problem: null };
}

/** A commit shortened for display. */
export function shortRevision(revision: string | null | undefined): string | null {
  return revision ? revision.slice(0, 12) : null;
}
