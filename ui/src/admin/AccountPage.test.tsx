// Tests of the Account page.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { rest, type ApiTokenInfo, type Me } from "../api/rest";
import { current, type UserView } from "../api/session";
import { Account } from "../pages/Account";
import { refused, renderPage, signIn } from "./testing";

const me: Me = {
  username: "alice",
  displayName: "Alice",
  email: "alice@example.com",
  role: "user" as UserView["role"],
  disabled: false,
  projects: [
    { project: "demo", role: "Owner" },
    { project: "shop", role: "Viewer" },
  ],
  mustChangePassword: false,
};

const ci: ApiTokenInfo = {
  id: "tok-1",
  name: "ci",
  createdAt: "2026-01-01T10:00:00Z",
  expiresAt: "2026-03-01T10:00:00Z",
};

function renderAccount() {
  return renderPage(<Account />, { path: "/account" });
}

beforeEach(() => {
  signIn({ username: "alice", displayName: "Alice" });
  vi.spyOn(rest, "me").mockResolvedValue(me);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("Account page", () => {
  it("shows the details, the projects with roles, the password form and the tokens", async () => {
    vi.spyOn(rest, "tokens").mockResolvedValue([ci]);
    renderAccount();
    expect(screen.getByRole("heading", { name: "Account" })).toBeTruthy();
    const username = (await screen.findByLabelText("Username")) as HTMLInputElement;
    expect(username.value).toBe("alice");
    expect(username.readOnly).toBe(true);
    expect((screen.getByLabelText("Display name") as HTMLInputElement).value).toBe("Alice");
    expect((screen.getByLabelText("Email") as HTMLInputElement).value).toBe("alice@example.com");

    const projects = screen.getByRole("table", { name: "Your projects" });
    expect(within(projects).getByRole("link", { name: "demo" }).getAttribute("href")).toBe("/projects/demo");
    expect(within(projects).getAllByRole("row").slice(1).map((r) => r.textContent)).toEqual(["demoOwner", "shopViewer"]);

    expect(screen.getByRole("form", { name: "Change password" })).toBeTruthy();
    const tokens = await screen.findByRole("table", { name: "API tokens" });
    expect(within(tokens).getByRole("cell", { name: "ci" })).toBeTruthy();
    expect(within(tokens).getByRole("button", { name: "Revoke ci" })).toBeTruthy();
  });

  it("saves the details and updates the signed-in user", async () => {
    const user = userEvent.setup();
    vi.spyOn(rest, "tokens").mockResolvedValue([]);
    const update = vi.spyOn(rest, "updateMe").mockResolvedValue({ ...me, displayName: "Alice Liddell", email: "al@example.org" });
    renderAccount();
    const name = await screen.findByLabelText("Display name");
    await user.clear(name);
    await user.type(name, "Alice Liddell");
    const email = screen.getByLabelText("Email");
    await user.clear(email);
    await user.type(email, "not-an-email");
    await user.click(screen.getByRole("button", { name: "Save details" }));
    expect(email.getAttribute("aria-invalid")).toBe("true");
    expect(update).not.toHaveBeenCalled();

    await user.clear(email);
    await user.type(email, "al@example.org");
    await user.click(screen.getByRole("button", { name: "Save details" }));
    await waitFor(() => expect(update).toHaveBeenCalledWith({ displayName: "Alice Liddell", email: "al@example.org" }));
    expect(await screen.findByText("Details saved.")).toBeTruthy();
    expect(current()?.user.displayName).toBe("Alice Liddell");
  });

  it("shows a created token once, with a Copy button and an example", async () => {
    const user = userEvent.setup();
    const created = { id: "tok-2", name: "deploy", createdAt: "2026-01-02T10:00:00Z", expiresAt: "2026-04-02T10:00:00Z" };
    const tokens = vi.spyOn(rest, "tokens").mockResolvedValueOnce([ci]).mockResolvedValue([ci, created]);
    const create = vi.spyOn(rest, "createToken").mockResolvedValue({ ...created, token: "eyJ.secret.token" });
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    renderAccount();
    await screen.findByRole("cell", { name: "ci" });

    const form = screen.getByRole("form", { name: "New API token" });
    await user.type(within(form).getByLabelText("Name"), "deploy");
    const days = within(form).getByLabelText("Days valid");
    await user.clear(days);
    await user.type(days, "400");
    await user.click(within(form).getByRole("button", { name: "Create token" }));
    expect(within(form).getByText("From 1 to 365 days.")).toBeTruthy();
    expect(create).not.toHaveBeenCalled();

    await user.clear(days);
    await user.type(days, "90");
    await user.click(within(form).getByRole("button", { name: "Create token" }));
    expect(within(form).getByText(/Enter your password/)).toBeTruthy();
    expect(create).not.toHaveBeenCalled();
    const password = within(form).getByLabelText("Your password") as HTMLInputElement;
    expect(password.type).toBe("password");
    await user.type(password, "alice-password-1");
    await user.click(within(form).getByRole("button", { name: "Create token" }));
    await waitFor(() => expect(create).toHaveBeenCalledWith("deploy", 90, "alice-password-1"));
    expect(password.value).toBe("");

    const field = (await screen.findByLabelText("Your new token")) as HTMLInputElement;
    expect(field.value).toBe("eyJ.secret.token");
    expect(field.readOnly).toBe(true);
    expect(screen.getByText("Copy it now: it is not shown again.")).toBeTruthy();
    expect(screen.getByText(/curl -H "Authorization: Bearer eyJ\.secret\.token"/).textContent).toContain(
      `${window.location.origin}/api/graphql`,
    );
    await user.click(screen.getByRole("button", { name: "Copy" }));
    expect(writeText).toHaveBeenCalledWith("eyJ.secret.token");
    expect(await screen.findByText("Copied to the clipboard.")).toBeTruthy();
    // the list was reloaded and shows the new token, without its secret
    expect(await screen.findByRole("cell", { name: "deploy" })).toBeTruthy();
    expect(tokens).toHaveBeenCalledTimes(2);

    await user.click(screen.getByRole("button", { name: "I have copied it" }));
    expect(screen.queryByLabelText("Your new token")).toBeNull();
    expect(document.body.textContent).not.toContain("eyJ.secret.token");
  });

  it("shows the server's refusal to create a token", async () => {
    const user = userEvent.setup();
    vi.spyOn(rest, "tokens").mockResolvedValue([]);
    vi.spyOn(rest, "createToken").mockRejectedValue(refused(403, "currentPassword: the password is wrong"));
    renderAccount();
    const form = screen.getByRole("form", { name: "New API token" });
    await user.type(within(form).getByLabelText("Name"), "ci");
    await user.type(within(form).getByLabelText("Your password"), "not-my-password");
    await user.click(within(form).getByRole("button", { name: "Create token" }));
    expect((await within(form).findByRole("alert")).textContent).toBe(
      "Could not create the token: currentPassword: the password is wrong",
    );
  });

  it("revokes a token after confirming", async () => {
    const user = userEvent.setup();
    vi.spyOn(rest, "tokens").mockResolvedValueOnce([ci]).mockResolvedValue([]);
    const revoke = vi.spyOn(rest, "revokeToken").mockResolvedValue(undefined);
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    renderAccount();
    await user.click(await screen.findByRole("button", { name: "Revoke ci" }));
    expect(revoke).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Revoke ci" }));
    await waitFor(() => expect(revoke).toHaveBeenCalledWith("tok-1"));
    expect(await screen.findByText("You have no API tokens.")).toBeTruthy();
    expect(confirm).toHaveBeenCalledTimes(2);
  });

  it("changes the password and says the other sessions were signed out", async () => {
    const user = userEvent.setup();
    vi.spyOn(rest, "tokens").mockResolvedValue([]);
    const answer = {
      accessToken: "new-access",
      expiresAt: Math.floor(Date.now() / 1000) + 900,
      sessionEndsAt: Math.floor(Date.now() / 1000) + 86400,
      mustChangePassword: false,
      user: me,
    };
    const fetch = vi
      .spyOn(globalThis, "fetch")
      .mockResolvedValue(new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/json" } }));
    renderAccount();
    const form = screen.getByRole("form", { name: "Change password" });
    await user.type(within(form).getByLabelText("Current password"), "old-password");
    await user.type(within(form).getByLabelText("New password"), "new-password-1");
    await user.type(within(form).getByLabelText("Confirm new password"), "new-password-1");
    await user.click(within(form).getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("Password changed. Other sessions were signed out and your API tokens ended.")).toBeTruthy();
    expect(fetch).toHaveBeenCalledWith("/auth/password", expect.objectContaining({ method: "POST" }));
    expect(current()?.accessToken).toBe("new-access");
    // the form starts empty again
    expect((within(screen.getByRole("form", { name: "Change password" })).getByLabelText("Current password") as HTMLInputElement).value).toBe("");
  });
});
