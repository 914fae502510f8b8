// One step in the form: name, order, dependencies, the fault and its parameters, the target and probes.
import { useContext } from "react";
import { changeFaultType, newProbe, uniqueName, type DestinationsForm, type DnsForm, type HttpForm, type StepForm } from "./form";
import { CheckField, FieldErrorsContext, FieldNotes, fieldId, NumberField, plainOptions, SelectField, TextField, type Option } from "./fields";
import { ProbeFields } from "./ProbeFields";
import {
  DEFAULTS,
  DNS_ERRORS,
  kindsFor,
  modeIsPercent,
  modeNeedsValue,
  PARTITION_DIRECTIONS,
  PROTOCOLS,
  SIGNALS,
  sizeOrPercent,
  TAINT_EFFECTS,
  takes,
  takesDestinations,
  takesHttp,
  targetsNodes,
  type DnsError,
  type FaultType,
  type HttpDirection,
  type PartitionMechanism,
  type Protocol,
  type TargetKind,
  type TargetMode,
} from "./types";

const FAULT_OPTIONS: Option<FaultType>[] = [
  { value: "pod-delete", label: "pod-delete — delete pods" },
  { value: "pod-autoscaler", label: "pod-autoscaler — scale a Deployment or StatefulSet" },
  { value: "node-cordon", label: "node-cordon — mark nodes unschedulable" },
  { value: "node-taint", label: "node-taint — taint nodes" },
  { value: "node-drain", label: "node-drain — drain nodes" },
  { value: "network-partition", label: "network-partition — cut pods' traffic (Litmus pod-network-partition)" },
  { value: "network-delay", label: "network-delay — add latency (Litmus pod-network-latency)" },
  { value: "network-loss", label: "network-loss — drop packets (Litmus pod-network-loss)" },
  { value: "network-duplicate", label: "network-duplicate — send packets twice (Litmus pod-network-duplication)" },
  { value: "network-corrupt", label: "network-corrupt — corrupt packets (Litmus pod-network-corruption)" },
  { value: "network-rate", label: "network-rate — limit bandwidth (Litmus pod-network-rate-limit)" },
  { value: "container-kill", label: "container-kill — kill containers (Litmus container-kill)" },
  { value: "pod-cpu-stress", label: "pod-cpu-stress — load CPUs in a container (Litmus pod-cpu-hog)" },
  { value: "pod-memory-stress", label: "pod-memory-stress — fill a container's memory (Litmus pod-memory-hog)" },
  { value: "pod-io-stress", label: "pod-io-stress — write and sync files in a container (Litmus pod-io-stress)" },
  { value: "disk-fill", label: "disk-fill — fill a container's disk (Litmus disk-fill)" },
  { value: "dns-error", label: "dns-error — fail DNS lookups (Litmus pod-dns-error)" },
  { value: "dns-spoof", label: "dns-spoof — answer DNS lookups with other addresses (Litmus pod-dns-spoof)" },
  { value: "http-latency", label: "http-latency — delay HTTP requests (Litmus pod-http-latency)" },
  { value: "http-abort", label: "http-abort — reset HTTP connections (Litmus pod-http-reset-peer)" },
  { value: "http-status", label: "http-status — answer with another status code (Litmus pod-http-status-code)" },
  { value: "http-modify", label: "http-modify — change HTTP responses (Litmus pod-http-modify-body, pod-http-modify-header)" },
  { value: "node-cpu-stress", label: "node-cpu-stress — load a node's CPUs (Litmus node-cpu-hog)" },
  { value: "node-memory-stress", label: "node-memory-stress — fill a node's memory (Litmus node-memory-hog)" },
];

/** What `params.size` and `params.percent` mean for each fault type that takes them. */
const SIZE_OF: Partial<Record<FaultType, { size: string; placeholder: string; percent?: string }>> = {
  "pod-memory-stress": {
    size: "Memory to allocate in the container's cgroup, e.g. 256Mi (1Mi–64Gi).",
    placeholder: "256Mi",
    percent: "Percent of memory limit",
  },
  "node-memory-stress": { size: "Memory to allocate on the node, e.g. 1Gi (1Mi–64Gi).", placeholder: "1Gi", percent: "Percent of node memory" },
  "pod-io-stress": { size: "What each writer writes and syncs, 1Mi–64Gi.", placeholder: DEFAULTS.ioSize },
  "disk-fill": { size: "The file's size, e.g. 1Gi (1Mi–64Gi).", placeholder: "1Gi", percent: "Percent of storage limit" },
};

const HTTP_DIRECTION_OPTIONS: Option<HttpDirection>[] = [
  { value: "inbound", label: "inbound — requests the pod serves" },
  { value: "outbound", label: "outbound — requests the pod makes" },
];

/** The names a DNS fault applies to and what they get. */
function DnsFields({ type, path, value, onChange }: { type: FaultType; path: string; value: DnsForm; onChange(d: DnsForm): void }) {
  const set = (patch: Partial<DnsForm>) => onChange({ ...value, ...patch });
  return (
    <fieldset className="dns">
      <legend>DNS</legend>
      <p className="hint">Queries from the target pods for these names are answered by the node agent; other names resolve normally.</p>
      <div className="grid-3">
        {type === "dns-error" ? (
          <>
            <TextField
              label="Names"
              path={`${path}.names`}
              value={value.names}
              placeholder="api.example.com, *.example.org"
              hint="Exact names or *. wildcards, separated by commas; at most 64."
              onChange={(names) => set({ names })}
            />
            <SelectField<DnsError>
              label="Answer"
              path={`${path}.error`}
              value={value.error ?? DEFAULTS.dnsError}
              options={plainOptions(DNS_ERRORS)}
              hint="NXDOMAIN: no such name; SERVFAIL: the server failed."
              onChange={(error) => set({ error })}
            />
          </>
        ) : (
          <TextField
            label="Answers"
            path={`${path}.answers`}
            value={value.answers}
            rows={3}
            placeholder="api.example.com=10.0.0.1"
            hint="One name=IPv4 address a line (a name may be a *. wildcard); at most 64."
            onChange={(answers) => set({ answers })}
          />
        )}
      </div>
    </fieldset>
  );
}

/** The HTTP traffic an HTTP fault intercepts and, for some, what it answers instead. */
function HttpFields({ type, path, value, onChange }: { type: FaultType; path: string; value: HttpForm; onChange(h: HttpForm): void }) {
  const set = (patch: Partial<HttpForm>) => onChange({ ...value, ...patch });
  return (
    <fieldset className="http">
      <legend>HTTP traffic</legend>
      <div className="grid-3">
        <NumberField
          label="Port"
          path={`${path}.port`}
          value={value.port}
          placeholder="8080"
          required
          hint="The pod's serving port (inbound) or the port it calls (outbound), 1–65535."
          onChange={(port) => set({ port })}
        />
        <SelectField<HttpDirection>
          label="Direction"
          path={`${path}.direction`}
          value={value.direction ?? DEFAULTS.httpDirection}
          options={HTTP_DIRECTION_OPTIONS}
          onChange={(direction) => set({ direction })}
        />
        <TextField
          label="Method"
          path={`${path}.method`}
          value={value.method}
          placeholder="every method"
          hint="Only requests with this method, e.g. GET."
          onChange={(method) => set({ method })}
        />
        <TextField
          label="Path prefix"
          path={`${path}.path`}
          value={value.path}
          placeholder="every path"
          hint="Only requests whose path starts with this, e.g. /api."
          onChange={(p) => set({ path: p })}
        />
        {takesHttp(type, "status") && (
          <NumberField
            label="Status code"
            path={`${path}.status`}
            value={value.status}
            placeholder="503"
            required
            hint="Answered instead, 100–599."
            onChange={(status) => set({ status })}
          />
        )}
        {takesHttp(type, "body") && (
          <TextField
            label="Response body"
            path={`${path}.body`}
            value={value.body}
            rows={3}
            hint={type === "http-status" ? "Answered instead (optional); at most 64 KiB." : "Replaces the response's body; at most 64 KiB."}
            onChange={(body) => set({ body })}
          />
        )}
        {takesHttp(type, "headers") && (
          <TextField
            label="Response headers"
            path={`${path}.headers`}
            value={value.headers}
            rows={3}
            placeholder="X-Chaos: on"
            hint="One Name: value a line, set on the response (replacing any of the same name); at most 32."
            onChange={(headers) => set({ headers })}
          />
        )}
      </div>
      {type === "http-modify" && <p className="hint">http-modify needs a body or headers (or both).</p>}
    </fieldset>
  );
}

const MECHANISM_OPTIONS: Option<PartitionMechanism>[] = [
  { value: "agent", label: "agent — drop rules inside each pod (any network plugin)" },
  { value: "network-policy", label: "network-policy — a NetworkPolicy" },
];

const PROTOCOL_OPTIONS: Option<Protocol | "">[] = [{ value: "", label: "Any" }, ...plainOptions(PROTOCOLS)];

/** The peers a network fault is limited to. */
function DestinationsFields({ path, value, onChange }: { path: string; value: DestinationsForm; onChange(d: DestinationsForm): void }) {
  const set = (patch: Partial<DestinationsForm>) => onChange({ ...value, ...patch });
  return (
    <fieldset className="destinations">
      <legend>Destinations</legend>
      <p className="hint">Only traffic with these peers is affected; leave all empty to affect all traffic.</p>
      <div className="grid-3">
        <TextField
          label="CIDRs"
          path={`${path}.cidrs`}
          value={value.cidrs}
          placeholder="10.96.0.0/12, 10.1.0.7"
          hint="Addresses or networks, separated by commas; at most 64."
          onChange={(cidrs) => set({ cidrs })}
        />
        <TextField
          label="Hosts"
          path={`${path}.hosts`}
          value={value.hosts}
          placeholder="db.shop.svc.cluster.local"
          hint="Host names, resolved when injecting; at most 16."
          onChange={(hosts) => set({ hosts })}
        />
        <TextField
          label="Peer pods: label selector"
          path={`${path}.pods.selector`}
          value={value.podsSelector}
          placeholder="app=db"
          hint="Pods chosen by labels, kubectl syntax."
          onChange={(podsSelector) => set({ podsSelector })}
        />
        <TextField
          label="Peer pods: namespace"
          path={`${path}.pods.namespace`}
          value={value.podsNamespace}
          placeholder="the target's"
          onChange={(podsNamespace) => set({ podsNamespace })}
        />
        <TextField
          label="Ports"
          path={`${path}.ports`}
          value={value.ports}
          placeholder="5432, 6379"
          hint="Remote ports 1–65535, separated by commas; at most 32."
          onChange={(ports) => set({ ports })}
        />
        <SelectField<Protocol | "">
          label="Protocol"
          path={`${path}.protocol`}
          value={value.protocol ?? ""}
          options={PROTOCOL_OPTIONS}
          hint="icmp has no ports."
          onChange={(protocol) => set({ protocol: protocol === "" ? undefined : protocol })}
        />
      </div>
    </fieldset>
  );
}

const MODE_OPTIONS: Option<TargetMode>[] = [
  { value: "all", label: "all — every matching object" },
  { value: "one", label: "one — one at random" },
  { value: "fixed", label: "fixed — this many at random" },
  { value: "fixed-percent", label: "fixed-percent — this percentage" },
  { value: "random-max-percent", label: "random-max-percent — up to this percentage" },
];

interface StepFieldsProps {
  step: StepForm;
  index: number;
  count: number;
  /** The names of the other steps, which this one may depend on. */
  otherSteps: string[];
  targetNamespaces: readonly string[];
  readOnly: boolean;
  onChange(step: StepForm): void;
  onRename(name: string): void;
  onMove(by: -1 | 1): void;
  onRemove(): void;
}

function DependsOn({ step, path, otherSteps, onChange }: { step: StepForm; path: string; otherSteps: string[]; onChange(deps: string[]): void }) {
  const { errorOf, touch } = useContext(FieldErrorsContext);
  const id = fieldId(path);
  const error = errorOf(path);
  // dependencies on steps that do not exist stay listed, so they can be seen and unticked
  const choices = [...otherSteps, ...step.dependsOn.filter((d) => !otherSteps.includes(d))];
  return (
    <fieldset className="depends-on" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>Depends on</legend>
      {choices.length === 0 ? (
        <p className="hint">No other steps: this step starts when the run starts.</p>
      ) : (
        <div className="checks">
          {choices.map((name, i) => (
            <label className="inline" key={name}>
              <input
                type="checkbox"
                id={i === 0 ? id : undefined}
                checked={step.dependsOn.includes(name)}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? `${id}-error` : undefined}
                onBlur={() => touch(path)}
                onChange={(e) =>
                  onChange(e.target.checked ? [...step.dependsOn, name] : step.dependsOn.filter((d) => d !== name))
                }
              />
              {name}
              {!otherSteps.includes(name) && " (no such step)"}
            </label>
          ))}
        </div>
      )}
      <FieldNotes id={id} error={error} />
    </fieldset>
  );
}

export function StepFields({ step, index, count, otherSteps, targetNamespaces, readOnly, onChange, onRename, onMove, onRemove }: StepFieldsProps) {
  const path = `steps.${index}`;
  const probesError = useContext(FieldErrorsContext).errorOf(`${path}.probes`);
  const set = (patch: Partial<StepForm>) => onChange({ ...step, ...patch });
  const n = index + 1;
  const type = step.faultType;
  const nodes = targetsNodes(type);

  const namespaces = [...targetNamespaces];
  if (step.namespace && !namespaces.includes(step.namespace)) namespaces.push(step.namespace);
  const namespaceOptions: Option<string>[] = [
    ...(step.namespace === "" ? [{ value: "", label: "Choose a namespace…" }] : []),
    ...namespaces.map((ns) => ({ value: ns, label: targetNamespaces.includes(ns) ? ns : `${ns} (not a target namespace of this project)` })),
  ];

  const kinds: TargetKind[] = kindsFor(type);
  if (step.kind && !kinds.includes(step.kind)) kinds.push(step.kind);
  const kindOptions: Option<TargetKind | "">[] = [
    ...(type === "pod-autoscaler"
      ? step.kind
        ? []
        : [{ value: "" as const, label: "Choose…" }]
      : [{ value: "" as const, label: `Default (${nodes ? "Node" : "Pod"})` }]),
    ...plainOptions(kinds),
  ];

  return (
    <fieldset className="step" data-step={step.name}>
      <legend>Step {n}</legend>
      {!readOnly && (
        <div className="item-actions">
          <button type="button" className="small" onClick={() => onMove(-1)} disabled={index === 0} aria-label={`Move step ${n} up`}>
            ↑ Up
          </button>
          <button type="button" className="small" onClick={() => onMove(1)} disabled={index === count - 1} aria-label={`Move step ${n} down`}>
            ↓ Down
          </button>
          <button type="button" className="small danger" onClick={onRemove} disabled={count === 1} aria-label={`Remove step ${n}`}>
            Remove step
          </button>
        </div>
      )}

      <div className="grid-3">
        <TextField label="Step name" path={`${path}.name`} value={step.name} onChange={onRename} hint="A DNS label, e.g. kill-checkout." />
        <NumberField
          label="Weight"
          path={`${path}.weight`}
          value={step.weight}
          placeholder={String(DEFAULTS.weight)}
          hint="How much the step counts in the score, 0–1000."
          onChange={(weight) => set({ weight })}
        />
        <SelectField<FaultType>
          label="Fault type"
          path={`${path}.fault.type`}
          value={type}
          options={FAULT_OPTIONS}
          onChange={(t) => onChange(changeFaultType(step, t))}
        />
        <TextField
          label="Duration"
          path={`${path}.fault.duration`}
          value={step.duration}
          placeholder={DEFAULTS.duration}
          hint="How long the chaos lasts, e.g. 30s, 5m, 1h."
          onChange={(duration) => set({ duration })}
        />
        {type === "pod-delete" && (
          <TextField
            label="Interval"
            path={`${path}.fault.interval`}
            value={step.interval}
            placeholder="once"
            hint="Delete again every interval, e.g. 10s; empty: once."
            onChange={(interval) => set({ interval })}
          />
        )}
        {(type === "pod-delete" || type === "node-drain") && (
          <NumberField
            label="Grace period (seconds)"
            path={`${path}.fault.params.gracePeriodSeconds`}
            value={step.gracePeriodSeconds}
            placeholder="the pod's own"
            hint="0–3600."
            onChange={(gracePeriodSeconds) => set({ gracePeriodSeconds })}
          />
        )}
        {type === "pod-delete" && (
          <CheckField
            label="Force (delete at once)"
            path={`${path}.fault.params.force`}
            checked={step.force === true}
            onChange={(force) => set({ force })}
          />
        )}
        {type === "pod-autoscaler" && (
          <NumberField
            label="Replicas"
            path={`${path}.fault.params.replicas`}
            value={step.replicas}
            hint="The replica count for the duration, 0–10000."
            onChange={(replicas) => set({ replicas })}
          />
        )}
        {type === "node-taint" && (
          <>
            <TextField
              label="Taint key"
              path={`${path}.fault.params.taint.key`}
              value={step.taintKey}
              placeholder="chaoscenter.io/chaos"
              onChange={(taintKey) => set({ taintKey })}
            />
            <TextField
              label="Taint value"
              path={`${path}.fault.params.taint.value`}
              value={step.taintValue}
              onChange={(taintValue) => set({ taintValue })}
            />
            <SelectField
              label="Taint effect"
              path={`${path}.fault.params.taint.effect`}
              value={step.taintEffect ?? DEFAULTS.taintEffect}
              options={plainOptions(TAINT_EFFECTS)}
              onChange={(taintEffect) => set({ taintEffect })}
            />
          </>
        )}
        {takes(type, "direction") && (
          <SelectField
            label="Direction"
            path={`${path}.fault.params.direction`}
            value={step.direction ?? DEFAULTS.direction}
            options={plainOptions(PARTITION_DIRECTIONS)}
            hint="Which traffic is cut."
            onChange={(direction) => set({ direction })}
          />
        )}
        {takes(type, "mechanism") && (
          <SelectField<PartitionMechanism>
            label="Mechanism"
            path={`${path}.fault.params.mechanism`}
            value={step.mechanism ?? DEFAULTS.mechanism}
            options={MECHANISM_OPTIONS}
            hint="A NetworkPolicy only works where the network plugin (CNI) enforces policies; elsewhere the run fails as InjectionIneffective."
            onChange={(mechanism) => set({ mechanism })}
          />
        )}
        {takes(type, "latency") && (
          <TextField
            label="Latency"
            path={`${path}.fault.params.latency`}
            value={step.latency}
            placeholder={type === "http-latency" ? "200ms" : "100ms"}
            hint={type === "http-latency" ? "Added before each matching request is answered, 1ms–60s." : "Added to each outgoing packet, 1ms–10s."}
            onChange={(latency) => set({ latency })}
          />
        )}
        {takes(type, "jitter") && (
          <TextField
            label="Jitter"
            path={`${path}.fault.params.jitter`}
            value={step.jitter}
            placeholder="0ms"
            hint="The latency varies by up to this much either way; at most the latency."
            onChange={(jitter) => set({ jitter })}
          />
        )}
        {takes(type, "container") && (
          <TextField
            label="Container"
            path={`${path}.fault.params.container`}
            value={step.container}
            placeholder={type === "container-kill" ? "every container" : "the pod's first"}
            hint="A container's name in each target pod."
            onChange={(container) => set({ container })}
          />
        )}
        {takes(type, "signal") && (
          <SelectField<string>
            label="Signal"
            path={`${path}.fault.params.signal`}
            value={step.signal ?? DEFAULTS.signal}
            options={plainOptions([...SIGNALS, ...(step.signal && !(SIGNALS as readonly string[]).includes(step.signal) ? [step.signal] : [])])}
            hint="Sent to the container's processes; the kubelet restarts it."
            onChange={(signal) => set({ signal })}
          />
        )}
        {takes(type, "cores") && (
          <NumberField
            label="Cores"
            path={`${path}.fault.params.cores`}
            value={step.cores}
            placeholder={String(DEFAULTS.cores)}
            hint={`CPUs to load${type === "pod-cpu-stress" ? " in the container's cgroup (it counts against its limits)" : " on the node, outside any pod"}, 1–64.`}
            onChange={(cores) => set({ cores })}
          />
        )}
        {takes(type, "load") && (
          <NumberField
            label="Load (%)"
            path={`${path}.fault.params.load`}
            value={step.load}
            placeholder={String(DEFAULTS.load)}
            hint="The load on each CPU, 1–100 percent."
            onChange={(load) => set({ load })}
          />
        )}
        {takes(type, "size") && (
          <TextField
            label="Size"
            path={`${path}.fault.params.size`}
            value={step.size}
            placeholder={SIZE_OF[type]?.placeholder}
            hint={`${SIZE_OF[type]?.size ?? ""}${sizeOrPercent(type) ? " Give size or percent, not both." : ""}`}
            onChange={(size) => set({ size })}
          />
        )}
        {takes(type, "percent") && (
          <TextField
            label={SIZE_OF[type]?.percent ?? "Percent of packets"}
            path={`${path}.fault.params.percent`}
            value={step.percent}
            placeholder={sizeOrPercent(type) ? undefined : "30"}
            hint={sizeOrPercent(type) ? "Instead of size: more than 0, at most 100." : "More than 0, at most 100."}
            onChange={(percent) => set({ percent })}
          />
        )}
        {takes(type, "allowOom") && (
          <CheckField
            label="Allow passing the memory limit"
            path={`${path}.fault.params.allowOom`}
            checked={step.allowOom === true}
            hint="The container may then be OOM-killed; otherwise the allocation stops short of the limit."
            onChange={(allowOom) => set({ allowOom })}
          />
        )}
        {takes(type, "workers") && (
          <NumberField
            label="Workers"
            path={`${path}.fault.params.workers`}
            value={step.workers}
            placeholder={String(DEFAULTS.workers)}
            hint="Writers working at once, 1–16."
            onChange={(workers) => set({ workers })}
          />
        )}
        {takes(type, "path") && (
          <TextField
            label="Directory"
            path={`${path}.fault.params.path`}
            value={step.containerPath}
            placeholder={DEFAULTS.path}
            hint={`An absolute directory in the container; / is its writable layer${type === "disk-fill" ? ", a volume's mount path fills that volume" : ""}.`}
            onChange={(containerPath) => set({ containerPath })}
          />
        )}
        {takes(type, "correlation") && (
          <TextField
            label="Correlation (%)"
            path={`${path}.fault.params.correlation`}
            value={step.correlation}
            placeholder="0"
            hint="How much each packet follows the one before, 0–100."
            onChange={(correlation) => set({ correlation })}
          />
        )}
        {takes(type, "rate") && (
          <TextField
            label="Rate"
            path={`${path}.fault.params.rate`}
            value={step.rate}
            placeholder="1mbit"
            hint="Outgoing bandwidth: bit, kbit, mbit or gbit; 8kbit–100gbit."
            onChange={(rate) => set({ rate })}
          />
        )}
      </div>

      {takesDestinations(type, step.mechanism) && (
        <DestinationsFields
          path={`${path}.fault.params.destinations`}
          value={step.destinations}
          onChange={(destinations) => set({ destinations })}
        />
      )}
      {takes(type, "dns") && (
        <DnsFields type={type} path={`${path}.fault.params.dns`} value={step.dns} onChange={(dns) => set({ dns })} />
      )}
      {takes(type, "http") && (
        <HttpFields type={type} path={`${path}.fault.params.http`} value={step.http} onChange={(http) => set({ http })} />
      )}
      {nodes && type.endsWith("-stress") && (
        <p className="hint">Runs on the target nodes themselves, outside any pod; each node must opt in to chaos.</p>
      )}
      {takes(type, "destinations") && !takesDestinations(type, step.mechanism) && (
        <p className="hint">A NetworkPolicy isolates the pods from everyone: it takes no destinations.</p>
      )}

      <DependsOn step={step} path={`${path}.dependsOn`} otherSteps={otherSteps} onChange={(dependsOn) => set({ dependsOn })} />

      <fieldset className="target">
        <legend>Target</legend>
        <div className="grid-3">
          {!nodes && (
            <SelectField
              label="Target namespace"
              path={`${path}.fault.target.namespace`}
              value={step.namespace}
              options={namespaceOptions}
              hint={targetNamespaces.length === 0 ? "The project has no target namespaces yet: an administrator adds them." : undefined}
              onChange={(namespace) => set({ namespace })}
            />
          )}
          <SelectField<TargetKind | "">
            label="Target kind"
            path={`${path}.fault.target.kind`}
            value={step.kind ?? ""}
            options={kindOptions}
            onChange={(kind) => set({ kind: kind === "" ? undefined : kind })}
          />
          <TextField
            label="Target name"
            path={`${path}.fault.target.name`}
            value={step.targetName}
            hint="One object by name (optional)."
            onChange={(targetName) => set({ targetName })}
          />
          <TextField
            label="Label selector"
            path={`${path}.fault.target.selector`}
            value={step.selector}
            placeholder="app=web,tier!=cache"
            hint="kubectl syntax: k=v, k!=v, k in (a,b), k notin (a,b), k, !k."
            onChange={(selector) => set({ selector })}
          />
          <SelectField<TargetMode>
            label="Mode"
            path={`${path}.fault.target.mode`}
            value={step.mode ?? DEFAULTS.mode}
            options={MODE_OPTIONS}
            onChange={(mode) => set({ mode })}
          />
          {modeNeedsValue(step.mode) && (
            <NumberField
              label="Value"
              path={`${path}.fault.target.value`}
              value={step.value}
              hint={modeIsPercent(step.mode) ? "A percentage, 1–100." : "How many objects."}
              onChange={(value) => set({ value })}
            />
          )}
        </div>
      </fieldset>

      <div className="probes">
        <h3 id={`${fieldId(path)}-probes`}>Probes</h3>
        {step.probes.length === 0 && <p className="hint">No probes: the step passes when its fault was injected and reverted.</p>}
        {step.probes.map((probe, j) => (
          <ProbeFields
            key={probe.key}
            probe={probe}
            index={j}
            path={`${path}.probes.${j}`}
            readOnly={readOnly}
            onChange={(p) => set({ probes: step.probes.map((o, k) => (k === j ? p : o)) })}
            onRemove={() => set({ probes: step.probes.filter((_, k) => k !== j) })}
          />
        ))}
        <FieldNotes id={fieldId(`${path}.probes`)} error={probesError} />
        {!readOnly && (
          <button
            type="button"
            className="small"
            disabled={step.probes.length >= 20}
            onClick={() => set({ probes: [...step.probes, newProbe(uniqueName("probe", step.probes.map((p) => p.name.trim())))] })}
          >
            Add probe
          </button>
        )}
      </div>
    </fieldset>
  );
}
