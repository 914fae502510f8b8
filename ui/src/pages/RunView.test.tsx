// Tests of the RunView page.
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { act, cleanup, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { dateTime } from "../lib/format";
import { installLayoutStubs, mockNetwork, renderPage, type MockAnswer } from "../run/testing";
import { LOG_POLL_MS } from "../run/logs";
import { NOT_FOUND_RETRIES, NOT_FOUND_RETRY_MS } from "../run/useRunDetail";
import { ABORT_CONFIRM, RunView } from "./RunView";

beforeAll(installLayoutStubs);

const RUN = "web-survives-pod-loss-dwc9w";

function runJson(overrides: Record<string, unknown> = {}, statusOverrides: Record<string, unknown> = {}) {
  return {
    __typename: "RunDetail",
    uid: "a3d1fbf6",
    name: RUN,
    workflow: "web-survives-pod-loss",
    phase: "Running",
    trigger: "Manual",
    author: "bob",
    score: null,
    createdAt: "2026-11-25T21:59:16Z",
    deleted: false,
    definition: {
      maxDuration: "5m",
      steps: [
        {
          name: "delete-half-the-web-pods",
          weight: 10,
          fault: { type: "pod-delete", duration: "30s", interval: "10s", target: { namespace: "demo" } },
          probes: [{ name: "web-answers", type: "http" }],
        },
        { name: "scale-down", dependsOn: ["delete-half-the-web-pods"], weight: 5, fault: { type: "pod-autoscaler" } },
      ],
    },
    status: {
      phase: "Running",
      startedAt: "2026-11-25T21:59:16.275Z",
      deadline: "2026-11-25T22:04:16.275Z",
      steps: [
        {
          name: "delete-half-the-web-pods",
          phase: "Running",
          verdict: "Awaited",
          startedAt: "2026-11-25T21:59:16.275Z",
          chaosStartedAt: "2026-11-25T21:59:16.346Z",
          chaosEndsAt: "2026-11-25T21:59:46.346Z",
          injections: 1,
          targets: [
            {
              kind: "Pod",
              namespace: "demo",
              name: "web-7f5fb8f99b-2kxh6",
              round: 0,
              injectedAt: "2026-11-25T21:59:17Z",
              revertedAt: "2026-11-25T21:59:48Z",
              revertVerified: true,
            },
            {
              kind: "Pod",
              namespace: "demo",
              name: "web-7f5fb8f99b-9ndtc",
              round: 1,
              injectedAt: "2026-11-25T21:59:27Z",
              revertVerified: false,
              revertError: "pod still terminating",
            },
          ],
          probes: [
            {
              name: "web-answers",
              verdict: "Passed",
              passed: 7,
              failed: 1,
              lastCheckedAt: "2026-11-25T21:59:22Z",
              message: "GET http://10.96.100.100/ -> 200",
            },
          ],
        },
      ],
      conditions: [{ type: "Admitted", status: "True", reason: "Admitted", message: "every policy check passed" }],
      ...statusOverrides,
    },
    events: [
      { time: "2026-11-25T21:59:16Z", kind: "Normal", reason: "Started", message: "run started; deadline in 5m0s" },
      { time: "2026-11-25T21:59:30Z", kind: "Warning", reason: "RevertFailed", message: "pod still terminating" },
    ],
    ...overrides,
  };
}

const GITOPS = "system:serviceaccount:argocd:argocd-application-controller";

/** The value of one of the run's facts (Trigger, Author, …). */
function meta(term: string): string | null {
  const dt = screen.getByText(term, { selector: ".run-meta dt" });
  return dt.nextElementSibling?.textContent ?? null;
}

function setup(answer: () => MockAnswer, role: "Editor" | "Viewer" = "Editor") {
  const network = mockNetwork({
    RunView: answer,
    RunViewAbort: (v) => ({
      data: { abortRun: { __typename: "RunSummary", uid: "a3d1fbf6", name: String(v.name), phase: "Running" } },
    }),
  });
  renderPage(<RunView />, { path: "/projects/:project/runs/:run", url: `/projects/demo/runs/${RUN}`, network, role });
  return network;
}

describe("RunView", () => {
  it("shows the run's header, graph, targets with their injected and reverted times, probes and events", async () => {
    setup(() => ({ data: { run: runJson() } }));
    expect(await screen.findByRole("heading", { level: 1, name: RUN })).toBeTruthy();
    expect(document.querySelectorAll("[data-phase]")).toHaveLength(1);
    expect(document.querySelector("[data-phase]")?.getAttribute("data-phase")).toBe("Running");
    expect(screen.getByRole("link", { name: "web-survives-pod-loss" }).getAttribute("href")).toBe(
      "/projects/demo/workflows/web-survives-pod-loss",
    );
    const graph = screen.getByRole("region", { name: "Steps graph" });
    expect(within(graph).getByText("scale-down")).toBeTruthy();
    expect(within(graph).getByText("pod-autoscaler")).toBeTruthy();

    const targets = screen.getByRole("heading", { name: "Targets" }).closest("section")!;
    const rows = within(targets).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain("demo/web-7f5fb8f99b-2kxh6");
    expect(rows[0].textContent).toContain(dateTime("2026-11-25T21:59:17Z"));
    expect(rows[0].textContent).toContain(dateTime("2026-11-25T21:59:48Z"));
    expect(within(rows[0]).getByText("Yes")).toBeTruthy();
    expect(rows[1].textContent).toContain("not yet");
    expect(rows[1].textContent).toContain("Revert failed: pod still terminating");

    const steps = screen.getByRole("table", { name: "Steps" });
    expect(within(steps).getAllByRole("row")).toHaveLength(3);
    expect(within(steps).getByText("scale-down")).toBeTruthy();

    const probes = screen.getByRole("heading", { name: "Probes" }).closest("section")!;
    expect(within(probes).getByText("GET http://10.96.100.100/ -> 200")).toBeTruthy();

    const events = screen.getByRole("heading", { name: "Events" }).closest("section")!;
    const items = within(events).getAllByRole("listitem");
    expect(items.map((li) => li.textContent)).toEqual([
      expect.stringContaining("Started"),
      expect.stringContaining("RevertFailed"),
    ]);
    expect(items[1].className).toContain("run-event-warning");
    expect(items[0].className).not.toContain("run-event-warning");

    expect(screen.getByRole("button", { name: "Abort run" })).toBeTruthy();
  });

  it("hides Abort run from a viewer", async () => {
    setup(() => ({ data: { run: runJson() } }), "Viewer");
    await screen.findByRole("heading", { level: 1, name: RUN });
    expect(screen.queryByRole("button", { name: "Abort run" })).toBeNull();
  });

  it("hides Abort run for a finished run and shows its score", async () => {
    setup(() => ({
      data: {
        run: runJson(
          { phase: "Succeeded", score: 87.5 },
          { phase: "Succeeded", finishedAt: "2026-11-25T22:00:00Z", resiliencyScore: 87.5 },
        ),
      },
    }));
    await screen.findByRole("heading", { level: 1, name: RUN });
    expect(screen.queryByRole("button", { name: "Abort run" })).toBeNull();
    expect(document.querySelector("[data-phase]")?.getAttribute("data-phase")).toBe("Succeeded");
    expect(document.querySelector("[data-score]")?.getAttribute("data-score")).toBe("87.5");
  });

  it("aborts after confirmation and says so until the run is Aborted", async () => {
    let current = runJson();
    const network = setup(() => ({ data: { run: current } }));
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(true);
    await userEvent.click(await screen.findByRole("button", { name: "Abort run" }));
    expect(confirm).toHaveBeenCalledWith(ABORT_CONFIRM);
    expect(network.callsOf("RunViewAbort").map((c) => c.variables)).toEqual([{ project: "demo", name: RUN }]);
    expect(await screen.findByRole("button", { name: "Aborting…" })).toHaveProperty("disabled", true);

    // the operator reverts everything; the subscription tells the page, which reads the run again
    current = runJson({ phase: "Aborted" }, { phase: "Aborted", finishedAt: "2026-11-25T22:00:00Z" });
    const before = network.callsOf("RunView").length;
    act(() => network.push("RunViewUpdated", { runUpdated: { __typename: "RunSummary", uid: "a3d1fbf6", phase: "Aborted", score: null } }));
    await waitFor(() => expect(document.querySelector("[data-phase]")?.getAttribute("data-phase")).toBe("Aborted"));
    expect(network.callsOf("RunView").length).toBeGreaterThan(before);
    expect(screen.queryByRole("button", { name: /Abort/ })).toBeNull();
    confirm.mockRestore();
  });

  it("does not abort when the confirmation is declined", async () => {
    const network = setup(() => ({ data: { run: runJson() } }));
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(false);
    await userEvent.click(await screen.findByRole("button", { name: "Abort run" }));
    expect(network.callsOf("RunViewAbort")).toEqual([]);
    expect(screen.getByRole("button", { name: "Abort run" })).toBeTruthy();
    confirm.mockRestore();
  });

  it("shows who created the run beside its trigger, and a dash where that was not recorded", async () => {
    setup(() => ({ data: { run: runJson() } }));
    await screen.findByRole("heading", { level: 1, name: RUN });
    expect(meta("Trigger")).toBe("Manual");
    expect(meta("Author")).toBe("bob");
    cleanup();

    setup(() => ({ data: { run: runJson({ trigger: "GitOps", author: GITOPS }) } }));
    await screen.findByRole("heading", { level: 1, name: RUN });
    expect(meta("Author")).toBe(GITOPS);
    cleanup();

    setup(() => ({ data: { run: runJson({ author: null }) } }));
    await screen.findByRole("heading", { level: 1, name: RUN });
    expect(meta("Author")).toBe("—");
  });

  it("explains a run refused by policy at the top: the namespace, what is missing, the step and what to do", async () => {
    const message =
      'spec.steps[0].fault.target.namespace: namespace shop does not allow project team-a (annotation chaoscenter.io/chaos-projects is "team-b")';
    setup(() => ({
      data: {
        run: runJson(
          { phase: "Failed", deleted: true, events: [] },
          {
            phase: "Failed",
            steps: [],
            conditions: [{ type: "Admitted", status: "False", reason: "NamespaceNotAllowed", message }],
          },
        ),
      },
    }));
    await screen.findByRole("heading", { level: 1, name: RUN });
    // one alert, before the run's facts, not repeated in the list of conditions below
    const alert = screen.getByRole("alert");
    expect(alert.compareDocumentPosition(screen.getByText("Workflow", { selector: "dt" })) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(within(alert).getByRole("heading", { level: 2 }).textContent).toBe(
      "Refused: a namespace this run targets is not open to this project",
    );
    expect(alert).toHaveProperty("textContent", expect.stringContaining('namespace shop does not allow project team-a (annotation chaoscenter.io/chaos-projects is "team-b")'));
    expect(within(alert).getByText("spec.steps[0].fault.target.namespace")).toBeTruthy();
    expect(alert.textContent).toContain("(step delete-half-the-web-pods)");
    expect(within(alert).getByText("NamespaceNotAllowed")).toBeTruthy();
    expect(alert.textContent).toContain("chaoscenter.io/chaos=enabled");
    expect(document.querySelector("[data-phase]")?.getAttribute("data-phase")).toBe("Failed");

    expect(screen.getByText(/gone from the cluster; it is shown from ChaosCenter's history/)).toBeTruthy();
    expect(screen.getByText(/its Kubernetes events are no longer available/)).toBeTruthy();
  });

  it("explains a run stopped because its spec changed after it was admitted", async () => {
    const message =
      "the run's spec changed after it was admitted (changed: spec.workflow.steps[0].fault.target.namespace): nothing more was injected, every fault was reverted";
    setup(() => ({
      data: {
        run: runJson(
          { phase: "Error" },
          {
            phase: "Error",
            finishedAt: "2026-11-25T22:00:00Z",
            conditions: [
              { type: "Admitted", status: "True", reason: "Admitted", message: "every policy check passed" },
              { type: "Completed", status: "True", reason: "DefinitionChanged", message },
              { type: "Succeeded", status: "False", reason: "DefinitionChanged", message },
              { type: "Ready", status: "False", reason: "Unrelated", message: "something else" },
            ],
          },
        ),
      },
    }));
    await screen.findByRole("heading", { level: 1, name: RUN });
    const [banner, others] = screen.getAllByRole("alert");
    expect(within(banner).getByRole("heading", { level: 2 }).textContent).toBe(
      "Stopped: the run's spec was changed after it was admitted",
    );
    expect(banner.textContent).toContain(message);
    expect(within(banner).getByText("DefinitionChanged")).toBeTruthy();
    expect(banner.textContent).toContain("start a new run");
    // the other conditions that do not hold are still listed, the banner's is not repeated
    expect(others.textContent).toContain("Ready: Unrelated");
    expect(others.textContent).not.toContain("DefinitionChanged");
  });

  it("shows no banner for a run that failed its steps", async () => {
    setup(() => ({
      data: {
        run: runJson(
          { phase: "Failed" },
          {
            phase: "Failed",
            conditions: [{ type: "Succeeded", status: "False", reason: "StepsFailed", message: "steps that did not pass: scale-down" }],
          },
        ),
      },
    }));
    await screen.findByRole("heading", { level: 1, name: RUN });
    expect(screen.queryByRole("heading", { level: 2, name: /Refused|Stopped/ })).toBeNull();
    expect(screen.getByRole("alert").textContent).toContain("Succeeded: StepsFailed — steps that did not pass: scale-down");
  });

  it("shows how a network fault was injected, and a fault that did not take effect at the top of the targets", async () => {
    const note = "nfqueue by the node agent on node-1 (ChaosInjection slow-web-1-x7k2p)";
    const pod = (name: string, more: Record<string, unknown>) => ({ kind: "Pod", namespace: "demo", name, round: 0, revertVerified: false, ...more });
    const policyError =
      "InjectionIneffective: pod demo/web-2 still accepts connections 5 s after NetworkPolicy chaos-cut was applied: this cluster's network plugin does not enforce NetworkPolicy; use params.mechanism: agent";
    setup(() => ({
      data: {
        run: runJson(
          {
            definition: {
              steps: [
                { name: "slow", fault: { type: "network-delay", params: { latency: "100ms" } } },
                { name: "cut", fault: { type: "network-partition", params: { mechanism: "network-policy" } } },
                { name: "kill", fault: { type: "pod-delete" } },
              ],
            },
            events: [
              { time: "2026-11-25T21:59:17Z", kind: "Normal", reason: "Injected", message: `step slow: network-delay injected into Pod demo/web-1: ${note}` },
              { time: "2026-11-25T21:59:18Z", kind: "Normal", reason: "Injected", message: "step kill: pod-delete injected into Pod demo/web-3: deleted" },
            ],
          },
          {
            steps: [
              { name: "slow", phase: "Running", targets: [pod("web-1", { fault: "network-delay", injectedAt: "2026-11-25T21:59:17Z" })] },
              { name: "cut", phase: "Failed", targets: [pod("web-2", { fault: "network-partition", injectionError: policyError })] },
              { name: "kill", phase: "Running", targets: [pod("web-3", { fault: "pod-delete", injectedAt: "2026-11-25T21:59:18Z" })] },
            ],
          },
        ),
      },
    }));
    await screen.findByRole("heading", { level: 1, name: RUN });
    const targets = screen.getByRole("heading", { name: "Targets" }).closest("section")!;
    const alert = within(targets).getByRole("alert");
    expect(alert.textContent).toContain("The fault did not take effect on Pod demo/web-2 (step cut): InjectionIneffective: pod demo/web-2 still accepts");
    const rows = within(targets).getAllByRole("row").slice(1);
    expect(within(rows[0]).getByText(note)).toBeTruthy();
    expect(rows[1].className).toBe("run-row-bad");
    expect(rows[1].textContent).toContain(policyError);
    // a pod-delete's note is the events' business only
    expect(rows[2].textContent).not.toContain("deleted");
  });

  it("shows a network fault's note from the run's status once its events are gone", async () => {
    const note = "tbf by the node agent on node-2 (ChaosInjection slow-web-1-q9z8y)";
    setup(() => ({
      data: {
        run: runJson(
          { definition: { steps: [{ name: "slow", fault: { type: "network-rate", params: { rate: "1mbit" } } }] }, events: [] },
          {
            steps: [
              {
                name: "slow",
                phase: "Succeeded",
                targets: [{ kind: "Pod", namespace: "demo", name: "web-1", round: 0, revertVerified: true, fault: "network-rate", note }],
              },
            ],
          },
        ),
      },
    }));
    await screen.findByRole("heading", { level: 1, name: RUN });
    const targets = screen.getByRole("heading", { name: "Targets" }).closest("section")!;
    expect(within(targets).getByText(note)).toBeTruthy();
  });

  it("shows how the node agent made a container, stress, DNS or HTTP fault, on pods and on nodes", async () => {
    const cpu = "cgroup-stressor by the node agent on node-1 (ChaosInjection hog-web-1-r2d2x)";
    const memory = "stressor by the node agent on node-2 (ChaosInjection squeeze-node-2-c3p0q)";
    const http = "http-proxy by the node agent on node-1 (ChaosInjection teapot-web-1-b8b8z)";
    setup(() => ({
      data: {
        run: runJson(
          {
            definition: {
              steps: [
                { name: "hog", fault: { type: "pod-cpu-stress", params: { cores: 2, load: 80 } } },
                { name: "squeeze", fault: { type: "node-memory-stress", target: { kind: "Node" }, params: { size: "1Gi" } } },
                { name: "teapot", fault: { type: "http-status", params: { http: { port: 8080, status: 418 } } } },
              ],
            },
            events: [{ time: "2026-11-25T21:59:19Z", kind: "Normal", reason: "Injected", message: `step teapot: http-status injected into Pod demo/web-1: ${http}` }],
          },
          {
            steps: [
              { name: "hog", phase: "Running", targets: [{ kind: "Pod", namespace: "demo", name: "web-1", round: 0, fault: "pod-cpu-stress", note: cpu }] },
              { name: "squeeze", phase: "Running", targets: [{ kind: "Node", name: "node-2", round: 0, fault: "node-memory-stress", note: memory }] },
              { name: "teapot", phase: "Running", targets: [{ kind: "Pod", namespace: "demo", name: "web-1", round: 0, fault: "http-status" }] },
            ],
          },
        ),
      },
    }));
    await screen.findByRole("heading", { level: 1, name: RUN });
    const targets = screen.getByRole("heading", { name: "Targets" }).closest("section")!;
    const rows = within(targets).getAllByRole("row").slice(1);
    expect(within(rows[0]).getByText(cpu)).toBeTruthy();
    expect(rows[1].textContent).toContain("node-2");
    expect(within(rows[1]).getByText(memory)).toBeTruthy();
    // from the run's events when the status has no note
    expect(within(rows[2]).getByText(http)).toBeTruthy();
  });

  it("says why an injection failed in the target's row, with no alert when it is not about the effect", async () => {
    setup(() => ({
      data: {
        run: runJson(
          {},
          {
            steps: [
              {
                name: "delete-half-the-web-pods",
                targets: [{ kind: "Pod", namespace: "demo", name: "web-1", round: 0, fault: "pod-delete", injectionError: "not injected: namespace demo withdrew" }],
              },
            ],
          },
        ),
      },
    }));
    await screen.findByRole("heading", { level: 1, name: RUN });
    const targets = screen.getByRole("heading", { name: "Targets" }).closest("section")!;
    expect(within(targets).queryByRole("alert")).toBeNull();
    expect(within(targets).getAllByRole("row")[1].textContent).toContain("Injection failed: not injected: namespace demo withdrew");
  });

  describe("a run the history does not know", () => {
    const notFound: MockAnswer = { errors: [{ message: 'no run "x"', extensions: { code: "NOT_FOUND" } }] };
    afterEach(() => {
      vi.useRealTimers();
    });
    /** Lets one retry's timer fire and its answer render. */
    const nextRetry = () => act(() => vi.advanceTimersByTimeAsync(NOT_FOUND_RETRY_MS));

    it("keeps looking for a run just started, then shows it", async () => {
      vi.useFakeTimers();
      let asked = 0;
      setup(() => (++asked <= 2 ? notFound : { data: { run: runJson() } }));
      await act(() => vi.advanceTimersByTimeAsync(0));
      expect(screen.getByText("Loading the run…")).toBeTruthy();
      await nextRetry();
      expect(screen.queryByText(/No run named/)).toBeNull();
      await nextRetry();
      expect(screen.getByRole("heading", { level: 1, name: RUN })).toBeTruthy();
      expect(screen.queryByText("Loading the run…")).toBeNull();
    });

    it("says so once the retries are spent", async () => {
      vi.useFakeTimers();
      const network = setup(() => notFound);
      await act(() => vi.advanceTimersByTimeAsync(0));
      const first = network.callsOf("RunView").length;
      for (let i = 0; i < NOT_FOUND_RETRIES; i++) {
        expect(screen.queryByText(/No run named/)).toBeNull();
        await nextRetry();
      }
      expect(screen.getByText(`No run named ${RUN} in this project.`)).toBeTruthy();
      expect(network.callsOf("RunView")).toHaveLength(first + NOT_FOUND_RETRIES);
      // no more asking after that
      await nextRetry();
      await nextRetry();
      expect(network.callsOf("RunView")).toHaveLength(first + NOT_FOUND_RETRIES);
    });
  });
  describe("the Logs tab", () => {
    const LINES = [
      "2026-11-25T21:59:16.275Z INFO  run started; deadline in 5m reason=Started",
      "2026-11-25T21:59:20.100Z OUTPUT [cart-up] connecting with token=[redacted]",
      "2026-11-25T21:59:20.101Z OUTPUT [cart-up] checkout is down",
      "2026-11-25T21:59:21.000Z WARN  step kill: probe cart-up failed: the command failed with exit code 1 reason=ProbeFailed",
    ];

    function logsSetup(run: () => MockAnswer, logs: () => MockAnswer, url = `/projects/demo/runs/${RUN}?tab=logs`) {
      const network = mockNetwork({ RunView: run, RunLogs: logs });
      renderPage(<RunView />, { path: "/projects/:project/runs/:run", url, network, role: "Viewer" });
      return network;
    }

    const logAnswer = (lines: string[], dropped = 0): MockAnswer => ({
      data: { runLogs: { __typename: "RunLogView", lines, truncated: dropped > 0, dropped } },
    });

    afterEach(() => {
      vi.useRealTimers();
    });

    it("opens from the URL and shows the operator's lines and the probe's output, by level", async () => {
      logsSetup(() => ({ data: { run: runJson() } }), () => logAnswer(LINES));
      const log = await screen.findByRole("log", { name: `Log of run ${RUN}` });
      expect(screen.getByRole("tab", { name: "Logs" }).getAttribute("aria-selected")).toBe("true");
      expect(screen.getByRole("tabpanel").getAttribute("aria-labelledby")).toBe("run-tab-logs");
      const lines = log.querySelectorAll(".log-line");
      expect(lines).toHaveLength(4);
      expect([...lines].map((l) => l.getAttribute("data-level"))).toEqual(["INFO", "OUTPUT", "OUTPUT", "WARN"]);
      expect(lines[2].textContent).toContain("[cart-up] checkout is down");
      expect(lines[0].querySelector("time")?.getAttribute("dateTime")).toBe("2026-11-25T21:59:16.275Z");
      // the overview's sections are in the other tab
      expect(screen.queryByRole("heading", { name: "Steps" })).toBeNull();
      expect(screen.getByText(/Following live/)).toBeTruthy();
    });

    it("switches between the overview and the log with the tabs, and keeps the choice in the URL", async () => {
      const network = logsSetup(() => ({ data: { run: runJson() } }), () => logAnswer(LINES), `/projects/demo/runs/${RUN}`);
      await screen.findByRole("heading", { name: "Steps" });
      expect(network.callsOf("RunLogs")).toHaveLength(0);
      await userEvent.click(screen.getByRole("tab", { name: "Logs" }));
      expect(await screen.findByRole("log")).toBeTruthy();
      expect(screen.getByTestId("location").textContent).toBe(`/projects/demo/runs/${RUN}?tab=logs`);
      // the keyboard moves between the tabs
      screen.getByRole("tab", { name: "Logs" }).focus();
      await userEvent.keyboard("{Home}");
      expect(await screen.findByRole("heading", { name: "Steps" })).toBeTruthy();
      expect(document.activeElement).toBe(screen.getByRole("tab", { name: "Overview" }));
      expect(screen.getByTestId("location").textContent).toBe(`/projects/demo/runs/${RUN}`);
    });

    it("follows the log of a run in progress, reading it again every few seconds", async () => {
      vi.useFakeTimers();
      let lines = LINES.slice(0, 1);
      const network = logsSetup(() => ({ data: { run: runJson() } }), () => logAnswer(lines));
      await act(() => vi.advanceTimersByTimeAsync(0));
      expect(document.querySelectorAll(".log-line")).toHaveLength(1);
      lines = LINES;
      await act(() => vi.advanceTimersByTimeAsync(LOG_POLL_MS));
      expect(document.querySelectorAll(".log-line")).toHaveLength(4);
      expect(network.callsOf("RunLogs").length).toBeGreaterThanOrEqual(2);
    });

    it("reads the log of a run gone from the cluster once, from the history, and says how many lines were dropped", async () => {
      vi.useFakeTimers();
      const finished = runJson(
        { phase: "Failed", deleted: true, events: [] },
        { phase: "Failed", finishedAt: "2026-11-25T22:00:00Z" },
      );
      const marker = "… 7 earlier lines dropped (a run's log keeps its newest 2000 lines and 256 KiB)";
      const network = logsSetup(() => ({ data: { run: finished } }), () => logAnswer([marker, ...LINES], 7));
      await act(() => vi.advanceTimersByTimeAsync(0));
      expect(screen.getByText(/From ChaosCenter's history/)).toBeTruthy();
      expect(screen.getByText(/The oldest 7 lines were dropped/)).toBeTruthy();
      const first = document.querySelector(".log-line");
      expect(first?.getAttribute("data-level")).toBe("marker");
      expect(first?.textContent).toContain(marker);
      const asked = network.callsOf("RunLogs").length;
      await act(() => vi.advanceTimersByTimeAsync(LOG_POLL_MS * 3));
      expect(network.callsOf("RunLogs")).toHaveLength(asked);
    });

    it("says when a run has no log lines yet", async () => {
      logsSetup(() => ({ data: { run: runJson() } }), () => logAnswer([]));
      expect(await screen.findByText(/No log lines yet/)).toBeTruthy();
    });
  });
});
