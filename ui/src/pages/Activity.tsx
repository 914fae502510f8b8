// The project's activity (its audit log): who changed, ran or aborted what and when, paged back in time
// with "Load older", filtered by action and actor (filters kept in the URL).
import { useEffect, useMemo, useReducer, useState } from "react";
import { Link, useLocation, useSearchParams } from "react-router";
import { useClient } from "urql";
import { entryLink, whoOf } from "../activity/entry";
import {
  actionsSeen,
  filterEntries,
  isOwnWrite,
  OWN_WRITE,
  readFilters,
  writeFilters,
  type ActivityFilters,
} from "../activity/filters";
import { initialLog, logReducer, PAGE_SIZE, type AuditEntry } from "../activity/log";
import { ActivityLogDocument } from "../activity/queries";
import { Empty, ErrorBox, Loading, PageHeader } from "../components/ui";
import { ago, dateTime } from "../lib/format";
import { describeUser } from "../lib/who";
import { useProject } from "../project";

const NONE: AuditEntry[] = [];

export function Activity() {
  const { name: project } = useProject();
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const urlFilters = useMemo(() => readFilters(params), [params]);

  // the Who text is edited here and copied to the URL: the URL catches up a little later (the router
  // updates in a transition), so only other navigation (a link, back, forward) resets what is typed
  const [who, setWho] = useState(urlFilters.who ?? "");
  const urlWho = urlFilters.who ?? "";
  const own = isOwnWrite(location.state);
  useEffect(() => {
    if (!own) setWho(urlWho);
  }, [location.key, own, urlWho]);
  const filters = useMemo<ActivityFilters>(() => ({ action: urlFilters.action, who }), [urlFilters.action, who]);

  function setFilters(next: ActivityFilters) {
    setParams(writeFilters(next), { replace: true, state: OWN_WRITE });
  }

  const [state, dispatch] = useReducer(logReducer, project, initialLog);
  useEffect(() => dispatch({ type: "project", key: project }), [project]);

  // fetch the page the state asks for; the reducer drops answers for another project or page
  const client = useClient();
  const due = state.key === project ? state.loading : undefined;
  useEffect(() => {
    if (due === undefined) return;
    let cancelled = false;
    client
      .query(ActivityLogDocument, { project, first: PAGE_SIZE, after: due }, { requestPolicy: "network-only" })
      .toPromise()
      .then((res) => {
        if (cancelled) return;
        if (res.data) {
          dispatch({ type: "received", key: project, after: due, first: PAGE_SIZE, entries: res.data.auditLog });
        } else {
          dispatch({ type: "failed", key: project, after: due, error: res.error ?? "The server sent no entries." });
        }
      });
    return () => {
      cancelled = true;
    };
  }, [client, project, due]);

  const current = state.key === project;
  const entries = current ? state.entries : NONE;
  const loading = !current || state.loading !== undefined;
  const shown = useMemo(() => filterEntries(entries, filters), [entries, filters]);
  const actions = useMemo(() => actionsSeen(entries, filters.action), [entries, filters.action]);
  const filtered = !!filters.action || !!who.trim();
  const firstLoaded = current && (state.entries.length > 0 || state.end);

  return (
    <div className="stack">
      <PageHeader title="Activity">
        <button type="button" onClick={() => dispatch({ type: "refresh" })} disabled={loading}>
          Refresh
        </button>
      </PageHeader>
      <p className="hint activity-intro">
        Who created, changed, deleted, ran or aborted what in this project, newest first. Who is the person or
        program that did it: a ChaosCenter user by name, anyone else by their whole Kubernetes username (e.g. a
        GitOps controller's ServiceAccount). Entries marked <em>via Kubernetes</em> were made in the cluster directly
        (kubectl, GitOps, the operator) rather than through ChaosCenter; those marked <em>unverified</em> predate
        the record of who did it and name at most the client program, which any client can claim.
      </p>

      <form className="card activity-filters" aria-label="Filter activity" onSubmit={(e) => e.preventDefault()}>
        <div className="row">
          <div className="activity-field">
            <label htmlFor="activity-action">Action</label>
            <select
              id="activity-action"
              value={filters.action ?? ""}
              onChange={(e) => setFilters({ ...filters, action: e.target.value || undefined })}
            >
              <option value="">All</option>
              {actions.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </div>
          <div className="activity-field">
            <label htmlFor="activity-who">Who</label>
            <input
              id="activity-who"
              type="text"
              value={who}
              autoComplete="off"
              aria-describedby="activity-filter-hint"
              onChange={(e) => {
                setWho(e.target.value);
                setFilters({ ...filters, who: e.target.value });
              }}
            />
          </div>
          {filtered && (
            <button
              type="button"
              className="link"
              onClick={() => {
                setWho("");
                setFilters({});
              }}
            >
              Clear filters
            </button>
          )}
        </div>
        <p id="activity-filter-hint" className="hint">
          The filters apply to the entries loaded so far (the server cannot filter the log): load older entries to
          look further back.
        </p>
      </form>

      <section aria-labelledby="activity-entries" className="stack">
        <h2 id="activity-entries" className="visually-hidden">
          Entries
        </h2>
        {shown.length > 0 && <ActivityTable project={project} entries={shown} />}
        {loading && <Loading what="activity" />}
        {current && state.error && (
          <div className="row">
            <ErrorBox error={state.error.cause} title="Could not load the activity" />
            <button type="button" onClick={() => dispatch({ type: "retry" })}>
              Try again
            </button>
          </div>
        )}
        {firstLoaded && entries.length === 0 && <Empty>Nothing has happened in this project yet.</Empty>}
        {firstLoaded && entries.length > 0 && shown.length === 0 && (
          <Empty>
            No loaded entries match these filters{state.end ? "." : " — load older entries to look further back."}
          </Empty>
        )}
        {entries.length > 0 && (
          <div className="row activity-more">
            <p className="muted" aria-live="polite">
              {filtered
                ? `${shown.length} of ${entries.length} loaded ${plural(entries.length)} shown.`
                : `${entries.length} ${plural(entries.length)} shown.`}
            </p>
            {state.end ? (
              <p className="muted">No more entries</p>
            ) : (
              <button
                type="button"
                onClick={() => dispatch({ type: "loadOlder", key: project })}
                disabled={loading}
                aria-busy={loading}
              >
                Load older
              </button>
            )}
          </div>
        )}
      </section>
    </div>
  );
}

function plural(n: number) {
  return n === 1 ? "entry" : "entries";
}

function ActivityTable({ project, entries }: { project: string; entries: AuditEntry[] }) {
  return (
    <table className="data activity-table" aria-label="Activity">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">What</th>
          <th scope="col">Object</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          // unique: the loaded entries are deduplicated by this key
          <tr key={e.cursor}>
            <td>
              <time dateTime={e.at}>{dateTime(e.at)}</time> <span className="muted">({ago(e.at)})</span>
            </td>
            <td>
              <WhoCell entry={e} />
            </td>
            <td>{e.action}</td>
            <td>
              <ObjectCell project={project} entry={e} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// its text is `whoText(entry)`, which the Who filter matches
function WhoCell({ entry }: { entry: AuditEntry }) {
  const who = whoOf(entry);
  if (who.path === "ChaosCenter") return <>{who.name}</>;
  return (
    <>
      <span className="mono" title={describeUser(who.name)}>
        {who.name}
      </span>
      {" · "}
      <span className="badge activity-cluster" title="Made in the cluster directly (kubectl, GitOps, the operator), not through ChaosCenter">
        {who.path}
      </span>
      {!who.verified && (
        <>
          {" "}
          <span className="badge activity-unverified" title={entry.actor}>
            unverified
          </span>
        </>
      )}
    </>
  );
}

function ObjectCell({ project, entry }: { project: string; entry: AuditEntry }) {
  const to = entryLink(project, entry);
  return (
    <>
      <span className="activity-kind">{entry.kind}</span>{" "}
      {to ? <Link to={to}>{entry.name}</Link> : <span>{entry.name}</span>}
    </>
  );
}
