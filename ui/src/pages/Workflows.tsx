// The project's workflows: schedule, last run and score of each; editors run, suspend, resume and delete.
import { useEffect, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { useMutation, useQuery, useSubscription } from "urql";
import { errorMessage } from "../api/client";
import { Empty, ErrorBox, Loading, PageHeader, PhaseBadge, ScoreBadge } from "../components/ui";
import { graphql } from "../gql";
import { useProject } from "../project";
import { DeleteWorkflowDocument, RunWorkflowDocument, SetSuspendedDocument, WorkflowListDocument, WORKFLOWS_CHANGED } from "../workflow/api";

const WorkflowListRunsChangedDocument = graphql(`
  subscription WorkflowListRunsChanged($project: String!) {
    runsChanged(project: $project) {
      name
      workflow
      phase
    }
  }
`);

/** Runs change often while they go: the list is refetched at most this often. */
const REFRESH_MS = 2000;

export function Workflows() {
  const { name: project, canEdit } = useProject();
  const navigate = useNavigate();
  const [{ data, fetching, error }, refetch] = useQuery({ query: WorkflowListDocument, variables: { project } });
  const [, runWorkflow] = useMutation(RunWorkflowDocument);
  const [, setSuspended] = useMutation(SetSuspendedDocument);
  const [, deleteWorkflow] = useMutation(DeleteWorkflowDocument);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  // the last phase and score follow the runs as they change
  const refreshTimer = useRef<number | undefined>(undefined);
  useSubscription({ query: WorkflowListRunsChangedDocument, variables: { project } }, (_, event) => {
    if (refreshTimer.current === undefined) {
      refreshTimer.current = window.setTimeout(() => {
        refreshTimer.current = undefined;
        refetch({ requestPolicy: "network-only" });
      }, REFRESH_MS);
    }
    return event;
  });
  useEffect(() => () => window.clearTimeout(refreshTimer.current), []);

  /** Runs a mutation about workflow `name`; a failure is shown above the table. */
  async function act(name: string, action: () => Promise<{ error?: unknown }>, what: string) {
    setActionError(null);
    setBusy(name);
    const result = await action();
    setBusy(null);
    if (result.error) setActionError(`Could not ${what} ${name}: ${errorMessage(result.error)}`);
  }

  async function runNow(name: string) {
    setActionError(null);
    setBusy(name);
    const result = await runWorkflow({ project, workflow: name }, WORKFLOWS_CHANGED);
    setBusy(null);
    if (result.error || !result.data) {
      setActionError(`Could not run ${name}: ${errorMessage(result.error ?? "no answer")}`);
      return;
    }
    navigate(`/projects/${project}/runs/${result.data.runWorkflow.name}`);
  }

  async function suspend(name: string, suspended: boolean) {
    const what = suspended ? "suspend" : "resume";
    await act(name, () => setSuspended({ project, workflow: name, suspended }, WORKFLOWS_CHANGED), what);
  }

  async function remove(name: string) {
    if (!window.confirm(`Delete workflow ${name}? Its runs stay in the history.`)) return;
    await act(name, () => deleteWorkflow({ project, name }, WORKFLOWS_CHANGED), "delete");
  }

  const workflows = data?.workflows ?? [];
  return (
    <>
      <PageHeader title="Workflows">
        {canEdit && (
          <Link className="button primary" to={`/projects/${project}/workflows/new`}>
            New workflow
          </Link>
        )}
      </PageHeader>
      {actionError && <ErrorBox error={actionError} />}
      {error && <ErrorBox error={error} title="Could not load the workflows" />}
      {fetching && !data ? (
        <Loading what="workflows" />
      ) : data && workflows.length === 0 ? (
        <Empty>
          <p>No workflows yet.</p>
          {canEdit && <p>Create one with “New workflow”: a single step that deletes pods is the quickest start.</p>}
        </Empty>
      ) : (
        data && (
          <table className="data workflows-table">
            <caption className="visually-hidden">Workflows of project {project}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Schedule</th>
                <th scope="col">Last phase</th>
                <th scope="col">Last score</th>
                <th scope="col">Last run</th>
                {canEdit && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {workflows.map((w) => (
                <tr key={w.name}>
                  <th scope="row">
                    <Link to={`/projects/${project}/workflows/${w.name}`}>{w.name}</Link>
                  </th>
                  <td className="description">{w.description || <span className="muted">—</span>}</td>
                  <td>
                    {w.schedule ? (
                      <>
                        <code>{w.schedule}</code>
                        {w.suspended && (
                          <>
                            {" "}
                            <span className="badge suspended">suspended</span>
                          </>
                        )}
                      </>
                    ) : (
                      <span className="muted">on demand</span>
                    )}
                  </td>
                  <td>{w.lastRun ? <PhaseBadge phase={w.lastPhase} /> : <span className="muted">never run</span>}</td>
                  <td>
                    <ScoreBadge value={w.lastScore} />
                  </td>
                  <td>
                    {w.lastRun ? <Link to={`/projects/${project}/runs/${w.lastRun}`}>{w.lastRun}</Link> : <span className="muted">—</span>}
                  </td>
                  {canEdit && (
                    <td>
                      <RowActions
                        name={w.name}
                        scheduled={!!w.schedule}
                        suspended={w.suspended}
                        busy={busy === w.name}
                        onRun={() => void runNow(w.name)}
                        onSuspend={(suspended) => void suspend(w.name, suspended)}
                        onDelete={() => void remove(w.name)}
                      />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
    </>
  );
}

interface RowActionsProps {
  name: string;
  scheduled: boolean;
  suspended: boolean;
  busy: boolean;
  onRun(): void;
  onSuspend(suspended: boolean): void;
  onDelete(): void;
}

/** An editor's buttons for one workflow; suspend and resume only for a workflow with a schedule. */
function RowActions({ name, scheduled, suspended, busy, onRun, onSuspend, onDelete }: RowActionsProps) {
  return (
    <div className="row-actions">
      <button type="button" className="small" disabled={busy} aria-label={`Run ${name} now`} onClick={onRun}>
        Run now
      </button>
      {scheduled &&
        (suspended ? (
          <button type="button" className="small" disabled={busy} aria-label={`Resume ${name}`} onClick={() => onSuspend(false)}>
            Resume
          </button>
        ) : (
          <button type="button" className="small" disabled={busy} aria-label={`Suspend ${name}`} onClick={() => onSuspend(true)}>
            Suspend
          </button>
        ))}
      <button type="button" className="small danger" disabled={busy} aria-label={`Delete ${name}`} onClick={onDelete}>
        Delete
      </button>
    </div>
  );
}
