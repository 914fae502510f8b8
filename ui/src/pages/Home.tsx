// The start page: straight to the user's first project, or what to do when they have none.
import { useState, type FormEvent } from "react";
import { Navigate, useNavigate } from "react-router";
import { rest } from "../api/rest";
import { Empty, ErrorBox, Loading } from "../components/ui";
import { lastProject, useProjects } from "../project";
import { useSession } from "../session";

export { rememberProject } from "../project";

export function Home() {
  const [{ data, fetching, error }] = useProjects();
  const { session } = useSession();
  if (fetching && !data) return <Loading what="your projects" />;
  if (error) return <ErrorBox error={error} />;
  const projects = data?.projects ?? [];
  const target = lastProject(projects);
  if (target) return <Navigate to={`/projects/${target}`} replace />;
  return (
    <Empty>
      <h1>No projects yet</h1>
      {session?.user.role === "admin" ? (
        <CreateProject />
      ) : (
        <p>You are not a member of any project. Ask a project Owner or an administrator to add you.</p>
      )}
    </Empty>
  );
}

/** An admin creates a project (they become its Owner). */
export function CreateProject() {
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [targets, setTargets] = useState("");
  const [error, setError] = useState<unknown>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const targetNamespaces = targets.split(/[\s,]+/).filter(Boolean);
      await rest.createProject({ name: name.trim(), targetNamespaces });
      navigate(`/projects/${name.trim()}`);
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form className="stack narrow" onSubmit={submit} aria-label="Create a project">
      <label>
        Project name
        <input value={name} onChange={(e) => setName(e.target.value)} required pattern="[a-z0-9]([-a-z0-9]*[a-z0-9])?" />
      </label>
      <label>
        Target namespaces (comma separated)
        <input value={targets} onChange={(e) => setTargets(e.target.value)} placeholder="shop, payments" />
      </label>
      <ErrorBox error={error} />
      <button className="primary" type="submit">
        Create project
      </button>
    </form>
  );
}
