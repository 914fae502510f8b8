// The "Add member" form of the Members page: a username (suggested from the known users, for admins)
// and a role.
import { useId, useState, type FormEvent } from "react";
import { rest, type ProjectInfo } from "../api/rest";
import type { ProjectRole } from "../api/session";
import { ErrorBox } from "../components/ui";
import { Field } from "./Field";
import { PROJECT_ROLES, ROLE_HINTS } from "./members";

export function AddMemberForm({
  project,
  suggestions,
  onAdded,
}: {
  project: string;
  /** Usernames to offer (admins know every user); none for a plain text field. */
  suggestions?: string[];
  onAdded: (info: ProjectInfo, user: string, role: ProjectRole) => void;
}) {
  const listId = useId();
  const [user, setUser] = useState("");
  const [role, setRole] = useState<ProjectRole>("Viewer");
  const [checked, setChecked] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const problem = checked && user.trim() === "" ? "Enter the username of the user to add." : null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setChecked(true);
    const name = user.trim();
    if (!name) return;
    setBusy(true);
    setError(null);
    try {
      const info = await rest.addMember(project, name, role);
      setUser("");
      setChecked(false);
      onAdded(info, name, role);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const withList = suggestions !== undefined;
  return (
    <form className="stack" onSubmit={submit} noValidate aria-labelledby="add-member-title">
      <h2 id="add-member-title">Add a member</h2>
      <div className="row admin-top">
        <Field label="User" error={problem} hint={withList ? "Pick a user or type a username." : "The user's username."}>
          {(control) => (
            <input
              {...control}
              value={user}
              onChange={(e) => setUser(e.target.value)}
              list={withList ? listId : undefined}
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              required
            />
          )}
        </Field>
        <Field label="Role" hint={ROLE_HINTS[role]}>
          {(control) => (
            <select {...control} value={role} onChange={(e) => setRole(e.target.value as ProjectRole)}>
              {PROJECT_ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="primary admin-align" disabled={busy}>
          {busy ? "Adding…" : "Add member"}
        </button>
      </div>
      {withList && (
        <datalist id={listId}>
          {suggestions.map((u) => (
            <option key={u} value={u} />
          ))}
        </datalist>
      )}
      <ErrorBox error={error} title="Could not add the member" />
    </form>
  );
}
