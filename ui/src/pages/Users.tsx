// The Users page (/admin/users, admins only): every user with their role, status and projects; create,
// disable, enable, and reset a password.
import { useState } from "react";
import { rest } from "../api/rest";
import { Empty, ErrorBox, Loading, PageHeader } from "../components/ui";
import { isAdmin } from "../admin/globalRole";
import { NewUserForm } from "../admin/NewUserForm";
import { Status } from "../admin/Status";
import { UserRow } from "../admin/UserRow";
import { useRest } from "../admin/useRest";
import { useSession } from "../session";

export function Users() {
  const { session } = useSession();
  if (!session || !isAdmin(session.user.role)) {
    return (
      <>
        <PageHeader title="Users" />
        <p className="notice">Only administrators can manage users.</p>
      </>
    );
  }
  return <UserAdministration me={session.user.username} />;
}

function UserAdministration({ me }: { me: string }) {
  const users = useRest(() => rest.users());
  const [resetting, setResetting] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<{ title: string; error: unknown } | null>(null);

  function changed(message: string) {
    setActionError(null);
    setNotice(message);
    users.reload();
  }

  const list = users.data ? [...users.data].sort((a, b) => a.username.localeCompare(b.username)) : [];

  return (
    <>
      <PageHeader title="Users" />
      <Status message={notice} />
      <section className="card admin-card stack" aria-labelledby="users-list-title">
        <h2 id="users-list-title" className="visually-hidden">
          All users
        </h2>
        {actionError && <ErrorBox error={actionError.error} title={actionError.title} />}
        {users.error ? <ErrorBox error={users.error} title="Could not load the users" /> : null}
        {users.loading && !users.data ? (
          <Loading what="users" />
        ) : users.data && list.length === 0 ? (
          <Empty>No users yet.</Empty>
        ) : users.data ? (
          <div className="admin-table-wrap">
            <table className="data" aria-label="Users">
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Display name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Projects</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((user) => (
                  <UserRow
                    key={user.username}
                    user={user}
                    isSelf={user.username === me}
                    resetOpen={resetting === user.username}
                    onToggleReset={() => setResetting((r) => (r === user.username ? null : user.username))}
                    onChanged={changed}
                    onError={(title, error) => {
                      setNotice(null);
                      setActionError({ title, error });
                    }}
                  />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      <section className="card admin-card">
        <NewUserForm onCreated={(user) => changed(`User ${user.username} created. They must change the password at first sign-in.`)} />
      </section>
    </>
  );
}
