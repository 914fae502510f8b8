// A project's dashboard: runs in progress (live), the last runs, and the score trend and statistics.
import { useEffect, useMemo } from "react";
import { Link } from "react-router";
import { useQuery, useSubscription } from "urql";
import { Empty, ErrorBox, Loading, PageHeader, PhaseBadge, ScoreBadge } from "../components/ui";
import { score } from "../lib/format";
import { useProject } from "../project";
import { ScoreTrendChart } from "../run/charts";
import { DashboardDocument, RunsChangedDocument } from "../run/queries";
import { RunsTable } from "../run/RunsTable";
import { dailyScores, inProgress, phaseBars } from "../run/series";
import { useNow } from "../run/useNow";

/** How long to gather run changes before refreshing the lists once. */
const REFRESH_DEBOUNCE_MS = 800;
/** A fallback refresh while runs are in progress, in case the subscription drops. */
const FALLBACK_REFRESH_MS = 15_000;

export function Dashboard() {
  const { name: project } = useProject();

  const [{ data, fetching, error }, reexecute] = useQuery({ query: DashboardDocument, variables: { project } });
  const [changes] = useSubscription({ query: RunsChangedDocument, variables: { project } });

  const active = useMemo(
    () => inProgress(data?.running.edges.map((e) => e.node) ?? [], data?.pending.edges.map((e) => e.node) ?? []),
    [data],
  );
  const now = useNow(active.length > 0);

  // a run was created, progressed or finished: refresh the lists (once per burst of changes)
  useEffect(() => {
    if (!changes.data) return;
    const timer = setTimeout(() => reexecute({ requestPolicy: "network-only" }), REFRESH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [changes.data, reexecute]);

  useEffect(() => {
    if (active.length === 0) return;
    const timer = setInterval(() => reexecute({ requestPolicy: "network-only" }), FALLBACK_REFRESH_MS);
    return () => clearInterval(timer);
  }, [active.length, reexecute]);

  const recent = data?.recent.edges.map((e) => e.node) ?? [];
  const stats = data?.statistics;
  const days = useMemo(() => dailyScores(stats?.scoreByDay ?? []), [stats]);
  // the same element while the data is unchanged, so the clock's ticks do not redraw the chart
  const trendChart = useMemo(() => <ScoreTrendChart points={days} />, [days]);
  const bars = phaseBars(stats?.runsByPhase ?? []);

  return (
    <div className="stack">
      <PageHeader title="Dashboard">
        <Link className="button" to={`/projects/${project}/workflows`}>
          Workflows
        </Link>
        <Link className="button" to={`/projects/${project}/runs`}>
          History
        </Link>
      </PageHeader>
      {error && <ErrorBox error={error} title="Could not load the dashboard" />}
      {fetching && !data && <Loading what="the dashboard" />}

      <div className="grid-2 runs-grid">
        <section className="card" aria-labelledby="dash-progress">
          <h2 id="dash-progress">Runs in progress</h2>
          {changes.error && (
            <p className="hint">Live updates are unavailable; the list refreshes every few seconds instead.</p>
          )}
          {data && active.length === 0 && <p className="muted">No run is in progress.</p>}
          {active.length > 0 && (
            <RunsTable project={project} runs={active} columns={["author", "started", "elapsed"]} now={now} />
          )}
        </section>

        <section className="card" aria-labelledby="dash-recent">
          <h2 id="dash-recent">Recent runs</h2>
          {data && recent.length === 0 && (
            <Empty>
              No runs yet — run a workflow from the <Link to={`/projects/${project}/workflows`}>Workflows</Link> page.
            </Empty>
          )}
          {recent.length > 0 && <RunsTable project={project} runs={recent} columns={["author", "score", "started"]} now={now} />}
        </section>
      </div>

      <section className="card" aria-labelledby="dash-trend">
        <h2 id="dash-trend">Score trend</h2>
        <p className="hint">Average resiliency score of the runs created each day (UTC), last 30 days.</p>
        {stats && days.every((d) => d.score === null) ? (
          <Empty>No scored runs in the last 30 days.</Empty>
        ) : (
          stats && trendChart
        )}
        {stats && (
          <div className="grid-2 runs-grid">
            <div>
              <h3 id="dash-phases">Runs per phase</h3>
              {bars.length === 0 ? (
                <p className="muted">No runs in the last 30 days.</p>
              ) : (
                <table className="data" aria-labelledby="dash-phases">
                  <thead>
                    <tr>
                      <th scope="col">Phase</th>
                      <th scope="col">Runs</th>
                    </tr>
                  </thead>
                  <tbody>
                    {bars.map((b) => (
                      <tr key={b.phase}>
                        <td>
                          <PhaseBadge phase={b.phase} />
                        </td>
                        <td>
                          <span className="runs-bar-cell">
                            <span className={`runs-bar runs-bar-${b.phase.toLowerCase()}`} style={{ width: `${b.percent}%` }} />
                            <span className="tabnum">{b.runs}</span>
                          </span>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
            <div>
              <h3 id="dash-workflows">Average score per workflow</h3>
              {stats.scoreByWorkflow.length === 0 ? (
                <p className="muted">No scored runs in the last 30 days.</p>
              ) : (
                <table className="data" aria-labelledby="dash-workflows">
                  <thead>
                    <tr>
                      <th scope="col">Workflow</th>
                      <th scope="col">Average score</th>
                      <th scope="col">Scored runs</th>
                    </tr>
                  </thead>
                  <tbody>
                    {stats.scoreByWorkflow.map((w) => (
                      <tr key={w.workflow}>
                        <td>
                          <Link to={`/projects/${project}/runs?workflow=${encodeURIComponent(w.workflow)}`}>
                            {w.workflow}
                          </Link>
                        </td>
                        <td>
                          <span className="runs-bar-cell" title={`Average score ${score(w.averageScore)}`}>
                            <span className="runs-bar runs-bar-score" style={{ width: `${Math.max(0, Math.min(100, w.averageScore))}%` }} />
                            <ScoreBadge value={w.averageScore} />
                          </span>
                        </td>
                        <td className="tabnum">{w.runs}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          </div>
        )}
      </section>
    </div>
  );
}
