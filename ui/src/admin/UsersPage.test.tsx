// Tests of the Users page.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { rest } from "../api/rest";
import type { UserView } from "../api/session";
import { Users } from "../pages/Users";
import { refused, renderPage, signIn } from "./testing";

const alice: UserView = {
  username: "alice",
  displayName: "Alice A.",
  email: "alice@example.com",
  role: "user" as UserView["role"],
  disabled: false,
  projects: [{ project: "demo", role: "Owner" }],
};
const admin: UserView = { ...alice, username: "admin", displayName: "Administrator", email: "", role: "admin" as UserView["role"], projects: [] };
const carl: UserView = { ...alice, username: "carl", displayName: "", email: "", disabled: true, projects: [] };

function renderUsers() {
  return renderPage(<Users />, { path: "/admin/users" });
}

beforeEach(() => {
  signIn({ username: "admin", role: "admin" as UserView["role"] });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("Users page", () => {
  it("is only for administrators", () => {
    signIn({ username: "alice", role: "user" as UserView["role"] });
    const users = vi.spyOn(rest, "users");
    renderUsers();
    expect(screen.getByRole("heading", { name: "Users" })).toBeTruthy();
    expect(screen.getByText("Only administrators can manage users.")).toBeTruthy();
    expect(users).not.toHaveBeenCalled();
  });

  it("lists the users with role, status and projects", async () => {
    vi.spyOn(rest, "users").mockResolvedValue([carl, alice, admin]);
    renderUsers();
    const aliceCell = await screen.findByRole("cell", { name: "alice" });
    const row = aliceCell.closest("tr")!;
    expect(within(row).getByText("Alice A.")).toBeTruthy();
    expect(within(row).getByText("alice@example.com")).toBeTruthy();
    expect(within(row).getByRole("cell", { name: "User" })).toBeTruthy();
    expect(within(row).getByText("Active")).toBeTruthy();
    expect(within(row).getByRole("listitem").textContent).toBe("demo (Owner)");
    const adminRow = screen.getByRole("cell", { name: "admin" }).closest("tr")!;
    expect(within(adminRow).getByRole("cell", { name: "Admin" })).toBeTruthy();
    // one cannot disable oneself
    expect((screen.getByRole("button", { name: "Disable admin" }) as HTMLButtonElement).disabled).toBe(true);
    const carlRow = screen.getByRole("cell", { name: "carl" }).closest("tr")!;
    expect(within(carlRow).getByText("Disabled")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Enable carl" })).toBeTruthy();
    // sorted by username
    const names = screen.getAllByRole("row").slice(1).map((r) => r.querySelector("td")?.textContent);
    expect(names).toEqual(["admin", "alice", "carl"]);
  });

  it("creates a user with the form's values, then reloads the list and forgets the password", async () => {
    const user = userEvent.setup();
    const users = vi.spyOn(rest, "users").mockResolvedValueOnce([admin]).mockResolvedValue([admin, alice]);
    const create = vi.spyOn(rest, "createUser").mockResolvedValue(alice);
    renderUsers();
    await screen.findByRole("cell", { name: "admin" });

    await user.type(screen.getByLabelText("Username"), "alice");
    await user.type(screen.getByLabelText("Display name"), "Alice A.");
    await user.type(screen.getByLabelText("Email"), "alice@example.com");
    await user.type(screen.getByLabelText("Initial password"), "first-pass-1");
    await user.selectOptions(screen.getByRole("combobox", { name: "Role" }), "Admin");
    await user.click(screen.getByRole("button", { name: "Create user" }));

    await waitFor(() =>
      expect(create).toHaveBeenCalledWith({
        username: "alice",
        password: "first-pass-1",
        displayName: "Alice A.",
        email: "alice@example.com",
        role: "admin",
      }),
    );
    expect(await screen.findByText(/User alice created\. They must change the password at first sign-in\./)).toBeTruthy();
    expect(await screen.findByRole("cell", { name: "alice" })).toBeTruthy();
    expect(users).toHaveBeenCalledTimes(2);
    expect((screen.getByLabelText("Initial password") as HTMLInputElement).value).toBe("");
    expect((screen.getByLabelText("Username") as HTMLInputElement).value).toBe("");
  });

  it("shows the server's message when creating fails", async () => {
    const user = userEvent.setup();
    vi.spyOn(rest, "users").mockResolvedValue([admin]);
    vi.spyOn(rest, "createUser").mockRejectedValue(refused(409, 'chaosusers "alice" already exists'));
    renderUsers();
    await screen.findByRole("cell", { name: "admin" });
    await user.type(screen.getByLabelText("Username"), "alice");
    await user.type(screen.getByLabelText("Initial password"), "first-pass-1");
    await user.click(screen.getByRole("button", { name: "Create user" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe('Could not create the user: chaosusers "alice" already exists');
  });

  it("checks the username and password next to the fields before sending", async () => {
    const user = userEvent.setup();
    vi.spyOn(rest, "users").mockResolvedValue([admin]);
    const create = vi.spyOn(rest, "createUser");
    renderUsers();
    await screen.findByRole("cell", { name: "admin" });
    await user.type(screen.getByLabelText("Username"), "Alice_1");
    await user.type(screen.getByLabelText("Initial password"), "short");
    await user.click(screen.getByRole("button", { name: "Create user" }));

    const username = screen.getByLabelText("Username");
    expect(username.getAttribute("aria-invalid")).toBe("true");
    const described = username.getAttribute("aria-describedby")!.split(" ").map((id) => document.getElementById(id)?.textContent);
    expect(described).toContain("Only lowercase letters, digits and '-', starting and ending with a letter or digit.");
    const password = screen.getByLabelText("Initial password");
    expect(password.getAttribute("aria-invalid")).toBe("true");
    expect(password.getAttribute("aria-describedby")!.split(" ").map((id) => document.getElementById(id)?.className)).toContain("field-error");
    expect(document.activeElement).toBe(username);
    expect(create).not.toHaveBeenCalled();

    // fixing the field clears its error as one types
    await user.clear(username);
    await user.type(username, "alice");
    expect(username.getAttribute("aria-invalid")).toBe("false");
  });

  it("disables a user only after confirming, and enables one", async () => {
    const user = userEvent.setup();
    vi.spyOn(rest, "users").mockResolvedValue([admin, alice, carl]);
    const disable = vi.spyOn(rest, "disableUser").mockResolvedValue(undefined);
    const enable = vi.spyOn(rest, "enableUser").mockResolvedValue(undefined);
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    renderUsers();

    await user.click(await screen.findByRole("button", { name: "Disable alice" }));
    expect(confirm).toHaveBeenCalledWith(expect.stringMatching(/signed out.*lose access/));
    expect(disable).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Disable alice" }));
    await waitFor(() => expect(disable).toHaveBeenCalledWith("alice"));
    expect(await screen.findByText("alice is disabled and signed out.")).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "Enable carl" }));
    await waitFor(() => expect(enable).toHaveBeenCalledWith("carl"));
    expect(confirm).toHaveBeenCalledTimes(2);
  });

  it("resets a password through the inline form", async () => {
    const user = userEvent.setup();
    vi.spyOn(rest, "users").mockResolvedValue([admin, alice]);
    const reset = vi.spyOn(rest, "resetPassword").mockResolvedValue(undefined);
    renderUsers();

    const toggle = await screen.findByRole("button", { name: "Reset password of alice" });
    expect(screen.queryByLabelText("New password")).toBeNull();
    await user.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    await user.type(screen.getByLabelText("New password"), "alice");
    await user.click(screen.getByRole("button", { name: "Set password" }));
    expect(screen.getByText("At least 8 characters.")).toBeTruthy();
    expect(reset).not.toHaveBeenCalled();

    await user.clear(screen.getByLabelText("New password"));
    await user.type(screen.getByLabelText("New password"), "temporary-1");
    await user.click(screen.getByRole("button", { name: "Set password" }));
    await waitFor(() => expect(reset).toHaveBeenCalledWith("alice", "temporary-1"));
    expect(await screen.findByText("New password of alice set. They must change it at next sign-in.")).toBeTruthy();
    expect(screen.queryByLabelText("New password")).toBeNull();
    expect(screen.queryByDisplayValue("temporary-1")).toBeNull();
  });

  it("shows why a row action failed", async () => {
    const user = userEvent.setup();
    vi.spyOn(rest, "users").mockResolvedValue([admin, alice]);
    vi.spyOn(rest, "disableUser").mockRejectedValue(refused(403, "forbidden: cannot patch chaosusers"));
    vi.spyOn(window, "confirm").mockReturnValue(true);
    renderUsers();
    await user.click(await screen.findByRole("button", { name: "Disable alice" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Could not disable alice: forbidden: cannot patch chaosusers");
  });
});
