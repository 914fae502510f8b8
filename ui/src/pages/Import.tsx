// Importing Litmus experiments: upload or paste a Litmus 3 experiment (an Argo Workflow) or a ChaosEngine,
// see each converted workflow with what was mapped and what was dropped and why, then create it (or open
// it in the form to adjust it first). The conversion writes nothing.
import { useState, type ChangeEvent, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useMutation } from "urql";
import { errorMessage } from "../api/client";
import { ErrorBox, PageHeader } from "../components/ui";
import { ImportLitmusDocument } from "../hub/api";
import type { ImportLitmusMutation } from "../gql/graphql";
import { useProject } from "../project";
import { CreateWorkflowDocument, WORKFLOWS_CHANGED } from "../workflow/api";
import type { ChaosWorkflowSpec } from "../workflow/types";
import type { WorkflowSeed } from "./WorkflowEditor";

/** The largest file read (the server takes at most 192 KiB). */
export const MAX_IMPORT_BYTES = 192 * 1024;

type Imported = ImportLitmusMutation["importLitmus"]["workflows"][number];

/** A file's text (FileReader: also where `Blob.text` is missing). */
function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result ?? ""));
    reader.onerror = () => reject(reader.error ?? new Error("the file could not be read"));
    reader.readAsText(file);
  });
}

export function Import() {
  const { name: project, canEdit } = useProject();
  const navigate = useNavigate();
  const [, importLitmus] = useMutation(ImportLitmusDocument);
  const [, createWorkflow] = useMutation(CreateWorkflowDocument);
  const [yaml, setYaml] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [workflows, setWorkflows] = useState<Imported[] | null>(null);
  const [created, setCreated] = useState<Record<string, string>>({});

  async function readFile(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    if (!file) return;
    if (file.size > MAX_IMPORT_BYTES) {
      setError(`${file.name} is larger than ${MAX_IMPORT_BYTES / 1024} KiB.`);
      return;
    }
    setError(null);
    try {
      setYaml(await readText(file));
    } catch (err) {
      setError(`Could not read ${file.name}: ${errorMessage(err)}`);
    }
  }

  async function convert(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setWorkflows(null);
    setCreated({});
    if (!yaml.trim()) {
      setError("Paste or upload a Litmus experiment or ChaosEngine first.");
      return;
    }
    setBusy(true);
    const result = await importLitmus({ project, yaml });
    setBusy(false);
    if (result.error || !result.data) setError(`Could not import: ${errorMessage(result.error ?? "no answer")}`);
    else setWorkflows(result.data.importLitmus.workflows);
  }

  async function create(w: Imported) {
    setError(null);
    const result = await createWorkflow({ project, yaml: w.yaml }, WORKFLOWS_CHANGED);
    if (result.error || !result.data) setError(`Could not create ${w.name}: ${errorMessage(result.error ?? "no answer")}`);
    else setCreated((c) => ({ ...c, [w.name]: result.data!.createWorkflow.name }));
  }

  function edit(w: Imported) {
    const seed: WorkflowSeed = { name: w.name, spec: w.spec as ChaosWorkflowSpec, from: "the Litmus import" };
    navigate(`/projects/${project}/workflows/new`, { state: { seed } });
  }

  return (
    <>
      <PageHeader title="Import from Litmus" />
      <form className="card import-form" onSubmit={(e) => void convert(e)}>
        <p>
          A Litmus 3 experiment (its Argo Workflow, or CronWorkflow) or a ChaosEngine, one or more YAML documents. Nothing is
          written until you create a workflow.
        </p>
        <div className="admin-field">
          <label htmlFor="import-file">Upload a file</label>
          <input id="import-file" type="file" accept=".yaml,.yml,.json,text/yaml" onChange={(e) => void readFile(e)} />
        </div>
        <div className="admin-field">
          <label htmlFor="import-yaml">Or paste YAML</label>
          <textarea id="import-yaml" rows={14} spellCheck={false} className="mono" value={yaml} onChange={(e) => setYaml(e.target.value)} />
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Convert
          </button>
        </div>
      </form>
      {error && <ErrorBox error={error} />}
      {workflows && workflows.length === 0 && <p role="status">Nothing in it could be converted.</p>}
      {workflows?.map((w) => (
        <section key={w.name} className="card imported" aria-labelledby={`imported-${w.name}`}>
          <h2 id={`imported-${w.name}`}>{w.name}</h2>
          <h3>Mapped</h3>
          {w.mapped.length ? (
            <ul className="mapped">
              {w.mapped.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          ) : (
            <p className="muted">Nothing.</p>
          )}
          <h3>Dropped</h3>
          {w.dropped.length ? (
            <ul className="dropped">
              {w.dropped.map((d) => (
                <li key={d}>{d}</li>
              ))}
            </ul>
          ) : (
            <p className="muted">Nothing: everything was carried over.</p>
          )}
          <details>
            <summary>YAML</summary>
            <pre>{w.yaml}</pre>
          </details>
          {canEdit &&
            (created[w.name] ? (
              <p role="status">
                Created <Link to={`/projects/${project}/workflows/${created[w.name]}`}>{created[w.name]}</Link>.
              </p>
            ) : (
              <div className="actions">
                <button type="button" className="primary" aria-label={`Create workflow ${w.name}`} onClick={() => void create(w)}>
                  Create workflow
                </button>
                <button type="button" aria-label={`Edit ${w.name} in the form`} onClick={() => edit(w)}>
                  Edit in the form
                </button>
              </div>
            ))}
        </section>
      ))}
    </>
  );
}
