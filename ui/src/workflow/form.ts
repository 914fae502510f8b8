// The editor's form state and its exact conversion to and from a ChaosWorkflow spec.
//
// Text fields hold what the user typed (numbers too, so a bad entry can be shown with its error); an
// empty text means the field is absent from the spec (the server's default applies). Enum and boolean
// fields that have a default are `undefined` while absent. That way spec -> form -> spec gives back the
// very same spec, defaults written out or left out as they were.
import { parseSelector, printSelector } from "./selector";
import {
  kindsFor,
  modeNeedsValue,
  takes,
  takesDestinations,
  takesHttp,
  targetsNodes,
  type ChaosWorkflowSpec,
  type Comparator,
  type ComparatorType,
  type ConcurrencyPolicy,
  type Criteria,
  type Destinations,
  type DnsError,
  type DnsParams,
  type Fault,
  type FaultParams,
  type FaultType,
  type HttpDirection,
  type HttpMethod,
  type HttpParams,
  type K8sOperation,
  type PartitionDirection,
  type PartitionMechanism,
  type Probe,
  type ProbeMode,
  type ProbeType,
  type Protocol,
  type RunProperties,
  type Step,
  type TaintEffect,
  type Target,
  type TargetKind,
  type TargetMode,
} from "./types";

export interface ComparatorForm {
  type?: ComparatorType;
  criteria: Criteria | "";
  value: string;
}

export interface ProbeForm {
  /** A stable identity for React lists (not part of the spec). */
  key: string;
  name: string;
  type: ProbeType;
  mode?: ProbeMode;
  http: { url: string; method?: HttpMethod; body: string; expectStatus: string; expectBodyContains: string };
  k8s: {
    apiVersion: string;
    kind: string;
    namespace: string;
    labelSelector: string;
    fieldSelector: string;
    operation: K8sOperation | "";
    count: string;
  };
  prom: { endpoint: string; query: string; comparator: ComparatorForm };
  /** The command, one argument per line. */
  cmd: { command: string; image: string; comparator: ComparatorForm };
  interval: string;
  timeout: string;
  attempts: string;
  initialDelay: string;
  stopOnFailure?: boolean;
}

/** A network fault's destinations: lists typed as text, separated by commas or spaces. */
export interface DestinationsForm {
  cidrs: string;
  hosts: string;
  /** The peer pods' namespace (empty: the target's). */
  podsNamespace: string;
  /** The peer pods' label selector in kubectl syntax. */
  podsSelector: string;
  ports: string;
  protocol?: Protocol;
}

/** A DNS fault's names and answers as typed. */
export interface DnsForm {
  /** dns-error: names or wildcards, separated by commas or spaces. */
  names: string;
  error?: DnsError;
  /** dns-spoof: one `name=address` a line. */
  answers: string;
}

/** An HTTP fault's match and answer as typed. */
export interface HttpForm {
  port: string;
  direction?: HttpDirection;
  method: string;
  path: string;
  status: string;
  /** Sent as typed (white space included); empty: absent. */
  body: string;
  /** One `Name: value` a line. */
  headers: string;
}

export interface StepForm {
  key: string;
  name: string;
  dependsOn: string[];
  weight: string;
  faultType: FaultType;
  duration: string;
  interval: string;
  gracePeriodSeconds: string;
  force?: boolean;
  replicas: string;
  taintKey: string;
  taintValue: string;
  taintEffect?: TaintEffect;
  direction?: PartitionDirection;
  mechanism?: PartitionMechanism;
  latency: string;
  jitter: string;
  correlation: string;
  percent: string;
  rate: string;
  destinations: DestinationsForm;
  container: string;
  signal?: string;
  cores: string;
  load: string;
  size: string;
  allowOom?: boolean;
  workers: string;
  /** pod-io-stress, disk-fill: the directory in the container (`params.path`). */
  containerPath: string;
  dns: DnsForm;
  http: HttpForm;
  namespace: string;
  kind?: TargetKind;
  targetName: string;
  /** The label selector in kubectl syntax. */
  selector: string;
  mode?: TargetMode;
  value: string;
  probes: ProbeForm[];
}

export interface WorkflowForm {
  name: string;
  description: string;
  schedule: string;
  timeZone: string;
  concurrencyPolicy?: ConcurrencyPolicy;
  suspend?: boolean;
  runOnChange?: boolean;
  startingDeadlineSeconds: string;
  runHistoryLimit: string;
  maxDuration: string;
  steps: StepForm[];
}

let nextKey = 0;
/** A fresh key for a list item. */
export function newKey(prefix: string): string {
  nextKey += 1;
  return `${prefix}-${nextKey}`;
}

const emptyDestinations = (): DestinationsForm => ({ cidrs: "", hosts: "", podsNamespace: "", podsSelector: "", ports: "" });

const emptyDns = (): DnsForm => ({ names: "", answers: "" });

const emptyHttp = (): HttpForm => ({ port: "", method: "", path: "", status: "", body: "", headers: "" });

const emptyComparator = (): ComparatorForm => ({ criteria: "", value: "" });

/** A new probe of type http, named `name`. */
export function newProbe(name: string): ProbeForm {
  return {
    key: newKey("probe"),
    name,
    type: "http",
    mode: "Continuous",
    http: { url: "", body: "", expectStatus: "", expectBodyContains: "" },
    k8s: { apiVersion: "v1", kind: "Pod", namespace: "", labelSelector: "", fieldSelector: "", operation: "present", count: "" },
    prom: { endpoint: "", query: "", comparator: { type: "float", criteria: "<=", value: "" } },
    cmd: { command: "", image: "", comparator: { type: "string", criteria: "contains", value: "" } },
    interval: "",
    timeout: "",
    attempts: "",
    initialDelay: "",
  };
}

/** A new pod-delete step with the common settings filled in. */
export function newStep(name: string, namespace: string): StepForm {
  return {
    key: newKey("step"),
    name,
    dependsOn: [],
    weight: "10",
    faultType: "pod-delete",
    duration: "30s",
    interval: "",
    gracePeriodSeconds: "",
    replicas: "",
    taintKey: "",
    taintValue: "",
    latency: "",
    jitter: "",
    correlation: "",
    percent: "",
    rate: "",
    destinations: emptyDestinations(),
    container: "",
    cores: "",
    load: "",
    size: "",
    workers: "",
    containerPath: "",
    dns: emptyDns(),
    http: emptyHttp(),
    namespace,
    kind: "Pod",
    targetName: "",
    selector: "",
    mode: "all",
    value: "",
    probes: [],
  };
}

/** The form of a new workflow: one pod-delete step against the project's first target namespace. */
export function newWorkflowForm(targetNamespaces: readonly string[]): WorkflowForm {
  return {
    name: "",
    description: "",
    schedule: "",
    timeZone: "",
    startingDeadlineSeconds: "",
    runHistoryLimit: "",
    maxDuration: "",
    steps: [newStep("kill-pods", targetNamespaces[0] ?? "")],
  };
}

/** A name not yet used in `taken`: `base`, `base-2`, `base-3`, … */
export function uniqueName(base: string, taken: readonly string[]): string {
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) {
    const candidate = `${base}-${i}`;
    if (!taken.includes(candidate)) return candidate;
  }
}

// ---- spec -> form ----

const text = (v: string | number | undefined | null): string => (v === undefined || v === null ? "" : String(v));

function comparatorToForm(c: Comparator | undefined): ComparatorForm {
  if (!c) return emptyComparator();
  return { type: c.type, criteria: c.criteria ?? "", value: text(c.value) };
}

function probeToForm(p: Probe): ProbeForm {
  const base = newProbe(p.name ?? "");
  const rp = p.runProperties ?? {};
  return {
    ...base,
    name: text(p.name),
    type: p.type,
    mode: p.mode,
    http: p.http
      ? {
          url: text(p.http.url),
          method: p.http.method,
          body: text(p.http.body),
          expectStatus: text(p.http.expectStatus),
          expectBodyContains: text(p.http.expectBodyContains),
        }
      : base.http,
    k8s: p.k8s
      ? {
          apiVersion: text(p.k8s.apiVersion),
          kind: text(p.k8s.kind),
          namespace: text(p.k8s.namespace),
          labelSelector: text(p.k8s.labelSelector),
          fieldSelector: text(p.k8s.fieldSelector),
          operation: p.k8s.operation ?? "",
          count: text(p.k8s.count),
        }
      : base.k8s,
    prom: p.prom
      ? { endpoint: text(p.prom.endpoint), query: text(p.prom.query), comparator: comparatorToForm(p.prom.comparator) }
      : base.prom,
    cmd: p.cmd
      ? { command: (p.cmd.command ?? []).join("\n"), image: text(p.cmd.image), comparator: comparatorToForm(p.cmd.comparator) }
      : base.cmd,
    interval: text(rp.interval),
    timeout: text(rp.timeout),
    attempts: text(rp.attempts),
    initialDelay: text(rp.initialDelay),
    stopOnFailure: rp.stopOnFailure,
  };
}

/** The items of a list written as text: separated by commas or white space. */
function items(text: string): string[] {
  return text.split(/[\s,]+/).filter((item) => item !== "");
}

function destinationsToForm(d: Destinations | undefined): DestinationsForm {
  if (!d) return emptyDestinations();
  return {
    cidrs: (d.cidrs ?? []).join(", "),
    hosts: (d.hosts ?? []).join(", "),
    podsNamespace: text(d.pods?.namespace),
    podsSelector: printSelector(d.pods?.selector),
    ports: (d.ports ?? []).join(", "),
    protocol: d.protocol,
  };
}

/** A map written one `key<sep>value` a line. */
function printLines(map: Record<string, string> | undefined, sep: string): string {
  return Object.entries(map ?? {})
    .map(([k, v]) => `${k}${sep}${v}`)
    .join("\n");
}

/** The entries of a map written one `key<sep>value` a line (blank lines skipped; a line without `sep` is a
 *  key with an empty value, for validation to flag). */
export function parseLines(text: string, sep: string): [string, string][] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const at = line.indexOf(sep);
      return at < 0 ? [line.trim(), ""] : [line.slice(0, at).trim(), line.slice(at + sep.length).trim()];
    });
}

function dnsToForm(d: DnsParams | undefined): DnsForm {
  if (!d) return emptyDns();
  return { names: (d.names ?? []).join(", "), error: d.error, answers: printLines(d.answers, "=") };
}

function httpToForm(h: HttpParams | undefined): HttpForm {
  if (!h) return emptyHttp();
  return {
    port: text(h.port),
    direction: h.direction,
    method: text(h.method),
    path: text(h.path),
    status: text(h.status),
    body: text(h.body),
    headers: printLines(h.headers, ": "),
  };
}

function stepToForm(s: Step): StepForm {
  const f: Fault = s.fault ?? ({ type: "pod-delete", target: {} } as Fault);
  const t: Target = f.target ?? {};
  const params: FaultParams = f.params ?? {};
  return {
    key: newKey("step"),
    name: text(s.name),
    dependsOn: [...(s.dependsOn ?? [])],
    weight: text(s.weight),
    faultType: f.type,
    duration: text(f.duration),
    interval: text(f.interval),
    gracePeriodSeconds: text(params.gracePeriodSeconds),
    force: params.force,
    replicas: text(params.replicas),
    taintKey: text(params.taint?.key),
    taintValue: text(params.taint?.value),
    taintEffect: params.taint?.effect,
    direction: params.direction,
    mechanism: params.mechanism,
    latency: text(params.latency),
    jitter: text(params.jitter),
    correlation: text(params.correlation),
    percent: text(params.percent),
    rate: text(params.rate),
    destinations: destinationsToForm(params.destinations),
    container: text(params.container),
    signal: params.signal,
    cores: text(params.cores),
    load: text(params.load),
    size: text(params.size),
    allowOom: params.allowOom,
    workers: text(params.workers),
    containerPath: text(params.path),
    dns: dnsToForm(params.dns),
    http: httpToForm(params.http),
    namespace: text(t.namespace),
    kind: t.kind,
    targetName: text(t.name),
    selector: printSelector(t.selector),
    mode: t.mode,
    value: text(t.value),
    probes: (s.probes ?? []).map(probeToForm),
  };
}

/** The form showing a workflow named `name` with `spec`. */
export function specToForm(name: string, spec: ChaosWorkflowSpec): WorkflowForm {
  return {
    name,
    description: text(spec.description),
    schedule: text(spec.schedule),
    timeZone: text(spec.timeZone),
    concurrencyPolicy: spec.concurrencyPolicy,
    suspend: spec.suspend,
    runOnChange: spec.runOnChange,
    startingDeadlineSeconds: text(spec.startingDeadlineSeconds),
    runHistoryLimit: text(spec.runHistoryLimit),
    maxDuration: text(spec.maxDuration),
    steps: (spec.steps ?? []).map(stepToForm),
  };
}

// ---- form -> spec ----

/** A number typed in a field: absent when empty; kept as text when it is no number (validation says why). */
function num(v: string): number | undefined {
  const t = v.trim();
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : (t as unknown as number);
}

/** Sets `obj[key] = value` unless the value is absent (undefined or an empty/blank string). */
function put<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) return;
  if (typeof value === "string" && value.trim() === "") return;
  obj[key] = typeof value === "string" ? (value.trim() as T[K]) : value;
}

function comparatorToSpec(c: ComparatorForm): Comparator {
  const out = {} as Comparator;
  put(out, "type", c.type);
  out.criteria = c.criteria as Criteria;
  out.value = c.value;
  return out;
}

function probeToSpec(p: ProbeForm): Probe {
  const out: Probe = { name: p.name.trim(), type: p.type };
  put(out, "mode", p.mode);
  switch (p.type) {
    case "http": {
      const h = { url: p.http.url.trim() } as NonNullable<Probe["http"]>;
      put(h, "method", p.http.method);
      if (p.http.body !== "") h.body = p.http.body;
      put(h, "expectStatus", num(p.http.expectStatus));
      if (p.http.expectBodyContains !== "") h.expectBodyContains = p.http.expectBodyContains;
      out.http = h;
      break;
    }
    case "k8s": {
      const k = { apiVersion: p.k8s.apiVersion.trim(), kind: p.k8s.kind.trim() } as NonNullable<Probe["k8s"]>;
      put(k, "namespace", p.k8s.namespace);
      put(k, "labelSelector", p.k8s.labelSelector);
      put(k, "fieldSelector", p.k8s.fieldSelector);
      k.operation = p.k8s.operation as K8sOperation;
      if (p.k8s.operation === "count") put(k, "count", num(p.k8s.count));
      out.k8s = k;
      break;
    }
    case "prom":
      out.prom = { endpoint: p.prom.endpoint.trim(), query: p.prom.query.trim(), comparator: comparatorToSpec(p.prom.comparator) };
      break;
    case "cmd":
      out.cmd = {
        command: p.cmd.command.split("\n").filter((line) => line.trim() !== ""),
        image: p.cmd.image.trim(),
        comparator: comparatorToSpec(p.cmd.comparator),
      };
      break;
  }
  const rp: RunProperties = {};
  put(rp, "interval", p.interval);
  put(rp, "timeout", p.timeout);
  put(rp, "attempts", num(p.attempts));
  put(rp, "initialDelay", p.initialDelay);
  put(rp, "stopOnFailure", p.stopOnFailure);
  if (Object.keys(rp).length > 0) out.runProperties = rp;
  return out;
}

/** The destinations the form names; none when it names nothing (all traffic). Entries that are not
 *  ports are passed through for validation to flag. */
function destinationsToSpec(d: DestinationsForm): Destinations | undefined {
  const out: Destinations = {};
  const cidrs = items(d.cidrs);
  if (cidrs.length > 0) out.cidrs = cidrs;
  const hosts = items(d.hosts);
  if (hosts.length > 0) out.hosts = hosts;
  if (d.podsNamespace.trim() !== "" || d.podsSelector.trim() !== "") {
    const pods = {} as NonNullable<Destinations["pods"]>;
    put(pods, "namespace", d.podsNamespace);
    pods.selector = parseSelector(d.podsSelector).selector ?? {};
    out.pods = pods;
  }
  const ports = items(d.ports).map((p) => (/^[0-9]+$/.test(p) ? Number(p) : (p as unknown as number)));
  if (ports.length > 0) out.ports = ports;
  put(out, "protocol", d.protocol);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The DNS parameters the form names for a fault of `type`; none when it names nothing. */
function dnsToSpec(type: FaultType, d: DnsForm): DnsParams | undefined {
  const out: DnsParams = {};
  if (type === "dns-error") {
    const names = items(d.names);
    if (names.length > 0) out.names = names;
    put(out, "error", d.error);
  } else {
    const answers = parseLines(d.answers, "=");
    if (answers.length > 0) out.answers = Object.fromEntries(answers);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The HTTP parameters the form names for a fault of `type` (only the answer fields it takes); none when it
 *  names nothing. A missing port is left out for validation to flag. */
function httpToSpec(type: FaultType, h: HttpForm): HttpParams | undefined {
  const out = {} as HttpParams;
  put(out, "port", num(h.port));
  put(out, "direction", h.direction);
  put(out, "method", h.method);
  put(out, "path", h.path);
  if (takesHttp(type, "status")) put(out, "status", num(h.status));
  if (takesHttp(type, "body") && h.body !== "") out.body = h.body;
  if (takesHttp(type, "headers")) {
    const headers = parseLines(h.headers, ":");
    if (headers.length > 0) out.headers = Object.fromEntries(headers);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function stepToSpec(s: StepForm): Step {
  const type = s.faultType;
  const target: Target = {};
  if (!targetsNodes(type)) put(target, "namespace", s.namespace);
  put(target, "kind", s.kind);
  put(target, "name", s.targetName);
  const parsed = parseSelector(s.selector);
  if (parsed.selector) target.selector = parsed.selector;
  put(target, "mode", s.mode);
  if (modeNeedsValue(s.mode)) put(target, "value", num(s.value));

  const fault: Fault = { type, target };
  put(fault, "duration", s.duration);
  if (type === "pod-delete") put(fault, "interval", s.interval);

  // only the parameters the fault type takes: those of another type the form still holds are left out
  const params: FaultParams = {};
  if (takes(type, "gracePeriodSeconds")) put(params, "gracePeriodSeconds", num(s.gracePeriodSeconds));
  if (takes(type, "force")) put(params, "force", s.force);
  if (takes(type, "replicas")) put(params, "replicas", num(s.replicas));
  if (takes(type, "taint") && (s.taintKey.trim() !== "" || s.taintValue.trim() !== "" || s.taintEffect)) {
    const taint = { key: s.taintKey.trim() } as NonNullable<FaultParams["taint"]>;
    put(taint, "value", s.taintValue);
    put(taint, "effect", s.taintEffect);
    params.taint = taint;
  }
  if (takes(type, "direction")) put(params, "direction", s.direction);
  if (takes(type, "mechanism")) put(params, "mechanism", s.mechanism);
  if (takes(type, "latency")) put(params, "latency", s.latency);
  if (takes(type, "jitter")) put(params, "jitter", s.jitter);
  if (takes(type, "correlation")) put(params, "correlation", num(s.correlation));
  if (takes(type, "percent")) put(params, "percent", num(s.percent));
  if (takes(type, "rate")) put(params, "rate", s.rate);
  if (takesDestinations(type, s.mechanism)) put(params, "destinations", destinationsToSpec(s.destinations));
  if (takes(type, "container")) put(params, "container", s.container);
  if (takes(type, "signal")) put(params, "signal", s.signal);
  if (takes(type, "cores")) put(params, "cores", num(s.cores));
  if (takes(type, "load")) put(params, "load", num(s.load));
  if (takes(type, "size")) put(params, "size", s.size);
  if (takes(type, "allowOom")) put(params, "allowOom", s.allowOom);
  if (takes(type, "workers")) put(params, "workers", num(s.workers));
  if (takes(type, "path")) put(params, "path", s.containerPath);
  if (takes(type, "dns")) put(params, "dns", dnsToSpec(type, s.dns));
  if (takes(type, "http")) put(params, "http", httpToSpec(type, s.http));
  if (Object.keys(params).length > 0) fault.params = params;

  const step: Step = { name: s.name.trim(), fault };
  if (s.dependsOn.length > 0) step.dependsOn = [...s.dependsOn];
  put(step, "weight", num(s.weight));
  if (s.probes.length > 0) step.probes = s.probes.map(probeToSpec);
  // the CRD's field order: name, dependsOn, weight, fault, probes
  return reorder(step, ["name", "dependsOn", "weight", "fault", "probes"]);
}

/** The object with its keys in `order` first (so YAML reads in the CRD's order). */
function reorder<T extends object>(obj: T, order: (keyof T)[]): T {
  const out = {} as T;
  for (const k of order) if (k in obj) out[k] = obj[k];
  for (const k of Object.keys(obj) as (keyof T)[]) if (!(k in out)) out[k] = obj[k];
  return out;
}

/** The ChaosWorkflow spec the form describes. Invalid entries are passed through for validation to flag. */
export function formToSpec(form: WorkflowForm): ChaosWorkflowSpec {
  const spec = {} as ChaosWorkflowSpec;
  put(spec, "description", form.description);
  put(spec, "schedule", form.schedule);
  put(spec, "timeZone", form.timeZone);
  put(spec, "concurrencyPolicy", form.concurrencyPolicy);
  put(spec, "suspend", form.suspend);
  put(spec, "runOnChange", form.runOnChange);
  put(spec, "startingDeadlineSeconds", num(form.startingDeadlineSeconds));
  put(spec, "runHistoryLimit", num(form.runHistoryLimit));
  put(spec, "maxDuration", form.maxDuration);
  spec.steps = form.steps.map(stepToSpec);
  return spec;
}

/** Names of the other steps, for a step's "Depends on" choices. */
export function otherStepNames(form: WorkflowForm, index: number): string[] {
  return form.steps
    .filter((_, i) => i !== index)
    .map((s) => s.name.trim())
    .filter((n) => n !== "");
}

/** Renames a step and every dependency on it. */
export function renameStep(form: WorkflowForm, index: number, name: string): WorkflowForm {
  const old = form.steps[index].name.trim();
  const steps = form.steps.map((s, i) => {
    if (i === index) return { ...s, name };
    // (an emptied name keeps the link: the dependency is "" until the step is named again)
    if (s.dependsOn.includes(old)) {
      return { ...s, dependsOn: s.dependsOn.map((d) => (d === old ? name.trim() : d)) };
    }
    return s;
  });
  return { ...form, steps };
}

/** Removes a step and every dependency on it. */
export function removeStep(form: WorkflowForm, index: number): WorkflowForm {
  const gone = form.steps[index].name.trim();
  const steps = form.steps
    .filter((_, i) => i !== index)
    .map((s) => (s.dependsOn.includes(gone) ? { ...s, dependsOn: s.dependsOn.filter((d) => d !== gone) } : s));
  return { ...form, steps };
}

/** Moves a step up (-1) or down (+1) in the list. */
export function moveStep(form: WorkflowForm, index: number, by: -1 | 1): WorkflowForm {
  const to = index + by;
  if (to < 0 || to >= form.steps.length) return form;
  const steps = [...form.steps];
  [steps[index], steps[to]] = [steps[to], steps[index]];
  return { ...form, steps };
}

/** Changes a step's fault type, keeping the target kind only when the new type may hit it. */
export function changeFaultType(step: StepForm, faultType: FaultType): StepForm {
  const allowed = kindsFor(faultType);
  const kind = step.kind && allowed.includes(step.kind) ? step.kind : allowed[0];
  return { ...step, faultType, kind };
}
