// Client-side validation of the workflow form (the CRD's and operator's rules) and mapping messages to fields.
import type { ComparatorForm, ProbeForm, StepForm, WorkflowForm } from "./form";
import { parseSelector } from "./selector";
import { kindsFor, modeIsPercent, modeNeedsValue, NUMBER_CRITERIA, STRING_CRITERIA, targetsNodes } from "./types";

/** Errors by field path, e.g. `steps.0.fault.duration`. */
export type FieldErrors = Record<string, string>;

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DURATION = /^([0-9]+(ms|s|m|h))+$/;
const SCHEDULE_MACRO = /^@(yearly|annually|monthly|weekly|daily|hourly)$/;
const TIME_ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;
const URL = /^https?:\/\/[^\s]+$/;
const TAINT_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Milliseconds of a duration such as `1m30s`, or null when it is not one. */
export function parseDuration(text: string): number | null {
  if (!DURATION.test(text)) return null;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/([0-9]+)(ms|s|m|h)/g)) {
    total += Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as "ms" | "s" | "m" | "h"];
  }
  return total;
}

/** Why `name` is not a DNS label, or null. */
export function dnsLabelError(name: string): string | null {
  if (name === "") return "required";
  if (name.length > 63) return "at most 63 characters";
  if (!DNS_LABEL.test(name)) return "lowercase letters, digits and '-', starting and ending with a letter or digit";
  return null;
}

function durationError(text: string, required = false): string | null {
  const t = text.trim();
  if (t === "") return required ? "required" : null;
  return parseDuration(t) === null ? `"${t}" is not a duration such as 30s, 5m, 1h or 1m30s` : null;
}

/** Why `text` is not a whole number in [min, max], or null; empty is fine unless required. */
function intError(text: string, min: number, max: number | null, required = false): string | null {
  const t = text.trim();
  if (t === "") return required ? "required" : null;
  if (!/^-?[0-9]+$/.test(t)) return "a whole number";
  const n = Number(t);
  if (n < min || (max !== null && n > max)) return max === null ? `at least ${min}` : `from ${min} to ${max}`;
  return null;
}

const CRON_FIELDS: { name: string; min: number; max: number; names?: string[] }[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
  { name: "day of week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

/** Why `text` is not a schedule (five cron fields or a macro), or null. */
export function scheduleError(text: string): string | null {
  const t = text.trim();
  if (t === "") return null;
  if (t.startsWith("@")) {
    return SCHEDULE_MACRO.test(t) ? null : "a macro is one of @yearly, @annually, @monthly, @weekly, @daily, @hourly";
  }
  const fields = t.split(/\s+/);
  if (fields.length !== 5) {
    return `five fields (minute hour day-of-month month day-of-week), not ${fields.length}`;
  }
  for (let i = 0; i < 5; i++) {
    const spec = CRON_FIELDS[i];
    for (const part of fields[i].split(",")) {
      // L, W and # (last, weekday, nth) are left to the server to judge
      if (/[LW#]/.test(part) && i >= 2) continue;
      const m = part.match(/^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/([0-9]+))?$/);
      if (!m) return `${spec.name}: "${part}" is not a value, a range a-b, * or a step such as */5`;
      if (m[4] !== undefined && Number(m[4]) === 0) return `${spec.name}: a step of 0`;
      if (m[1] === "*" || m[1] === "?") continue;
      for (const v of m[1].split("-")) {
        const n = /^[0-9]+$/.test(v) ? Number(v) : spec.names ? spec.names.indexOf(v.toLowerCase()) + (i === 3 ? 1 : 0) : NaN;
        if (Number.isNaN(n) || n < spec.min || n > spec.max) {
          return `${spec.name}: "${v}" is outside ${spec.min}–${spec.max}`;
        }
      }
    }
  }
  return null;
}

/** The steps that take part in a dependsOn cycle, with the cycle in words; empty when there is none. */
export function findCycle(steps: { name: string; dependsOn: string[] }[]): string[] {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const colour = new Map<string, 1 | 2>();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    const c = colour.get(name);
    if (c === 2) return null;
    if (c === 1) return [...path.slice(path.indexOf(name)), name];
    colour.set(name, 1);
    path.push(name);
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      if (!byName.has(dep) || dep === name) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    colour.set(name, 2);
    return null;
  };
  for (const s of steps) {
    const cycle = visit(s.name);
    if (cycle) return cycle;
  }
  return [];
}

function comparatorErrors(c: ComparatorForm, at: string, errors: FieldErrors) {
  const type = c.type ?? "float";
  if (c.criteria === "") {
    errors[`${at}.criteria`] = "required";
  } else if (type === "string" && !(STRING_CRITERIA as readonly string[]).includes(c.criteria)) {
    errors[`${at}.criteria`] = `${c.criteria} compares numbers: use type int or float`;
  } else if (type !== "string" && !(NUMBER_CRITERIA as readonly string[]).includes(c.criteria)) {
    errors[`${at}.criteria`] = `${c.criteria} compares strings: use type string`;
  }
  const v = c.value.trim();
  if (type === "int" && !(/^[+-]?[0-9]+$/.test(v) || (v !== "" && Number.isInteger(Number(v))))) {
    errors[`${at}.value`] = "a whole number";
  } else if (type === "float" && (v === "" || Number.isNaN(Number(v))) && !/^[+-]?(inf|infinity|nan)$/i.test(v)) {
    errors[`${at}.value`] = "a number";
  }
}

function probeErrors(p: ProbeForm, at: string, errors: FieldErrors) {
  const set = (field: string, message: string | null) => {
    if (message) errors[`${at}.${field}`] = message;
  };
  set("name", dnsLabelError(p.name.trim()));
  switch (p.type) {
    case "http": {
      const url = p.http.url.trim();
      set("http.url", url === "" ? "required" : !URL.test(url) ? "an http:// or https:// URL" : url.length > 2048 ? "at most 2048 characters" : null);
      set("http.expectStatus", intError(p.http.expectStatus, 100, 599));
      break;
    }
    case "k8s":
      set("k8s.apiVersion", p.k8s.apiVersion.trim() === "" ? "required, e.g. v1 or apps/v1" : null);
      set("k8s.kind", p.k8s.kind.trim() === "" ? "required, e.g. Pod" : null);
      if (p.k8s.namespace.trim() !== "") set("k8s.namespace", dnsLabelError(p.k8s.namespace.trim()));
      set("k8s.operation", p.k8s.operation === "" ? "required" : null);
      if (p.k8s.operation === "count") set("k8s.count", intError(p.k8s.count, 0, null, true));
      break;
    case "prom": {
      const endpoint = p.prom.endpoint.trim();
      set("prom.endpoint", endpoint === "" ? "required" : !URL.test(endpoint) ? "an http:// or https:// URL" : null);
      set("prom.query", p.prom.query.trim() === "" ? "required" : null);
      comparatorErrors(p.prom.comparator, `${at}.prom.comparator`, errors);
      break;
    }
    case "cmd": {
      const first = p.cmd.command.split("\n").find((l) => l.trim() !== "");
      set("cmd.command", first === undefined ? "name the program to run, e.g. sh (one argument per line)" : null);
      set("cmd.image", p.cmd.image.trim() === "" ? "required" : null);
      comparatorErrors(p.cmd.comparator, `${at}.cmd.comparator`, errors);
      break;
    }
  }
  set("runProperties.interval", durationError(p.interval));
  const timeout = durationError(p.timeout);
  set("runProperties.timeout", timeout ?? (p.timeout.trim() !== "" && parseDuration(p.timeout.trim()) === 0 ? "more than zero" : null));
  set("runProperties.attempts", intError(p.attempts, 1, 100));
  set("runProperties.initialDelay", durationError(p.initialDelay));
}

function stepErrors(s: StepForm, i: number, form: WorkflowForm, errors: FieldErrors) {
  const at = `steps.${i}`;
  const set = (field: string, message: string | null) => {
    if (message) errors[`${at}.${field}`] = message;
  };
  const name = s.name.trim();
  set("name", dnsLabelError(name) ?? (form.steps.some((o, j) => j < i && o.name.trim() === name) ? `another step is named "${name}"` : null));
  const names = form.steps.map((o) => o.name.trim());
  const self = s.dependsOn.includes(name) && name !== "";
  const unknown = s.dependsOn.filter((d) => !names.includes(d));
  const unknownNames = unknown.map((u) => `"${u}"`).join(", ");
  set("dependsOn", self ? "a step cannot depend on itself" : unknown.length > 0 ? `no step is named ${unknownNames}` : null);
  set("weight", intError(s.weight, 0, 1000));
  set("fault.duration", durationError(s.duration));
  if (s.faultType === "pod-delete") {
    const interval = durationError(s.interval);
    set("fault.interval", interval ?? (s.interval.trim() !== "" && parseDuration(s.interval.trim()) === 0 ? "more than zero" : null));
  }
  if (s.faultType === "pod-delete" || s.faultType === "node-drain") {
    set("fault.params.gracePeriodSeconds", intError(s.gracePeriodSeconds, 0, 3600));
  }
  if (s.faultType === "pod-autoscaler") set("fault.params.replicas", intError(s.replicas, 0, 10000, true));
  if (s.faultType === "node-taint") {
    const key = s.taintKey.trim();
    const keyOk = key.length <= 316 && TAINT_KEY.test(key);
    set("fault.params.taint.key", key === "" ? "required for node-taint" : keyOk ? null : "a key such as chaoscenter.io/chaos");
    set("fault.params.taint.value", s.taintValue.trim().length > 63 ? "at most 63 characters" : null);
  }

  if (!targetsNodes(s.faultType)) set("fault.target.namespace", dnsLabelError(s.namespace.trim()));
  if (s.kind && !kindsFor(s.faultType).includes(s.kind)) {
    set("fault.target.kind", `${s.faultType} hits ${kindsFor(s.faultType).join(" or ")}`);
  } else if (s.faultType === "pod-autoscaler" && !s.kind) {
    set("fault.target.kind", "pod-autoscaler needs Deployment or StatefulSet");
  }
  const targetName = s.targetName.trim();
  set("fault.target.name", targetName.length > 253 ? "at most 253 characters" : null);
  const parsed = parseSelector(s.selector);
  if (parsed.error) set("fault.target.selector", parsed.error);
  else if (!parsed.selector && targetName === "") set("fault.target.selector", "give a label selector or a target name");
  if (modeNeedsValue(s.mode)) {
    const percent = modeIsPercent(s.mode);
    const err = intError(s.value, 1, percent ? 100 : null, true);
    set(
      "fault.target.value",
      err === "required" ? `required for mode ${s.mode}` : err && (percent ? "a percentage from 1 to 100" : "a whole number, at least 1"),
    );
  }

  if (s.probes.length > 20) set("probes", "at most 20 probes");
  s.probes.forEach((p, j) => {
    probeErrors(p, `${at}.probes.${j}`, errors);
    const pname = p.name.trim();
    if (pname !== "" && !errors[`${at}.probes.${j}.name`] && s.probes.some((o, k) => k < j && o.name.trim() === pname)) {
      errors[`${at}.probes.${j}.name`] = `another probe of this step is named "${pname}"`;
    }
  });
}

/** Every error in the form, by field path; empty when it may be saved. */
export function validateForm(form: WorkflowForm): FieldErrors {
  const errors: FieldErrors = {};
  const set = (field: string, message: string | null) => {
    if (message) errors[field] = message;
  };
  set("name", dnsLabelError(form.name.trim()));
  set("description", form.description.trim().length > 1024 ? "at most 1024 characters" : null);
  set("schedule", scheduleError(form.schedule));
  const tz = form.timeZone.trim();
  set("timeZone", tz !== "" && (tz.length > 64 || !TIME_ZONE.test(tz)) ? "an IANA time zone such as Europe/Berlin" : null);
  set("startingDeadlineSeconds", intError(form.startingDeadlineSeconds, 1, null));
  set("runHistoryLimit", intError(form.runHistoryLimit, 0, 1000));
  set("maxDuration", durationError(form.maxDuration));
  if (form.steps.length === 0) set("steps", "a workflow needs at least one step");
  if (form.steps.length > 100) set("steps", "at most 100 steps");
  form.steps.forEach((s, i) => stepErrors(s, i, form, errors));
  const cycle = findCycle(form.steps.map((s) => ({ name: s.name.trim(), dependsOn: s.dependsOn })));
  if (cycle.length > 0) {
    const message = `dependsOn forms a cycle: ${cycle.join(" → ")}`;
    form.steps.forEach((s, i) => {
      if (cycle.includes(s.name.trim()) && !errors[`steps.${i}.dependsOn`]) errors[`steps.${i}.dependsOn`] = message;
    });
  }
  return errors;
}

/** The paths of the fields the form shows now (for mapping server messages to a field). */
export function fieldPaths(form: WorkflowForm): string[] {
  const paths = ["name", "description", "schedule", "timeZone", "concurrencyPolicy", "startingDeadlineSeconds", "runHistoryLimit", "maxDuration"];
  form.steps.forEach((s, i) => {
    const at = `steps.${i}`;
    paths.push(`${at}.name`, `${at}.dependsOn`, `${at}.weight`, `${at}.fault.type`, `${at}.fault.duration`);
    if (s.faultType === "pod-delete") paths.push(`${at}.fault.interval`, `${at}.fault.params.force`);
    if (s.faultType === "pod-delete" || s.faultType === "node-drain") paths.push(`${at}.fault.params.gracePeriodSeconds`);
    if (s.faultType === "pod-autoscaler") paths.push(`${at}.fault.params.replicas`);
    if (s.faultType === "node-taint") {
      paths.push(`${at}.fault.params.taint.key`, `${at}.fault.params.taint.value`, `${at}.fault.params.taint.effect`);
    }
    if (s.faultType === "network-partition") paths.push(`${at}.fault.params.direction`);
    if (!targetsNodes(s.faultType)) paths.push(`${at}.fault.target.namespace`);
    paths.push(`${at}.fault.target.kind`, `${at}.fault.target.name`, `${at}.fault.target.selector`, `${at}.fault.target.mode`);
    if (modeNeedsValue(s.mode)) paths.push(`${at}.fault.target.value`);
    s.probes.forEach((p, j) => {
      const pat = `${at}.probes.${j}`;
      paths.push(`${pat}.name`, `${pat}.type`, `${pat}.mode`);
      const typed: Record<string, string[]> = {
        http: ["http.url", "http.method", "http.body", "http.expectStatus", "http.expectBodyContains"],
        k8s: ["k8s.apiVersion", "k8s.kind", "k8s.namespace", "k8s.labelSelector", "k8s.fieldSelector", "k8s.operation", "k8s.count"],
        prom: ["prom.endpoint", "prom.query", "prom.comparator.type", "prom.comparator.criteria", "prom.comparator.value"],
        cmd: ["cmd.command", "cmd.image", "cmd.comparator.type", "cmd.comparator.criteria", "cmd.comparator.value"],
      };
      for (const f of typed[p.type]) paths.push(`${pat}.${f}`);
      for (const f of ["interval", "timeout", "attempts", "initialDelay", "stopOnFailure"]) paths.push(`${pat}.runProperties.${f}`);
    });
  });
  return paths;
}

/** A whole block named in a message, and the field of it that stands for the block. */
const BLOCK_FIELDS: [RegExp, string][] = [
  [/^steps\.\d+\.fault\.target$/, ".selector"],
  [/^steps\.\d+\.fault\.params\.taint$/, ".key"],
  [/^steps\.\d+\.fault$/, ".type"],
  [/^steps\.\d+\.probes\.\d+\.http$/, ".url"],
  [/^steps\.\d+\.probes\.\d+\.k8s$/, ".apiVersion"],
  [/^steps\.\d+\.probes\.\d+\.prom$/, ".endpoint"],
  [/^steps\.\d+\.probes\.\d+\.cmd$/, ".command"],
  [/^steps\.\d+\.probes\.\d+\.(prom|cmd)\.comparator$/, ".criteria"],
  [/^steps\.\d+\.probes\.\d+\.runProperties$/, ".interval"],
];

/**
 * The form field a server message is about, if it names one: `spec.steps[0].fault.duration: …`, or with a
 * step's (or probe's) name in the brackets, `spec.steps[kill-pods].probes[web-up].http.url: …`;
 * `metadata.name` is the workflow's name.
 */
export function fieldOfMessage(message: string, form: WorkflowForm): string | null {
  if (/\bmetadata\.name\b/.test(message)) return "name";
  const m = message.match(/\bspec\.([A-Za-z0-9_.[\]-]+)/);
  if (!m) return null;
  const segments: string[] = [];
  let step: StepForm | undefined;
  for (const token of m[1].split(".")) {
    if (token === "") break;
    const indexed = token.match(/^([A-Za-z]+)\[([^\]]*)\]$/);
    if (!indexed) {
      segments.push(token);
      continue;
    }
    const [, field, key] = indexed;
    let index: number;
    if (field === "steps") {
      index = /^\d+$/.test(key) ? Number(key) : form.steps.findIndex((s) => s.name.trim() === key);
      step = form.steps[index];
    } else if (field === "probes" && step) {
      index = /^\d+$/.test(key) ? Number(key) : step.probes.findIndex((p) => p.name.trim() === key);
    } else {
      segments.push(field); // e.g. dependsOn[0]: the list as a whole
      continue;
    }
    if (index < 0) return null;
    segments.push(field, String(index));
  }
  const known = new Set(fieldPaths(form));
  for (let n = segments.length; n > 0; n--) {
    const path = segments.slice(0, n).join(".");
    if (known.has(path)) return path;
    const block = BLOCK_FIELDS.find(([re]) => re.test(path));
    if (block && known.has(path + block[1])) return path + block[1];
  }
  return null;
}
