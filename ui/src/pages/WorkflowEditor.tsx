// Placeholder: filled by the page's own work.
export function WorkflowEditor() {
  return <p>WorkflowEditor</p>;
}
