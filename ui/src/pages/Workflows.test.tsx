// Tests of the Workflows page.
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeClient, project, renderInProject, type Answers } from "../workflow/test-utils";
import { Workflows } from "./Workflows";

const LIST = "/projects/demo/workflows";

const workflows = [
  {
    name: "web-survives-pod-loss",
    description: "The web Service keeps answering",
    schedule: null,
    suspended: false,
    lastRun: "web-survives-pod-loss-dwc9w",
    lastPhase: "Succeeded",
    lastScore: 92.5,
  },
  { name: "nightly", description: "", schedule: "0 3 * * *", suspended: true, lastRun: null, lastPhase: null, lastScore: null },
  { name: "hourly", description: "", schedule: "@hourly", suspended: false, lastRun: null, lastPhase: null, lastScore: null },
];

function renderList(answers: Answers, role: "Owner" | "Viewer" = "Owner") {
  const fake = fakeClient({ WorkflowList: { data: { workflows } }, ...answers });
  renderInProject(<Workflows />, LIST, LIST, fake.client, project(role));
  return fake;
}

const row = (name: string) => screen.getByRole("link", { name }).closest("tr") as HTMLElement;

afterEach(() => vi.restoreAllMocks());

describe("Workflows", () => {
  it("lists the workflows with their schedule, last run and score", () => {
    renderList({});
    expect(screen.getByRole("heading", { name: "Workflows" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "web-survives-pod-loss" }).getAttribute("href")).toBe("/projects/demo/workflows/web-survives-pod-loss");
    const first = within(row("web-survives-pod-loss"));
    expect(first.getByText("on demand")).toBeTruthy();
    expect(first.getByText("Succeeded")).toBeTruthy();
    expect(first.getByText("92.5")).toBeTruthy();
    expect(first.getByRole("link", { name: "web-survives-pod-loss-dwc9w" }).getAttribute("href")).toBe("/projects/demo/runs/web-survives-pod-loss-dwc9w");
    const nightly = within(row("nightly"));
    expect(nightly.getByText("0 3 * * *")).toBeTruthy();
    expect(nightly.getByText("suspended")).toBeTruthy();
    expect(nightly.getByText("never run")).toBeTruthy();
    expect(within(row("hourly")).queryByText("suspended")).toBeNull();
  });

  it("offers editors their actions: suspend and resume only with a schedule", () => {
    renderList({});
    expect(screen.getByRole("link", { name: "New workflow" }).getAttribute("href")).toBe("/projects/demo/workflows/new");
    expect(screen.getByRole("button", { name: "Run web-survives-pod-loss now" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Suspend web-survives-pod-loss" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Resume web-survives-pod-loss" })).toBeNull();
    expect(screen.getByRole("button", { name: "Resume nightly" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Suspend hourly" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Delete nightly" })).toBeTruthy();
  });

  it("shows viewers no actions", () => {
    renderList({}, "Viewer");
    expect(screen.getByRole("link", { name: "nightly" })).toBeTruthy();
    expect(screen.queryByRole("link", { name: "New workflow" })).toBeNull();
    expect(screen.queryAllByRole("button")).toEqual([]);
  });

  it("runs a workflow and goes to the new run", async () => {
    const user = userEvent.setup();
    const fake = renderList({ RunWorkflow: { data: { runWorkflow: { name: "hourly-x7k2p", phase: null } } } });
    await user.click(screen.getByRole("button", { name: "Run hourly now" }));
    expect(await screen.findByText("The run page of hourly-x7k2p")).toBeTruthy();
    expect(fake.calls("RunWorkflow")).toEqual([{ project: "demo", workflow: "hourly" }]);
  });

  it("suspends and resumes", async () => {
    const user = userEvent.setup();
    const fake = renderList({ SetSuspended: { data: { setSuspended: { name: "x", resourceVersion: "2" } } } });
    await user.click(screen.getByRole("button", { name: "Suspend hourly" }));
    await user.click(screen.getByRole("button", { name: "Resume nightly" }));
    expect(fake.calls("SetSuspended")).toEqual([
      { project: "demo", workflow: "hourly", suspended: true },
      { project: "demo", workflow: "nightly", suspended: false },
    ]);
  });

  it("deletes after confirming, saying the runs stay", async () => {
    const user = userEvent.setup();
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    const fake = renderList({ DeleteWorkflow: { data: { deleteWorkflow: true } } });
    await user.click(screen.getByRole("button", { name: "Delete nightly" }));
    expect(fake.calls("DeleteWorkflow")).toEqual([]);
    expect(confirm.mock.calls[0][0]).toMatch(/runs stay in the history/);
    await user.click(screen.getByRole("button", { name: "Delete nightly" }));
    expect(fake.calls("DeleteWorkflow")).toEqual([{ project: "demo", name: "nightly" }]);
  });

  it("says why an action failed", async () => {
    const user = userEvent.setup();
    renderList({ RunWorkflow: { error: "forbidden: you may not", code: "FORBIDDEN" } });
    await user.click(screen.getByRole("button", { name: "Run hourly now" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Could not run hourly: forbidden: you may not");
  });

  it("has an empty state", () => {
    const empty = fakeClient({ WorkflowList: { data: { workflows: [] } } });
    renderInProject(<Workflows />, LIST, LIST, empty.client, project("Editor"));
    expect(screen.getByText("No workflows yet.")).toBeTruthy();
  });

  it("has an error state", () => {
    const failing = fakeClient({ WorkflowList: { error: "the cluster is unreachable", code: "UNAVAILABLE" } });
    renderInProject(<Workflows />, LIST, LIST, failing.client, project("Editor"));
    expect(screen.getByRole("alert").textContent).toMatch(/Could not load the workflows.*the cluster is unreachable/);
  });
});
