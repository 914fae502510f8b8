// A run's status and frozen definition as the UI reads them: typed, defensive parsing of the JSON the API
// returns (crds/src/run.rs, crds/src/workflow.rs), the per-step merge of both, and status helpers.
import { duration, finished } from "../lib/format";
import { timeline, type RunEvent } from "./timeline";

export const PHASES = ["Pending", "Running", "Succeeded", "Failed", "Aborted", "Error"] as const;
export type RunPhase = (typeof PHASES)[number];
export const TRIGGERS = ["Manual", "Schedule", "GitOps", "Api", "Change"] as const;
export type RunTrigger = (typeof TRIGGERS)[number];

export interface TargetStatus {
  kind: string;
  namespace?: string;
  name: string;
  round: number;
  injectedAt?: string;
  revertedAt?: string;
  revertVerified: boolean;
  original?: string;
  /** The fault type that hit it (absent in records older than the field). */
  fault?: string;
  /** What the injection did, e.g. "nfqueue by the node agent on node-1 (ChaosInjection …)". */
  note?: string;
  /** Why injecting failed; `InjectionIneffective: …` when the fault was applied but did not take effect. */
  injectionError?: string;
  revertError?: string;
}

export interface ProbeStatus {
  name: string;
  verdict: string;
  passed: number;
  failed: number;
  lastCheckedAt?: string;
  sotDone: boolean;
  eotDone: boolean;
  message: string;
}

export interface StepStatus {
  name: string;
  phase: RunPhase;
  verdict: string;
  probeSuccessPercentage?: number;
  startedAt?: string;
  finishedAt?: string;
  chaosStartedAt?: string;
  chaosEndsAt?: string;
  injections: number;
  nextInjectionAt?: string;
  targets: TargetStatus[];
  probes: ProbeStatus[];
  message?: string;
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

export interface RunStatus {
  phase?: RunPhase;
  startedAt?: string;
  finishedAt?: string;
  duration?: string;
  deadline?: string;
  resiliencyScore?: number;
  steps: StepStatus[];
  conditions: Condition[];
}

/** A step of the frozen definition: what the DAG and the step table need. */
export interface StepDefinition {
  name: string;
  dependsOn: string[];
  weight: number;
  faultType?: string;
  duration?: string;
  interval?: string;
  probes: string[];
}

export interface RunDefinition {
  description?: string;
  maxDuration?: string;
  steps: StepDefinition[];
}

/** The default weight of a step in the score (crds DEFAULT_WEIGHT). */
export const DEFAULT_WEIGHT = 10;

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function isPhase(v: unknown): v is RunPhase {
  return typeof v === "string" && (PHASES as readonly string[]).includes(v);
}
export function isTrigger(v: unknown): v is RunTrigger {
  return typeof v === "string" && (TRIGGERS as readonly string[]).includes(v);
}

function parseTarget(v: unknown): TargetStatus {
  const o = obj(v);
  return {
    kind: str(o.kind) ?? "",
    namespace: str(o.namespace),
    name: str(o.name) ?? "",
    round: num(o.round) ?? 0,
    injectedAt: str(o.injectedAt),
    revertedAt: str(o.revertedAt),
    revertVerified: o.revertVerified === true,
    original: str(o.original),
    fault: str(o.fault),
    note: str(o.note),
    injectionError: str(o.injectionError),
    revertError: str(o.revertError),
  };
}

function parseProbe(v: unknown): ProbeStatus {
  const o = obj(v);
  return {
    name: str(o.name) ?? "",
    verdict: str(o.verdict) ?? "Awaited",
    passed: num(o.passed) ?? 0,
    failed: num(o.failed) ?? 0,
    lastCheckedAt: str(o.lastCheckedAt),
    sotDone: o.sotDone === true,
    eotDone: o.eotDone === true,
    message: str(o.message) ?? "",
  };
}

function parseStep(v: unknown): StepStatus {
  const o = obj(v);
  return {
    name: str(o.name) ?? "",
    phase: isPhase(o.phase) ? o.phase : "Pending",
    verdict: str(o.verdict) ?? "Awaited",
    probeSuccessPercentage: num(o.probeSuccessPercentage),
    startedAt: str(o.startedAt),
    finishedAt: str(o.finishedAt),
    chaosStartedAt: str(o.chaosStartedAt),
    chaosEndsAt: str(o.chaosEndsAt),
    injections: num(o.injections) ?? 0,
    nextInjectionAt: str(o.nextInjectionAt),
    targets: arr(o.targets).map(parseTarget),
    probes: arr(o.probes).map(parseProbe),
    message: str(o.message),
  };
}

function parseCondition(v: unknown): Condition {
  const o = obj(v);
  return {
    type: str(o.type) ?? "",
    status: str(o.status) ?? "Unknown",
    reason: str(o.reason) ?? "",
    message: str(o.message) ?? "",
    lastTransitionTime: str(o.lastTransitionTime),
  };
}

/** The run's status JSON (anything missing or malformed reads as absent). */
export function parseStatus(json: unknown): RunStatus {
  const o = obj(json);
  return {
    phase: isPhase(o.phase) ? o.phase : undefined,
    startedAt: str(o.startedAt),
    finishedAt: str(o.finishedAt),
    duration: str(o.duration),
    deadline: str(o.deadline),
    resiliencyScore: num(o.resiliencyScore),
    steps: arr(o.steps).map(parseStep).filter((s) => s.name),
    conditions: arr(o.conditions).map(parseCondition),
  };
}

/** The frozen ChaosWorkflow spec JSON the run executes. */
export function parseDefinition(json: unknown): RunDefinition {
  const o = obj(json);
  return {
    description: str(o.description),
    maxDuration: str(o.maxDuration),
    steps: arr(o.steps)
      .map((v): StepDefinition => {
        const s = obj(v);
        const fault = obj(s.fault);
        return {
          name: str(s.name) ?? "",
          dependsOn: arr(s.dependsOn).filter((d): d is string => typeof d === "string"),
          weight: num(s.weight) ?? DEFAULT_WEIGHT,
          faultType: str(fault.type),
          duration: str(fault.duration),
          interval: str(fault.interval),
          probes: arr(s.probes)
            .map((p) => str(obj(p).name))
            .filter((n): n is string => !!n),
        };
      })
      .filter((s) => s.name),
  };
}

/** One step as the run view shows it: its definition and its progress. */
export interface StepRow extends StepStatus {
  dependsOn: string[];
  weight: number;
  faultType?: string;
  /** Whether the step is in the definition (false: only the status knows it). */
  defined: boolean;
  /** How many probes the definition gives the step (a step without probes has no success rate to show). */
  probeCount: number;
}

function emptyStep(name: string): StepStatus {
  return { name, phase: "Pending", verdict: "Awaited", injections: 0, targets: [], probes: [] };
}

/** The steps in definition order, each with its status (Pending/Awaited until the operator reports),
 *  then any step only the status knows. */
export function stepRows(definition: RunDefinition, status: RunStatus): StepRow[] {
  const byName = new Map(status.steps.map((s) => [s.name, s]));
  const rows: StepRow[] = definition.steps.map((d) => ({
    ...(byName.get(d.name) ?? emptyStep(d.name)),
    dependsOn: d.dependsOn,
    weight: d.weight,
    faultType: d.faultType,
    defined: true,
    probeCount: d.probes.length,
  }));
  const known = new Set(definition.steps.map((d) => d.name));
  for (const s of status.steps) {
    if (!known.has(s.name)) {
      rows.push({ ...s, dependsOn: [], weight: DEFAULT_WEIGHT, defined: false, probeCount: s.probes.length });
    }
  }
  return rows;
}

/** Conditions that do not hold (e.g. Admitted=False: why a run was refused). */
export function failedConditions(conditions: Condition[]): Condition[] {
  return conditions.filter((c) => c.status === "False");
}

/** Why a run ended without doing its work: refused before it started (`Admitted=False`), or stopped because
 *  its definition was tampered with or invalid. What the run view's banner shows. */
export interface RunStop {
  /** Refused before anything was injected, or stopped on the way (its faults reverted). */
  kind: "refused" | "stopped";
  /** The condition's PascalCase reason, e.g. `NamespaceNotAllowed`. */
  reason: string;
  /** A sentence saying what happened. */
  title: string;
  /** The condition's message, whole. */
  message: string;
  /** The message without the field it starts with (`spec.steps[0].fault.target.namespace: …`). */
  detail: string;
  /** That field, if the message starts with one. */
  field?: string;
  /** The index of the step the field is in (`spec.steps[0]…`). */
  step?: number;
  /** What to do about it, for the reasons where that is known. */
  advice?: string;
  at?: string;
}

/** Reasons a running run ends in Error with, other than a fault of its own (operator: core/src/decide.rs). */
const STOP_REASONS = new Set(["DefinitionChanged", "InvalidDefinition"]);

const OPT_IN = "label chaoscenter.io/chaos=enabled and the project (or *) in annotation chaoscenter.io/chaos-projects";

const REFUSED: Record<string, { title: string; advice?: string }> = {
  NamespaceNotAllowed: {
    title: "Refused: a namespace this run targets is not open to this project",
    advice: `Whoever may edit that namespace opens it to this project (${OPT_IN}); a project Owner also lists it in the project's target namespaces. Then start a new run.`,
  },
  NodeNotAllowed: {
    title: "Refused: a node this run targets is not open to this project",
    advice: `A node admin opens the node to this project (${OPT_IN}). Then start a new run.`,
  },
  Halted: {
    title: "Refused: the cluster-wide halt switch is on",
    advice: "No run may start until an admin turns the halt switch off.",
  },
  NoProject: { title: "Refused: the run's namespace belongs to no project" },
  WorkflowNotFound: { title: "Refused: the run's workflow was not found" },
  InvalidWorkflow: { title: "Refused: the run's definition is not valid" },
  InvalidDefinition: { title: "Refused: the run's definition is not valid" },
};

const STOPPED: Record<string, { title: string; advice?: string }> = {
  DefinitionChanged: {
    title: "Stopped: the run's spec was changed after it was admitted",
    advice: "A run cannot be changed once admitted: nothing more was injected and every fault was reverted. Change the workflow and start a new run.",
  },
  InvalidDefinition: { title: "Stopped: the run's definition is not valid" },
};

/** Why a Failed or Error run was refused or stopped, from its conditions; undefined for any other ending. */
export function runStop(phase: string | null | undefined, conditions: Condition[]): RunStop | undefined {
  if (phase !== "Failed" && phase !== "Error") return undefined;
  const refused = conditions.find((c) => c.type === "Admitted" && c.status === "False");
  const stopped = conditions.find((c) => c.type === "Succeeded" && c.status === "False" && STOP_REASONS.has(c.reason));
  const c = refused ?? stopped;
  if (!c) return undefined;
  const kind = refused ? "refused" : "stopped";
  const known = (refused ? REFUSED : STOPPED)[c.reason];
  const m = c.message.match(/^((?:spec|metadata)\.[^\s:]+): ([\s\S]+)$/);
  const step = m?.[1].match(/^spec\.steps\[(\d+)\]/);
  return {
    kind,
    reason: c.reason,
    title: known?.title ?? (refused ? "The run was refused" : "The run was stopped"),
    message: c.message,
    detail: m ? m[2] : c.message,
    field: m?.[1],
    step: step ? Number(step[1]) : undefined,
    advice: known?.advice,
    at: c.lastTransitionTime,
  };
}

/** How long the run has taken: from its start to its end, or to `now` while it runs. */
export function runDuration(status: RunStatus, createdAt: string, now = Date.now()): string {
  const start = status.startedAt ?? (status.phase === "Pending" ? undefined : createdAt);
  if (!start) return status.duration ?? "—";
  // a finished run without an end time must not keep ticking
  if (!status.finishedAt && finished(status.phase)) return status.duration ?? "—";
  return duration(start, status.finishedAt ?? null, now);
}

/** A target's namespace/name ("node-1" for nodes). */
export function targetName(t: Pick<TargetStatus, "namespace" | "name">): string {
  return t.namespace ? `${t.namespace}/${t.name}` : t.name;
}

/** The prefix of an injection error that says the fault was applied but did not take effect (a NetworkPolicy
 *  on a network plugin that does not enforce it): the step cannot pass. */
export const INEFFECTIVE = "InjectionIneffective:";

/** Whether the target's fault did not take effect. */
export function ineffective(t: Pick<TargetStatus, "injectionError">): boolean {
  return t.injectionError?.startsWith(INEFFECTIVE) ?? false;
}

/** The faults done through the Kubernetes API, whose injection note only repeats what was done ("deleted",
 *  "cordoned"): the Injected column says that already. */
const API_FAULTS: readonly string[] = ["pod-delete", "pod-autoscaler", "node-cordon", "node-taint", "node-drain"];

/** Whether the injection note of a fault of `type` says how it was made: the node agent's faults (network,
 *  container-kill, stress, disk-fill, DNS, HTTP; the mechanism, node and ChaosInjection) and a checked
 *  NetworkPolicy. A type this UI does not know yet is shown too, rather than hidden. */
export function showsMechanism(type: string | undefined): boolean {
  return type !== undefined && type !== "" && !API_FAULTS.includes(type);
}

/**
 * What the operator noted when it injected `target` in `step`, e.g. "nfqueue by the node agent on node-1
 * (ChaosInjection …)": the end of its newest `Injected` event, "step <step>: <fault> injected into <Kind>
 * <ns>/<name>: <note>". Undefined when the run's events do not have it (a deleted run's are gone).
 */
export function injectionNote(events: readonly RunEvent[], step: string, target: TargetStatus): string | undefined {
  const prefix = `step ${step}: `;
  const marker = ` injected into ${target.kind} ${targetName(target)}: `;
  const ordered = timeline(events);
  for (let i = ordered.length - 1; i >= 0; i--) {
    const { reason, message } = ordered[i];
    if (reason !== "Injected" || !message.startsWith(prefix)) continue;
    const at = message.indexOf(marker, prefix.length);
    if (at < 0) continue;
    const note = message.slice(at + marker.length);
    // a restarted operator's "already done" says nothing about how: an earlier event may
    if (note !== "already done before the operator restarted") return note;
  }
  return undefined;
}
