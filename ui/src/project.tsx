// The project the user is working in (from the URL), its details and what the user may do in it.
import { createContext, useContext, type ReactNode } from "react";
import { useQuery } from "urql";
import { graphql } from "./gql";
import type { ProjectsQuery } from "./gql/graphql";
import { permissions, type Permissions } from "./lib/roles";
import { useSession } from "./session";

export const ProjectsDocument = graphql(`
  query Projects {
    projects {
      name
      displayName
      description
      namespace
      myRole
      targetNamespaces
      members {
        user
        role
      }
    }
  }
`);

export type ProjectItem = ProjectsQuery["projects"][number];

const LAST = "chaoscenter.lastProject";

/** Remembers the project last worked in (the start page and the navigation return to it). */
export function rememberProject(name: string) {
  localStorage.setItem(LAST, name);
}

/** The project last worked in, if the user still sees it; else their first. */
export function lastProject(projects: readonly { name: string }[]): string | undefined {
  const last = localStorage.getItem(LAST);
  return (projects.find((p) => p.name === last) ?? projects[0])?.name;
}

export interface ProjectState extends Permissions {
  name: string;
  project: ProjectItem | undefined;
}

const ProjectContext = createContext<ProjectState | null>(null);

export function ProjectProvider({ name, project, children }: { name: string; project: ProjectItem | undefined; children: ReactNode }) {
  const { session } = useSession();
  const perms = permissions(project?.myRole, session?.user.role);
  return <ProjectContext.Provider value={{ name, project, ...perms }}>{children}</ProjectContext.Provider>;
}

/** The current project; only inside a /projects/:project route. */
export function useProject(): ProjectState {
  const state = useContext(ProjectContext);
  if (!state) throw new Error("useProject outside a project route");
  return state;
}

/** The projects the user may see (every project, for admins). */
export function useProjects() {
  return useQuery({ query: ProjectsDocument });
}
