// The ChaosWorkflow kind as TypeScript types, mirroring crds/src/workflow.rs (field names as serialized).

export const API_VERSION = "chaoscenter.io/v1alpha1";
export const KIND = "ChaosWorkflow";

export const FAULT_TYPES = [
  "pod-delete",
  "pod-autoscaler",
  "node-cordon",
  "node-taint",
  "node-drain",
  "network-partition",
  "network-delay",
  "network-loss",
  "network-duplicate",
  "network-corrupt",
  "network-rate",
  "container-kill",
  "pod-cpu-stress",
  "pod-memory-stress",
  "pod-io-stress",
  "disk-fill",
  "dns-error",
  "dns-spoof",
  "http-latency",
  "http-abort",
  "http-status",
  "http-modify",
  "node-cpu-stress",
  "node-memory-stress",
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

export const TARGET_KINDS = ["Pod", "Deployment", "StatefulSet", "Node"] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export const TARGET_MODES = ["all", "one", "fixed", "fixed-percent", "random-max-percent"] as const;
export type TargetMode = (typeof TARGET_MODES)[number];

export const CONCURRENCY_POLICIES = ["Allow", "Forbid", "Replace"] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];

export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

export const PARTITION_DIRECTIONS = ["Ingress", "Egress", "Both"] as const;
export type PartitionDirection = (typeof PARTITION_DIRECTIONS)[number];

export const PARTITION_MECHANISMS = ["agent", "network-policy"] as const;
export type PartitionMechanism = (typeof PARTITION_MECHANISMS)[number];

export const PROTOCOLS = ["tcp", "udp", "icmp"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** The signals container-kill may send (core/src/agent_fault.rs SIGNALS); SIGKILL is the default. */
export const SIGNALS = ["SIGKILL", "SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2"] as const;
export type Signal = (typeof SIGNALS)[number];

export const DNS_ERRORS = ["NXDOMAIN", "SERVFAIL"] as const;
export type DnsError = (typeof DNS_ERRORS)[number];

export const HTTP_DIRECTIONS = ["inbound", "outbound"] as const;
export type HttpDirection = (typeof HTTP_DIRECTIONS)[number];

export const PROBE_TYPES = ["http", "k8s", "prom", "cmd"] as const;
export type ProbeType = (typeof PROBE_TYPES)[number];

export const PROBE_MODES = ["SOT", "EOT", "Edge", "Continuous", "OnChaos"] as const;
export type ProbeMode = (typeof PROBE_MODES)[number];

/** What an http probe may send (the server's validator refuses others): reads, and POST with a small body. */
export const HTTP_METHODS = ["GET", "HEAD", "POST"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const K8S_OPERATIONS = ["present", "absent", "count"] as const;
export type K8sOperation = (typeof K8S_OPERATIONS)[number];

export const COMPARATOR_TYPES = ["int", "float", "string"] as const;
export type ComparatorType = (typeof COMPARATOR_TYPES)[number];

export const NUMBER_CRITERIA = ["==", "!=", ">", "<", ">=", "<=", "equal", "notEqual"] as const;
export const STRING_CRITERIA = ["==", "!=", "equal", "notEqual", "contains", "matches"] as const;
export const CRITERIA = ["==", "!=", ">", "<", ">=", "<=", "equal", "notEqual", "contains", "matches"] as const;
export type Criteria = (typeof CRITERIA)[number];

/** Defaults the server applies to absent fields. */
export const DEFAULTS = {
  timeZone: "UTC",
  concurrencyPolicy: "Forbid" as ConcurrencyPolicy,
  runHistoryLimit: 10,
  maxDuration: "30m",
  weight: 10,
  duration: "30s",
  mode: "all" as TargetMode,
  taintEffect: "NoSchedule" as TaintEffect,
  direction: "Both" as PartitionDirection,
  mechanism: "agent" as PartitionMechanism,
  signal: "SIGKILL" as Signal,
  cores: 1,
  load: 100,
  workers: 1,
  ioSize: "64Mi",
  path: "/",
  dnsError: "NXDOMAIN" as DnsError,
  httpDirection: "inbound" as HttpDirection,
  probeMode: "Continuous" as ProbeMode,
  method: "GET" as HttpMethod,
  comparatorType: "float" as ComparatorType,
  probeInterval: "2s",
  probeTimeout: "1s",
  attempts: 1,
};

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface Target {
  namespace?: string;
  kind?: TargetKind;
  name?: string;
  selector?: LabelSelector;
  mode?: TargetMode;
  value?: number;
}

export interface TaintParams {
  key: string;
  value?: string;
  effect?: TaintEffect;
}

/** Peer pods of a network fault: by label selector, in the target's namespace unless one is named. */
export interface PeerPods {
  namespace?: string;
  selector: LabelSelector;
}

/** The peers a network fault is limited to (traffic to or from any of them, on these ports and protocol). */
export interface Destinations {
  cidrs?: string[];
  hosts?: string[];
  pods?: PeerPods;
  ports?: number[];
  protocol?: Protocol;
}

/** What a DNS fault matches and answers. */
export interface DnsParams {
  /** dns-error: exact names or `*.` wildcards. */
  names?: string[];
  error?: DnsError;
  /** dns-spoof: name (exact or `*.` wildcard) to the IPv4 address it resolves to. */
  answers?: Record<string, string>;
}

/** What an HTTP fault matches (port, direction, method, path prefix) and does (status, body, headers). */
export interface HttpParams {
  port: number;
  direction?: HttpDirection;
  method?: string;
  path?: string;
  status?: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface FaultParams {
  gracePeriodSeconds?: number;
  force?: boolean;
  replicas?: number;
  taint?: TaintParams;
  direction?: PartitionDirection;
  mechanism?: PartitionMechanism;
  latency?: string;
  jitter?: string;
  correlation?: number;
  percent?: number;
  rate?: string;
  destinations?: Destinations;
  container?: string;
  signal?: string;
  cores?: number;
  load?: number;
  size?: string;
  allowOom?: boolean;
  workers?: number;
  path?: string;
  dns?: DnsParams;
  http?: HttpParams;
}

/** The parameters each fault type takes (the server refuses the others: "not used by <type>"). */
const PARAMS_OF: Record<FaultType, readonly (keyof FaultParams)[]> = {
  "pod-delete": ["gracePeriodSeconds", "force"],
  "pod-autoscaler": ["replicas"],
  "node-cordon": [],
  "node-taint": ["taint"],
  "node-drain": ["gracePeriodSeconds"],
  "network-partition": ["direction", "mechanism", "destinations"],
  "network-delay": ["latency", "jitter", "correlation", "destinations"],
  "network-loss": ["percent", "correlation", "destinations"],
  "network-duplicate": ["percent", "destinations"],
  "network-corrupt": ["percent", "destinations"],
  "network-rate": ["rate"],
  "container-kill": ["container", "signal"],
  "pod-cpu-stress": ["container", "cores", "load"],
  "pod-memory-stress": ["container", "size", "percent", "allowOom"],
  "pod-io-stress": ["container", "workers", "size", "path"],
  "disk-fill": ["container", "size", "percent", "path"],
  "dns-error": ["dns"],
  "dns-spoof": ["dns"],
  "http-latency": ["http", "latency"],
  "http-abort": ["http"],
  "http-status": ["http"],
  "http-modify": ["http"],
  "node-cpu-stress": ["cores", "load"],
  "node-memory-stress": ["size", "percent"],
};

/** The fields of `params.http` each HTTP fault takes besides the match (port, direction, method, path). */
const HTTP_ANSWER_OF: Partial<Record<FaultType, readonly ("status" | "body" | "headers")[]>> = {
  "http-status": ["status", "body"],
  "http-modify": ["body", "headers"],
};

/** Whether the HTTP fault `type` takes `params.http.<field>` (status, body or headers). */
export function takesHttp(type: FaultType, field: "status" | "body" | "headers"): boolean {
  return HTTP_ANSWER_OF[type]?.includes(field) ?? false;
}

/** Faults whose `size` and `percent` are alternatives (one of them, not both). */
export function sizeOrPercent(type: FaultType): boolean {
  return type === "pod-memory-stress" || type === "node-memory-stress" || type === "disk-fill";
}

/** Whether faults of `type` take `param`. */
export function takes(type: FaultType, param: keyof FaultParams): boolean {
  return PARAMS_OF[type]?.includes(param) ?? false;
}

/** Whether a fault of `type` may be limited to destinations: the network faults but network-rate, and a
 *  partition only by the node agent (a NetworkPolicy isolates the pods from everyone). */
export function takesDestinations(type: FaultType, mechanism: PartitionMechanism | undefined): boolean {
  return takes(type, "destinations") && !(type === "network-partition" && mechanism === "network-policy");
}

export interface Fault {
  type: FaultType;
  target: Target;
  duration?: string;
  interval?: string;
  params?: FaultParams;
}

export interface Comparator {
  type?: ComparatorType;
  criteria: Criteria;
  value: string;
}

export interface HttpProbe {
  url: string;
  method?: HttpMethod;
  body?: string;
  expectStatus?: number;
  expectBodyContains?: string;
}

export interface K8sProbe {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  operation: K8sOperation;
  count?: number;
}

export interface PromProbe {
  endpoint: string;
  query: string;
  comparator: Comparator;
}

export interface CmdProbe {
  command: string[];
  image: string;
  comparator: Comparator;
}

export interface RunProperties {
  interval?: string;
  timeout?: string;
  attempts?: number;
  initialDelay?: string;
  stopOnFailure?: boolean;
}

export interface Probe {
  name: string;
  type: ProbeType;
  mode?: ProbeMode;
  http?: HttpProbe;
  k8s?: K8sProbe;
  prom?: PromProbe;
  cmd?: CmdProbe;
  runProperties?: RunProperties;
}

export interface Step {
  name: string;
  dependsOn?: string[];
  weight?: number;
  fault: Fault;
  probes?: Probe[];
}

export interface ChaosWorkflowSpec {
  description?: string;
  schedule?: string;
  timeZone?: string;
  concurrencyPolicy?: ConcurrencyPolicy;
  suspend?: boolean;
  runOnChange?: boolean;
  startingDeadlineSeconds?: number;
  runHistoryLimit?: number;
  maxDuration?: string;
  steps: Step[];
}

export interface ChaosWorkflow {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; [key: string]: unknown };
  spec: ChaosWorkflowSpec;
}

/** Faults that target nodes (no namespace). */
export function targetsNodes(type: FaultType): boolean {
  return (
    type === "node-cordon" || type === "node-taint" || type === "node-drain" || type === "node-cpu-stress" || type === "node-memory-stress"
  );
}

/** Target modes that need a `value`. */
export function modeNeedsValue(mode: TargetMode | undefined): boolean {
  return mode === "fixed" || mode === "fixed-percent" || mode === "random-max-percent";
}

/** Target modes whose `value` is a percentage. */
export function modeIsPercent(mode: TargetMode | undefined): boolean {
  return mode === "fixed-percent" || mode === "random-max-percent";
}

/** The target kinds a fault type may hit. */
export function kindsFor(type: FaultType): TargetKind[] {
  if (targetsNodes(type)) return ["Node"];
  if (type === "pod-autoscaler") return ["Deployment", "StatefulSet"];
  return ["Pod", "Deployment", "StatefulSet"];
}
