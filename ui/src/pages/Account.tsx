// The Account page (/account): own details, projects and roles, password change, and API tokens.
import { useState } from "react";
import { Link } from "react-router";
import { rest } from "../api/rest";
import { ErrorBox, Loading, PageHeader } from "../components/ui";
import { PasswordForm } from "../components/PasswordForm";
import { ApiTokens } from "../admin/ApiTokens";
import { DetailsForm } from "../admin/DetailsForm";
import { isAdmin, roleLabel } from "../admin/globalRole";
import { Status } from "../admin/Status";
import { useRest } from "../admin/useRest";

export function Account() {
  const me = useRest(() => rest.me());
  // a fresh (empty) password form after each change
  const [passwordForm, setPasswordForm] = useState(0);
  const [passwordChanged, setPasswordChanged] = useState<string | null>(null);

  return (
    <>
      <PageHeader title="Account" />
      {me.error ? <ErrorBox error={me.error} title="Could not load your account" /> : null}
      <div className="admin-columns">
        <section className="card admin-card">
          {me.data ? (
            <DetailsForm user={me.data} onSaved={() => me.reload()} />
          ) : (
            <>
              <h2>Your details</h2>
              {me.loading && <Loading what="your details" />}
            </>
          )}
        </section>

        <section className="card admin-card stack" aria-labelledby="my-projects-title">
          <h2 id="my-projects-title">Your projects</h2>
          {me.data && (
            <p>
              Global role: <strong>{roleLabel(me.data.role)}</strong>
              {isAdmin(me.data.role) && <span className="hint"> — you manage users and may act in every project.</span>}
            </p>
          )}
          {me.loading && !me.data ? (
            <Loading what="your projects" />
          ) : me.data && me.data.projects.length === 0 ? (
            <p className="muted">You are not a member of any project.</p>
          ) : me.data ? (
            <table className="data" aria-label="Your projects">
              <thead>
                <tr>
                  <th scope="col">Project</th>
                  <th scope="col">Your role</th>
                </tr>
              </thead>
              <tbody>
                {me.data.projects.map((m) => (
                  <tr key={m.project}>
                    <td>
                      <Link to={`/projects/${encodeURIComponent(m.project)}`}>{m.project}</Link>
                    </td>
                    <td>{m.role}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </section>

        <section className="card admin-card stack" aria-labelledby="password-title">
          <h2 id="password-title">Password</h2>
          <p className="hint">Changing it signs out your other sessions and ends your API tokens; this one stays signed in.</p>
          <Status message={passwordChanged} />
          <PasswordForm
            key={passwordForm}
            onDone={() => {
              setPasswordChanged("Password changed. Other sessions were signed out and your API tokens ended.");
              setPasswordForm((n) => n + 1);
            }}
          />
        </section>
      </div>
      <ApiTokens />
    </>
  );
}
