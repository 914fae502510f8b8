// The target preview of the workflow editor: what each step would hit, from a dry run of the definition.
import type { PlanPreview } from "./plan";

export type PreviewState =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "blocked"; message: string }
  | { status: "error"; message: string }
  | { status: "done"; plan: PlanPreview; finished: boolean; run: string };

interface Props {
  state: PreviewState;
  /** Absent for users who may not preview (Viewers). */
  onPreview?: () => void;
}

export function TargetPreview({ state, onPreview }: Props) {
  return (
    <section className="card preview" role="region" aria-label="Target preview" aria-live="polite" aria-busy={state.status === "loading"}>
      <div className="preview-header">
        <h2>Target preview</h2>
        {onPreview && (
          <button type="button" onClick={onPreview} disabled={state.status === "loading"}>
            Preview targets
          </button>
        )}
      </div>
      {state.status === "idle" && (
        <p className="hint">
          A dry run resolves each step's targets and checks the project's policy; nothing is injected and it does not enter the
          history.{onPreview && " It runs by itself when a step's target, fault type or mode changes."}
        </p>
      )}
      {state.status === "loading" && <p className="muted">Resolving targets…</p>}
      {state.status === "blocked" && <p className="notice">{state.message}</p>}
      {state.status === "error" && <p className="error">Could not preview: {state.message}</p>}
      {state.status === "done" && <PlanView plan={state.plan} finished={state.finished} run={state.run} />}
    </section>
  );
}

function PlanView({ plan, finished, run }: { plan: PlanPreview; finished: boolean; run: string }) {
  if (!finished) {
    return (
      <p className="notice">
        The operator has not answered yet (dry run {run}). Try again in a moment.
      </p>
    );
  }
  if (plan.refused) {
    return (
      <p className="error">
        <strong>Refused: </strong>
        {plan.refused}
      </p>
    );
  }
  return (
    <ul className="preview-steps">
      {plan.steps.map((s) => (
        <li key={s.name} className={s.targets.length > 0 ? "hits" : "none"}>
          <strong>{s.name}</strong>: {s.summary}
        </li>
      ))}
    </ul>
  );
}
