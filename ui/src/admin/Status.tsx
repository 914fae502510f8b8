// A polite live region for "done" messages: always in the page, so screen readers announce what appears.
export function Status({ message }: { message: string | null }) {
  return (
    <div role="status" aria-live="polite" className="admin-status">
      {message && <p className="success">{message}</p>}
    </div>
  );
}
