// Tests of the Hubs page.
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { renderHubPage } from "../hub/testing";
import { fakeClient, project, type Answers } from "../workflow/test-utils";
import { Hubs } from "./Hubs";

const PAGE = "/projects/demo/hubs";

const hub = (over: Record<string, unknown>) => ({
  source: "Git",
  url: null,
  branch: null,
  path: null,
  secretName: null,
  syncInterval: "1h",
  lastSyncedAt: null,
  revision: null,
  templates: null,
  synced: null,
  ready: null,
  syncRequestedAt: null,
  conditions: [],
  ...over,
});

const hubs = [
  hub({
    name: "chaoscenter",
    source: "Builtin",
    lastSyncedAt: "2026-12-07T10:00:00Z",
    templates: 7,
    synced: true,
    ready: true,
    conditions: [
      { type: "Synced", status: "True", reason: "Synced", message: "" },
      { type: "Ready", status: "True", reason: "Serving", message: "" },
    ],
  }),
  hub({
    name: "team",
    url: "https://git.example/team/charts.git",
    branch: "main",
    path: "faults",
    secretName: "team-git",
    revision: "0123456789abcdef0123456789abcdef01234567",
    templates: 40,
    synced: false,
    ready: true,
    conditions: [
      { type: "Synced", status: "False", reason: "FetchFailed", message: "could not reach git.example:443" },
      { type: "Ready", status: "True", reason: "Serving", message: "" },
    ],
  }),
];

function renderHubs(answers: Answers, role: "Owner" | "Viewer" = "Owner") {
  const fake = fakeClient({ HubList: { data: { hubs } }, ...answers });
  renderHubPage(<Hubs />, PAGE, PAGE, fake.client, project(role));
  return fake;
}

const row = (name: string) => screen.getByRole("link", { name }).closest("tr") as HTMLElement;

afterEach(() => vi.restoreAllMocks());

describe("Hubs", () => {
  it("lists the hubs with their state, revision, template count and last sync", () => {
    renderHubs({});
    const builtin = within(row("chaoscenter"));
    expect(builtin.getByText("built in")).toBeTruthy();
    expect(builtin.getByText("Synced")).toBeTruthy();
    expect(builtin.getByText("7")).toBeTruthy();
    const team = within(row("team"));
    expect(team.getByText("https://git.example/team/charts.git")).toBeTruthy();
    expect(team.getByText(/main · faults · Secret team-git/)).toBeTruthy();
    expect(team.getByText("0123456789ab")).toBeTruthy();
    expect(team.getByText("40")).toBeTruthy();
    expect(team.getByText("never")).toBeTruthy();
    expect(screen.getByRole("link", { name: "team" }).getAttribute("href")).toBe("/projects/demo/hubs/catalogue?hub=team");
  });

  it("shows a failed sync and its error, while the hub still serves its catalogue", () => {
    renderHubs({});
    const team = within(row("team"));
    expect(team.getByText("Sync failed")).toBeTruthy();
    expect(team.getByText("FetchFailed: could not reach git.example:443")).toBeTruthy();
  });

  it("asks for a sync", async () => {
    const user = userEvent.setup();
    const fake = renderHubs({ SyncHub: { data: { syncHub: { name: "team", syncRequestedAt: "2026-12-07T10:01:00Z" } } } });
    await user.click(screen.getByRole("button", { name: "Sync team now" }));
    expect(fake.calls("SyncHub")).toEqual([{ project: "demo", name: "team" }]);
  });

  it("deletes after confirming", async () => {
    const user = userEvent.setup();
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    const fake = renderHubs({ DeleteHub: { data: { deleteHub: true } } });
    await user.click(screen.getByRole("button", { name: "Delete team" }));
    expect(fake.calls("DeleteHub")).toEqual([]);
    expect(confirm.mock.calls[0][0]).toMatch(/templates go with it/);
    await user.click(screen.getByRole("button", { name: "Delete team" }));
    expect(fake.calls("DeleteHub")).toEqual([{ project: "demo", name: "team" }]);
  });

  it("adds a hub with URL, branch, path and the name of a credential Secret", async () => {
    const user = userEvent.setup();
    const fake = renderHubs({ CreateHub: { data: { createHub: { name: "more" } } } });
    await user.click(screen.getByRole("button", { name: "Add a hub" }));
    const form = within(screen.getByRole("form", { name: "Add a hub" }));
    await user.click(form.getByRole("button", { name: "Add hub" }));
    expect(fake.calls("CreateHub")).toEqual([]);
    expect(form.getAllByText("required").length + form.getAllByText("Required.").length).toBe(2);
    await user.type(form.getByLabelText("Name"), "more");
    await user.type(form.getByLabelText("Repository URL"), "https://git.example/more.git");
    await user.clear(form.getByLabelText("Branch"));
    await user.type(form.getByLabelText("Branch"), "release");
    await user.type(form.getByLabelText("Path"), "charts");
    await user.type(form.getByLabelText("Credential Secret"), "more-git");
    await user.click(form.getByRole("button", { name: "Add hub" }));
    expect(fake.calls("CreateHub")).toEqual([
      {
        project: "demo",
        input: { name: "more", url: "https://git.example/more.git", branch: "release", path: "charts", secretName: "more-git" },
      },
    ]);
    expect(screen.queryByRole("form", { name: "Add a hub" })).toBeNull();
  });

  it("adds the built-in hub again, with no repository", async () => {
    const user = userEvent.setup();
    const fake = renderHubs({ CreateHub: { data: { createHub: { name: "chaoscenter" } } } });
    await user.click(screen.getByRole("button", { name: "Add a hub" }));
    const form = within(screen.getByRole("form", { name: "Add a hub" }));
    await user.selectOptions(form.getByLabelText("Source"), "Builtin");
    expect(form.queryByLabelText("Repository URL")).toBeNull();
    await user.type(form.getByLabelText("Name"), "chaoscenter");
    await user.click(form.getByRole("button", { name: "Add hub" }));
    expect(fake.calls("CreateHub")).toEqual([{ project: "demo", input: { name: "chaoscenter", source: "Builtin" } }]);
  });

  it("shows the server's refusal, naming the field", async () => {
    const user = userEvent.setup();
    renderHubs({ CreateHub: { error: "url: must not hold credentials; name a Secret in secretName", code: "BAD_INPUT" } });
    await user.click(screen.getByRole("button", { name: "Add a hub" }));
    const form = within(screen.getByRole("form", { name: "Add a hub" }));
    await user.type(form.getByLabelText("Name"), "more");
    await user.type(form.getByLabelText("Repository URL"), "https://me:secret@git.example/more.git");
    await user.click(form.getByRole("button", { name: "Add hub" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/Could not add the hub: url: must not hold credentials/);
  });

  it("shows viewers no actions", () => {
    renderHubs({}, "Viewer");
    expect(screen.queryByRole("button", { name: "Add a hub" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Sync team now" })).toBeNull();
    expect(screen.getByRole("link", { name: "Browse the catalogue" })).toBeTruthy();
  });

  it("has empty and error states", () => {
    const empty = fakeClient({ HubList: { data: { hubs: [] } } });
    const { unmount } = renderHubPage(<Hubs />, PAGE, PAGE, empty.client, project("Editor"));
    expect(screen.getByText("No hubs yet.")).toBeTruthy();
    unmount();
    const failing = fakeClient({ HubList: { error: "the cluster is unreachable", code: "UNAVAILABLE" } });
    renderHubPage(<Hubs />, PAGE, PAGE, failing.client, project("Editor"));
    expect(screen.getByRole("alert").textContent).toMatch(/Could not load the hubs.*the cluster is unreachable/);
  });
});
