// Tests of the Members page.
import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { rest, type ProjectInfo } from "../api/rest";
import type { UserView } from "../api/session";
import { Members } from "../pages/Members";
import { projectItem, refused, renderPage, signIn } from "./testing";

const members = [
  { user: "olivia", role: "Owner" as const },
  { user: "ed", role: "Editor" as const },
  { user: "vic", role: "Viewer" as const },
];

function info(overrides: Partial<ProjectInfo> = {}): ProjectInfo {
  return {
    name: "demo",
    displayName: "Demo",
    description: "",
    myRole: "Owner",
    members,
    targetNamespaces: ["demo"],
    namespace: "demo-chaos",
    ...overrides,
  };
}

function renderMembers(me: string, myRole: "Owner" | "Editor" | "Viewer" | null, globalRole = "user") {
  signIn({ username: me, role: globalRole as UserView["role"] });
  return renderPage(<Members />, {
    path: "/projects/demo/members",
    route: "/projects/:project/members",
    project: projectItem({ myRole, members, targetNamespaces: ["demo", "shop"] }),
  });
}

/** Whether the GraphQL project list was asked for again, bypassing the cache. */
function requeried(client: { executeQuery: ReturnType<typeof vi.fn> }) {
  return client.executeQuery.mock.calls.some(([, context]) => context?.requestPolicy === "network-only");
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Members page", () => {
  it("shows a Viewer the members read-only, the namespaces, and Leave", () => {
    renderMembers("vic", "Viewer");
    expect(screen.getByRole("heading", { name: "Members" })).toBeTruthy();
    const table = screen.getByRole("table", { name: "Project members" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.textContent)).toEqual(["oliviaOwner", "edEditor", "vic (you)Viewer"]);
    expect(screen.queryByRole("button", { name: "Add member" })).toBeNull();
    expect(screen.queryByLabelText("User")).toBeNull();
    expect(screen.queryByRole("combobox", { name: "Role of ed" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Remove ed" })).toBeNull();
    expect(screen.getByRole("button", { name: "Leave project" })).toBeTruthy();
    expect(screen.getByText("demo-chaos")).toBeTruthy();
    expect(screen.getByText("shop")).toBeTruthy();
  });

  it("lets an Owner add a member and shows the server's new list", async () => {
    const user = userEvent.setup();
    const users = vi.spyOn(rest, "users");
    const add = vi
      .spyOn(rest, "addMember")
      .mockResolvedValue(info({ members: [...members, { user: "bob", role: "Editor" }] }));
    const { client } = renderMembers("olivia", "Owner");
    // not an admin: a plain text field, no user list asked for
    expect(screen.getByLabelText("User").getAttribute("list")).toBeNull();
    expect(users).not.toHaveBeenCalled();

    await user.click(screen.getByRole("button", { name: "Add member" }));
    expect(screen.getByText("Enter the username of the user to add.")).toBeTruthy();
    expect(add).not.toHaveBeenCalled();

    await user.type(screen.getByLabelText("User"), "bob");
    await user.selectOptions(screen.getByRole("combobox", { name: "Role" }), "Editor");
    await user.click(screen.getByRole("button", { name: "Add member" }));
    await waitFor(() => expect(add).toHaveBeenCalledWith("demo", "bob", "Editor"));
    expect(await screen.findByRole("combobox", { name: "Role of bob" })).toBeTruthy();
    expect(screen.getByText("bob was added as Editor.")).toBeTruthy();
    expect(requeried(client as never)).toBe(true);
  });

  it("shows the server's refusal to add a member next to the form", async () => {
    const user = userEvent.setup();
    vi.spyOn(rest, "addMember").mockRejectedValue(refused(400, 'user: there is no user "nobody"'));
    renderMembers("olivia", "Owner");
    await user.type(screen.getByLabelText("User"), "nobody");
    await user.click(screen.getByRole("button", { name: "Add member" }));
    expect((await screen.findByRole("alert")).textContent).toBe('Could not add the member: user: there is no user "nobody"');
  });

  it("saves a role on change and shows why the last Owner cannot be demoted", async () => {
    const user = userEvent.setup();
    const change = vi
      .spyOn(rest, "changeRole")
      .mockResolvedValueOnce(info({ members: members.map((m) => (m.user === "vic" ? { ...m, role: "Editor" } : m)) }))
      .mockRejectedValueOnce(refused(409, "a project must keep at least one Owner"));
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(true);
    renderMembers("olivia", "Owner");

    await user.selectOptions(screen.getByRole("combobox", { name: "Role of vic" }), "Editor");
    await waitFor(() => expect(change).toHaveBeenCalledWith("demo", "vic", "Editor"));
    expect(await screen.findByText("vic is now Editor.")).toBeTruthy();
    expect((screen.getByRole("combobox", { name: "Role of vic" }) as HTMLSelectElement).value).toBe("Editor");

    await user.selectOptions(screen.getByRole("combobox", { name: "Role of olivia" }), "Viewer");
    expect(confirm).toHaveBeenCalledWith(expect.stringMatching(/Give up the Owner role/));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Could not change the role of olivia: a project must keep at least one Owner",
    );
    // the select shows the role the member still has
    expect((screen.getByRole("combobox", { name: "Role of olivia" }) as HTMLSelectElement).value).toBe("Owner");
  });

  it("removes a member only after confirming", async () => {
    const user = userEvent.setup();
    const remove = vi.spyOn(rest, "removeMember").mockResolvedValue(info({ members: members.filter((m) => m.user !== "ed") }));
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    renderMembers("olivia", "Owner");

    await user.click(screen.getByRole("button", { name: "Remove ed" }));
    expect(remove).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Remove ed" }));
    await waitFor(() => expect(remove).toHaveBeenCalledWith("demo", "ed"));
    await waitFor(() => expect(screen.queryByRole("button", { name: "Remove ed" })).toBeNull());
    expect(confirm).toHaveBeenCalledTimes(2);
  });

  it("leaves the project and goes to the start page", async () => {
    const user = userEvent.setup();
    const leave = vi.spyOn(rest, "leave").mockResolvedValue(undefined);
    vi.spyOn(window, "confirm").mockReturnValue(true);
    const { client } = renderMembers("ed", "Editor");
    await user.click(screen.getByRole("button", { name: "Leave project" }));
    await waitFor(() => expect(leave).toHaveBeenCalledWith("demo"));
    expect(await screen.findByText("Start page")).toBeTruthy();
    expect((client as unknown as { query: ReturnType<typeof vi.fn> }).query).toHaveBeenCalledWith(
      expect.anything(),
      {},
      { requestPolicy: "network-only" },
    );
  });

  it("keeps a refused leave on the page with the server's message", async () => {
    const user = userEvent.setup();
    vi.spyOn(rest, "leave").mockRejectedValue(refused(409, "a project must keep at least one Owner"));
    vi.spyOn(window, "confirm").mockReturnValue(true);
    renderMembers("olivia", "Owner");
    await user.click(screen.getByRole("button", { name: "Leave project" }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Could not leave the project: a project must keep at least one Owner",
    );
    expect(screen.queryByText("Start page")).toBeNull();
  });

  it("offers an admin who is no member the known users, and no Leave", async () => {
    vi.spyOn(rest, "users").mockResolvedValue(
      ["olivia", "bob", "ann"].map((username) => ({
        username,
        displayName: "",
        email: "",
        role: "user" as UserView["role"],
        disabled: false,
        projects: [],
      })),
    );
    renderMembers("root", null, "admin");
    const input = screen.getByLabelText("User");
    const listId = input.getAttribute("list")!;
    await waitFor(() => expect(document.getElementById(listId)?.querySelectorAll("option").length).toBe(2));
    const options = [...document.getElementById(listId)!.querySelectorAll("option")].map((o) => o.value);
    expect(options).toEqual(["ann", "bob"]);
    expect(screen.getByRole("button", { name: "Remove olivia" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Leave project" })).toBeNull();
  });
});
