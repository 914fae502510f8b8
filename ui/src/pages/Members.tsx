// The Members page (/projects/:project/members): who is in the project with which role; Owners and admins
// add members, change roles and remove members; every member may leave.
import { useEffect, useState } from "react";
import { useNavigate } from "react-router";
import { useClient } from "urql";
import { rest, type ProjectInfo } from "../api/rest";
import type { ProjectRole } from "../api/session";
import { Empty, ErrorBox, Loading, PageHeader } from "../components/ui";
import { AddMemberForm } from "../admin/AddMemberForm";
import { isAdmin } from "../admin/globalRole";
import { addableUsers, PROJECT_ROLES, sameMembers, sortMembers } from "../admin/members";
import { Status } from "../admin/Status";
import { useRest } from "../admin/useRest";
import { permissions } from "../lib/roles";
import { ProjectsDocument, useProject, useProjects, type ProjectItem } from "../project";
import { useSession } from "../session";

export function Members() {
  const { name, project } = useProject();
  if (!project) {
    return (
      <>
        <PageHeader title="Members" />
        <Loading what="the project" />
      </>
    );
  }
  // a new project starts afresh (no answer of another project's change is kept)
  return <ProjectMembers key={name} name={name} project={project} />;
}

/** How long to wait between checks that a project left is gone from the list. */
const LEAVE_RECHECK_MS = 300;

function ProjectMembers({ name, project }: { name: string; project: ProjectItem }) {
  const { session } = useSession();
  const me = session?.user.username ?? "";
  const admin = isAdmin(session?.user.role);
  const navigate = useNavigate();
  const client = useClient();
  const [, reexecuteProjects] = useProjects();

  // the server's answer to our last change: newer than the GraphQL list until that catches up
  const [latest, setLatest] = useState<ProjectInfo | null>(null);
  useEffect(() => {
    if (latest && sameMembers(latest.members, project.members)) setLatest(null);
  }, [latest, project]);

  const members = sortMembers(latest?.members ?? project.members);
  const myRole = latest ? latest.myRole : project.myRole;
  const targetNamespaces = latest?.targetNamespaces ?? project.targetNamespaces;
  const namespace = latest?.namespace ?? project.namespace;
  const { canManageMembers } = permissions(myRole, session?.user.role);

  const knownUsers = useRest(() => rest.users(), admin && canManageMembers);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [tableError, setTableError] = useState<{ title: string; error: unknown } | null>(null);
  const [leaveError, setLeaveError] = useState<unknown>(null);
  const [leaving, setLeaving] = useState(false);

  function applied(info: ProjectInfo, message: string) {
    setLatest(info);
    setTableError(null);
    setNotice(message);
    // the header's project switcher and every page's project come from the GraphQL list
    reexecuteProjects({ requestPolicy: "network-only" });
  }

  /** Runs a change of one member's row; true when it was made. */
  async function change(user: string, failure: string, action: () => Promise<ProjectInfo>, done: string) {
    setBusy(user);
    setTableError(null);
    setNotice(null);
    try {
      applied(await action(), done);
      return true;
    } catch (error) {
      setTableError({ title: failure, error });
      return false;
    } finally {
      setBusy(null);
    }
  }

  async function changeRole(user: string, role: ProjectRole) {
    const demotingMyself = user === me && !admin && myRole === "Owner" && role !== "Owner";
    if (demotingMyself && !window.confirm(`Give up the Owner role in ${name}? You can no longer manage its members.`)) {
      return;
    }
    await change(user, `Could not change the role of ${user}`, () => rest.changeRole(name, user, role), `${user} is now ${role}.`);
  }

  async function remove(user: string) {
    const myself = user === me;
    const question = myself
      ? `Remove yourself from ${name}? You lose access to its workflows and runs.`
      : `Remove ${user} from ${name}? They lose access to its workflows and runs.`;
    if (!window.confirm(question)) return;
    const removed = await change(user, `Could not remove ${user}`, () => rest.removeMember(name, user), `${user} was removed.`);
    if (removed && myself && !admin) await goHomeWithout();
  }

  async function leave() {
    if (!window.confirm(`Leave ${name}? You lose access to its workflows and runs.`)) return;
    setLeaving(true);
    setLeaveError(null);
    try {
      await rest.leave(name);
    } catch (error) {
      setLeaveError(error);
      setLeaving(false);
      return;
    }
    await goHomeWithout();
  }

  /**
   * After losing access: reload the project list and go to the start page. The list is awaited (it is
   * read from the server's cache, which may take a moment to see the change), so the start page does
   * not send the user straight back into the project they left. Admins see every project anyway.
   */
  async function goHomeWithout() {
    if (admin) {
      reexecuteProjects({ requestPolicy: "network-only" });
    } else {
      for (let attempt = 0; attempt < 5; attempt++) {
        const result = await client.query(ProjectsDocument, {}, { requestPolicy: "network-only" }).toPromise();
        if (result.error || !result.data?.projects.some((p) => p.name === name)) break;
        await new Promise((resolve) => setTimeout(resolve, LEAVE_RECHECK_MS));
      }
    }
    navigate("/", { replace: true });
  }

  return (
    <>
      <PageHeader title="Members" />
      <Status message={notice} />
      <div className="admin-columns">
        <section className="card admin-card stack" aria-labelledby="member-list-title">
          <h2 id="member-list-title">{project.displayName || name}</h2>
          {tableError && <ErrorBox error={tableError.error} title={tableError.title} />}
          {members.length === 0 ? (
            <Empty>This project has no members.</Empty>
          ) : (
            <div className="admin-table-wrap">
              <table className="data" aria-label="Project members">
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Role</th>
                    {canManageMembers && (
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {members.map((m) => (
                    <tr key={m.user}>
                      <td>
                        {m.user}
                        {m.user === me && <span className="hint"> (you)</span>}
                      </td>
                      <td>
                        {canManageMembers ? (
                          <select
                            aria-label={`Role of ${m.user}`}
                            value={m.role}
                            disabled={busy === m.user}
                            onChange={(e) => void changeRole(m.user, e.target.value as ProjectRole)}
                          >
                            {PROJECT_ROLES.map((r) => (
                              <option key={r} value={r}>
                                {r}
                              </option>
                            ))}
                          </select>
                        ) : (
                          <span className={`badge admin-role-${m.role.toLowerCase()}`}>{m.role}</span>
                        )}
                      </td>
                      {canManageMembers && (
                        <td>
                          <button
                            type="button"
                            className="small danger"
                            aria-label={`Remove ${m.user}`}
                            disabled={busy === m.user}
                            onClick={() => void remove(m.user)}
                          >
                            Remove
                          </button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {!canManageMembers && (
            <p className="hint">Only the project's Owners and administrators can change its members.</p>
          )}
        </section>

        <div className="stack">
          <section className="card admin-card" aria-labelledby="project-facts-title">
            <h2 id="project-facts-title">Namespaces</h2>
            <dl className="admin-facts">
              <dt>Kubernetes namespace</dt>
              <dd>{namespace ? <code>{namespace}</code> : <span className="muted">not created yet</span>}</dd>
              <dt>Target namespaces</dt>
              <dd>
                {targetNamespaces.length === 0 ? (
                  <span className="muted">none: its workflows cannot target anything yet</span>
                ) : (
                  <ul className="admin-inline-list">
                    {targetNamespaces.map((ns) => (
                      <li key={ns}>
                        <code>{ns}</code>
                      </li>
                    ))}
                  </ul>
                )}
              </dd>
            </dl>
          </section>

          {canManageMembers && (
            <section className="card admin-card">
              <AddMemberForm
                project={name}
                suggestions={admin ? addableUsers((knownUsers.data ?? []).map((u) => u.username), members) : undefined}
                onAdded={(info, user, role) => applied(info, `${user} was added as ${role}.`)}
              />
            </section>
          )}

          {myRole && (
            <section className="card admin-card stack" aria-labelledby="membership-title">
              <h2 id="membership-title">Your membership</h2>
              <p>
                You are <strong>{myRole}</strong> of this project.
              </p>
              <ErrorBox error={leaveError} title="Could not leave the project" />
              <div>
                <button type="button" className="danger" onClick={() => void leave()} disabled={leaving}>
                  {leaving ? "Leaving…" : "Leave project"}
                </button>
              </div>
            </section>
          )}
        </div>
      </div>
    </>
  );
}
