// Badges for a step's phase and a fault's or probe's verdict. A step's phase reuses PhaseBadge's colours
// but not its data-phase attribute: on the run view that attribute marks the run's own phase only.

export function StepPhase({ phase }: { phase: string }) {
  return (
    <span className={`badge phase-${phase.toLowerCase()}`} data-step-phase={phase}>
      {phase}
    </span>
  );
}

/** Pass/Passed, Fail/Failed, Stopped, Awaited. */
export function verdictTone(verdict: string): "good" | "bad" | "warn" | "none" {
  switch (verdict) {
    case "Pass":
    case "Passed":
      return "good";
    case "Fail":
    case "Failed":
      return "bad";
    case "Stopped":
      return "warn";
    default:
      return "none";
  }
}

export function VerdictBadge({ verdict }: { verdict: string }) {
  return (
    <span className={`badge verdict verdict-${verdictTone(verdict)}`} title="Verdict">
      {verdict}
    </span>
  );
}
