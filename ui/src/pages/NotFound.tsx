// A route that does not exist.
import { Link } from "react-router";

export function NotFound() {
  return (
    <div className="empty">
      <h1>Page not found</h1>
      <p>
        <Link to="/">Go to your projects</Link>
      </p>
    </div>
  );
}
