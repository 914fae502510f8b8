// The password change a first sign-in (or a reset by an admin) requires before anything else.
import { useNavigate } from "react-router";
import { logout } from "../api/session";
import { PasswordForm } from "../components/PasswordForm";

export function ForcedPassword() {
  const navigate = useNavigate();
  return (
    <div className="auth-page">
      <div className="card auth-card">
        <h1>Choose a new password</h1>
        <p>This is your first sign-in, or an administrator reset your password: choose your own to continue.</p>
        <PasswordForm submitLabel="Set password and continue" onDone={() => navigate("/", { replace: true })} />
        <button type="button" className="link" onClick={() => void logout()}>
          Sign out instead
        </button>
      </div>
    </div>
  );
}
