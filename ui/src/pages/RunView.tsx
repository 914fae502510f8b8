// One run: why it was refused or stopped (if it was), its header (phase, score, trigger, author, timing), the
// step DAG, per-step progress, targets, probes and events, and (the Logs tab) its log, kept live while it
// runs; editors may abort it.
import { useEffect, useMemo, useState, type KeyboardEvent } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { useMutation } from "urql";
import { Author, Empty, ErrorBox, Loading, PageHeader, PhaseBadge, ScoreBadge } from "../components/ui";
import { dateTime, duration } from "../lib/format";
import { useProject } from "../project";
import { AbortRunDocument } from "../run/queries";
import {
  ConditionWarnings,
  EventTimeline,
  ProbesTable,
  StepsTable,
  StopBanner,
  TargetsTable,
  stepAnchor,
} from "../run/sections";
import { RunLogs } from "../run/RunLogs";
import { failedConditions, runDuration, runStop, stepRows } from "../run/status";
import { StepsGraph } from "../run/StepsGraph";
import { useNow } from "../run/useNow";
import { useRunDetail } from "../run/useRunDetail";

export const ABORT_CONFIRM = "Abort this run? Every injected fault is reverted.";

/** The run view's tabs: what happened (steps, targets, probes, events), and the run's log. */
const RUN_TABS = ["overview", "logs"] as const;
type RunTab = (typeof RUN_TABS)[number];

export function RunView() {
  const { name: project, canEdit } = useProject();
  const { run: name = "" } = useParams();
  // the tab is in the URL (`?tab=logs`), so a link can open the log
  const [params, setParams] = useSearchParams();
  const tab: RunTab = params.get("tab") === "logs" ? "logs" : "overview";
  const { run, status, definition, phase, live, loading, notFound, error, refresh } = useRunDetail(project, name);
  const now = useNow(live);
  const steps = useMemo(() => stepRows(definition, status), [definition, status]);

  const [abortResult, abort] = useMutation(AbortRunDocument);
  const [aborting, setAborting] = useState(false);
  useEffect(() => setAborting(false), [project, name]);

  function showTab(t: RunTab) {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (t === "overview") next.delete("tab");
        else next.set("tab", t);
        return next;
      },
      { replace: true },
    );
  }

  function onTabKey(e: KeyboardEvent<HTMLButtonElement>) {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight" && e.key !== "Home" && e.key !== "End") return;
    e.preventDefault();
    const next: RunTab = e.key === "Home" ? "overview" : e.key === "End" ? "logs" : tab === "overview" ? "logs" : "overview";
    showTab(next);
    document.getElementById(`run-tab-${next}`)?.focus();
  }

  async function onAbort() {
    if (!window.confirm(ABORT_CONFIRM)) return;
    const res = await abort({ project, name });
    if (!res.error) {
      setAborting(true);
      refresh();
    }
  }

  const historyLink = `/projects/${project}/runs`;
  if (loading) return <Loading what="the run" />;
  if (notFound) {
    return (
      <div className="stack">
        <PageHeader title="Run not found" />
        <Empty>
          <p>No run named {name} in this project.</p>
          <Link to={historyLink}>Back to the history</Link>
        </Empty>
      </div>
    );
  }
  if (!run) return <ErrorBox error={error ?? "The run could not be loaded."} title="Could not load the run" />;

  const started = status.startedAt;
  const deadline = status.deadline;
  const stop = runStop(phase, status.conditions);
  // the condition the banner explains is not listed again below it
  const problems = failedConditions(status.conditions).filter(
    (c) => !stop || c.reason !== stop.reason || c.message !== stop.message,
  );
  const showAbort = canEdit && live;

  function showStep(step: string) {
    const row = document.getElementById(stepAnchor(step));
    row?.scrollIntoView({ behavior: "smooth", block: "center" });
    row?.focus({ preventScroll: true });
  }

  return (
    <div className="stack run-view">
      <nav aria-label="Breadcrumb" className="hint">
        <Link to={historyLink}>History</Link> / {run.name}
      </nav>
      <div className="page-header">
        <h1 className="run-title">{run.name}</h1>
        {showAbort && (
          <div className="actions">
            <button type="button" className="danger" onClick={onAbort} disabled={aborting || abortResult.fetching}>
              {aborting || abortResult.fetching ? "Aborting…" : "Abort run"}
            </button>
          </div>
        )}
      </div>
      {aborting && live && (
        <p className="notice" role="status">
          Aborting… every injected fault is being reverted.
        </p>
      )}
      <ErrorBox error={abortResult.error} title="Could not abort the run" />
      {error && <ErrorBox error={error} title="Could not refresh the run (showing the last known state)" />}
      {stop && <StopBanner stop={stop} stepName={stop.step === undefined ? undefined : definition.steps[stop.step]?.name} />}

      <dl className="run-meta card">
        <div>
          <dt>Workflow</dt>
          <dd>
            <Link to={`/projects/${project}/workflows/${encodeURIComponent(run.workflow)}`}>{run.workflow}</Link>
          </dd>
        </div>
        <div>
          <dt>Phase</dt>
          <dd>
            <PhaseBadge phase={phase} />
          </dd>
        </div>
        <div>
          <dt>Score</dt>
          <dd className="score-big">
            <ScoreBadge value={run.score ?? status.resiliencyScore} />
          </dd>
        </div>
        <div>
          <dt>Trigger</dt>
          <dd>{run.trigger ?? "—"}</dd>
        </div>
        <div>
          <dt>Author</dt>
          <dd>
            <Author name={run.author} />
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{started ? dateTime(started) : "not yet"}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd className="tabnum">{runDuration(status, run.createdAt, now)}</dd>
        </div>
        <div>
          <dt>Deadline</dt>
          <dd>
            {dateTime(deadline)}
            {live && deadline && Date.parse(deadline) > now && (
              <span className="hint"> (in {duration(new Date(now).toISOString(), deadline)})</span>
            )}
          </dd>
        </div>
      </dl>

      {run.deleted && (
        <p className="notice">This run is gone from the cluster; it is shown from ChaosCenter's history.</p>
      )}
      <ConditionWarnings conditions={problems} />

      <div className="tabs" role="tablist" aria-label="Run">
        {RUN_TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`run-tab-${t}`}
            aria-selected={tab === t}
            aria-controls={tab === t ? `run-panel-${t}` : undefined}
            tabIndex={tab === t ? 0 : -1}
            onClick={() => showTab(t)}
            onKeyDown={onTabKey}
          >
            {t === "overview" ? "Overview" : "Logs"}
          </button>
        ))}
      </div>

      {tab === "logs" ? (
        <div role="tabpanel" id="run-panel-logs" aria-labelledby="run-tab-logs">
          <RunLogs project={project} name={run.name} live={live} finishedAt={status.finishedAt} deleted={run.deleted} />
        </div>
      ) : (
        <div role="tabpanel" id="run-panel-overview" aria-labelledby="run-tab-overview" className="stack">
          <section aria-labelledby="run-steps">
            <h2 id="run-steps">Steps</h2>
            {steps.length === 0 ? (
              <Empty>No steps reported for this run.</Empty>
            ) : (
              <div className="stack">
                <StepsGraph steps={steps} onSelect={showStep} />
                <StepsTable steps={steps} />
              </div>
            )}
          </section>

          <section aria-labelledby="run-targets">
            <h2 id="run-targets">Targets</h2>
            <TargetsTable steps={steps} events={run.events} />
          </section>

          <section aria-labelledby="run-probes">
            <h2 id="run-probes">Probes</h2>
            <ProbesTable steps={steps} />
          </section>

          <section aria-labelledby="run-events">
            <h2 id="run-events">Events</h2>
            <EventTimeline events={run.events} deleted={run.deleted} />
          </section>
        </div>
      )}
    </div>
  );
}
