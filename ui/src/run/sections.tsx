// The run view's sections: why a run was refused or stopped, the step table (the graph's text alternative),
// targets, probes, the event timeline and the conditions that do not hold.
import { Empty } from "../components/ui";
import { dateTime, finished } from "../lib/format";
import { StepPhase, VerdictBadge } from "./badges";
import type { Condition, RunStop, StepRow } from "./status";
import { ineffective, injectionNote, showsMechanism, targetName } from "./status";
import { timeline, type RunEvent } from "./timeline";

/** The id of a step's row, the target of the graph's node clicks. */
export function stepAnchor(step: string): string {
  return `step-${step}`;
}

function percent(v: number | undefined): string {
  return v === undefined ? "—" : `${Math.round(v * 10) / 10} %`;
}

export function StepsTable({ steps }: { steps: StepRow[] }) {
  return (
    <table className="data">
      <caption className="visually-hidden">Steps</caption>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Depends on</th>
          <th scope="col">Weight</th>
          <th scope="col">Phase</th>
          <th scope="col">Verdict</th>
          <th scope="col">Probe success</th>
          <th scope="col">Chaos</th>
          <th scope="col">Injections</th>
        </tr>
      </thead>
      <tbody>
        {steps.map((s) => (
          <tr key={s.name} id={stepAnchor(s.name)} tabIndex={-1}>
            <th scope="row">
              <div className="mono">{s.name}</div>
              <div className="hint">{s.faultType ?? "unknown fault"}</div>
              {s.message && <div className="hint step-message">{s.message}</div>}
            </th>
            <td>{s.dependsOn.length ? s.dependsOn.join(", ") : "—"}</td>
            <td className="tabnum">{s.weight}</td>
            <td>
              <StepPhase phase={s.phase} />
            </td>
            <td>
              <VerdictBadge verdict={s.verdict} />
            </td>
            <td className="tabnum">{s.probeCount > 0 ? percent(s.probeSuccessPercentage) : <span className="hint">no probes</span>}</td>
            <td>
              <div>
                <span className="hint">started </span>
                {dateTime(s.chaosStartedAt)}
              </div>
              <div>
                <span className="hint">ends </span>
                {dateTime(s.chaosEndsAt)}
              </div>
            </td>
            <td>
              <span className="tabnum">{s.injections}</span>
              {s.nextInjectionAt && !finished(s.phase) && <div className="hint">next {dateTime(s.nextInjectionAt)}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The targets of each step: when each was injected and reverted, how (a node agent's fault's mechanism, from
 *  the target's status or the run's events), and why an injection failed or did not take effect (that also at the top). */
export function TargetsTable({ steps, events = [] }: { steps: StepRow[]; events?: readonly RunEvent[] }) {
  const rows = steps.flatMap((s) =>
    s.targets.map((t, i) => ({
      step: s.name,
      t,
      key: `${s.name}/${i}`,
      note: showsMechanism(t.fault || s.faultType) ? (t.note ?? injectionNote(events, s.name, t)) : undefined,
    })),
  );
  if (rows.length === 0) return <Empty>No targets yet: no fault has been injected.</Empty>;
  const anyOriginal = rows.some((r) => r.t.original);
  const noEffect = rows.filter((r) => ineffective(r.t));
  return (
    <>
      {noEffect.length > 0 && (
        <div className="run-warning" role="alert">
          {noEffect.map(({ step, t, key }) => (
            <p key={key}>
              <strong>
                The fault did not take effect on {t.kind} {targetName(t)}
              </strong>{" "}
              (step <span className="mono">{step}</span>): {t.injectionError}
            </p>
          ))}
        </div>
      )}
      <TargetRows rows={rows} anyOriginal={anyOriginal} />
    </>
  );
}

interface TargetRow {
  step: string;
  t: StepRow["targets"][number];
  key: string;
  note?: string;
}

function TargetRows({ rows, anyOriginal }: { rows: TargetRow[]; anyOriginal: boolean }) {
  return (
    <table className="data">
      <caption className="visually-hidden">Targets of each step</caption>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Kind</th>
          <th scope="col">Namespace/name</th>
          <th scope="col">Round</th>
          <th scope="col">Injected at</th>
          <th scope="col">Reverted at</th>
          <th scope="col">Revert verified</th>
          {anyOriginal && <th scope="col">Original</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map(({ step, t, key, note }) => (
          <tr key={key} className={t.revertError || t.injectionError ? "run-row-bad" : undefined}>
            <td className="mono">{step}</td>
            <td>{t.kind}</td>
            <td>
              <div className="mono">{targetName(t)}</div>
              {note && <div className="hint target-note">{note}</div>}
            </td>
            <td className="tabnum">{t.round}</td>
            <td>
              <time dateTime={t.injectedAt}>{dateTime(t.injectedAt)}</time>
              {t.injectionError && (
                <div className="field-error">{ineffective(t) ? t.injectionError : `Injection failed: ${t.injectionError}`}</div>
              )}
            </td>
            <td>
              {t.revertedAt ? <time dateTime={t.revertedAt}>{dateTime(t.revertedAt)}</time> : "not yet"}
              {t.revertError && <div className="field-error">Revert failed: {t.revertError}</div>}
            </td>
            <td>{t.revertVerified ? "Yes" : "No"}</td>
            {anyOriginal && <td className="mono">{t.original ?? "—"}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ProbesTable({ steps }: { steps: StepRow[] }) {
  const rows = steps.flatMap((s) => s.probes.map((p) => ({ step: s.name, p, key: `${s.name}/${p.name}` })));
  if (rows.length === 0) return <Empty>No probe results yet.</Empty>;
  return (
    <table className="data">
      <caption className="visually-hidden">Probe verdicts of each step</caption>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Probe</th>
          <th scope="col">Verdict</th>
          <th scope="col">Passed</th>
          <th scope="col">Failed</th>
          <th scope="col">Last checked</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ step, p, key }) => (
          <tr key={key}>
            <td className="mono">{step}</td>
            <td className="mono">{p.name}</td>
            <td>
              <VerdictBadge verdict={p.verdict} />
            </td>
            <td className="tabnum">{p.passed}</td>
            <td className="tabnum">{p.failed}</td>
            <td>{dateTime(p.lastCheckedAt)}</td>
            <td className="probe-message">{p.message || "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function EventTimeline({ events, deleted }: { events: readonly RunEvent[]; deleted: boolean }) {
  if (events.length === 0) {
    return (
      <Empty>
        {deleted
          ? "This run is gone from the cluster, so its Kubernetes events are no longer available."
          : "No events yet."}
      </Empty>
    );
  }
  return (
    <ol className="run-events">
      {timeline(events).map((e) => (
        <li key={e.key} className={e.warning ? "run-event run-event-warning" : "run-event"}>
          <time dateTime={e.time ?? undefined} className="run-event-time">
            {dateTime(e.time)}
          </time>
          <span className={`badge ${e.warning ? "run-event-kind-warning" : "run-event-kind-normal"}`}>{e.kind}</span>
          <strong className="run-event-reason">{e.reason}</strong>
          <span className="run-event-message">{e.message}</span>
        </li>
      ))}
    </ol>
  );
}

/** Why the run was refused or stopped, at the top of the run view: the condition's message (naming the
 *  namespace or node and what is missing), the field and step it is about, its reason and what to do. */
export function StopBanner({ stop, stepName }: { stop: RunStop; stepName?: string }) {
  return (
    <div className="run-stop" role="alert" aria-labelledby="run-stop-title">
      <h2 id="run-stop-title">{stop.title}</h2>
      <p className="run-stop-detail">{stop.detail}</p>
      <dl className="run-stop-facts">
        {stop.field && (
          <div>
            <dt>Where</dt>
            <dd>
              <code>{stop.field}</code>
              {stepName && (
                <>
                  {" "}
                  (step <span className="mono">{stepName}</span>)
                </>
              )}
            </dd>
          </div>
        )}
        <div>
          <dt>Reason</dt>
          <dd>
            <code>{stop.reason || "—"}</code>
            {stop.at && <span className="hint"> at {dateTime(stop.at)}</span>}
          </dd>
        </div>
      </dl>
      {stop.advice && <p className="run-stop-advice">{stop.advice}</p>}
    </div>
  );
}

export function ConditionWarnings({ conditions }: { conditions: Condition[] }) {
  if (conditions.length === 0) return null;
  return (
    <div className="run-warning" role="alert">
      {conditions.map((c) => (
        <p key={c.type}>
          <strong>
            {c.type}: {c.reason || "False"}
          </strong>
          {c.message && <> — {c.message}</>}
          {c.lastTransitionTime && <span className="hint"> ({dateTime(c.lastTransitionTime)})</span>}
        </p>
      ))}
    </div>
  );
}
