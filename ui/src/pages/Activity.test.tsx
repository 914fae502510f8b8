// Tests of the Activity page, against a fake server that pages the log like the real one.
import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { PAGE_SIZE, type AuditEntry } from "../activity/log";
import { mockNetwork, renderPage, type MockAnswer } from "../run/testing";
import { Activity } from "./Activity";

const MINUTE = 60_000;
// ten minutes ago, on a whole second
const NEWEST = Math.floor(Date.now() / 1000) * 1000 - 10 * MINUTE;

function kindAndName(i: number): Pick<AuditEntry, "kind" | "name"> {
  if (i % 3 === 0) return { kind: "ChaosWorkflowRun", name: `run-${i}` };
  if (i % 3 === 1) return { kind: "ChaosWorkflow", name: `wf-${i}` };
  return { kind: "Project", name: "demo" };
}

// 70 entries, newest first, one a minute, except that 49, 50 and 51 share one millisecond: the first page
// (50) ends in the middle of them
const ENTRIES: AuditEntry[] = Array.from({ length: 70 }, (_, i) => {
  const minutes = i <= 49 ? i : i <= 51 ? 49 : i - 2;
  const cluster = i % 5 === 4;
  return {
    at: new Date(NEWEST - minutes * MINUTE).toISOString(),
    actor: cluster ? "kubectl-create" : i % 2 ? "alice" : "bob",
    source: cluster ? "CLUSTER" : "API",
    action: ["create", "update", "run", "delete", "abort"][i % 5],
    namespace: "demo-chaos",
    project: "demo",
    // as the server's: the time, then a unique id, so entries sharing a millisecond still have an order
    cursor: `${new Date(NEWEST - minutes * MINUTE).getTime()}-${String(999 - i).padStart(3, "0")}`,
    ...kindAndName(i),
  };
});

/** The server's `auditLog`: newest first, at most `first`, with cursors below `after`. */
function auditLog(all: AuditEntry[]) {
  return (v: Record<string, unknown>): MockAnswer => {
    const after = typeof v.after === "string" ? v.after : undefined;
    const first = typeof v.first === "number" ? v.first : 50;
    return { data: { auditLog: all.filter((e) => after === undefined || e.cursor < after).slice(0, first) } };
  };
}

function setup(url = "/projects/demo/activity", handler = auditLog(ENTRIES)) {
  const network = mockNetwork({ ActivityLog: handler });
  renderPage(<Activity />, { path: "/projects/:project/activity", url, network, role: "Viewer" });
  return network;
}

const table = () => screen.getByRole("table", { name: "Activity" });
const rows = () => within(table()).getAllByRole("row").slice(1);
const objectNames = () => rows().map((r) => within(r).getAllByRole("cell")[3].textContent);
const url = () => screen.getByTestId("location").textContent;

describe("Activity", () => {
  it("pages back with Load older, without gaps or duplicates where entries share a time", async () => {
    const network = setup();
    expect(screen.getByRole("heading", { name: "Activity" })).toBeTruthy();
    expect(screen.getByText("Loading activity…")).toBeTruthy();
    await screen.findByRole("table", { name: "Activity" });
    expect(rows()).toHaveLength(PAGE_SIZE);
    expect(network.callsOf("ActivityLog")[0].variables).toEqual({ project: "demo", first: PAGE_SIZE, after: null });

    await userEvent.click(screen.getByRole("button", { name: "Load older" }));
    await screen.findByText("No more entries");
    // 50 and 51 come though they are as old as 49, the last of the first page; 49 is not listed twice
    expect(network.callsOf("ActivityLog")[1].variables).toMatchObject({ after: ENTRIES[49].cursor });
    expect(objectNames()).toEqual(ENTRIES.map((e) => `${e.kind} ${e.name}`));
    expect(screen.queryByRole("button", { name: "Load older" })).toBeNull();
    expect(screen.getByText("70 entries shown.")).toBeTruthy();
  });

  it("shows when, who (marking changes made in the cluster), what, and links workflows and runs", async () => {
    setup();
    await screen.findByRole("table", { name: "Activity" });
    expect(within(table()).getAllByRole("columnheader").map((h) => h.textContent)).toEqual(["When", "Who", "What", "Object"]);

    const [run0, wf1, project2, , cluster4] = rows();
    const when = run0.querySelector("time");
    expect(when?.getAttribute("datetime")).toBe(ENTRIES[0].at);
    expect(within(run0).getByText("(10 min ago)")).toBeTruthy();
    expect(within(run0).getAllByRole("cell").map((c) => c.textContent).slice(1)).toEqual(["bob", "create", "ChaosWorkflowRun run-0"]);
    expect(within(run0).getByRole("link", { name: "run-0" }).getAttribute("href")).toBe("/projects/demo/runs/run-0");
    expect(within(wf1).getByRole("link", { name: "wf-1" }).getAttribute("href")).toBe("/projects/demo/workflows/wf-1");
    expect(within(project2).queryByRole("link")).toBeNull();

    expect(within(cluster4).getAllByRole("cell")[1].textContent).toBe("kubectl-create · via Kubernetes");
    expect(within(run0).queryByText("via Kubernetes")).toBeNull();
  });

  it("names the real person or program and the path: ChaosCenter, or the cluster directly; unverified before the webhook", async () => {
    const at = new Date(NEWEST).toISOString();
    const log: AuditEntry[] = [
      { actor: "bob", source: "API" },
      { actor: "bob", source: "CLUSTER" },
      { actor: "system:serviceaccount:argocd:argocd-application-controller", source: "CLUSTER" },
      { actor: "kubectl-client-side-apply (field manager, unverified)", source: "CLUSTER" },
    ].map((e, i) => ({ ...e, at, action: "create", kind: "ChaosWorkflow", name: `wf-${i}`, cursor: `${NEWEST}-${9 - i}` }));
    setup(undefined, auditLog(log));
    await screen.findByRole("table", { name: "Activity" });
    const who = rows().map((r) => within(r).getAllByRole("cell")[1]);
    expect(who.map((c) => c.textContent)).toEqual([
      "bob",
      "bob · via Kubernetes",
      "system:serviceaccount:argocd:argocd-application-controller · via Kubernetes",
      "kubectl-client-side-apply · via Kubernetes unverified",
    ]);
    expect(within(who[2]).getByText(/^system:serviceaccount/).getAttribute("title")).toBe(
      "Kubernetes ServiceAccount argocd-application-controller in namespace argocd",
    );
    expect(within(who[3]).getByText("unverified").getAttribute("title")).toBe(log[3].actor);
    expect(screen.getByText(/Who is the person or program that did it/)).toBeTruthy();
  });

  it("filters the loaded entries by action and who, kept in the URL", async () => {
    const network = setup("/projects/demo/activity?action=run");
    await screen.findByRole("table", { name: "Activity" });
    const action = screen.getByRole("combobox", { name: "Action" }) as HTMLSelectElement;
    expect(action.value).toBe("run");
    expect([...action.options].map((o) => o.textContent)).toEqual(["All", "abort", "create", "delete", "run", "update"]);
    expect(rows().every((r) => within(r).getAllByRole("cell")[2].textContent === "run")).toBe(true);
    expect(rows()).toHaveLength(10);
    expect(screen.getByText(/the server cannot filter/)).toBeTruthy();

    await userEvent.selectOptions(action, "abort");
    expect(url()).toBe("/projects/demo/activity?action=abort");
    await userEvent.type(screen.getByRole("textbox", { name: "Who" }), "KUBECTL");
    expect(url()).toBe("/projects/demo/activity?action=abort&who=KUBECTL");
    expect(rows()).toHaveLength(10);
    expect(rows().every((r) => within(r).getAllByRole("cell")[1].textContent === "kubectl-create · via Kubernetes")).toBe(true);
    expect(screen.getByText("10 of 50 loaded entries shown.")).toBeTruthy();

    await userEvent.selectOptions(action, "All");
    expect(url()).toBe("/projects/demo/activity?who=KUBECTL");
    await userEvent.clear(screen.getByRole("textbox", { name: "Who" }));
    await userEvent.type(screen.getByRole("textbox", { name: "Who" }), "nobody");
    expect(screen.queryByRole("table")).toBeNull();
    expect(screen.getByText(/No loaded entries match these filters/)).toBeTruthy();

    await userEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    expect(url()).toBe("/projects/demo/activity");
    expect((screen.getByRole("textbox", { name: "Who" }) as HTMLInputElement).value).toBe("");
    expect(rows()).toHaveLength(PAGE_SIZE);
    // filtering never asked the server again
    expect(network.callsOf("ActivityLog")).toHaveLength(1);
  });

  it("applies the Who filter of the URL it is opened with", async () => {
    setup("/projects/demo/activity?who=alice");
    await screen.findByRole("table", { name: "Activity" });
    expect((screen.getByRole("textbox", { name: "Who" }) as HTMLInputElement).value).toBe("alice");
    expect(rows()).toHaveLength(20);
    expect(rows().every((r) => within(r).getAllByRole("cell")[1].textContent === "alice")).toBe(true);
  });

  it("says when nothing has happened yet", async () => {
    setup(undefined, () => ({ data: { auditLog: [] } }));
    expect(await screen.findByText("Nothing has happened in this project yet.")).toBeTruthy();
    expect(screen.queryByRole("table")).toBeNull();
    expect(screen.queryByRole("button", { name: "Load older" })).toBeNull();
  });

  it("shows the server's error and tries again", async () => {
    let calls = 0;
    const network = setup(undefined, (v) =>
      ++calls === 1
        ? { errors: [{ message: "the history database is not answering", extensions: { code: "UNAVAILABLE" } }] }
        : auditLog(ENTRIES.slice(0, 3))(v),
    );
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("Could not load the activity: the history database is not answering");
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    await screen.findByRole("table", { name: "Activity" });
    expect(rows()).toHaveLength(3);
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.getByText("No more entries")).toBeTruthy();
    await waitFor(() => expect(network.callsOf("ActivityLog")).toHaveLength(2));
  });
});
