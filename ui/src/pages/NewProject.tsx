// Creating a project (admins): its name, display name, description and the namespaces its chaos may target.
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useClient } from "urql";
import { rest } from "../api/rest";
import { ErrorBox, PageHeader } from "../components/ui";
import { isAdmin } from "../lib/roles";
import { ProjectsDocument } from "../project";
import { useSession } from "../session";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** What is wrong with a project name, or null. */
export function projectNameProblem(name: string): string | null {
  if (!name) return "A project needs a name.";
  if (name.length > 57) return "At most 57 characters (its namespace is <name>-chaos).";
  if (!DNS_LABEL.test(name)) return "Lowercase letters, digits and '-', starting and ending with a letter or digit.";
  return null;
}

/** The namespaces typed as "a, b c" (commas or spaces), without duplicates. */
export function parseNamespaces(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

export function NewProject() {
  const { session } = useSession();
  if (!isAdmin(session?.user.role)) {
    return <ErrorBox error="Only administrators can create projects." />;
  }
  return (
    <>
      <PageHeader title="New project" />
      <div className="card narrow">
        <CreateProject />
      </div>
    </>
  );
}

/** The form; the creator becomes the project's Owner. */
export function CreateProject() {
  const navigate = useNavigate();
  const client = useClient();
  const [name, setName] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [description, setDescription] = useState("");
  const [targets, setTargets] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const trimmed = name.trim();
    const wrong = projectNameProblem(trimmed);
    setProblem(wrong);
    if (wrong) return;
    setBusy(true);
    setError(null);
    try {
      await rest.createProject({
        name: trimmed,
        displayName: displayName.trim(),
        description: description.trim(),
        targetNamespaces: parseNamespaces(targets),
      });
      // the switcher and the project's pages read the projects list: fetch it before going there
      await client.query(ProjectsDocument, {}, { requestPolicy: "network-only" }).toPromise();
      navigate(`/projects/${trimmed}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={submit} aria-label="Create a project" noValidate>
      <label>
        Project name
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? "project-name-error" : "project-name-hint"}
          required
        />
      </label>
      {problem ? (
        <span id="project-name-error" className="field-error">
          {problem}
        </span>
      ) : (
        <span id="project-name-hint" className="hint">
          Its workflows and runs live in the namespace &lt;name&gt;-chaos.
        </span>
      )}
      <label>
        Display name
        <input value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
      </label>
      <label>
        Description
        <input value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <label>
        Target namespaces
        <input value={targets} onChange={(e) => setTargets(e.target.value)} placeholder="shop, payments" />
      </label>
      <span className="hint">
        Comma or space separated. Each must also allow this project itself: the label chaoscenter.io/chaos=enabled and the annotation chaoscenter.io/chaos-projects naming it (or *), set by whoever owns that namespace.
      </span>
      <ErrorBox error={error} />
      <button className="primary" type="submit" disabled={busy}>
        {busy ? "Creating…" : "Create project"}
      </button>
    </form>
  );
}
