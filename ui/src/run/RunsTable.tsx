// A list of runs as a table: the one place a run's row is drawn (dashboard, history).
import { Link } from "react-router";
import { Author, PhaseBadge, ScoreBadge } from "../components/ui";
import type { RunListFieldsFragment } from "../gql/graphql";
import { ago, dateTime, duration } from "../lib/format";

/** Columns beyond run, workflow and phase, in this order when shown. */
export type RunColumn = "trigger" | "author" | "score" | "started" | "elapsed" | "created";

const HEADINGS: Record<RunColumn, string> = {
  trigger: "Trigger",
  author: "Author",
  score: "Score",
  started: "Started",
  elapsed: "Elapsed",
  created: "Created",
};
const ORDER: RunColumn[] = ["trigger", "author", "score", "started", "elapsed", "created"];

export function RunsTable({
  project,
  runs,
  columns,
  now = Date.now(),
}: {
  project: string;
  runs: readonly RunListFieldsFragment[];
  columns: readonly RunColumn[];
  /** The clock for "ago" and elapsed times (a ticking one keeps them live). */
  now?: number;
}) {
  const shown = ORDER.filter((c) => columns.includes(c));
  const cell = (r: RunListFieldsFragment, c: RunColumn) => {
    switch (c) {
      case "trigger":
        return r.trigger ?? "—";
      case "author":
        return <Author name={r.author} />;
      case "score":
        return <ScoreBadge value={r.score} />;
      case "started":
        return <span title={dateTime(r.createdAt)}>{ago(r.createdAt, now)}</span>;
      case "elapsed":
        return <span className="tabnum">{duration(r.createdAt, null, now)}</span>;
      case "created":
        return (
          <>
            {dateTime(r.createdAt)} <span className="muted">({ago(r.createdAt, now)})</span>
          </>
        );
    }
  };
  return (
    <table className="data">
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Workflow</th>
          <th scope="col">Phase</th>
          {shown.map((c) => (
            <th scope="col" key={c}>
              {HEADINGS[c]}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.uid}>
            <td>
              <Link to={`/projects/${project}/runs/${encodeURIComponent(r.name)}`}>{r.name}</Link>
              {r.deleted && (
                <span className="badge tag-deleted" title="Gone from the cluster; kept in history">
                  deleted
                </span>
              )}
            </td>
            <td>{r.workflow}</td>
            <td>
              <PhaseBadge phase={r.phase} />
            </td>
            {shown.map((c) => (
              <td key={c}>{cell(r, c)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
