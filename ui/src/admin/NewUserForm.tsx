// The "New user" form of the Users page: checks the fields, creates the user, and clears the password.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { rest } from "../api/rest";
import type { GlobalRole, UserView } from "../api/session";
import { ErrorBox } from "../components/ui";
import { Field } from "./Field";
import { collectProblems, emailProblem, isClean, newPasswordProblem, usernameProblem, MIN_PASSWORD } from "./validation";

type Role = GlobalRole;

export function NewUserForm({ onCreated }: { onCreated: (user: UserView) => void }) {
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("user");
  // problems are shown from the first attempt to submit on, and follow the typing from then
  const [attempts, setAttempts] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const problems =
    attempts > 0
      ? collectProblems({
          username: usernameProblem(username),
          email: emailProblem(email.trim()),
          password: newPasswordProblem(password, username),
        })
      : {};

  // after a refused submit, take the keyboard to the first field to fix
  useEffect(() => {
    if (attempts > 0) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [attempts]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found = collectProblems({
      username: usernameProblem(username),
      email: emailProblem(email.trim()),
      password: newPasswordProblem(password, username),
    });
    setAttempts((n) => n + 1);
    if (!isClean(found)) return;
    setBusy(true);
    setError(null);
    try {
      const user = await rest.createUser({
        username,
        password,
        displayName: displayName.trim(),
        email: email.trim(),
        role,
      });
      setUsername("");
      setDisplayName("");
      setEmail("");
      setPassword("");
      setRole("user");
      setAttempts(0);
      onCreated(user);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={formRef} className="stack" onSubmit={submit} noValidate aria-labelledby="new-user-title">
      <h2 id="new-user-title">New user</h2>
      <p className="hint">The user must change the initial password at first sign-in.</p>
      <div className="admin-form-grid">
        <Field label="Username" error={problems.username} hint="Lowercase letters, digits and '-'; up to 63 characters.">
          {(control) => (
            <input
              {...control}
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              required
            />
          )}
        </Field>
        <Field label="Display name">
          {(control) => <input {...control} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />}
        </Field>
        <Field label="Email" error={problems.email}>
          {(control) => (
            <input {...control} type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" />
          )}
        </Field>
        <Field
          label="Initial password"
          error={problems.password}
          hint={`At least ${MIN_PASSWORD} characters; to be changed at first sign-in.`}
        >
          {(control) => (
            <input
              {...control}
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete="new-password"
              required
            />
          )}
        </Field>
        <Field label="Role" hint="Admins manage users and may act in every project.">
          {(control) => (
            <select {...control} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <option value="user">User</option>
              <option value="admin">Admin</option>
            </select>
          )}
        </Field>
      </div>
      <ErrorBox error={error} title="Could not create the user" />
      <div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating…" : "Create user"}
        </button>
      </div>
    </form>
  );
}
