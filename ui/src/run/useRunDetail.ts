// One run, kept live: the `run` query, re-read on each `runUpdated` message and every few seconds while the
// run is not finished (subscriptions can drop); the last good answer stays shown through a failed refresh.
// A run just started may not be in the history yet: "not found" is believed only after a few retries.
import { useCallback, useEffect, useMemo, useState } from "react";
import { useQuery, useSubscription } from "urql";
import { errorCode } from "../api/client";
import type { RunViewQuery } from "../gql/graphql";
import { finished } from "../lib/format";
import { RunUpdatedDocument, RunViewDocument } from "./queries";
import { parseDefinition, parseStatus } from "./status";

/** How often a run in progress is re-read when no update arrives. */
export const POLL_MS = 3000;
/** How often, and how many times, a run reported missing is looked for again before it is called missing. */
export const NOT_FOUND_RETRY_MS = 600;
export const NOT_FOUND_RETRIES = 8;

export type RunDetail = RunViewQuery["run"];

export function useRunDetail(project: string, name: string) {
  const [{ data, fetching, error }, reexecute] = useQuery({ query: RunViewDocument, variables: { project, name } });
  // urql keeps the previous run's data while another run loads: only this run's data counts
  const fresh = data?.run && data.run.name === name ? data.run : undefined;

  const key = `${project}/${name}`;
  const [last, setLast] = useState<{ key: string; run: RunDetail }>();
  if (fresh && (last?.key !== key || last.run !== fresh)) setLast({ key, run: fresh });
  const run = fresh ?? (last?.key === key ? last.run : undefined);

  const status = useMemo(() => parseStatus(run?.status), [run?.status]);
  const definition = useMemo(() => parseDefinition(run?.definition), [run?.definition]);
  const phase = run?.phase ?? status.phase ?? null;
  const live = !!run && !finished(phase);

  const refresh = useCallback(() => reexecute({ requestPolicy: "network-only" }), [reexecute]);

  const [update] = useSubscription({ query: RunUpdatedDocument, variables: { project, name }, pause: !live });
  useEffect(() => {
    if (update.data) refresh();
  }, [update.data, refresh]);

  useEffect(() => {
    if (!live) return;
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [live, refresh]);

  // the history database learns of a new run a moment after the cluster does
  const missing = !run && errorCode(error) === "NOT_FOUND";
  const [retries, setRetries] = useState({ key, count: 0 });
  const retried = retries.key === key ? retries.count : 0;
  const stillLooking = missing && retried < NOT_FOUND_RETRIES;
  useEffect(() => {
    if (!stillLooking || fetching) return;
    const timer = setTimeout(() => {
      setRetries({ key, count: retried + 1 });
      refresh();
    }, NOT_FOUND_RETRY_MS);
    return () => clearTimeout(timer);
  }, [stillLooking, fetching, key, retried, refresh]);

  return {
    run,
    status,
    definition,
    phase,
    live,
    loading: !run && (fetching || !error || stillLooking),
    notFound: missing && !stillLooking,
    error,
    refresh,
  };
}
