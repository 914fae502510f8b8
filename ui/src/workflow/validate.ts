// The form's checks while typing (syntax only: required fields, names, durations, whole numbers, URLs,
// label selectors) and mapping the server validator's field paths to the form's fields. Ranges, limits and
// rules across fields are the server's (the `validateWorkflow` query), so they are written once.
import type { ComparatorForm, ProbeForm, StepForm, WorkflowForm } from "./form";
import { parseSelector } from "./selector";
import { modeNeedsValue, takes, takesDestinations, targetsNodes } from "./types";

/** Errors by field path, e.g. `steps.0.fault.duration`. */
export type FieldErrors = Record<string, string>;

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DURATION = /^([0-9]+(ms|s|m|h))+$/;
const SCHEDULE_MACRO = /^@(yearly|annually|monthly|weekly|daily|hourly)$/;
const URL = /^https?:\/\/[^\s]+$/;

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

function durationError(text: string): string | null {
  const t = text.trim();
  if (t === "") return null;
  return parseDuration(t) === null ? `"${t}" is not a duration such as 30s, 5m, 1h or 1m30s` : null;
}

/** Why `text` is not a whole number, or null; empty is fine (the field is left out). */
function wholeNumberError(text: string): string | null {
  const t = text.trim();
  return t === "" || /^-?[0-9]+$/.test(t) ? null : "a whole number";
}

/** Why `text` is not a number (such as 30 or 12.5), or null; empty is fine (the field is left out). */
function numberError(text: string): string | null {
  const t = text.trim();
  return t === "" || Number.isFinite(Number(t)) ? null : "a number";
}

/** The server's syntax of a bandwidth (its range, 8kbit to 100gbit, is the server's to judge). */
const RATE = /^[0-9]{1,12}(bit|kbit|mbit|gbit)$/;

function urlError(text: string): string | null {
  const t = text.trim();
  if (t === "") return "required";
  return URL.test(t) ? null : "an http:// or https:// URL";
}

const required = (text: string, message = "required"): string | null => (text.trim() === "" ? message : null);

/** Why `text` is not a schedule, or null: five cron fields or a macro (the fields' values are the server's to judge). */
export function scheduleError(text: string): string | null {
  const t = text.trim();
  if (t === "") return null;
  if (t.startsWith("@")) {
    return SCHEDULE_MACRO.test(t) ? null : "a macro is one of @yearly, @annually, @monthly, @weekly, @daily, @hourly";
  }
  const fields = t.split(/\s+/);
  return fields.length === 5 ? null : `five fields (minute hour day-of-month month day-of-week), not ${fields.length}`;
}

function comparatorErrors(c: ComparatorForm, at: string, errors: FieldErrors) {
  if (c.criteria === "") errors[`${at}.criteria`] = "required";
}

function probeErrors(p: ProbeForm, at: string, errors: FieldErrors) {
  const set = (field: string, message: string | null) => {
    if (message) errors[`${at}.${field}`] = message;
  };
  set("name", dnsLabelError(p.name.trim()));
  switch (p.type) {
    case "http":
      set("http.url", urlError(p.http.url));
      set("http.expectStatus", wholeNumberError(p.http.expectStatus));
      break;
    case "k8s":
      set("k8s.apiVersion", required(p.k8s.apiVersion, "required, e.g. v1 or apps/v1"));
      set("k8s.kind", required(p.k8s.kind, "required, e.g. Pod"));
      if (p.k8s.namespace.trim() !== "") set("k8s.namespace", dnsLabelError(p.k8s.namespace.trim()));
      set("k8s.operation", p.k8s.operation === "" ? "required" : null);
      if (p.k8s.operation === "count") set("k8s.count", wholeNumberError(p.k8s.count));
      break;
    case "prom":
      set("prom.endpoint", urlError(p.prom.endpoint));
      set("prom.query", required(p.prom.query));
      comparatorErrors(p.prom.comparator, `${at}.prom.comparator`, errors);
      break;
    case "cmd":
      set("cmd.command", required(p.cmd.command, "name the program to run, e.g. sh (one argument per line)"));
      set("cmd.image", required(p.cmd.image));
      comparatorErrors(p.cmd.comparator, `${at}.cmd.comparator`, errors);
      break;
  }
  set("runProperties.interval", durationError(p.interval));
  set("runProperties.timeout", durationError(p.timeout));
  set("runProperties.attempts", wholeNumberError(p.attempts));
  set("runProperties.initialDelay", durationError(p.initialDelay));
}

/** The network faults' parameters: required ones (with the server's words) and syntax. */
function networkErrors(s: StepForm, at: string, errors: FieldErrors) {
  const type = s.faultType;
  const set = (field: string, message: string | null) => {
    if (message) errors[`${at}.fault.params.${field}`] = message;
  };
  if (takes(type, "latency")) set("latency", required(s.latency, `required for ${type}: a duration such as 100ms`) ?? durationError(s.latency));
  if (takes(type, "jitter")) set("jitter", durationError(s.jitter));
  if (takes(type, "correlation")) set("correlation", numberError(s.correlation));
  if (takes(type, "percent")) {
    set("percent", required(s.percent, `required for ${type}: a percentage above 0, at most 100`) ?? numberError(s.percent));
  }
  if (takes(type, "rate")) {
    const rate = s.rate.trim();
    set(
      "rate",
      rate === ""
        ? `required for ${type}: a bandwidth such as 1mbit or 500kbit`
        : RATE.test(rate)
          ? null
          : `${JSON.stringify(rate)} is not a bandwidth such as 1mbit, 500kbit or 2gbit`,
    );
  }
  if (!takesDestinations(type, s.mechanism)) return;
  const d = s.destinations;
  const badPort = d.ports.split(/[\s,]+/).find((p) => p !== "" && !/^[0-9]+$/.test(p));
  set("destinations.ports", badPort === undefined ? null : `${JSON.stringify(badPort)} is not a port number`);
  if (d.podsNamespace.trim() !== "") set("destinations.pods.namespace", dnsLabelError(d.podsNamespace.trim()));
  set(
    "destinations.pods.selector",
    parseSelector(d.podsSelector).error ??
      (d.podsNamespace.trim() !== "" && d.podsSelector.trim() === "" ? "required with a namespace: the peer pods' labels, e.g. app=db" : null),
  );
}

function stepErrors(s: StepForm, i: number, errors: FieldErrors) {
  const at = `steps.${i}`;
  const set = (field: string, message: string | null) => {
    if (message) errors[`${at}.${field}`] = message;
  };
  set("name", dnsLabelError(s.name.trim()));
  set("weight", wholeNumberError(s.weight));
  set("fault.duration", durationError(s.duration));
  // only the fields the step's fault type shows (and sends) are checked
  if (s.faultType === "pod-delete") set("fault.interval", durationError(s.interval));
  if (s.faultType === "pod-delete" || s.faultType === "node-drain") {
    set("fault.params.gracePeriodSeconds", wholeNumberError(s.gracePeriodSeconds));
  }
  if (s.faultType === "pod-autoscaler") set("fault.params.replicas", wholeNumberError(s.replicas));
  networkErrors(s, at, errors);
  if (!targetsNodes(s.faultType)) set("fault.target.namespace", dnsLabelError(s.namespace.trim()));
  set("fault.target.selector", parseSelector(s.selector).error ?? null);
  if (modeNeedsValue(s.mode)) set("fault.target.value", wholeNumberError(s.value));
  s.probes.forEach((p, j) => probeErrors(p, `${at}.probes.${j}`, errors));
}

/**
 * What is wrong with the form that can be told while typing, by field path; the server's validator judges
 * the rest (`validateWorkflow`).
 */
export function validateForm(form: WorkflowForm): FieldErrors {
  const errors: FieldErrors = {};
  const set = (field: string, message: string | null) => {
    if (message) errors[field] = message;
  };
  set("name", dnsLabelError(form.name.trim()));
  set("schedule", scheduleError(form.schedule));
  set("startingDeadlineSeconds", wholeNumberError(form.startingDeadlineSeconds));
  set("runHistoryLimit", wholeNumberError(form.runHistoryLimit));
  set("maxDuration", durationError(form.maxDuration));
  if (form.steps.length === 0) set("steps", "a workflow needs at least one step");
  form.steps.forEach((s, i) => stepErrors(s, i, errors));
  return errors;
}

/**
 * The paths of the fields the form shows now (for mapping server messages to a field). `steps` and a step's
 * `steps.<i>.probes` are lists that show an error of their own.
 */
export function fieldPaths(form: WorkflowForm): string[] {
  const paths = ["name", "description", "schedule", "timeZone", "concurrencyPolicy", "startingDeadlineSeconds", "runHistoryLimit"];
  paths.push("maxDuration", "steps");
  if (form.schedule.trim() !== "") paths.push("suspend");
  form.steps.forEach((s, i) => {
    const at = `steps.${i}`;
    paths.push(`${at}.name`, `${at}.dependsOn`, `${at}.weight`, `${at}.fault.type`, `${at}.fault.duration`, `${at}.probes`);
    if (s.faultType === "pod-delete") paths.push(`${at}.fault.interval`, `${at}.fault.params.force`);
    if (s.faultType === "pod-delete" || s.faultType === "node-drain") paths.push(`${at}.fault.params.gracePeriodSeconds`);
    if (s.faultType === "pod-autoscaler") paths.push(`${at}.fault.params.replicas`);
    if (s.faultType === "node-taint") {
      paths.push(`${at}.fault.params.taint.key`, `${at}.fault.params.taint.value`, `${at}.fault.params.taint.effect`);
    }
    for (const param of ["direction", "mechanism", "latency", "jitter", "correlation", "percent", "rate"] as const) {
      if (takes(s.faultType, param)) paths.push(`${at}.fault.params.${param}`);
    }
    if (takesDestinations(s.faultType, s.mechanism)) {
      for (const f of ["cidrs", "hosts", "pods.namespace", "pods.selector", "ports", "protocol"]) paths.push(`${at}.fault.params.destinations.${f}`);
    }
    if (!targetsNodes(s.faultType)) paths.push(`${at}.fault.target.namespace`);
    paths.push(`${at}.fault.target.kind`, `${at}.fault.target.name`, `${at}.fault.target.selector`, `${at}.fault.target.mode`);
    if (modeNeedsValue(s.mode)) paths.push(`${at}.fault.target.value`);
    s.probes.forEach((p, j) => {
      const pat = `${at}.probes.${j}`;
      paths.push(`${pat}.name`, `${pat}.type`, `${pat}.mode`);
      const method = p.http.method ?? "GET";
      const typed: Record<string, string[]> = {
        http: [
          "http.url",
          "http.method",
          "http.expectStatus",
          "http.expectBodyContains",
          ...(method === "POST" || p.http.body !== "" ? ["http.body"] : []),
        ],
        k8s: [
          "k8s.apiVersion",
          "k8s.kind",
          "k8s.namespace",
          "k8s.labelSelector",
          "k8s.fieldSelector",
          "k8s.operation",
          ...(p.k8s.operation === "count" ? ["k8s.count"] : []),
        ],
        prom: ["prom.endpoint", "prom.query", "prom.comparator.type", "prom.comparator.criteria", "prom.comparator.value"],
        cmd: ["cmd.command", "cmd.image", "cmd.comparator.type", "cmd.comparator.criteria", "cmd.comparator.value"],
      };
      for (const f of typed[p.type]) paths.push(`${pat}.${f}`);
      for (const f of ["interval", "timeout", "attempts", "initialDelay", "stopOnFailure"]) paths.push(`${pat}.runProperties.${f}`);
    });
  });
  return paths;
}

/** Lists whose error is shown above or below their items. */
const LISTS = /^steps(\.\d+\.probes)?$/;

/** A whole block named in a message, and the field of it that stands for the block. */
const BLOCK_FIELDS: [RegExp, string][] = [
  [/^steps\.\d+\.fault\.target$/, ".selector"],
  [/^steps\.\d+\.fault\.params\.taint$/, ".key"],
  [/^steps\.\d+\.fault\.params\.destinations$/, ".cidrs"],
  [/^steps\.\d+\.fault\.params\.destinations\.pods$/, ".selector"],
  [/^steps\.\d+\.fault$/, ".type"],
  [/^steps\.\d+\.probes\.\d+\.http$/, ".url"],
  [/^steps\.\d+\.probes\.\d+\.k8s$/, ".apiVersion"],
  [/^steps\.\d+\.probes\.\d+\.prom$/, ".endpoint"],
  [/^steps\.\d+\.probes\.\d+\.cmd$/, ".command"],
  [/^steps\.\d+\.probes\.\d+\.(prom|cmd)\.comparator$/, ".criteria"],
  [/^steps\.\d+\.probes\.\d+\.runProperties$/, ".interval"],
];

/**
 * The form field a server message (or a validator's field path) is about, if the form shows it:
 * `spec.steps[0].fault.duration: …`, or with a step's (or probe's) name in the brackets,
 * `spec.steps[kill-pods].probes[web-up].http.url: …`; `metadata.name` is the workflow's name.
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
  // the field itself, or the nearest field it is part of (a selector's matchLabels: the selector); a list
  // or a block stands for messages about it as a whole only, so a hidden field's message is not misplaced
  for (let n = segments.length; n > 0; n--) {
    const path = segments.slice(0, n).join(".");
    const whole = n === segments.length;
    if (known.has(path) && (whole || !LISTS.test(path))) return path;
    const block = whole ? BLOCK_FIELDS.find(([re]) => re.test(path)) : undefined;
    if (block && known.has(path + block[1])) return path + block[1];
  }
  return null;
}
