// Placeholder: filled by the page's own work.
export function Workflows() {
  return <p>Workflows</p>;
}
