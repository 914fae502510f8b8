// The Logs tab of a run: the operator's lines about the run and its cmd probes' output, as the apiserver
// keeps them (also after the run left the cluster), followed live — read again every few seconds, and kept
// scrolled to the newest line unless the reader scrolled up — while the run is in progress.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useQuery } from "urql";
import { Empty, ErrorBox, Loading } from "../components/ui";
import { following, LOG_POLL_MS, parseLogLine, timeOfDay } from "./logs";
import { RunLogsDocument } from "./queries";

export function RunLogs({
  project,
  name,
  live,
  finishedAt,
  deleted,
}: {
  project: string;
  name: string;
  live: boolean;
  finishedAt?: string | null;
  deleted: boolean;
}) {
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: RunLogsDocument,
    variables: { project, name },
    requestPolicy: "cache-and-network",
  });
  const [follow, setFollow] = useState(() => following(live, finishedAt, Date.now()));
  useEffect(() => {
    setFollow(following(live, finishedAt, Date.now()));
    if (!following(live, finishedAt, Date.now())) return;
    const timer = setInterval(() => {
      reexecute({ requestPolicy: "network-only" });
      // a finished run's last lines are in once it settled: stop then
      if (!following(live, finishedAt, Date.now())) {
        setFollow(false);
        clearInterval(timer);
      }
    }, LOG_POLL_MS);
    return () => clearInterval(timer);
  }, [live, finishedAt, reexecute]);

  const log = data?.runLogs;
  const lines = useMemo(() => (log?.lines ?? []).map(parseLogLine), [log?.lines]);

  // kept at the newest line while followed, unless the reader scrolled away from it
  const box = useRef<HTMLPreElement>(null);
  const pinned = useRef(true);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && follow && pinned.current) el.scrollTop = el.scrollHeight;
  }, [lines, follow]);
  function onScroll() {
    const el = box.current;
    if (el) pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
  }

  if (!log && fetching) return <Loading what="the run's log" />;
  return (
    <section aria-labelledby="run-logs" className="stack">
      <div className="log-header">
        <h2 id="run-logs">Logs</h2>
        <p className="hint" role="status">
          {follow
            ? "Following live: new lines appear as the operator writes them."
            : deleted
              ? "From ChaosCenter's history: the run is gone from the cluster."
              : "The run has finished; this is its whole log."}
        </p>
      </div>
      {error && <ErrorBox error={error} title={log ? "Could not refresh the log (showing the last lines read)" : "Could not load the log"} />}
      {log?.truncated && (
        <p className="notice">
          The oldest {log.dropped} lines were dropped: a run's log keeps its newest 2000 lines and 256 KiB.
        </p>
      )}
      {log && lines.length === 0 ? (
        <Empty>{follow ? "No log lines yet: they appear within seconds of the run's first steps." : "This run has no log lines."}</Empty>
      ) : (
        log && (
          <pre className="run-log" role="log" aria-label={`Log of run ${name}`} tabIndex={0} ref={box} onScroll={onScroll}>
            {lines.map((line, i) => (
              <span key={i} className="log-line" data-level={line.level ?? "marker"}>
                {line.time && (
                  <time dateTime={line.time} title={line.time}>
                    {timeOfDay(line.time)}
                  </time>
                )}
                {line.level && <span className="log-level">{line.level}</span>}
                <span className="log-text">{line.text}</span>
                {"\n"}
              </span>
            ))}
          </pre>
        )
      )}
    </section>
  );
}
