// Placeholder: filled by the page's own work.
export function Account() {
  return <p>Account</p>;
}
