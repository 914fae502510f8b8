// The run history: filters kept in the URL, the runs table paged by cursor ("Load more"), and the scores
// of the listed runs per workflow over time.
import { useEffect, useMemo, useReducer } from "react";
import { Link, useSearchParams } from "react-router";
import { useClient, useQuery } from "urql";
import { Empty, ErrorBox, Loading, PageHeader } from "../components/ui";
import type { HistoryRunsQuery } from "../gql/graphql";
import { useProject } from "../project";
import { ScoreOverTimeChart } from "../run/charts";
import { RunsTable } from "../run/RunsTable";
import {
  dateRangeError,
  filterKey,
  filterVariables,
  readFilters,
  writeFilters,
  type HistoryFilters,
} from "../run/filters";
import { initialPager, pagerItems, pagerReducer } from "../run/pagination";
import { HistoryRunsDocument, HistoryWorkflowsDocument } from "../run/queries";
import { scoreSeries } from "../run/series";
import { isPhase, isTrigger, PHASES, TRIGGERS } from "../run/status";

/** Runs per page. */
export const PAGE_SIZE = 50;

type HistoryRun = HistoryRunsQuery["runs"]["edges"][number]["node"];

export function History() {
  const { name: project } = useProject();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => readFilters(params), [params]);
  const rangeError = dateRangeError(filters);
  const vars = useMemo(() => filterVariables(filters), [filters]);
  const key = `${project} ${filterKey(vars)}`;

  const [state, dispatch] = useReducer(pagerReducer<HistoryRun>, key, initialPager<HistoryRun>);
  useEffect(() => dispatch({ type: "filters", key }), [key]);

  // fetch the page the state asks for; the reducer drops answers for other filters or cursors
  const client = useClient();
  const due = state.key === key && !rangeError ? state.loading : undefined;
  useEffect(() => {
    if (due === undefined) return;
    let cancelled = false;
    client
      .query(HistoryRunsDocument, { project, ...vars, first: PAGE_SIZE, after: due }, { requestPolicy: "network-only" })
      .toPromise()
      .then((res) => {
        if (cancelled) return;
        if (res.data) {
          dispatch({ type: "received", key, after: due, edges: res.data.runs.edges, pageInfo: res.data.runs.pageInfo });
        } else {
          dispatch({ type: "failed", key, after: due, error: res.error ?? "The server sent no runs." });
        }
      });
    return () => {
      cancelled = true;
    };
  }, [client, project, vars, key, due]);

  const [workflowsResult] = useQuery({ query: HistoryWorkflowsDocument, variables: { project } });
  const workflowNames = useMemo(() => {
    const names = (workflowsResult.data?.workflows ?? []).map((w) => w.name);
    // a filter for a deleted workflow still shows (its runs stay in history)
    if (filters.workflow && !names.includes(filters.workflow)) names.push(filters.workflow);
    return names.sort((a, b) => a.localeCompare(b));
  }, [workflowsResult.data, filters.workflow]);

  const current = state.key === key;
  const runs = useMemo(() => (current ? pagerItems(state) : []), [current, state]);
  const loading = !rangeError && (!current || state.loading !== undefined);
  const series = useMemo(() => scoreSeries(runs), [runs]);
  const filtered = params.toString() !== "";

  function setFilter<K extends keyof HistoryFilters>(name: K, value: HistoryFilters[K] | "") {
    setParams(writeFilters({ ...filters, [name]: value || undefined }), { replace: true });
  }

  return (
    <div className="stack">
      <PageHeader title="History">
        <button type="button" onClick={() => dispatch({ type: "refresh" })} disabled={loading}>
          Refresh
        </button>
      </PageHeader>

      <form className="card history-filters" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <div className="row">
          <div className="history-field">
            <label htmlFor="history-workflow">Workflow</label>
            <select
              id="history-workflow"
              value={filters.workflow ?? ""}
              onChange={(e) => setFilter("workflow", e.target.value)}
            >
              <option value="">All workflows</option>
              {workflowNames.map((w) => (
                <option key={w} value={w}>
                  {w}
                </option>
              ))}
            </select>
          </div>
          <div className="history-field">
            <label htmlFor="history-phase">Phase</label>
            <select
              id="history-phase"
              value={filters.phase ?? ""}
              onChange={(e) => setFilter("phase", isPhase(e.target.value) ? e.target.value : "")}
            >
              <option value="">All phases</option>
              {PHASES.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </div>
          <div className="history-field">
            <label htmlFor="history-trigger">Trigger</label>
            <select
              id="history-trigger"
              value={filters.trigger ?? ""}
              onChange={(e) => setFilter("trigger", isTrigger(e.target.value) ? e.target.value : "")}
            >
              <option value="">All triggers</option>
              {TRIGGERS.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div className="history-field">
            <label htmlFor="history-from">From</label>
            <input
              id="history-from"
              type="date"
              value={filters.from ?? ""}
              max={filters.to}
              aria-invalid={!!rangeError}
              aria-describedby={rangeError ? "history-range-error" : undefined}
              onChange={(e) => setFilter("from", e.target.value)}
            />
          </div>
          <div className="history-field">
            <label htmlFor="history-to">To</label>
            <input
              id="history-to"
              type="date"
              value={filters.to ?? ""}
              min={filters.from}
              aria-invalid={!!rangeError}
              aria-describedby={rangeError ? "history-range-error" : undefined}
              onChange={(e) => setFilter("to", e.target.value)}
            />
          </div>
          {filtered && (
            <button type="button" className="link" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
              Clear filters
            </button>
          )}
        </div>
        {rangeError && (
          <p id="history-range-error" className="field-error">
            {rangeError}
          </p>
        )}
        {workflowsResult.error && <p className="hint">The workflow list could not be loaded.</p>}
      </form>

      <section aria-labelledby="history-runs" className="stack">
        <h2 id="history-runs" className="visually-hidden">
          Runs
        </h2>
        {runs.length > 0 && <RunsTable project={project} runs={runs} columns={["trigger", "author", "score", "created"]} />}
        {loading && <Loading what="runs" />}
        {current && state.error !== undefined && (
          <div className="row">
            <ErrorBox error={state.error} title="Could not load the runs" />
            <button type="button" onClick={() => dispatch({ type: "retry" })}>
              Try again
            </button>
          </div>
        )}
        {current && !loading && state.error === undefined && runs.length === 0 && !rangeError && (
          <Empty>
            {filtered ? (
              "No runs match these filters."
            ) : (
              <>
                No runs yet — run a workflow from the <Link to={`/projects/${project}/workflows`}>Workflows</Link> page.
              </>
            )}
          </Empty>
        )}
        {runs.length > 0 && (
          <div className="row history-more">
            <p className="muted" aria-live="polite">
              {runs.length} run{runs.length === 1 ? "" : "s"} shown{state.hasNextPage ? "; there are more" : ""}.
            </p>
            {state.hasNextPage && (
              <button
                type="button"
                onClick={() => dispatch({ type: "loadMore", key })}
                disabled={loading}
                aria-busy={loading}
              >
                Load more
              </button>
            )}
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="history-scores">
        <h2 id="history-scores">Score over time</h2>
        <p className="hint">The scores of the runs listed above, one line per workflow.</p>
        {series.length === 0 ? <Empty>No scored runs in this list.</Empty> : <ScoreOverTimeChart series={series} />}
      </section>
    </div>
  );
}
