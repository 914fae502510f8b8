// The caller's API tokens on the Account page: the list with Revoke, the "New API token" form, and the
// new token shown once.
import { useState, type FormEvent } from "react";
import { rest, type ApiTokenInfo } from "../api/rest";
import { Empty, ErrorBox, Loading } from "../components/ui";
import { dateTime } from "../lib/format";
import { Field } from "./Field";
import { useRest } from "./useRest";
import { collectProblems, daysProblem, isClean, MAX_TOKEN_DAYS, tokenNameProblem } from "./validation";

type CreatedToken = ApiTokenInfo & { token: string };

export function ApiTokens() {
  const tokens = useRest(() => rest.tokens());
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revokeError, setRevokeError] = useState<{ title: string; error: unknown } | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);

  async function revoke(token: ApiTokenInfo) {
    if (!window.confirm(`Revoke the API token "${token.name}"? Whatever uses it stops working at once.`)) return;
    setRevoking(token.id);
    setRevokeError(null);
    try {
      await rest.revokeToken(token.id);
      if (created?.id === token.id) setCreated(null);
      tokens.reload();
    } catch (error) {
      setRevokeError({ title: `Could not revoke "${token.name}"`, error });
    } finally {
      setRevoking(null);
    }
  }

  const list = tokens.data ?? [];
  return (
    <section className="card admin-card stack" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p className="hint">
        For scripts and CI: a token acts as you, with your roles, until it expires, you revoke it, or your
        password changes (a reset or disabling your account ends it too).
      </p>
      {created && <NewToken token={created} onDismiss={() => setCreated(null)} />}
      {revokeError && <ErrorBox error={revokeError.error} title={revokeError.title} />}
      {tokens.error ? <ErrorBox error={tokens.error} title="Could not load your API tokens" /> : null}
      {tokens.loading && !tokens.data ? (
        <Loading what="API tokens" />
      ) : tokens.data && list.length === 0 ? (
        <Empty>You have no API tokens.</Empty>
      ) : tokens.data ? (
        <div className="admin-table-wrap">
          <table className="data" aria-label="API tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>{dateTime(t.createdAt)}</td>
                  <td>{dateTime(t.expiresAt)}</td>
                  <td>
                    <button
                      type="button"
                      className="small danger"
                      aria-label={`Revoke ${t.name}`}
                      disabled={revoking === t.id}
                      onClick={() => void revoke(t)}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <NewTokenForm
        onCreated={(token) => {
          setCreated(token);
          tokens.reload();
        }}
      />
    </section>
  );
}

function NewTokenForm({ onCreated }: { onCreated: (token: CreatedToken) => void }) {
  const [name, setName] = useState("");
  const [days, setDays] = useState("30");
  const [password, setPassword] = useState("");
  const [checked, setChecked] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const check = () =>
    collectProblems({
      name: tokenNameProblem(name),
      days: daysProblem(days),
      password: password ? null : "Enter your password: a token acts as you, so making one asks for it.",
    });
  const problems = checked ? check() : {};

  async function submit(e: FormEvent) {
    e.preventDefault();
    setChecked(true);
    if (!isClean(check())) return;
    setBusy(true);
    setError(null);
    try {
      const token = await rest.createToken(name.trim(), Number(days.trim()), password);
      setName("");
      setDays("30");
      setPassword("");
      setChecked(false);
      onCreated(token);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack admin-subform" onSubmit={submit} noValidate aria-labelledby="new-token-title">
      <h3 id="new-token-title">New API token</h3>
      <div className="row admin-top">
        <Field label="Name" error={problems.name} hint="What uses it, e.g. ci-pipeline.">
          {(control) => <input {...control} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" required />}
        </Field>
        <Field label="Days valid" error={problems.days} hint={`1 to ${MAX_TOKEN_DAYS}.`} className="admin-days">
          {(control) => (
            <input
              {...control}
              type="number"
              inputMode="numeric"
              min={1}
              max={MAX_TOKEN_DAYS}
              step={1}
              value={days}
              onChange={(e) => setDays(e.target.value)}
              required
            />
          )}
        </Field>
        <Field label="Your password" error={problems.password} hint="To confirm it is you.">
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          )}
        </Field>
        <button type="submit" className="primary admin-align" disabled={busy}>
          {busy ? "Creating…" : "Create token"}
        </button>
      </div>
      <ErrorBox error={error} title="Could not create the token" />
    </form>
  );
}

/** The token just created: shown this once, with a Copy button and an example of its use. */
function NewToken({ token, onDismiss }: { token: CreatedToken; onDismiss: () => void }) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const example = `curl -H "Authorization: Bearer ${token.token}" \\
  -H "Content-Type: application/json" \\
  -d '{"query": "{ projects { name } }"}' \\
  ${window.location.origin}/api/graphql`;

  async function copy() {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  }

  return (
    <div className="admin-new-token stack" role="region" aria-labelledby="new-token-shown-title">
      <h3 id="new-token-shown-title">Token "{token.name}" created</h3>
      <p className="admin-warning">
        <strong>Copy it now: it is not shown again.</strong> It expires on {dateTime(token.expiresAt)}.
      </p>
      <div className="admin-copy">
        <label htmlFor="new-token-value">Your new token</label>
        <input
          id="new-token-value"
          className="mono"
          value={token.token}
          readOnly
          onFocus={(e) => e.currentTarget.select()}
          spellCheck={false}
        />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        <span role="status" aria-live="polite" className="hint">
          {copied === "yes" ? "Copied to the clipboard." : copied === "failed" ? "Copying is not allowed here: select the token and copy it." : ""}
        </span>
      </div>
      <p className="hint">Use it as a bearer token, for example:</p>
      <pre className="admin-example">
        <code>{example}</code>
      </pre>
      <div>
        <button type="button" onClick={onDismiss}>
          I have copied it
        </button>
      </div>
    </div>
  );
}
