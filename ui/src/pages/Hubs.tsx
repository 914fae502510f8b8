// The project's hubs: their sync state, revision, template count and errors; editors add a hub (URL,
// branch, path, the name of a credential Secret), ask for a sync, and delete one.
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../api/client";
import { Field } from "../admin/Field";
import { Empty, ErrorBox, Loading, PageHeader } from "../components/ui";
import { CreateHubDocument, DeleteHubDocument, HUBS_CHANGED, HubListDocument, SyncHubDocument } from "../hub/api";
import { hubState, shortRevision } from "../hub/status";
import { dateTime } from "../lib/format";
import { useProject } from "../project";
import { dnsLabelError } from "../workflow/validate";

/** While a sync is asked for, the list is refetched this often (the operator writes the status). */
const POLL_MS = 3000;

export function Hubs() {
  const { name: project, canEdit } = useProject();
  const [{ data, fetching, error }, refetch] = useQuery({ query: HubListDocument, variables: { project } });
  const [, syncHub] = useMutation(SyncHubDocument);
  const [, deleteHub] = useMutation(DeleteHubDocument);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);

  async function act(name: string, what: string, action: () => Promise<{ error?: unknown }>) {
    setActionError(null);
    setBusy(name);
    const result = await action();
    setBusy(null);
    if (result.error) setActionError(`Could not ${what} ${name}: ${errorMessage(result.error)}`);
    else refetch({ requestPolicy: "network-only" });
  }

  async function sync(name: string) {
    await act(name, "sync", () => syncHub({ project, name }, HUBS_CHANGED));
    // the operator answers within seconds: look again a few times
    for (const delay of [POLL_MS, 2 * POLL_MS, 4 * POLL_MS]) {
      window.setTimeout(() => refetch({ requestPolicy: "network-only" }), delay);
    }
  }

  async function remove(name: string) {
    if (!window.confirm(`Delete hub ${name}? Its templates go with it; workflows made from them stay.`)) return;
    await act(name, "delete", () => deleteHub({ project, name }, HUBS_CHANGED));
  }

  const hubs = data?.hubs ?? [];
  return (
    <>
      <PageHeader title="Hubs">
        <Link className="button" to={`/projects/${project}/hubs/catalogue`}>
          Browse the catalogue
        </Link>
        <Link className="button" to={`/projects/${project}/import`}>
          Import from Litmus
        </Link>
        {canEdit && !adding && (
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            Add a hub
          </button>
        )}
      </PageHeader>
      {adding && (
        <AddHubForm
          onDone={() => {
            setAdding(false);
            refetch({ requestPolicy: "network-only" });
          }}
          onCancel={() => setAdding(false)}
        />
      )}
      {actionError && <ErrorBox error={actionError} />}
      {error && <ErrorBox error={error} title="Could not load the hubs" />}
      {fetching && !data ? (
        <Loading what="hubs" />
      ) : data && hubs.length === 0 ? (
        <Empty>
          <p>No hubs yet.</p>
          {canEdit && <p>Add a git repository of templates (ChaosCenter's layout or Litmus chaos-charts) with “Add a hub”.</p>}
        </Empty>
      ) : (
        data && (
          <table className="data hubs-table">
            <caption className="visually-hidden">Hubs of project {project}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Source</th>
                <th scope="col">Status</th>
                <th scope="col">Revision</th>
                <th scope="col">Templates</th>
                <th scope="col">Last sync</th>
                {canEdit && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {hubs.map((h) => {
                const state = hubState(h.conditions);
                return (
                  <tr key={h.name}>
                    <th scope="row">
                      <Link to={`/projects/${project}/hubs/catalogue?hub=${encodeURIComponent(h.name)}`}>{h.name}</Link>
                    </th>
                    <td>
                      {h.source === "Builtin" ? (
                        <span>built in</span>
                      ) : (
                        <>
                          <code>{h.url}</code>
                          <div className="muted">
                            {h.branch}
                            {h.path ? ` · ${h.path}` : ""}
                            {h.secretName ? ` · Secret ${h.secretName}` : ""}
                          </div>
                        </>
                      )}
                    </td>
                    <td>
                      <span className={`badge hub-${state.tone}`} data-hub-state={state.label}>
                        {state.label}
                      </span>
                      {state.problem && <div className="hub-problem">{state.problem}</div>}
                    </td>
                    <td>{shortRevision(h.revision) ? <code>{shortRevision(h.revision)}</code> : <span className="muted">—</span>}</td>
                    <td>{h.templates ?? <span className="muted">—</span>}</td>
                    <td>{h.lastSyncedAt ? dateTime(h.lastSyncedAt) : <span className="muted">never</span>}</td>
                    {canEdit && (
                      <td>
                        <div className="row-actions">
                          <button type="button" className="small" disabled={busy === h.name} aria-label={`Sync ${h.name} now`} onClick={() => void sync(h.name)}>
                            Sync now
                          </button>
                          <button type="button" className="small danger" disabled={busy === h.name} aria-label={`Delete ${h.name}`} onClick={() => void remove(h.name)}>
                            Delete
                          </button>
                        </div>
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        )
      )}
    </>
  );
}

/** The add-a-hub form: checked here for what is obvious, by the server for the rest (its message names the field). */
export function AddHubForm({ onDone, onCancel }: { onDone(): void; onCancel(): void }) {
  const { name: project } = useProject();
  const [, createHub] = useMutation(CreateHubDocument);
  const [name, setName] = useState("");
  const [source, setSource] = useState<"Git" | "Builtin">("Git");
  const [url, setUrl] = useState("");
  const [branch, setBranch] = useState("main");
  const [path, setPath] = useState("");
  const [secretName, setSecretName] = useState("");
  const [tried, setTried] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const nameError = dnsLabelError(name.trim());
  const urlError =
    source === "Builtin"
      ? null
      : !url.trim()
    ? "Required."
    : /^(https?:\/\/|ssh:\/\/|git@)\S+$/.test(url.trim())
      ? null
      : "An https://, ssh:// or git@host:path URL.";

  async function submit(e: FormEvent) {
    e.preventDefault();
    setTried(true);
    if (nameError || urlError) return;
    setBusy(true);
    setServerError(null);
    const input =
      source === "Builtin"
        ? { name: name.trim(), source }
        : {
            name: name.trim(),
            url: url.trim(),
            branch: branch.trim() || null,
            path: path.trim() || null,
            secretName: secretName.trim() || null,
          };
    const result = await createHub({ project, input }, HUBS_CHANGED);
    setBusy(false);
    if (result.error) setServerError(errorMessage(result.error));
    else onDone();
  }

  return (
    <form className="card hub-form" onSubmit={(e) => void submit(e)} noValidate aria-label="Add a hub">
      <h2>Add a hub</h2>
      <Field label="Name" error={tried ? nameError : null}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
      </Field>
      <Field label="Source" hint="A git repository, or ChaosCenter's own templates (built in, works offline).">
        {(p) => (
          <select {...p} value={source} onChange={(e) => setSource(e.target.value === "Builtin" ? "Builtin" : "Git")}>
            <option value="Git">Git repository</option>
            <option value="Builtin">Built in</option>
          </select>
        )}
      </Field>
      {source === "Git" && (
        <>
          <Field label="Repository URL" hint="https://… or ssh://… (git@host:path)." error={tried ? urlError : null}>
            {(p) => <input {...p} value={url} onChange={(e) => setUrl(e.target.value)} autoComplete="off" />}
          </Field>
          <Field label="Branch">{(p) => <input {...p} value={branch} onChange={(e) => setBranch(e.target.value)} />}</Field>
          <Field label="Path" hint="The folder holding the templates; empty for the whole repository.">
            {(p) => <input {...p} value={path} onChange={(e) => setPath(e.target.value)} />}
          </Field>
          <Field
            label="Credential Secret"
            hint="The name of a Secret in the project's namespace (username and password or token for https, ssh-privatekey and known_hosts for ssh). Only its name is stored here."
          >
            {(p) => <input {...p} value={secretName} onChange={(e) => setSecretName(e.target.value)} autoComplete="off" />}
          </Field>
        </>
      )}
      {serverError && <ErrorBox error={serverError} title="Could not add the hub" />}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Add hub
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
