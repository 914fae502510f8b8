// Placeholder: filled by the page's own work.
export function Members() {
  return <p>Members</p>;
}
