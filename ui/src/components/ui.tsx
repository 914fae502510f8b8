// Small shared pieces: phase and score badges, a run's author, loading, empty and error states, page headers.
import type { ReactNode } from "react";
import { errorMessage } from "../api/client";
import { score } from "../lib/format";
import { authorText, describeUser, NO_AUTHOR } from "../lib/who";

export function PhaseBadge({ phase }: { phase: string | null | undefined }) {
  const p = phase ?? "Pending";
  return (
    <span className={`badge phase-${p.toLowerCase()}`} data-phase={p}>
      {p}
    </span>
  );
}

/** A score with its colour band: ≥ 80 good, ≥ 50 fair, else poor. */
export function ScoreBadge({ value }: { value: number | null | undefined }) {
  if (value === null || value === undefined) return <span className="score score-none">—</span>;
  const band = value >= 80 ? "good" : value >= 50 ? "fair" : "poor";
  return (
    <span className={`score score-${band}`} title="Resiliency score (0–100)" data-score={value}>
      {score(value)}
    </span>
  );
}

/** Who created a run (as the admission webhook saw them), or "—" when it was not recorded. */
export function Author({ name }: { name: string | null | undefined }) {
  const text = authorText(name);
  if (text === NO_AUTHOR) {
    return (
      <span className="muted" title="Not recorded: the run was created before ChaosCenter recorded authors">
        {NO_AUTHOR}
      </span>
    );
  }
  const kind = describeUser(text);
  // a Kubernetes username (with its prefixes) reads as an identifier
  return (
    <span className={kind ? "author mono" : "author"} title={kind}>
      {text}
    </span>
  );
}

export function Loading({ what }: { what?: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      Loading{what ? ` ${what}` : ""}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** An error the user should read; `error` may be a GraphQL CombinedError, an ApiError or a string. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      {title && <strong>{title}: </strong>}
      {typeof error === "string" ? error : errorMessage(error)}
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children && <div className="actions">{children}</div>}
    </div>
  );
}
