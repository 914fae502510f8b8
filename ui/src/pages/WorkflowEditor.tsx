// The workflow editor: form and YAML tabs over one definition, the checks while typing and the server
// validator's answers at their fields, target preview, save/run/delete.
import { lazy, Suspense, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { errorCode, errorFields, errorMessage } from "../api/client";
import { ErrorBox, Loading, PageHeader } from "../components/ui";
import { useProject } from "../project";
import {
  CreateWorkflowDocument,
  DeleteWorkflowDocument,
  DryRunWorkflowDocument,
  RunWorkflowDocument,
  UpdateWorkflowDocument,
  WorkflowObjectsDocument,
  WORKFLOWS_CHANGED,
} from "../workflow/api";
import { FieldErrorsContext, type FieldErrorsState } from "../workflow/fields";
import { formToSpec, newWorkflowForm, specToForm, type WorkflowForm } from "../workflow/form";
import { readPlan } from "../workflow/plan";
import { placeProblems, useServerCheck, type CheckInput } from "../workflow/serverCheck";
import { TargetPreview, type PreviewState } from "../workflow/TargetPreview";
import type { ChaosWorkflow, ChaosWorkflowSpec } from "../workflow/types";
import { dnsLabelError, fieldOfMessage, validateForm } from "../workflow/validate";
import { WorkflowFormView } from "../workflow/WorkflowFormView";
import { checkWorkflowYaml, formToYaml, serverProblemsInYaml, yamlToForm } from "../workflow/yaml";

// CodeMirror is big: it loads with the YAML tab, not with the app
const YamlEditor = lazy(() => import("../workflow/YamlEditor").then((m) => ({ default: m.YamlEditor })));

/** How long the form must stay still (and be valid) before a changed target is previewed. */
const PREVIEW_DEBOUNCE_MS = 800;

/**
 * The name the server's check is given while the Name field has none that is valid: the validator judges
 * the spec only, and the name's own error is shown by the form.
 */
const CHECK_NAME_STAND_IN = "unnamed";

const count = (n: number, what: string) => (n === 1 ? `one ${what}` : `${n} ${what}s`);

/**
 * A definition a new workflow starts from, passed in the navigation's state (`{ seed }`): a hub template's
 * workflow ("Create workflow" in the catalogue) or an imported Litmus experiment.
 */
export interface WorkflowSeed {
  name: string;
  spec: ChaosWorkflowSpec;
  /** Where it came from, shown above the form (e.g. the template's id). */
  from?: string;
}

function seedOf(state: unknown): WorkflowSeed | null {
  const seed = (state as { seed?: WorkflowSeed } | null)?.seed;
  return seed && typeof seed.name === "string" && seed.spec && typeof seed.spec === "object" ? seed : null;
}

export function WorkflowEditor() {
  const { workflow } = useParams();
  const { project } = useProject();
  const location = useLocation();
  if (!workflow) {
    const seed = seedOf(location.state);
    if (seed) {
      return (
        <>
          {seed.from && (
            <p className="muted seed-note" role="note">
              Prefilled from {seed.from}: check the targets, then save.
            </p>
          )}
          <EditorBody key={`seed-${seed.from ?? seed.name}`} initial={specToForm(seed.name, seed.spec)} />
        </>
      );
    }
    return <EditorBody key="new" initial={newWorkflowForm(project?.targetNamespaces ?? [])} />;
  }
  return <ExistingWorkflow key={workflow} name={workflow} />;
}

/** Loads an existing workflow, then edits it. */
function ExistingWorkflow({ name }: { name: string }) {
  const { name: project } = useProject();
  // fresh from the server: the form starts from what is stored now
  const [{ data, fetching, error }] = useQuery({ query: WorkflowObjectsDocument, variables: { project }, requestPolicy: "network-only" });
  const initial = useMemo(() => {
    const found = data?.workflows.find((w) => w.name === name);
    if (!found) return null;
    const object = found.object as ChaosWorkflow;
    return specToForm(name, object.spec ?? { steps: [] });
  }, [data, name]);

  if (!data && fetching) return <Loading what="the workflow" />;
  if (error && !data) {
    return (
      <>
        <PageHeader title={name} />
        <ErrorBox error={error} title="Could not load the workflow" />
      </>
    );
  }
  if (!initial) {
    return (
      <>
        <PageHeader title={name} />
        <ErrorBox error={`There is no workflow "${name}" in project ${project}.`} />
        <p>
          <Link to={`/projects/${project}/workflows`}>Back to the workflows</Link>
        </p>
      </>
    );
  }
  return <EditorBody initial={initial} fixedName={name} />;
}

type Tab = "form" | "yaml";

interface ServerError {
  message: string;
  /** The form field the message names, if it names one. */
  field: string | null;
}

/** The editor itself; `fixedName` when editing an existing workflow. */
function EditorBody({ initial, fixedName }: { initial: WorkflowForm; fixedName?: string }) {
  const { name: project, project: info, canEdit } = useProject();
  const navigate = useNavigate();
  const creating = fixedName === undefined;
  const readOnly = !canEdit;
  const targetNamespaces = useMemo(() => info?.targetNamespaces ?? [], [info]);

  const [tab, setTab] = useState<Tab>("form");
  const [form, setForm] = useState(initial);
  const [yamlText, setYamlText] = useState("");
  const [tabNote, setTabNote] = useState<string | null>(null);
  const [showAllErrors, setShowAllErrors] = useState(false);
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [serverError, setServerError] = useState<ServerError | null>(null);
  const [focusRequest, setFocusRequest] = useState(0);
  const [preview, setPreview] = useState<PreviewState>({ status: "idle" });
  const [busy, setBusy] = useState(false);
  // a new workflow is checked by the server from its first change on (until then it is just incomplete)
  const [edited, setEdited] = useState(!creating);
  const rootRef = useRef<HTMLDivElement>(null);
  const summaryRef = useRef<HTMLDivElement>(null);

  const [, createWorkflow] = useMutation(CreateWorkflowDocument);
  const [, updateWorkflow] = useMutation(UpdateWorkflowDocument);
  const [, runWorkflow] = useMutation(RunWorkflowDocument);
  const [, deleteWorkflow] = useMutation(DeleteWorkflowDocument);
  const [, dryRun] = useMutation(DryRunWorkflowDocument);

  // the checks while typing: instant, syntax only
  const errors = useMemo(() => validateForm(form), [form]);
  const ownYamlProblems = useMemo(() => (tab === "yaml" ? checkWorkflowYaml(yamlText) : []), [tab, yamlText]);

  // the server's validator, on the definition in the open tab once it can be read as one
  const checkInput = useMemo<CheckInput | null>(() => {
    if (readOnly || !edited) return null;
    if (tab === "yaml") {
      // problems without a field are syntax or shape: the server could not read the text either
      return ownYamlProblems.some((p) => p.field === undefined) ? null : { project, yaml: yamlText };
    }
    const name = form.name.trim();
    return { project, name: dnsLabelError(name) === null ? name : CHECK_NAME_STAND_IN, spec: formToSpec(form) };
  }, [readOnly, edited, tab, ownYamlProblems, project, yamlText, form]);
  const check = useServerCheck(checkInput);
  const placed = useMemo(() => placeProblems(check.problems, form), [check.problems, form]);
  const serverYamlProblems = useMemo(
    () => (tab === "yaml" ? serverProblemsInYaml(yamlText, check.problems, ownYamlProblems) : []),
    [tab, yamlText, check.problems, ownYamlProblems],
  );
  const yamlProblems = useMemo(() => [...ownYamlProblems, ...serverYamlProblems], [ownYamlProblems, serverYamlProblems]);
  // the server's newest answer is about the definition as it is now, and finds problems
  const serverRefuses = check.current && check.problems.length > 0;
  const localOk = tab === "form" ? Object.keys(errors).length === 0 : ownYamlProblems.length === 0;
  // the server's problems that no form field shows, and why it could not read the definition (unless the
  // checks while typing say so already)
  const otherProblems = tab === "form" ? placed.elsewhere : [];
  const checkFailure = localOk ? check.failure : null;

  const changeForm = useCallback((next: WorkflowForm) => {
    setForm(next);
    setEdited(true);
    // a server message about a field is stale once the form changes
    setServerError((e) => (e?.field ? { ...e, field: null } : e));
  }, []);

  const changeYaml = useCallback((text: string) => {
    setYamlText(text);
    setEdited(true);
  }, []);

  const fieldErrors = useMemo<FieldErrorsState>(
    () => ({
      errorOf: (path) => {
        const own = errors[path];
        if (own && (showAllErrors || touched.has(path))) return own;
        // where the checks while typing fail, the server's word on the same field waits for them
        if (!own && placed.atField[path]) return placed.atField[path];
        if (serverError?.field === path) return serverError.message;
        return undefined;
      },
      warningOf: (path) => {
        const m = path.match(/^steps\.(\d+)\.fault\.target\.namespace$/);
        const ns = m ? form.steps[Number(m[1])]?.namespace : undefined;
        if (info && ns && !targetNamespaces.includes(ns)) {
          return `${ns} is not one of this project's target namespaces (${targetNamespaces.join(", ") || "none"}): runs will be refused.`;
        }
        return undefined;
      },
      touch: (path) => setTouched((t) => (t.has(path) ? t : new Set(t).add(path))),
    }),
    [errors, showAllErrors, touched, placed, serverError, form.steps, info, targetNamespaces],
  );

  // after a refused save, the keyboard goes to the first field in error (or to the problems shown at none)
  useEffect(() => {
    if (focusRequest === 0) return;
    const first = rootRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    (first ?? (summaryRef.current?.hasChildNodes() ? summaryRef.current : null))?.focus();
  }, [focusRequest]);

  /** The definition being edited, from whichever tab is open; or why the YAML cannot be read as one. */
  function currentForm(): { form: WorkflowForm; problem?: undefined } | { form?: undefined; problem: string } {
    if (tab === "form") return { form };
    const read = yamlToForm(yamlText);
    if (read.problems) {
      const [first, ...more] = read.problems;
      const where = first.line !== undefined ? `line ${first.line}, column ${first.col ?? 1}: ` : "";
      const rest = more.length > 0 ? ` (and ${more.length} more, listed under the editor)` : "";
      return { problem: `${where}${first.message}${rest}` };
    }
    if (fixedName !== undefined && read.form.name !== fixedName) {
      return { problem: `metadata.name must stay ${fixedName}: a workflow cannot be renamed` };
    }
    return { form: read.form };
  }

  // ---- tabs ----

  function switchTo(next: Tab) {
    if (next === tab) return;
    if (next === "yaml") {
      setYamlText(formToYaml(form));
      setTabNote(null);
      setTab("yaml");
      return;
    }
    const read = currentForm();
    if (read.problem !== undefined) {
      setTabNote(`This YAML cannot be shown as a form: ${read.problem}.`);
      return;
    }
    changeForm(read.form);
    setTabNote(null);
    setTab("form");
  }

  function onTabKey(e: KeyboardEvent<HTMLButtonElement>) {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight" && e.key !== "Home" && e.key !== "End") return;
    e.preventDefault();
    const next: Tab = e.key === "Home" ? "form" : e.key === "End" ? "yaml" : tab === "form" ? "yaml" : "form";
    switchTo(next);
    document.getElementById(`wf-tab-${next}`)?.focus();
  }

  // ---- save, run, delete ----

  async function save() {
    setServerError(null);
    let variables;
    let mapping: WorkflowForm;
    if (tab === "form") {
      if (Object.keys(errors).length > 0 || serverRefuses) {
        setShowAllErrors(true);
        setFocusRequest((n) => n + 1);
        return;
      }
      mapping = form;
      variables = { project, name: form.name.trim(), spec: formToSpec(form) };
    } else {
      const read = currentForm();
      if (read.problem !== undefined || ownYamlProblems.length > 0 || serverRefuses) {
        setTabNote(`Not saved: ${read.problem ?? "fix the problems listed under the editor first"}.`);
        return;
      }
      mapping = read.form;
      variables = { project, yaml: yamlText };
    }
    setBusy(true);
    const result = creating
      ? await createWorkflow(variables, WORKFLOWS_CHANGED)
      : await updateWorkflow(variables, WORKFLOWS_CHANGED);
    setBusy(false);
    if (result.error) {
      // the validator's problems, each with its field: shown where the server check's are
      const problems = errorCode(result.error) === "INVALID" ? errorFields(result.error) : [];
      if (problems.length > 0) {
        check.accept(problems);
        setShowAllErrors(true);
        const where =
          tab === "yaml"
            ? "listed under the editor"
            : placeProblems(problems, mapping).elsewhere.length > 0
              ? "shown at their fields or listed below"
              : "shown at their fields";
        setServerError({ message: `The server found ${count(problems.length, "problem")} in the definition, ${where}.`, field: null });
        setFocusRequest((n) => n + 1);
        return;
      }
      const message = errorMessage(result.error);
      // a name already taken is about the Name field
      const field = creating && errorCode(result.error) === "CONFLICT" ? "name" : fieldOfMessage(message, mapping);
      setServerError({ message, field: tab === "form" ? field : null });
      return;
    }
    navigate(`/projects/${project}/workflows`);
  }

  async function runNow() {
    if (!fixedName) return;
    setServerError(null);
    setBusy(true);
    const result = await runWorkflow({ project, workflow: fixedName }, WORKFLOWS_CHANGED);
    setBusy(false);
    if (result.error || !result.data) {
      setServerError({ message: errorMessage(result.error ?? "The run did not start."), field: null });
      return;
    }
    navigate(`/projects/${project}/runs/${result.data.runWorkflow.name}`);
  }

  async function remove() {
    if (!fixedName) return;
    if (!window.confirm(`Delete workflow ${fixedName}? Its runs stay in the history.`)) return;
    setServerError(null);
    setBusy(true);
    const result = await deleteWorkflow({ project, name: fixedName }, WORKFLOWS_CHANGED);
    setBusy(false);
    if (result.error) {
      setServerError({ message: errorMessage(result.error), field: null });
      return;
    }
    navigate(`/projects/${project}/workflows`);
  }

  // ---- target preview ----

  const previewRequest = useRef(0);
  const targetKey = JSON.stringify(form.steps.map((s) => [s.faultType, s.namespace, s.kind, s.targetName, s.selector, s.mode, s.value]));
  // the targets last previewed (at first: those the editor opened with)
  const previewedTargets = useRef(targetKey);

  async function runPreview(byUser: boolean) {
    const read = currentForm();
    if (read.problem !== undefined) {
      if (byUser) setPreview({ status: "blocked", message: `Fix the YAML first: ${read.problem}.` });
      return;
    }
    const problems = validateForm(read.form);
    if (Object.keys(problems).length > 0 || serverRefuses) {
      if (byUser) {
        setPreview({ status: "blocked", message: "Fix the errors in the definition first; then the targets can be previewed." });
        if (tab === "form") {
          setShowAllErrors(true);
          setFocusRequest((n) => n + 1);
        }
      }
      return;
    }
    const request = ++previewRequest.current;
    previewedTargets.current = targetKey;
    setPreview({ status: "loading" });
    const result = await dryRun({ project, workflow: read.form.name.trim(), spec: formToSpec(read.form) });
    if (request !== previewRequest.current) return; // a newer preview was asked for
    if (result.error || !result.data) {
      setPreview({ status: "error", message: errorMessage(result.error ?? "no answer") });
      return;
    }
    const { plan, finished, run } = result.data.dryRunWorkflow;
    setPreview({
      status: "done",
      plan: readPlan(plan, read.form.steps.map((s) => s.name.trim())),
      finished,
      run: run.name,
    });
  }

  // preview by itself when a step's target, fault type or mode changed since the last preview, once the
  // checks while typing pass and the server has found nothing wrong with the definition as it is now
  const runPreviewRef = useRef(runPreview);
  useLayoutEffect(() => {
    runPreviewRef.current = runPreview;
  });
  const formValid = Object.keys(errors).length === 0;
  const serverAgrees = check.current && check.problems.length === 0;
  useEffect(() => {
    if (previewedTargets.current === targetKey) return;
    if (readOnly || tab !== "form" || !formValid || !serverAgrees) return;
    const timer = window.setTimeout(() => void runPreviewRef.current(false), PREVIEW_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [targetKey, readOnly, tab, formValid, serverAgrees]);

  // ---- page ----

  const fieldsInError = new Set([...Object.keys(errors), ...Object.keys(placed.atField)]).size;

  const title = creating ? "New workflow" : fixedName;
  return (
    <div ref={rootRef} className="workflow-editor">
      <p className="breadcrumb">
        <Link to={`/projects/${project}/workflows`}>← Workflows</Link>
      </p>
      <PageHeader title={title}>
        {!creating && canEdit && (
          <>
            <button type="button" onClick={() => void runNow()} disabled={busy}>
              Run now
            </button>
            <button type="button" className="danger" onClick={() => void remove()} disabled={busy}>
              Delete workflow
            </button>
          </>
        )}
      </PageHeader>
      {readOnly && <p className="notice">You have read-only access to this project.</p>}

      <div className="tabs" role="tablist" aria-label="Edit as">
        {(["form", "yaml"] as const).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`wf-tab-${t}`}
            aria-selected={tab === t}
            aria-controls={tab === t ? `wf-panel-${t}` : undefined}
            tabIndex={tab === t ? 0 : -1}
            onClick={() => switchTo(t)}
            onKeyDown={onTabKey}
          >
            {t === "form" ? "Form" : "YAML"}
          </button>
        ))}
      </div>
      {tabNote && (
        <p className="error" role="alert">
          {tabNote}
        </p>
      )}

      <form
        noValidate
        aria-label={creating ? "New workflow" : `Workflow ${fixedName}`}
        onSubmit={(e) => {
          e.preventDefault();
          if (canEdit) void save();
        }}
      >
        {tab === "form" ? (
          <div role="tabpanel" id="wf-panel-form" aria-labelledby="wf-tab-form" className="stack">
            <FieldErrorsContext.Provider value={fieldErrors}>
              <WorkflowFormView form={form} onChange={changeForm} creating={creating} readOnly={readOnly} targetNamespaces={targetNamespaces} />
            </FieldErrorsContext.Provider>
          </div>
        ) : (
          <div role="tabpanel" id="wf-panel-yaml" aria-labelledby="wf-tab-yaml" className="card">
            <Suspense fallback={<Loading what="the YAML editor" />}>
              <YamlEditor value={yamlText} onChange={changeYaml} problems={yamlProblems} readOnly={readOnly} />
            </Suspense>
          </div>
        )}

        <TargetPreview state={preview} onPreview={canEdit ? () => void runPreview(true) : undefined} />

        {serverError && <ErrorBox error={serverError.message} title={creating ? "Not created" : "Not saved"} />}
        {showAllErrors && tab === "form" && fieldsInError > 0 && (
          <p className="field-error" role="status">
            {fieldsInError === 1 ? "One field needs" : `${fieldsInError} fields need`} fixing before saving.
          </p>
        )}
        {canEdit && (
          // the server's problems that no field shows: listed, so none goes unseen
          <div ref={summaryRef} className="other-problems" role="status" aria-label="Other problems" tabIndex={-1}>
            {(otherProblems.length > 0 || checkFailure) && (
              <>
                <p className="field-error">
                  {checkFailure ? "The server could not check the definition:" : "The server found problems that no field shows:"}
                </p>
                <ul className="field-error">
                  {checkFailure && <li>{checkFailure}</li>}
                  {otherProblems.map((p, i) => (
                    <li key={i}>
                      <code>{p.field}</code>: {p.message}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
        )}
        {canEdit && (
          <div className="actions form-actions">
            <button type="submit" className="primary" disabled={busy} aria-busy={busy || undefined}>
              {creating ? "Create workflow" : "Save changes"}
            </button>
            <Link to={`/projects/${project}/workflows`}>Cancel</Link>
          </div>
        )}
      </form>
    </div>
  );
}
