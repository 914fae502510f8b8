// The form's checks while typing (syntax only: required fields, names, durations, whole numbers, URLs,
// label selectors, sizes, addresses, paths, header lines) and mapping the server validator's field paths to
// the form's fields. Ranges, limits and rules across fields are the server's (the `validateWorkflow` query,
// core/src/limits.rs and agent_fault.rs), so they are written once.
import { parseLines, type ComparatorForm, type ProbeForm, type StepForm, type WorkflowForm } from "./form";
import { parseSelector } from "./selector";
import { modeNeedsValue, SIGNALS, sizeOrPercent, takes, takesDestinations, takesHttp, targetsNodes } from "./types";

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

/** Why `text` is not a size (a quantity such as `64Mi`, `1Gi`, `500M` or `1048576` bytes), or null; empty is
 *  fine. Its range is the server's to judge. */
function sizeError(text: string): string | null {
  const t = text.trim();
  if (t === "") return null;
  return /^[0-9]+(Ki|Mi|Gi|k|M|G)?$/.test(t) ? null : `${JSON.stringify(t)} is not a size such as 64Mi or 1Gi`;
}

/** Why `text` is not a directory path (starting with '/'), or null; empty is fine (`/`). What else a path may
 *  not be is the server's to judge. */
function containerPathError(text: string): string | null {
  return text === "" || text.startsWith("/") ? null : `${JSON.stringify(text)} is not an absolute path (starting with '/')`;
}

/** Why `text` is not a DNS name or a `*.` wildcard (letters, digits, '-', '_' and '.'), or null. */
function dnsPatternError(text: string): string | null {
  let name = text.startsWith("*.") ? text.slice(2) : text;
  if (name.endsWith(".")) name = name.slice(0, -1);
  const ok = name !== "" && name.split(".").every((l) => /^[A-Za-z0-9_-]+$/.test(l));
  return ok ? null : `${JSON.stringify(text)} is not a DNS name or a wildcard such as *.example.com`;
}

const OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

/**
 * What is wrong with a map written one `key<sep>value` a line (`form`, e.g. `name=address`, says how), or
 * null: the first line without `sep`, the first `check` failing, a key given twice.
 */
function linesError(text: string, sep: string, form: string, check: (key: string, value: string) => string | null): string | null {
  const seen = new Set<string>();
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (line === "") continue;
    if (!line.includes(sep)) return `${JSON.stringify(line)} is not ${form}`;
    const [[key, value]] = parseLines(line, sep);
    const wrong = check(key, value) ?? (seen.has(key) ? `${JSON.stringify(key)} is given twice` : null);
    if (wrong) return wrong;
    seen.add(key);
  }
  return null;
}

/** The characters of an HTTP header name (a token). */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

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
  if (takes(type, "latency")) {
    const example = type === "http-latency" ? "200ms" : "100ms";
    set("latency", required(s.latency, `required for ${type}: a duration such as ${example}`) ?? durationError(s.latency));
  }
  if (takes(type, "jitter")) set("jitter", durationError(s.jitter));
  if (takes(type, "correlation")) set("correlation", numberError(s.correlation));
  if (takes(type, "percent") && !sizeOrPercent(type)) {
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

/** The parameters of the node agent's faults in pods and on nodes (container-kill, stress, disk-fill, DNS,
 *  HTTP): required ones (with the server's words) and syntax. Their ranges and limits, and which of size and
 *  percent or of an HTTP body and headers are needed, are the server's to judge. */
function agentErrors(s: StepForm, at: string, errors: FieldErrors) {
  const type = s.faultType;
  const set = (field: string, message: string | null) => {
    if (message) errors[`${at}.fault.params.${field}`] = message;
  };
  const container = s.container.trim();
  if (takes(type, "container") && container !== "") set("container", dnsLabelError(container));
  if (takes(type, "signal") && s.signal !== undefined && !(SIGNALS as readonly string[]).includes(s.signal)) {
    set("signal", `${JSON.stringify(s.signal)} is not one of ${SIGNALS.join(", ")}`);
  }
  for (const field of ["cores", "load", "workers"] as const) if (takes(type, field)) set(field, wholeNumberError(s[field]));
  if (takes(type, "path")) set("path", containerPathError(s.containerPath.trim()));
  if (takes(type, "size")) set("size", sizeError(s.size));
  if (takes(type, "percent") && sizeOrPercent(type)) set("percent", numberError(s.percent));

  if (takes(type, "dns")) {
    if (type === "dns-error") {
      const names = s.dns.names.split(/[\s,]+/).filter((n) => n !== "");
      set(
        "dns.names",
        names.length === 0 ? `required for ${type}: the names it applies to` : (names.map(dnsPatternError).find((e) => e !== null) ?? null),
      );
    } else {
      set(
        "dns.answers",
        parseLines(s.dns.answers, "=").length === 0
          ? `required for ${type}: the names it applies to`
          : linesError(s.dns.answers, "=", "name=address", (name, address) =>
              dnsPatternError(name) ?? (IPV4.test(address) ? null : `${JSON.stringify(address)} is not an IPv4 address`),
            ),
      );
    }
  }

  if (takes(type, "http")) {
    const h = s.http;
    set("http.port", required(h.port, `required for ${type}: at least the port`) ?? wholeNumberError(h.port));
    const method = h.method.trim();
    if (method !== "" && !/^[A-Z]+$/.test(method)) set("http.method", `${JSON.stringify(method)} is not a method such as GET (upper case)`);
    const path = h.path.trim();
    if (path !== "" && (!path.startsWith("/") || /\s/.test(path))) {
      set("http.path", `${JSON.stringify(path)} is not a path starting with '/' (no spaces)`);
    }
    if (takesHttp(type, "status")) {
      set("http.status", required(h.status, `required for ${type}: a status code such as 503`) ?? wholeNumberError(h.status));
    }
    if (takesHttp(type, "headers")) {
      set(
        "http.headers",
        linesError(h.headers, ":", "Name: value", (name) => (HEADER_NAME.test(name) ? null : `${JSON.stringify(name)} is not a header name`)),
      );
    }
  }
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
  agentErrors(s, at, errors);
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
    const simple = ["direction", "mechanism", "latency", "jitter", "correlation", "percent", "rate"] as const;
    const agent = ["container", "signal", "cores", "load", "size", "allowOom", "workers", "path"] as const;
    for (const param of [...simple, ...agent]) {
      if (takes(s.faultType, param)) paths.push(`${at}.fault.params.${param}`);
    }
    if (s.faultType === "dns-error") paths.push(`${at}.fault.params.dns.names`, `${at}.fault.params.dns.error`);
    if (s.faultType === "dns-spoof") paths.push(`${at}.fault.params.dns.answers`);
    if (takes(s.faultType, "http")) {
      for (const f of ["port", "direction", "method", "path"]) paths.push(`${at}.fault.params.http.${f}`);
      for (const f of ["status", "body", "headers"] as const) if (takesHttp(s.faultType, f)) paths.push(`${at}.fault.params.http.${f}`);
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

/** A whole block named in a message, and the field of it that stands for the block (the first the form shows;
 *  with a third element, only for messages that match it). */
const BLOCK_FIELDS: [RegExp, string, RegExp?][] = [
  [/^steps\.\d+\.fault\.target$/, ".selector"],
  [/^steps\.\d+\.fault\.params\.taint$/, ".key"],
  [/^steps\.\d+\.fault\.params\.destinations$/, ".cidrs"],
  [/^steps\.\d+\.fault\.params\.destinations\.pods$/, ".selector"],
  [/^steps\.\d+\.fault\.params\.dns$/, ".names"],
  [/^steps\.\d+\.fault\.params\.dns$/, ".answers"],
  [/^steps\.\d+\.fault\.params\.http$/, ".body", /needs body or headers/],
  [/^steps\.\d+\.fault\.params\.http$/, ".port"],
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
    const block = whole
      ? BLOCK_FIELDS.find(([re, field, about]) => re.test(path) && (!about || about.test(message)) && known.has(path + field))
      : undefined;
    if (block) return path + block[1];
  }
  return null;
}
