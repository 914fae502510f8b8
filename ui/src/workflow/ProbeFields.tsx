// One probe of a step in the form: its name, type and timing, the settings of its type, how it is run.
import type { ComparatorForm, ProbeForm } from "./form";
import { CheckField, NumberField, plainOptions, SelectField, TextField, type Option } from "./fields";
import {
  COMPARATOR_TYPES,
  CRITERIA,
  DEFAULTS,
  HTTP_METHODS,
  NUMBER_CRITERIA,
  STRING_CRITERIA,
  type ComparatorType,
  type Criteria,
  type K8sOperation,
  type ProbeMode,
  type ProbeType,
} from "./types";

const PROBE_TYPE_OPTIONS: Option<ProbeType>[] = [
  { value: "http", label: "http — request a URL" },
  { value: "k8s", label: "k8s — check Kubernetes objects" },
  { value: "prom", label: "prom — a Prometheus query" },
  { value: "cmd", label: "cmd — run a command" },
];

const PROBE_MODE_OPTIONS: Option<ProbeMode>[] = [
  { value: "Continuous", label: "Continuous — throughout the step" },
  { value: "OnChaos", label: "OnChaos — while the fault is active" },
  { value: "SOT", label: "SOT — once, before the chaos" },
  { value: "EOT", label: "EOT — once, after the chaos" },
  { value: "Edge", label: "Edge — before and after the chaos" },
];

const K8S_OPERATION_OPTIONS: Option<K8sOperation>[] = [
  { value: "present", label: "present — at least one object matches" },
  { value: "absent", label: "absent — no object matches" },
  { value: "count", label: "count — exactly this many match" },
];

function ComparatorFields({ path, value, onChange }: { path: string; value: ComparatorForm; onChange(c: ComparatorForm): void }) {
  const type = value.type ?? DEFAULTS.comparatorType;
  const allowed: readonly string[] = type === "string" ? STRING_CRITERIA : NUMBER_CRITERIA;
  // keep a criteria the type does not allow visible, so its error can be read and fixed
  const criteria = CRITERIA.filter((c) => allowed.includes(c) || c === value.criteria);
  return (
    <div className="grid-3">
      <SelectField<ComparatorType>
        label="Compare as"
        path={`${path}.type`}
        value={type}
        options={plainOptions(COMPARATOR_TYPES)}
        onChange={(t) => onChange({ ...value, type: t })}
      />
      <SelectField<Criteria | "">
        label="Criteria"
        path={`${path}.criteria`}
        value={value.criteria}
        options={[...(value.criteria === "" ? [{ value: "" as const, label: "Choose…" }] : []), ...plainOptions(criteria)]}
        onChange={(c) => onChange({ ...value, criteria: c })}
      />
      <TextField label="Expected result" path={`${path}.value`} value={value.value} onChange={(v) => onChange({ ...value, value: v })} />
    </div>
  );
}

interface ProbeFieldsProps {
  probe: ProbeForm;
  /** `steps.<i>.probes.<j>` */
  path: string;
  index: number;
  onChange(probe: ProbeForm): void;
  onRemove(): void;
  readOnly: boolean;
}

export function ProbeFields({ probe, path, index, onChange, onRemove, readOnly }: ProbeFieldsProps) {
  const set = (patch: Partial<ProbeForm>) => onChange({ ...probe, ...patch });
  const setHttp = (patch: Partial<ProbeForm["http"]>) => set({ http: { ...probe.http, ...patch } });
  const setK8s = (patch: Partial<ProbeForm["k8s"]>) => set({ k8s: { ...probe.k8s, ...patch } });
  const setProm = (patch: Partial<ProbeForm["prom"]>) => set({ prom: { ...probe.prom, ...patch } });
  const setCmd = (patch: Partial<ProbeForm["cmd"]>) => set({ cmd: { ...probe.cmd, ...patch } });
  const { http, k8s, prom, cmd } = probe;
  const method = http.method ?? DEFAULTS.method;
  const title = `Probe ${index + 1}${probe.name.trim() ? `: ${probe.name.trim()}` : ""}`;
  return (
    <fieldset className="probe">
      <legend>{title}</legend>
      {!readOnly && (
        <div className="item-actions">
          <button type="button" className="small danger" onClick={onRemove} aria-label={`Remove probe ${index + 1}`}>
            Remove probe
          </button>
        </div>
      )}
      <div className="grid-3">
        <TextField label="Probe name" path={`${path}.name`} value={probe.name} onChange={(name) => set({ name })} />
        <SelectField<ProbeType>
          label="Probe type"
          path={`${path}.type`}
          value={probe.type}
          options={PROBE_TYPE_OPTIONS}
          onChange={(type) => set({ type })}
        />
        <SelectField<ProbeMode>
          label="When to check"
          path={`${path}.mode`}
          value={probe.mode ?? DEFAULTS.probeMode}
          options={PROBE_MODE_OPTIONS}
          onChange={(mode) => set({ mode })}
        />
      </div>

      {probe.type === "http" && (
        <div className="grid-3">
          <TextField
            className="span-2"
            label="URL"
            path={`${path}.http.url`}
            value={http.url}
            type="url"
            placeholder="http://checkout.shop.svc:8080/healthz"
            onChange={(url) => setHttp({ url })}
          />
          <SelectField
            label="Method"
            path={`${path}.http.method`}
            value={method}
            options={plainOptions(HTTP_METHODS)}
            onChange={(m) => setHttp({ method: m })}
          />
          <NumberField
            label="Expected status"
            path={`${path}.http.expectStatus`}
            value={http.expectStatus}
            placeholder="any 2xx"
            onChange={(expectStatus) => setHttp({ expectStatus })}
          />
          <TextField
            label="Body contains"
            path={`${path}.http.expectBodyContains`}
            value={http.expectBodyContains}
            onChange={(expectBodyContains) => setHttp({ expectBodyContains })}
          />
          {(method === "POST" || http.body !== "") && (
            <TextField label="Request body" path={`${path}.http.body`} value={http.body} rows={2} onChange={(body) => setHttp({ body })} />
          )}
        </div>
      )}

      {probe.type === "k8s" && (
        <div className="grid-3">
          <TextField
            label="API version"
            path={`${path}.k8s.apiVersion`}
            value={k8s.apiVersion}
            placeholder="v1"
            onChange={(apiVersion) => setK8s({ apiVersion })}
          />
          <TextField label="Object kind" path={`${path}.k8s.kind`} value={k8s.kind} placeholder="Pod" onChange={(kind) => setK8s({ kind })} />
          <TextField
            label="Object namespace"
            path={`${path}.k8s.namespace`}
            value={k8s.namespace}
            hint="Empty for cluster-scoped kinds."
            onChange={(namespace) => setK8s({ namespace })}
          />
          <TextField
            label="Labels to match"
            path={`${path}.k8s.labelSelector`}
            value={k8s.labelSelector}
            placeholder="app=checkout"
            onChange={(labelSelector) => setK8s({ labelSelector })}
          />
          <TextField
            label="Fields to match"
            path={`${path}.k8s.fieldSelector`}
            value={k8s.fieldSelector}
            placeholder="status.phase=Running"
            onChange={(fieldSelector) => setK8s({ fieldSelector })}
          />
          <SelectField<K8sOperation | "">
            label="Operation"
            path={`${path}.k8s.operation`}
            value={k8s.operation}
            options={[...(k8s.operation === "" ? [{ value: "" as const, label: "Choose…" }] : []), ...K8S_OPERATION_OPTIONS]}
            onChange={(operation) => setK8s({ operation })}
          />
          {k8s.operation === "count" && (
            <NumberField label="Count" path={`${path}.k8s.count`} value={k8s.count} onChange={(count) => setK8s({ count })} />
          )}
        </div>
      )}

      {probe.type === "prom" && (
        <>
          <div className="grid-2">
            <TextField
              label="Prometheus URL"
              path={`${path}.prom.endpoint`}
              value={prom.endpoint}
              type="url"
              placeholder="http://prometheus.monitoring.svc:9090"
              onChange={(endpoint) => setProm({ endpoint })}
            />
            <TextField
              label="PromQL query"
              path={`${path}.prom.query`}
              value={prom.query}
              hint="It must return one scalar or a one-element vector."
              onChange={(query) => setProm({ query })}
            />
          </div>
          <ComparatorFields path={`${path}.prom.comparator`} value={prom.comparator} onChange={(comparator) => setProm({ comparator })} />
        </>
      )}

      {probe.type === "cmd" && (
        <>
          <div className="grid-2">
            <TextField
              label="Command"
              path={`${path}.cmd.command`}
              value={cmd.command}
              rows={3}
              hint="One argument per line, e.g. sh, -c, wget -qO- http://checkout/healthz"
              onChange={(command) => setCmd({ command })}
            />
            <TextField label="Image" path={`${path}.cmd.image`} value={cmd.image} placeholder="busybox:1.36" onChange={(image) => setCmd({ image })} />
          </div>
          <ComparatorFields path={`${path}.cmd.comparator`} value={cmd.comparator} onChange={(comparator) => setCmd({ comparator })} />
        </>
      )}

      <div className="grid-3">
        <TextField
          label="Check every"
          path={`${path}.runProperties.interval`}
          value={probe.interval}
          placeholder={DEFAULTS.probeInterval}
          onChange={(interval) => set({ interval })}
        />
        <TextField
          label="Check timeout"
          path={`${path}.runProperties.timeout`}
          value={probe.timeout}
          placeholder={DEFAULTS.probeTimeout}
          onChange={(timeout) => set({ timeout })}
        />
        <NumberField
          label="Attempts"
          path={`${path}.runProperties.attempts`}
          value={probe.attempts}
          placeholder={String(DEFAULTS.attempts)}
          onChange={(attempts) => set({ attempts })}
        />
        <TextField
          label="Initial delay"
          path={`${path}.runProperties.initialDelay`}
          value={probe.initialDelay}
          placeholder="none"
          onChange={(initialDelay) => set({ initialDelay })}
        />
        <CheckField
          label="Stop the step when this probe fails"
          path={`${path}.runProperties.stopOnFailure`}
          checked={probe.stopOnFailure === true}
          onChange={(stopOnFailure) => set({ stopOnFailure })}
        />
      </div>
    </fieldset>
  );
}
