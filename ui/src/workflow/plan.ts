// Reading a dry run's plan (the preview run's status) into what each step would hit, or why it was refused.

export interface StepPreview {
  name: string;
  /** The objects the step would hit, e.g. `demo/web-abc` (nodes by name). */
  targets: string[];
  /** "Would hit 2 pods: demo/web-a, demo/web-b", "no matching targets", or the operator's message. */
  summary: string;
}

export interface PlanPreview {
  /** Why the preview was refused (a policy or an invalid definition), if it was. */
  refused?: string;
  steps: StepPreview[];
}

interface PlanTarget {
  kind?: string;
  namespace?: string | null;
  name?: string;
}
interface PlanStep {
  name?: string;
  targets?: PlanTarget[];
  message?: string | null;
}
interface PlanCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}
interface PlanStatus {
  phase?: string;
  steps?: PlanStep[];
  conditions?: PlanCondition[];
}

const PLURAL: Record<string, string> = {
  Pod: "pods",
  Deployment: "Deployments",
  StatefulSet: "StatefulSets",
  Node: "nodes",
};
const SINGULAR: Record<string, string> = { Pod: "pod", Deployment: "Deployment", StatefulSet: "StatefulSet", Node: "node" };

function asObject(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** "demo/web-abc", or "worker-2" for objects without a namespace. */
function objectName(t: PlanTarget): string {
  return t.namespace ? `${t.namespace}/${t.name ?? "?"}` : (t.name ?? "?");
}

/** "Would hit 2 pods: demo/web-abc, demo/web-def" (kinds named per object when they differ). */
export function describeTargets(targets: PlanTarget[]): string {
  const kinds = new Set(targets.map((t) => t.kind ?? ""));
  const n = targets.length;
  if (kinds.size === 1) {
    const kind = [...kinds][0];
    const noun = n === 1 ? (SINGULAR[kind] ?? kind) : (PLURAL[kind] ?? `${kind} objects`);
    return `Would hit ${n} ${noun}: ${targets.map(objectName).join(", ")}`;
  }
  return `Would hit ${n} objects: ${targets.map((t) => `${t.kind ?? "?"} ${objectName(t)}`).join(", ")}`;
}

/** The operator's step message without its "dry run: " prefix; "no matching targets" for none. */
function stepMessage(message: string | null | undefined): string {
  const text = (message ?? "").replace(/^dry run:\s*/, "");
  if (text === "" || text === "no target matches") return "no matching targets";
  return text;
}

/**
 * The preview of each of `stepNames` (in the form's order) from a dry run's `plan`. A refused run (phase
 * Failed or Error with a condition Admitted=False) says why instead.
 */
export function readPlan(plan: unknown, stepNames: string[]): PlanPreview {
  const status = (asObject(plan) ?? {}) as PlanStatus;
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  const refusal = conditions.find((c) => c.type === "Admitted" && c.status === "False");
  if (refusal) return { refused: refusal.message || refusal.reason || "the dry run was refused", steps: [] };
  if (status.phase === "Failed" || status.phase === "Error") {
    const why = conditions.find((c) => c.status === "False" && c.message);
    return { refused: why?.message ?? `the dry run ended ${status.phase}`, steps: [] };
  }
  const planned = Array.isArray(status.steps) ? status.steps : [];
  const steps = stepNames.map((name) => {
    const step = planned.find((s) => s.name === name);
    const targets = Array.isArray(step?.targets) ? step.targets : [];
    if (targets.length > 0) return { name, targets: targets.map(objectName), summary: describeTargets(targets) };
    return { name, targets: [], summary: step ? stepMessage(step.message) : "not planned" };
  });
  return { steps };
}
