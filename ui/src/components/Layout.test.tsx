// Tests of Layout: the project switcher, the navigation and the remembered project.
import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { Provider } from "urql";
import { setSession } from "../api/session";
import { mockNetwork, testProject } from "../run/testing";
import { SessionProvider } from "../session";
import { Layout } from "./Layout";

function renderAt(url: string, role: "admin" | "user") {
  setSession({
    accessToken: "t",
    sessionEndsAt: Math.floor(Date.now() / 1000) + 86400,
    expiresAt: Math.floor(Date.now() / 1000) + 900,
    mustChangePassword: false,
    user: { username: "ada", displayName: "Ada", email: "", role, disabled: false, projects: [] },
  });
  const other = { ...testProject("Viewer"), name: "shop", displayName: "Shop" };
  const network = mockNetwork({ Projects: () => ({ data: { projects: [testProject("Owner"), other] } }) });
  render(
    <SessionProvider>
      <Provider value={network.client}>
        <MemoryRouter initialEntries={[url]}>
          <Routes>
            <Route element={<Layout />}>
              <Route path="projects/:project" element={<p>project page</p>} />
              <Route path="account" element={<p>account page</p>} />
            </Route>
          </Routes>
        </MemoryRouter>
      </Provider>
    </SessionProvider>,
  );
}

describe("Layout", () => {
  it("remembers the project being worked in", async () => {
    renderAt("/projects/shop", "user");
    await screen.findByText("project page");
    expect(localStorage.getItem("chaoscenter.lastProject")).toBe("shop");
  });

  it("keeps the navigation to the last project on pages outside a project", async () => {
    localStorage.setItem("chaoscenter.lastProject", "shop");
    renderAt("/account", "user");
    const workflows = await screen.findByRole("link", { name: "Workflows" });
    expect(workflows.getAttribute("href")).toBe("/projects/shop/workflows");
    expect((screen.getByLabelText("Project") as HTMLSelectElement).value).toBe("shop");
  });

  it("shows administration only to admins", async () => {
    renderAt("/projects/demo", "user");
    await screen.findByText("project page");
    expect(screen.queryByRole("link", { name: "Users" })).toBeNull();
    expect(screen.queryByRole("link", { name: "New project" })).toBeNull();
  });

  it("gives admins Users and New project", async () => {
    renderAt("/projects/demo", "admin");
    expect(await screen.findByRole("link", { name: "Users" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "New project" }).getAttribute("href")).toBe("/admin/projects/new");
  });
});
