// Placeholder: filled by the page's own work.
export function RunView() {
  return <p>RunView</p>;
}
