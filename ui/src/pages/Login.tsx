// Sign-in: username and password; says why the last session ended, and returns to where the user was.
import { useState, type FormEvent } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { login } from "../api/session";
import { ErrorBox } from "../components/ui";
import { useSession } from "../session";

export function Login() {
  const { ended, session } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const next = (location.state as { from?: string } | null)?.from ?? "/";
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  // a session resumed from the cookie (a page load of /login): on to where the user was going
  if (session && !busy) return <Navigate to={session.mustChangePassword ? "/password" : next} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const tokens = await login(username.trim(), password);
      navigate(tokens.mustChangePassword ? "/password" : next, { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="auth-page">
      <form className="card auth-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to ChaosCenter</h1>
        {ended === "expired" && (
          <p className="notice" role="status">
            Your session expired. Sign in again to continue.
          </p>
        )}
        {ended === "signed-out" && (
          <p className="notice" role="status">
            You are signed out.
          </p>
        )}
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
            autoFocus
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        <ErrorBox error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
