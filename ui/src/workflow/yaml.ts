// The YAML side of the editor: a whole ChaosWorkflow as text, parsed and checked with line positions.
import { LineCounter, parseDocument, stringify, type Document } from "yaml";
import type { FieldProblem } from "../api/client";
import { formToSpec, specToForm, type WorkflowForm } from "./form";
import { validateForm } from "./validate";
import {
  API_VERSION,
  COMPARATOR_TYPES,
  CONCURRENCY_POLICIES,
  CRITERIA,
  DNS_ERRORS,
  FAULT_TYPES,
  HTTP_DIRECTIONS,
  HTTP_METHODS,
  K8S_OPERATIONS,
  KIND,
  PARTITION_DIRECTIONS,
  PARTITION_MECHANISMS,
  PROBE_MODES,
  PROBE_TYPES,
  PROTOCOLS,
  TAINT_EFFECTS,
  TARGET_KINDS,
  TARGET_MODES,
  type ChaosWorkflow,
} from "./types";

/** A problem in the YAML, at a 1-based line and column when known. */
export interface YamlProblem {
  message: string;
  line?: number;
  col?: number;
  /** The field it is about (`spec.steps[0].fault.duration`), for a problem with a field's value. */
  field?: string;
}

export type YamlResult = { workflow: ChaosWorkflow; problems?: undefined } | { workflow?: undefined; problems: YamlProblem[] };

/** The YAML of a workflow named `name` as the form describes it. */
export function formToYaml(form: WorkflowForm): string {
  const workflow: ChaosWorkflow = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: form.name.trim() },
    spec: formToSpec(form),
  };
  return stringify(workflow, { lineWidth: 0 });
}

// ---- the shape of a ChaosWorkflow ----

type Shape =
  | "string"
  | "number"
  | "boolean"
  | "any"
  | { enum: readonly string[] }
  | { list: Shape }
  | { map: Shape }
  | { object: Record<string, Shape>; required?: string[] };

const str = "string" as const;
const int = "number" as const;
const bool = "boolean" as const;

const comparator: Shape = { object: { type: { enum: COMPARATOR_TYPES }, criteria: { enum: CRITERIA }, value: str }, required: ["criteria", "value"] };

const probe: Shape = {
  object: {
    name: str,
    type: { enum: PROBE_TYPES },
    mode: { enum: PROBE_MODES },
    http: {
      object: { url: str, method: { enum: HTTP_METHODS }, body: str, expectStatus: int, expectBodyContains: str },
      required: ["url"],
    },
    k8s: {
      object: {
        apiVersion: str,
        kind: str,
        namespace: str,
        labelSelector: str,
        fieldSelector: str,
        operation: { enum: K8S_OPERATIONS },
        count: int,
      },
      required: ["apiVersion", "kind", "operation"],
    },
    prom: { object: { endpoint: str, query: str, comparator }, required: ["endpoint", "query", "comparator"] },
    cmd: {
      object: { command: { list: str }, image: str, comparator, resources: { object: { cpu: str, memory: str } } },
      required: ["command", "image", "comparator"],
    },
    runProperties: { object: { interval: str, timeout: str, attempts: int, initialDelay: str, stopOnFailure: bool } },
  },
  required: ["name", "type"],
};

const labelSelector: Shape = {
  object: {
    matchLabels: { map: str },
    matchExpressions: {
      list: {
        object: { key: str, operator: { enum: ["In", "NotIn", "Exists", "DoesNotExist"] }, values: { list: str } },
        required: ["key", "operator"],
      },
    },
  },
};

const step: Shape = {
  object: {
    name: str,
    dependsOn: { list: str },
    weight: int,
    fault: {
      object: {
        type: { enum: FAULT_TYPES },
        target: {
          object: {
            namespace: str,
            kind: { enum: TARGET_KINDS },
            name: str,
            selector: labelSelector,
            mode: { enum: TARGET_MODES },
            value: int,
          },
        },
        duration: str,
        interval: str,
        params: {
          object: {
            gracePeriodSeconds: int,
            force: bool,
            replicas: int,
            taint: { object: { key: str, value: str, effect: { enum: TAINT_EFFECTS } }, required: ["key"] },
            direction: { enum: PARTITION_DIRECTIONS },
            mechanism: { enum: PARTITION_MECHANISMS },
            latency: str,
            jitter: str,
            correlation: int,
            percent: int,
            rate: str,
            destinations: {
              object: {
                cidrs: { list: str },
                hosts: { list: str },
                pods: { object: { namespace: str, selector: labelSelector }, required: ["selector"] },
                ports: { list: int },
                protocol: { enum: PROTOCOLS },
              },
            },
            container: str,
            signal: str,
            cores: int,
            load: int,
            size: str,
            allowOom: bool,
            workers: int,
            path: str,
            dns: { object: { names: { list: str }, error: { enum: DNS_ERRORS }, answers: { map: str } } },
            http: {
              object: {
                port: int,
                direction: { enum: HTTP_DIRECTIONS },
                method: str,
                path: str,
                status: int,
                body: str,
                headers: { map: str },
              },
              required: ["port"],
            },
          },
        },
      },
      required: ["type", "target"],
    },
    probes: { list: probe },
  },
  required: ["name", "fault"],
};

const workflowShape: Shape = {
  object: {
    apiVersion: str,
    kind: str,
    metadata: { object: { name: str }, required: ["name"] },
    spec: {
      object: {
        description: str,
        schedule: str,
        timeZone: str,
        concurrencyPolicy: { enum: CONCURRENCY_POLICIES },
        suspend: bool,
        startingDeadlineSeconds: int,
        runHistoryLimit: int,
        maxDuration: str,
        steps: { list: step },
      },
      required: ["steps"],
    },
    status: "any",
  },
  required: ["apiVersion", "kind", "metadata", "spec"],
};

/** Metadata the form does not show but that may be written (they are left out when switching to the form). */
const FREE_METADATA = ["namespace", "labels", "annotations", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"];

type Path = (string | number)[];

const show = (path: Path) =>
  path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v === "number" ? "the number" : typeof v === "boolean" ? "the boolean" : "the text"} ${JSON.stringify(v)}`;
}

/** Where each value of `value` breaks `shape`. */
function check(value: unknown, shape: Shape, path: Path, out: { path: Path; message: string }[]): void {
  const fail = (message: string) => out.push({ path, message: `${show(path)}: ${message}` });
  if (shape === "any") return;
  if (shape === "string" || shape === "number" || shape === "boolean") {
    if (typeof value !== shape) {
      const hint = shape === "string" && (typeof value === "number" || typeof value === "boolean") ? " (put it in quotes)" : "";
      fail(`must be ${shape === "string" ? "text" : shape === "number" ? "a number" : "true or false"}, not ${typeName(value)}${hint}`);
    }
    // whole numbers and ranges are the form's validation's to judge
    return;
  }
  if ("enum" in shape) {
    if (typeof value !== "string" || !shape.enum.includes(value)) fail(`must be one of ${shape.enum.join(", ")}, not ${typeName(value)}`);
    return;
  }
  if ("list" in shape) {
    if (!Array.isArray(value)) {
      fail(`must be a list, not ${typeName(value)}`);
      return;
    }
    value.forEach((item, i) => check(item, shape.list, [...path, i], out));
    return;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`must be a mapping, not ${typeName(value)}`);
    return;
  }
  const obj = value as Record<string, unknown>;
  if ("map" in shape) {
    for (const [k, v] of Object.entries(obj)) check(v, shape.map, [...path, k], out);
    return;
  }
  for (const key of shape.required ?? []) {
    if (!(key in obj) || obj[key] === null) out.push({ path, message: `${show([...path, key])}: required` });
  }
  const isMetadata = path.length === 1 && path[0] === "metadata";
  for (const [k, v] of Object.entries(obj)) {
    const inner = shape.object[k];
    if (inner) check(v, inner, [...path, k], out);
    else if (!(isMetadata && FREE_METADATA.includes(k))) {
      out.push({ path: [...path, k], message: `${show([...path, k])}: not a field of a ChaosWorkflow` });
    }
  }
}

function position(doc: Document.Parsed, path: Path, lines: LineCounter): { line?: number; col?: number } {
  // the deepest node on the path that exists
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) {
      const { line, col } = lines.linePos(range[0]);
      return { line, col };
    }
  }
  return {};
}

interface Parsed {
  doc: Document.Parsed;
  lines: LineCounter;
  result: YamlResult;
}

function parseWithPositions(text: string): Parsed {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      message: e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, ""),
      line: e.linePos?.[0].line,
      col: e.linePos?.[0].col,
    }));
    return { doc, lines, result: { problems } };
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return { doc, lines, result: { problems: [{ message: "the document is empty" }] } };
  const found: { path: Path; message: string }[] = [];
  check(value, workflowShape, [], found);
  const obj = value as Partial<ChaosWorkflow>;
  if (found.length === 0) {
    if (obj.apiVersion !== API_VERSION) found.push({ path: ["apiVersion"], message: `apiVersion: must be ${API_VERSION}` });
    if (obj.kind !== KIND) found.push({ path: ["kind"], message: `kind: must be ${KIND}` });
  }
  if (found.length > 0) {
    return { doc, lines, result: { problems: found.map((f) => ({ message: f.message, ...position(doc, f.path, lines) })) } };
  }
  return { doc, lines, result: { workflow: value as ChaosWorkflow } };
}

/** Parses the YAML of a whole ChaosWorkflow; problems say why it is not one, where. */
export function parseWorkflowYaml(text: string): YamlResult {
  return parseWithPositions(text).result;
}

/** The form for a workflow in YAML; when it cannot be shown as a form, the problems say why. */
export function yamlToForm(text: string): { form: WorkflowForm; problems?: undefined } | { form?: undefined; problems: YamlProblem[] } {
  const parsed = parseWorkflowYaml(text);
  if (parsed.problems) return { problems: parsed.problems };
  const { metadata, spec } = parsed.workflow;
  return { form: specToForm(metadata.name ?? "", spec) };
}

/** A form field's path (`steps.0.fault.duration`) as the object's path (`spec.steps[0].fault.duration`). */
export function objectPath(field: string): string {
  if (field === "name") return "metadata.name";
  return `spec.${field}`.replace(/\.(\d+)(?=\.|$)/g, "[$1]");
}

/**
 * What can be told wrong with a workflow's YAML while typing: syntax, shape, then the form's checks, each at
 * its line and column (the server's validator judges the rest). Only the form's checks name a `field`.
 */
export function checkWorkflowYaml(text: string): YamlProblem[] {
  const { doc, lines, result } = parseWithPositions(text);
  if (result.problems) return result.problems;
  const errors = validateForm(specToForm(result.workflow.metadata.name ?? "", result.workflow.spec));
  return Object.entries(errors).map(([field, message]) => {
    const path: Path = field === "name" ? ["metadata", "name"] : ["spec", ...field.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p))];
    return { message: `${objectPath(field)}: ${message}`, field: objectPath(field), ...position(doc, path, lines) };
  });
}

/** A validator's field path (`spec.steps[0].selector.matchLabels[app.kubernetes.io/name]`) as a YAML path. */
function pathOf(field: string): Path {
  return [...field.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)].map(([, name, key]) => (name !== undefined ? name : /^\d+$/.test(key) ? Number(key) : key));
}

/**
 * The server validator's problems as problems of the YAML `text`, at the line of their field (or of the
 * nearest part of it that is written); those the YAML's own checks already report for the field are left out.
 */
export function serverProblemsInYaml(text: string, problems: readonly FieldProblem[], own: readonly YamlProblem[]): YamlProblem[] {
  const reported = new Set(own.map((p) => p.field).filter(Boolean));
  const fresh = problems.filter((p) => !reported.has(p.field));
  if (fresh.length === 0) return [];
  const { doc, lines } = parseWithPositions(text);
  const readable = doc.errors.length === 0;
  return fresh.map((p) => ({
    message: `${p.field}: ${p.message}`,
    field: p.field,
    ...(readable ? position(doc, pathOf(p.field), lines) : {}),
  }));
}
