// Changing one's own password: the current one, the new one twice; used by the forced change and Account.
import { useState, type FormEvent } from "react";
import { changePassword } from "../api/session";
import { ErrorBox } from "./ui";

/** The rule the form checks before sending (the server checks it too). */
export function passwordProblem(next: string, confirm: string, currentPassword: string): string | null {
  if (next.length < 8) return "The new password needs at least 8 characters.";
  if (next !== confirm) return "The two new passwords differ.";
  if (next === currentPassword) return "The new password must differ from the current one.";
  return null;
}

export function PasswordForm({ onDone, submitLabel = "Change password" }: { onDone: () => void; submitLabel?: string }) {
  const [currentPassword, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const problem = passwordProblem(next, confirm, currentPassword);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await changePassword(currentPassword, next);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="stack" aria-label="Change password">
      <label>
        Current password
        <input type="password" autoComplete="current-password" value={currentPassword} onChange={(e) => setCurrent(e.target.value)} required />
      </label>
      <label>
        New password
        <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required minLength={8} />
      </label>
      <label>
        Confirm new password
        <input type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} required />
      </label>
      <ErrorBox error={error} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Saving…" : submitLabel}
      </button>
    </form>
  );
}
