// Tests of the Dashboard page.
import { beforeAll, describe, expect, it } from "vitest";
import { act, screen, waitFor, within } from "@testing-library/react";
import { installLayoutStubs, mockNetwork, renderPage, type MockAnswer } from "../run/testing";
import { Dashboard } from "./Dashboard";

beforeAll(installLayoutStubs);

const now = Date.now();
const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
const today = new Date(now).toISOString().slice(0, 10);

const edges = <T,>(nodes: T[]) => ({ edges: nodes.map((node) => ({ node })) });

function overview(over: { running?: unknown[]; pending?: unknown[]; recent?: unknown[]; scored?: boolean } = {}): MockAnswer {
  return {
    data: {
      running: edges(over.running ?? []),
      pending: edges(over.pending ?? []),
      recent: edges(over.recent ?? []),
      statistics: {
        runsByPhase: over.scored ? [{ phase: "Succeeded", runs: 3 }, { phase: "Failed", runs: 1 }] : [],
        scoreByWorkflow: over.scored ? [{ workflow: "web-survives-pod-loss", averageScore: 82.5, runs: 4 }] : [],
        scoreByDay: over.scored ? [{ day: today, averageScore: 82.5, runs: 4 }] : [],
      },
    },
  };
}

const running = { uid: "u1", name: "web-run-1", workflow: "web", phase: "Running", trigger: "Manual", author: "alice", createdAt: iso(90_000) };
// authored before authors were recorded
const pending = { uid: "u2", name: "web-run-2", workflow: "web", phase: "Pending", trigger: "Schedule", author: null, createdAt: iso(5_000) };
const done = { ...running, uid: "u0", name: "web-run-0", phase: "Succeeded", score: 91, deleted: false, createdAt: iso(3_600_000) };

function setup(answer: () => MockAnswer) {
  const network = mockNetwork({ DashboardOverview: answer });
  renderPage(<Dashboard />, { path: "/projects/:project", url: "/projects/demo", network });
  return network;
}

describe("Dashboard", () => {
  it("lists the runs in progress and the recent runs, with the score trend and statistics", async () => {
    setup(() => overview({ running: [running], pending: [pending], recent: [done], scored: true }));
    const progress = (await screen.findByRole("heading", { name: "Runs in progress" })).closest("section")!;
    await within(progress).findByRole("link", { name: "web-run-1" });
    const links = within(progress).getAllByRole("link");
    // newest first; each links to its run view
    expect(links.map((a) => a.getAttribute("href"))).toEqual(["/projects/demo/runs/web-run-2", "/projects/demo/runs/web-run-1"]);
    expect(progress.textContent).toMatch(/1 min 3\d s/);
    // who started each run in progress (a dash where that was not recorded)
    const authors = within(progress)
      .getAllByRole("row")
      .slice(1)
      .map((r) => within(r).getAllByRole("cell")[3].textContent);
    expect(within(progress).getAllByRole("columnheader")[3].textContent).toBe("Author");
    expect(authors).toEqual(["—", "alice"]);

    const recent = screen.getByRole("heading", { name: "Recent runs" }).closest("section")!;
    expect(within(recent).getByRole("link", { name: "web-run-0" })).toBeTruthy();
    expect(recent.querySelector("[data-score]")?.getAttribute("data-score")).toBe("91");

    const trend = screen.getByRole("heading", { name: "Score trend" }).closest("section")!;
    expect(within(trend).getByRole("img").getAttribute("aria-label")).toContain(`latest 82.5 on ${today}`);
    expect(within(trend).getByRole("table", { name: "Average score per day" })).toBeTruthy();
    expect(within(trend).getByRole("link", { name: "web-survives-pod-loss" }).getAttribute("href")).toBe(
      "/projects/demo/runs?workflow=web-survives-pod-loss",
    );
  });

  it("says how to start when there are no runs", async () => {
    setup(() => overview());
    expect(await screen.findByText(/No runs yet — run a workflow from the/)).toBeTruthy();
    expect(screen.getByText("No run is in progress.")).toBeTruthy();
    expect(screen.getByText("No scored runs in the last 30 days.", { selector: ".empty" })).toBeTruthy();
  });

  it("refreshes the lists when the project's runs change", async () => {
    let answer = overview();
    const network = setup(() => answer);
    await screen.findByText("No run is in progress.");
    const before = network.callsOf("DashboardOverview").length;
    answer = overview({ running: [running] });
    act(() => network.push("DashboardRunsChanged", { runsChanged: { uid: "u1", name: "web-run-1", phase: "Running" } }));
    expect(await screen.findByRole("link", { name: "web-run-1" }, { timeout: 3000 })).toBeTruthy();
    await waitFor(() => expect(network.callsOf("DashboardOverview").length).toBeGreaterThan(before));
    expect(network.callsOf("DashboardRunsChanged")[0].variables).toEqual({ project: "demo" });
  });
});
