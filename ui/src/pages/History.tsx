// Placeholder: filled by the page's own work.
export function History() {
  return <p>History</p>;
}
