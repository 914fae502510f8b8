// Placeholder: filled by the page's own work.
export function Dashboard() {
  return <p>Dashboard</p>;
}
