// How one audit entry is shown: who did it and by which path, and the page its object links to.
import type { AuditEntry } from "./log";

/** A change seen in the cluster (kubectl, GitOps, the operator), not made through ChaosCenter's API. */
export function isCluster(entry: Pick<AuditEntry, "source">): boolean {
  return entry.source === "CLUSTER";
}

/** What the server writes after a field manager, for cluster entries from before the admission webhook. */
const UNVERIFIED = " (field manager, unverified)";

/** Who did it, as the Who column shows it. */
export interface Who {
  /** The person or program: `bob` for a ChaosCenter user, else the whole Kubernetes username; for entries
   *  from before the admission webhook, the client's field manager. */
  name: string;
  /** The way the change came: through ChaosCenter, or straight to Kubernetes (kubectl, GitOps, the operator). */
  path: "ChaosCenter" | "via Kubernetes";
  /** False when only a client-chosen field manager is known (anyone can claim any). */
  verified: boolean;
}

export function whoOf(entry: Pick<AuditEntry, "actor" | "source">): Who {
  const actor = entry.actor.trim();
  if (!isCluster(entry)) return { name: actor || "—", path: "ChaosCenter", verified: true };
  if (actor.endsWith(UNVERIFIED)) return { name: actor.slice(0, -UNVERIFIED.length), path: "via Kubernetes", verified: false };
  if (!actor || actor.startsWith("unknown (")) return { name: "unknown", path: "via Kubernetes", verified: false };
  return { name: actor, path: "via Kubernetes", verified: true };
}

/** The Who column's text (what the Who filter matches): `bob`, `bob · via Kubernetes`, and `unverified`
 *  after a mere field manager. */
export function whoText(entry: Pick<AuditEntry, "actor" | "source">): string {
  const who = whoOf(entry);
  if (who.path === "ChaosCenter") return who.name;
  return `${who.name} · ${who.path}${who.verified ? "" : " unverified"}`;
}

/** The page of the entry's object in `project`: a workflow's editor or a run's view; none for other kinds. */
export function entryLink(project: string, entry: Pick<AuditEntry, "kind" | "name">): string | undefined {
  if (!entry.name) return undefined;
  const base = `/projects/${encodeURIComponent(project)}`;
  switch (entry.kind) {
    case "ChaosWorkflow":
      return `${base}/workflows/${encodeURIComponent(entry.name)}`;
    case "ChaosWorkflowRun":
      return `${base}/runs/${encodeURIComponent(entry.name)}`;
    default:
      return undefined;
  }
}
