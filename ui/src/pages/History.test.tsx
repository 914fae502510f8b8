// Tests of the History page.
import { beforeAll, describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { installLayoutStubs, mockNetwork, renderPage } from "../run/testing";
import { History, PAGE_SIZE } from "./History";

beforeAll(installLayoutStubs);

interface Run {
  uid: string;
  name: string;
  workflow: string;
  phase: string;
  trigger: string;
  author: string | null;
  score: number | null;
  createdAt: string;
  deleted: boolean;
}

const GITOPS = "system:serviceaccount:argocd:argocd-application-controller";

// 70 runs, newest first: every third Failed, the last one gone from the cluster
const RUNS: Run[] = Array.from({ length: 70 }, (_, i) => ({
  uid: `uid-${i}`,
  name: `run-${i}`,
  workflow: i % 2 ? "api" : "web",
  phase: i % 3 === 0 ? "Failed" : "Succeeded",
  trigger: i % 4 === 2 ? "GitOps" : "Manual",
  // runs from before authors were recorded have none
  author: i % 4 === 3 ? null : i % 4 === 2 ? GITOPS : "bob",
  score: i % 3 === 0 ? 20 : 90,
  createdAt: new Date(Date.parse("2026-11-25T12:00:00Z") - i * 3_600_000).toISOString(),
  deleted: i === 69,
}));

/** A server that filters and pages by cursor (the cursor is the index of the last run sent). */
function runsPage(v: Record<string, unknown>) {
  const matching = RUNS.filter((r) => (!v.phase || r.phase === v.phase) && (!v.workflow || r.workflow === v.workflow));
  const start = typeof v.after === "string" ? Number(v.after) + 1 : 0;
  const first = typeof v.first === "number" ? v.first : 50;
  const page = matching.slice(start, start + first);
  return {
    data: {
      runs: {
        edges: page.map((node, i) => ({ cursor: String(start + i), node })),
        pageInfo: { hasNextPage: start + first < matching.length, endCursor: page.length ? String(start + page.length - 1) : null },
      },
    },
  };
}

function setup(url = "/projects/demo/runs") {
  const network = mockNetwork({
    HistoryRuns: runsPage,
    HistoryWorkflows: () => ({ data: { workflows: [{ name: "web" }, { name: "api" }] } }),
  });
  renderPage(<History />, { path: "/projects/:project/runs", url, network });
  return network;
}

const runRows = () => screen.getAllByRole("row").slice(1);

describe("History", () => {
  it("pages by cursor with Load more, without duplicates or gaps", async () => {
    const network = setup();
    expect(screen.getByRole("heading", { name: "History" })).toBeTruthy();
    await screen.findByRole("link", { name: "run-0" });
    expect(runRows()).toHaveLength(PAGE_SIZE);
    expect(network.callsOf("HistoryRuns")[0].variables).toMatchObject({ project: "demo", first: PAGE_SIZE, after: null });

    await userEvent.click(screen.getByRole("button", { name: "Load more" }));
    await screen.findByRole("link", { name: "run-69" });
    const names = runRows().map((r) => within(r).getAllByRole("link")[0].textContent);
    expect(names).toEqual(RUNS.map((r) => r.name));
    expect(network.callsOf("HistoryRuns").at(-1)!.variables).toMatchObject({ after: String(PAGE_SIZE - 1) });
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();
    // the run gone from the cluster is marked
    expect(within(runRows()[69]).getByText("deleted")).toBeTruthy();
    expect(screen.getByRole("img").getAttribute("aria-label")).toContain("api, 35 scored runs");
  });

  it("shows who created each run, and a dash where that was not recorded", async () => {
    setup();
    await screen.findByRole("link", { name: "run-0" });
    const headers = screen.getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers).toEqual(["Run", "Workflow", "Phase", "Trigger", "Author", "Score", "Created"]);
    const author = (i: number) => within(runRows()[i]).getAllByRole("cell")[headers.indexOf("Author")];
    expect(author(0).textContent).toBe("bob");
    expect(author(0).querySelector("[title]")).toBeNull();
    expect(author(2).textContent).toBe(GITOPS);
    expect(author(2).querySelector("[title]")?.getAttribute("title")).toBe(
      "Kubernetes ServiceAccount argocd-application-controller in namespace argocd",
    );
    expect(author(3).textContent).toBe("—");
    expect(author(3).querySelector("[title]")?.getAttribute("title")).toMatch(/before ChaosCenter recorded authors/);
  });

  it("keeps filters in the URL and starts over when they change", async () => {
    const network = setup("/projects/demo/runs?workflow=web");
    await screen.findByRole("link", { name: "run-0" });
    expect((screen.getByLabelText("Workflow") as HTMLSelectElement).value).toBe("web");
    expect(network.callsOf("HistoryRuns")[0].variables).toMatchObject({ workflow: "web" });
    expect(runRows()).toHaveLength(35); // every web run, on one page
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();

    await userEvent.selectOptions(screen.getByLabelText("Phase"), "Failed");
    await waitFor(() => expect(screen.getByTestId("location").textContent).toBe("/projects/demo/runs?workflow=web&phase=Failed"));
    await waitFor(() => expect(runRows()).toHaveLength(12));
    expect(network.callsOf("HistoryRuns").at(-1)!.variables).toMatchObject({ workflow: "web", phase: "Failed", after: null });
    expect(runRows().every((r) => r.querySelector("[data-phase]")?.getAttribute("data-phase") === "Failed")).toBe(true);
    expect(screen.getByLabelText("Trigger")).toBeTruthy();

    await userEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(runRows()).toHaveLength(PAGE_SIZE));
    expect(screen.getByTestId("location").textContent).toBe("/projects/demo/runs");
  });

  it("says when no runs match", async () => {
    setup("/projects/demo/runs?workflow=gone");
    expect(await screen.findByText("No runs match these filters.")).toBeTruthy();
    // a workflow that no longer exists stays selectable
    expect((screen.getByLabelText("Workflow") as HTMLSelectElement).value).toBe("gone");
  });
});
