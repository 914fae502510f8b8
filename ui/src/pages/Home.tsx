// The start page: straight to the user's first project, or what to do when they have none.
import { Navigate } from "react-router";
import { Empty, ErrorBox, Loading } from "../components/ui";
import { isAdmin } from "../lib/roles";
import { lastProject, useProjects } from "../project";
import { useSession } from "../session";
import { CreateProject } from "./NewProject";

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
      {isAdmin(session?.user.role) ? (
        <CreateProject />
      ) : (
        <p>You are not a member of any project. Ask a project Owner or an administrator to add you.</p>
      )}
    </Empty>
  );
}
