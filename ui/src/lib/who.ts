// How the people and programs behind runs and audit entries are shown. The server sends display names:
// `bob` for the ChaosCenter user `chaoscenter:bob`, else the whole Kubernetes username
// (`system:serviceaccount:argocd:argocd-application-controller`); a run created before the admission webhook
// recorded authors has none.

/** What is shown for a run without a recorded author. */
export const NO_AUTHOR = "—";

/** The run's author as shown, or "—" when none was recorded. */
export function authorText(author: string | null | undefined): string {
  return author?.trim() ? author : NO_AUTHOR;
}

/** A Kubernetes ServiceAccount's namespace and name, from its username; undefined for anyone else. */
export function serviceAccount(username: string): { namespace: string; name: string } | undefined {
  const m = username.match(/^system:serviceaccount:([^:]+):([^:]+)$/);
  return m ? { namespace: m[1], name: m[2] } : undefined;
}

/** What kind of Kubernetes identity a display name is (for a tooltip); undefined for a plain name, which is
 *  a ChaosCenter user's (or a Kubernetes user's without a prefix: the two cannot be told apart here). */
export function describeUser(name: string): string | undefined {
  const sa = serviceAccount(name);
  if (sa) return `Kubernetes ServiceAccount ${sa.name} in namespace ${sa.namespace}`;
  if (name.startsWith("system:")) return `Kubernetes system identity ${name}`;
  if (name.includes(":")) return `Kubernetes user ${name}`;
  return undefined;
}
