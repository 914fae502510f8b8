// The caller's own details on the Account page: username (read-only), display name and email.
import { useState, type FormEvent } from "react";
import { rest } from "../api/rest";
import { current, setSession, type UserView } from "../api/session";
import { ErrorBox } from "../components/ui";
import { Field } from "./Field";
import { Status } from "./Status";
import { collectProblems, displayNameProblem, emailProblem, isClean } from "./validation";

export function DetailsForm({ user, onSaved }: { user: UserView; onSaved: (user: UserView) => void }) {
  const [displayName, setDisplayName] = useState(user.displayName);
  const [email, setEmail] = useState(user.email);
  const [checked, setChecked] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const check = () => collectProblems({ displayName: displayNameProblem(displayName), email: emailProblem(email.trim()) });
  const problems = checked ? check() : {};

  async function submit(e: FormEvent) {
    e.preventDefault();
    setChecked(true);
    setSaved(null);
    if (!isClean(check())) return;
    setBusy(true);
    setError(null);
    try {
      const updated = await rest.updateMe({ displayName: displayName.trim(), email: email.trim() });
      // the header shows the display name from the stored session
      const session = current();
      if (session) setSession({ ...session, user: { ...session.user, ...updated } });
      setChecked(false);
      setSaved("Details saved.");
      onSaved(updated);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={submit} noValidate aria-labelledby="details-title">
      <h2 id="details-title">Your details</h2>
      <Field label="Username" hint="Usernames cannot be changed.">
        {(control) => <input {...control} value={user.username} readOnly />}
      </Field>
      <Field label="Display name" error={problems.displayName}>
        {(control) => (
          <input {...control} value={displayName} onChange={(e) => setDisplayName(e.target.value)} autoComplete="name" />
        )}
      </Field>
      <Field label="Email" error={problems.email}>
        {(control) => (
          <input {...control} type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" />
        )}
      </Field>
      <ErrorBox error={error} title="Could not save your details" />
      <Status message={saved} />
      <div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Saving…" : "Save details"}
        </button>
      </div>
    </form>
  );
}
