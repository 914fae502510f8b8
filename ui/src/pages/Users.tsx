// Placeholder: filled by the page's own work.
export function Users() {
  return <p>Users</p>;
}
