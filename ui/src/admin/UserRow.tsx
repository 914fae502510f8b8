// One row of the Users table: the user's details, Disable/Enable, and the inline password reset.
import { useState, type FormEvent } from "react";
import { rest } from "../api/rest";
import type { UserView } from "../api/session";
import { ErrorBox } from "../components/ui";
import { Field } from "./Field";
import { roleLabel } from "./globalRole";
import { MIN_PASSWORD, newPasswordProblem } from "./validation";

/** How many columns the Users table has (the reset form spans them all). */
export const USER_COLUMNS = 7;

export function UserRow({
  user,
  isSelf,
  resetOpen,
  onToggleReset,
  onChanged,
  onError,
}: {
  user: UserView;
  isSelf: boolean;
  resetOpen: boolean;
  onToggleReset: () => void;
  /** After a change, with what to tell the admin. */
  onChanged: (message: string) => void;
  onError: (title: string, error: unknown) => void;
}) {
  const [busy, setBusy] = useState(false);
  const name = user.username;
  const formId = `reset-${name}`;

  async function toggleDisabled() {
    if (
      !user.disabled &&
      !window.confirm(`Disable ${name}? They are signed out at once, their API tokens end, and they lose access to every project until enabled again.`)
    ) {
      return;
    }
    setBusy(true);
    try {
      if (user.disabled) {
        await rest.enableUser(name);
        onChanged(`${name} is enabled again.`);
      } else {
        await rest.disableUser(name);
        onChanged(`${name} is disabled and signed out.`);
      }
    } catch (err) {
      onError(`Could not ${user.disabled ? "enable" : "disable"} ${name}`, err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <tr>
        <td>{name}</td>
        <td>{user.displayName || <span className="muted">—</span>}</td>
        <td>{user.email || <span className="muted">—</span>}</td>
        <td>{roleLabel(user.role)}</td>
        <td>
          <span className={user.disabled ? "badge admin-disabled" : "badge admin-active"}>
            {user.disabled ? "Disabled" : "Active"}
          </span>
        </td>
        <td>
          {user.projects.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <ul className="admin-inline-list">
              {user.projects.map((m) => (
                <li key={m.project}>
                  {m.project} <span className="muted">({m.role})</span>
                </li>
              ))}
            </ul>
          )}
        </td>
        <td>
          <div className="actions">
            <button
              type="button"
              className={user.disabled ? "small" : "small danger"}
              aria-label={`${user.disabled ? "Enable" : "Disable"} ${name}`}
              onClick={() => void toggleDisabled()}
              disabled={busy || (isSelf && !user.disabled)}
              title={isSelf && !user.disabled ? "You cannot disable yourself" : undefined}
            >
              {user.disabled ? "Enable" : "Disable"}
            </button>
            <button
              type="button"
              className="small"
              aria-label={`Reset password of ${name}`}
              aria-expanded={resetOpen}
              aria-controls={resetOpen ? formId : undefined}
              onClick={onToggleReset}
            >
              Reset password
            </button>
          </div>
        </td>
      </tr>
      {resetOpen && (
        <tr className="admin-subrow">
          <td colSpan={USER_COLUMNS}>
            <ResetPasswordForm
              id={formId}
              username={name}
              onDone={() => {
                onToggleReset();
                onChanged(`New password of ${name} set. They must change it at next sign-in.`);
              }}
              onCancel={onToggleReset}
            />
          </td>
        </tr>
      )}
    </>
  );
}

/** An admin sets a new password for `username`; the field is cleared as soon as it was sent. */
function ResetPasswordForm({
  id,
  username,
  onDone,
  onCancel,
}: {
  id: string;
  username: string;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [password, setPassword] = useState("");
  const [checked, setChecked] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const problem = checked ? newPasswordProblem(password, username) : null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setChecked(true);
    if (newPasswordProblem(password, username)) return;
    setBusy(true);
    setError(null);
    try {
      await rest.resetPassword(username, password);
      setPassword("");
      onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <form id={id} className="row admin-top admin-reset" onSubmit={submit} noValidate aria-label={`New password for ${username}`}>
      <Field
        label="New password"
        error={problem}
        hint={`At least ${MIN_PASSWORD} characters. ${username} must change it at next sign-in; their sessions and API tokens end now.`}
      >
        {(control) => (
          <input
            {...control}
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="new-password"
            required
            autoFocus
          />
        )}
      </Field>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Saving…" : "Set password"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <ErrorBox error={error} title={`Could not set the password of ${username}`} />
    </form>
  );
}
