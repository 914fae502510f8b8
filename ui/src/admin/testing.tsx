// Test helpers for the administration pages: a signed-in session, a stub GraphQL client, rendering in a
// router (and in a project, for project pages).
import type { ReactElement } from "react";
import { render } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { Provider, type Client } from "urql";
import { fromValue } from "wonka";
import { vi } from "vitest";
import { ApiError, setSession, type UserView } from "../api/session";
import { ProjectProvider, type ProjectItem } from "../project";
import { SessionProvider } from "../session";

/** Stores a session for `user` (as the server spells roles: "admin", "user"). */
export function signIn(user: Partial<UserView> & { username: string }): void {
  setSession({
    accessToken: "access",
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    sessionEndsAt: Math.floor(Date.now() / 1000) + 86400,
    mustChangePassword: false,
    user: { displayName: "", email: "", role: "user", disabled: false, projects: [], ...user },
  });
}

/** A GraphQL client whose every query answers an empty project list. */
export function stubClient(): Client & { executeQuery: ReturnType<typeof vi.fn>; query: ReturnType<typeof vi.fn> } {
  const result = { data: { projects: [] } };
  const client = {
    executeQuery: vi.fn(() => fromValue(result)),
    query: vi.fn(() => ({ toPromise: () => Promise.resolve(result) })),
  };
  return client as unknown as Client & typeof client;
}

/** A project as the GraphQL list gives it. */
export function projectItem(overrides: Partial<ProjectItem> = {}): ProjectItem {
  return {
    name: "demo",
    displayName: "Demo",
    description: "",
    namespace: "demo-chaos",
    myRole: "Owner",
    targetNamespaces: ["demo"],
    members: [{ user: "olivia", role: "Owner" }],
    ...overrides,
  };
}

/** Renders `page` at `path` inside the session, router and GraphQL providers; "/" shows "Start page". */
export function renderPage(
  page: ReactElement,
  { path, route = path, project, client = stubClient() }: { path: string; route?: string; project?: ProjectItem; client?: Client },
) {
  const element = project ? (
    <ProjectProvider name={project.name} project={project}>
      {page}
    </ProjectProvider>
  ) : (
    page
  );
  return {
    client,
    ...render(
      <SessionProvider>
        <Provider value={client}>
          <MemoryRouter initialEntries={[path]}>
            <Routes>
              <Route path={route} element={element} />
              <Route path="/" element={<p>Start page</p>} />
            </Routes>
          </MemoryRouter>
        </Provider>
      </SessionProvider>,
    ),
  };
}

/** The error the REST layer throws for a refused request. */
export function refused(status: number, message: string): ApiError {
  return new ApiError(status, message);
}
