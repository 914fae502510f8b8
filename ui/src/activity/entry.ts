// How one audit entry is shown: where it came from and the page its object links to.
import type { AuditEntry } from "./log";

/** A change seen in the cluster (kubectl, GitOps, the operator), not made through ChaosCenter's API. */
export function isCluster(entry: Pick<AuditEntry, "source">): boolean {
  return entry.source === "CLUSTER";
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
