// Tests of the WorkflowEditor page.
import { render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { Provider } from "urql";
import { ProjectProvider } from "../project";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { fakeClient, project, renderInProject, type Answer, type Answers } from "../workflow/test-utils";
import type { ChaosWorkflowSpec } from "../workflow/types";
import { WorkflowEditor } from "./WorkflowEditor";

const NEW = "/projects/demo/workflows/new";
const EDIT = "/projects/demo/workflows/web-survives-pod-loss";

const served = {
  apiVersion: "chaoscenter.io/v1alpha1",
  kind: "ChaosWorkflow",
  metadata: { name: "web-survives-pod-loss", namespace: "demo-chaos", resourceVersion: "513" },
  spec: {
    description: "The web Service keeps answering",
    timeZone: "UTC",
    concurrencyPolicy: "Forbid",
    suspend: false,
    runHistoryLimit: 10,
    maxDuration: "5m",
    steps: [
      {
        name: "delete-half-the-web-pods",
        weight: 10,
        fault: {
          type: "pod-delete",
          target: { namespace: "demo", selector: { matchLabels: { app: "web" } }, mode: "fixed-percent", value: 50 },
          duration: "30s",
          interval: "10s",
        },
      },
    ],
  },
};

/** The server's validator finds nothing wrong (unless a test answers otherwise). */
const VALID: Answers = { ValidateWorkflow: { data: { validateWorkflow: [] } } };

function renderNew(answers: Answers = {}, role: "Editor" | "Viewer" = "Editor") {
  const fake = fakeClient({ ...VALID, ...answers });
  renderInProject(<WorkflowEditor />, "/projects/demo/workflows/new", NEW, fake.client, project(role));
  return fake;
}

function renderEdit(answers: Answers = {}, role: "Editor" | "Viewer" = "Editor") {
  const fake = fakeClient({ ...VALID, WorkflowObjects: { data: { workflows: [{ name: "web-survives-pod-loss", object: served }] } }, ...answers });
  renderInProject(<WorkflowEditor />, "/projects/demo/workflows/:workflow", EDIT, fake.client, project(role));
  return fake;
}

const step = (n: number) => screen.getByRole("group", { name: `Step ${n}` });

afterEach(() => vi.restoreAllMocks());

// CodeMirror measures text; jsdom has no layout
beforeAll(() => {
  const noRects = () => Object.assign([], { item: () => null }) as unknown as DOMRectList;
  Range.prototype.getClientRects = noRects;
  Range.prototype.getBoundingClientRect = () => new DOMRect();
});

describe("WorkflowEditor, creating", () => {
  it("starts with one pod-delete step against the project's first namespace", () => {
    renderNew();
    expect(screen.getByRole("heading", { name: "New workflow" })).toBeTruthy();
    expect(screen.getByRole("tab", { name: "Form", selected: true })).toBeTruthy();
    expect(screen.getByRole("tab", { name: "YAML", selected: false })).toBeTruthy();
    const s = within(step(1));
    expect(s.getByLabelText("Step name")).toHaveProperty("value", "kill-pods");
    expect(s.getByLabelText("Fault type")).toHaveProperty("value", "pod-delete");
    expect(s.getByLabelText("Duration")).toHaveProperty("value", "30s");
    expect(s.getByLabelText("Weight")).toHaveProperty("value", "10");
    expect(s.getByLabelText("Target namespace")).toHaveProperty("value", "demo");
    expect(s.getByLabelText("Mode")).toHaveProperty("value", "all");
    expect(s.queryByLabelText("Value")).toBeNull();
    expect(screen.getByRole("button", { name: "Create workflow" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Run now" })).toBeNull();
  });

  it("shows an invalid duration next to its field and refuses to save", async () => {
    const user = userEvent.setup();
    const fake = renderNew({ CreateWorkflow: { data: { createWorkflow: { name: "my-flow", resourceVersion: "1" } } } });
    await user.type(screen.getByLabelText("Name"), "my-flow");
    const s = within(step(1));
    await user.type(s.getByLabelText("Label selector"), "app=web");
    const duration = s.getByLabelText("Duration");
    await user.clear(duration);
    await user.type(duration, "30 seconds");
    await user.click(screen.getByRole("button", { name: "Create workflow" }));

    expect(duration.getAttribute("aria-invalid")).toBe("true");
    const errorId = duration.getAttribute("aria-describedby")?.split(" ")[0];
    const message = document.getElementById(errorId ?? "");
    expect(message?.className).toBe("field-error");
    expect(message?.textContent).toMatch(/"30 seconds" is not a duration/);
    expect(document.activeElement).toBe(duration);
    expect(fake.calls("CreateWorkflow")).toEqual([]);

    await user.clear(duration);
    await user.type(duration, "45s");
    expect(duration.getAttribute("aria-invalid")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Create workflow" }));
    await screen.findByText("The workflows list");
    expect(fake.calls("CreateWorkflow")).toEqual([
      {
        project: "demo",
        name: "my-flow",
        spec: {
          steps: [
            {
              name: "kill-pods",
              weight: 10,
              fault: { type: "pod-delete", target: { namespace: "demo", kind: "Pod", selector: { matchLabels: { app: "web" } }, mode: "all" }, duration: "45s" },
            },
          ],
        },
      },
    ]);
  });

  it("shows the value a mode needs; its range is the server's to judge", async () => {
    const user = userEvent.setup();
    renderNew({
      ValidateWorkflow: (v) => {
        const value = (v.spec as ChaosWorkflowSpec).steps[0].fault.target.value;
        const problems = value === 150 ? [{ field: "spec.steps[0].fault.target.value", message: "150 is not a percentage from 1 to 100" }] : [];
        return { data: { validateWorkflow: problems } };
      },
    });
    const s = within(step(1));
    await user.selectOptions(s.getByLabelText("Mode"), "fixed-percent");
    const value = s.getByLabelText("Value");
    await user.type(value, "1.5");
    await user.tab();
    expect(value.getAttribute("aria-invalid")).toBe("true");
    expect(s.getByText("a whole number")).toBeTruthy();
    await user.clear(value);
    await user.type(value, "150");
    expect(await s.findByText("150 is not a percentage from 1 to 100")).toBeTruthy();
    expect(value.getAttribute("aria-invalid")).toBe("true");
  });

  it("adds, reorders and removes steps, with their dependencies", async () => {
    const user = userEvent.setup();
    renderNew();
    await user.click(screen.getByRole("button", { name: "Add step" }));
    const second = within(step(2));
    expect(second.getByLabelText("Step name")).toHaveProperty("value", "step-2");
    await user.click(second.getByRole("checkbox", { name: "kill-pods" }));
    await user.click(screen.getByRole("button", { name: "Move step 2 up" }));
    expect(within(step(1)).getByLabelText("Step name")).toHaveProperty("value", "step-2");
    expect(within(step(1)).getByRole("checkbox", { name: "kill-pods" })).toHaveProperty("checked", true);
    await user.click(screen.getByRole("button", { name: "Remove step 2" }));
    expect(screen.queryByRole("group", { name: "Step 2" })).toBeNull();
    expect(within(step(1)).queryByRole("checkbox", { name: "kill-pods" })).toBeNull();
    expect(within(step(1)).getByText(/No other steps/)).toBeTruthy();
  });

  it("adds a probe with the fields of its type", async () => {
    const user = userEvent.setup();
    renderNew();
    const s = within(step(1));
    await user.click(s.getByRole("button", { name: "Add probe" }));
    const probe = within(s.getByRole("group", { name: "Probe 1: probe" }));
    expect(probe.getByLabelText("URL")).toBeTruthy();
    await user.selectOptions(probe.getByLabelText("Probe type"), "prom");
    expect(probe.queryByLabelText("URL")).toBeNull();
    expect(probe.getByLabelText("PromQL query")).toBeTruthy();
    expect(probe.getByLabelText("Criteria")).toBeTruthy();
  });

  it("previews the targets each step would hit", async () => {
    const user = userEvent.setup();
    const fake = renderNew({
      DryRunWorkflow: {
        data: {
          dryRunWorkflow: {
            finished: true,
            run: { name: "my-flow-x1", phase: "Succeeded" },
            plan: {
              phase: "Succeeded",
              steps: [
                {
                  name: "kill-pods",
                  targets: [
                    { kind: "Pod", namespace: "demo", name: "web-abc" },
                    { kind: "Pod", namespace: "demo", name: "web-def" },
                  ],
                },
              ],
            },
          },
        },
      },
    });
    await user.type(screen.getByLabelText("Name"), "my-flow");
    await user.type(within(step(1)).getByLabelText("Label selector"), "app=web");
    await user.click(screen.getByRole("button", { name: "Preview targets" }));
    const region = screen.getByRole("region", { name: "Target preview" });
    expect(region.getAttribute("aria-live")).toBe("polite");
    await within(region).findByText(/Would hit 2 pods: demo\/web-abc, demo\/web-def/);
    expect(fake.calls("DryRunWorkflow")[0]).toEqual({
      project: "demo",
      workflow: "my-flow",
      spec: {
        steps: [
          {
            name: "kill-pods",
            weight: 10,
            fault: { type: "pod-delete", target: { namespace: "demo", kind: "Pod", selector: { matchLabels: { app: "web" } }, mode: "all" }, duration: "30s" },
          },
        ],
      },
    });
  });

  it("previews by itself after a target change, and shows a refusal", async () => {
    const user = userEvent.setup();
    const fake = renderNew({
      DryRunWorkflow: {
        data: {
          dryRunWorkflow: {
            finished: true,
            run: { name: "p", phase: "Failed" },
            plan: {
              phase: "Failed",
              conditions: [{ type: "Admitted", status: "False", reason: "NamespaceNotAllowed", message: "namespace demo has not opted in to chaos" }],
            },
          },
        },
      },
    });
    await user.type(screen.getByLabelText("Name"), "my-flow");
    await user.type(within(step(1)).getByLabelText("Label selector"), "app=web");
    const region = screen.getByRole("region", { name: "Target preview" });
    await within(region).findByText(/namespace demo has not opted in to chaos/, undefined, { timeout: 3000 });
    expect(fake.calls("DryRunWorkflow")).toHaveLength(1);
  });

  it("shows a server error in a box and next to the field it names", async () => {
    const user = userEvent.setup();
    renderNew({ CreateWorkflow: { error: 'ChaosWorkflow.chaoscenter.io "my-flow" is invalid: spec.steps[0].fault.duration: Invalid value: "99h": too long', code: "INVALID" } });
    await user.type(screen.getByLabelText("Name"), "my-flow");
    await user.type(within(step(1)).getByLabelText("Label selector"), "app=web");
    await user.click(screen.getByRole("button", { name: "Create workflow" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toMatch(/Not created: .*spec\.steps\[0\]\.fault\.duration/);
    const duration = within(step(1)).getByLabelText("Duration");
    expect(duration.getAttribute("aria-invalid")).toBe("true");
  });

  it("converts to YAML and back", async () => {
    const user = userEvent.setup();
    renderNew();
    await user.type(screen.getByLabelText("Name"), "my-flow");
    await user.click(screen.getByRole("tab", { name: "YAML" }));
    expect(screen.getByRole("tab", { name: "YAML", selected: true })).toBeTruthy();
    const panel = screen.getByRole("tabpanel");
    await within(panel).findByText("Workflow YAML");
    expect(panel.textContent).toContain("kind: ChaosWorkflow");
    expect(panel.textContent).toContain("name: my-flow");
    await user.click(screen.getByRole("tab", { name: "Form" }));
    expect(screen.getByLabelText("Name")).toHaveProperty("value", "my-flow");
  });
  it("puts a name already taken next to the Name field", async () => {
    const user = userEvent.setup();
    renderNew({ CreateWorkflow: { error: 'chaosworkflows.chaoscenter.io "my-flow" already exists', code: "CONFLICT" } });
    const name = screen.getByLabelText("Name");
    await user.type(name, "my-flow");
    await user.type(within(step(1)).getByLabelText("Label selector"), "app=web");
    await user.click(screen.getByRole("button", { name: "Create workflow" }));
    await screen.findByRole("alert");
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(name.getAttribute("aria-describedby")?.split(" ")[0] ?? "")?.textContent).toMatch(/already exists/);
  });
});

describe("WorkflowEditor, editing", () => {
  it("loads the workflow, keeps its name, and saves with updateWorkflow", async () => {
    const user = userEvent.setup();
    const fake = renderEdit({ UpdateWorkflow: { data: { updateWorkflow: { name: "web-survives-pod-loss", resourceVersion: "600" } } } });
    await screen.findByRole("heading", { name: "web-survives-pod-loss" });
    expect(screen.queryByLabelText("Name")).toBeNull();
    const s = within(step(1));
    expect(s.getByLabelText("Value")).toHaveProperty("value", "50");
    expect(s.getByLabelText("Label selector")).toHaveProperty("value", "app=web");
    expect(screen.getByRole("button", { name: "Run now" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Delete workflow" })).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    await screen.findByText("The workflows list");
    expect(fake.calls("UpdateWorkflow")).toEqual([{ project: "demo", name: "web-survives-pod-loss", spec: served.spec }]);
  });

  it("runs the workflow now and goes to the run", async () => {
    const user = userEvent.setup();
    renderEdit({ RunWorkflow: { data: { runWorkflow: { name: "web-survives-pod-loss-abcde", phase: null } } } });
    await user.click(await screen.findByRole("button", { name: "Run now" }));
    expect(await screen.findByText("The run page of web-survives-pod-loss-abcde")).toBeTruthy();
  });

  it("deletes only after confirming", async () => {
    const user = userEvent.setup();
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    const fake = renderEdit({ DeleteWorkflow: { data: { deleteWorkflow: true } } });
    await user.click(await screen.findByRole("button", { name: "Delete workflow" }));
    expect(confirm.mock.calls[0][0]).toMatch(/runs stay in the history/);
    expect(fake.calls("DeleteWorkflow")).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Delete workflow" }));
    await screen.findByText("The workflows list");
    expect(fake.calls("DeleteWorkflow")).toEqual([{ project: "demo", name: "web-survives-pod-loss" }]);
  });

  it("is read-only for viewers", async () => {
    renderEdit({}, "Viewer");
    await screen.findByRole("heading", { name: "web-survives-pod-loss" });
    expect(screen.getByText("You have read-only access to this project.")).toBeTruthy();
    // a disabled fieldset disables every control in it
    expect(within(step(1)).getByLabelText("Duration").matches(":disabled")).toBe(true);
    expect(within(step(1)).getByLabelText("Mode").matches(":disabled")).toBe(true);
    for (const name of ["Save changes", "Run now", "Delete workflow", "Preview targets", "Add step"]) {
      expect(screen.queryByRole("button", { name })).toBeNull();
    }
  });

  it("says when the workflow does not exist", async () => {
    const fake = fakeClient({ WorkflowObjects: { data: { workflows: [] } } });
    renderInProject(<WorkflowEditor />, "/projects/demo/workflows/:workflow", "/projects/demo/workflows/ghost", fake.client, project("Editor"));
    expect((await screen.findByRole("alert")).textContent).toMatch(/no workflow "ghost"/);
  });
});

describe("WorkflowEditor, YAML", () => {
  it("stays in YAML when the text cannot be a form, and says why", async () => {
    const user = userEvent.setup();
    renderNew();
    await user.click(screen.getByRole("tab", { name: "YAML" }));
    const panel = screen.getByRole("tabpanel");
    await within(panel).findByText("Workflow YAML");
    const editor = panel.querySelector(".cm-content") as HTMLElement;
    // CodeMirror reads DOM edits; put the text in as a paste would
    editor.focus();
    await user.keyboard("{Control>}a{/Control}");
    await user.paste("apiVersion: chaoscenter.io/v1alpha1\nkind: ChaosWorkflow\nmetadata: {name: x}\nspec:\n  steps: [\n");
    expect(await within(panel).findByText(/Line \d+, column \d+:/)).toBeTruthy();
    await user.click(screen.getByRole("tab", { name: "Form" }));
    expect(screen.getByRole("alert").textContent).toMatch(/This YAML cannot be shown as a form: line \d+, column \d+/);
    expect(screen.getByRole("tab", { name: "YAML", selected: true })).toBeTruthy();
  });
});

describe("WorkflowEditor, the server's validator", () => {
  const problems = (...list: { field: string; message: string }[]): Answer => ({ data: { validateWorkflow: list } });
  /** The text of the error a control is described by. */
  const errorText = (control: HTMLElement) => document.getElementById(control.getAttribute("aria-describedby")?.split(" ")[0] ?? "")?.textContent;
  const TOO_LONG = { field: "spec.steps[0].fault.duration", message: '"99999999h" is more than the run\'s maxDuration (30m)' };

  async function fillValid(user: ReturnType<typeof userEvent.setup>) {
    await user.type(screen.getByLabelText("Name"), "my-flow");
    await user.type(within(step(1)).getByLabelText("Label selector"), "app=web");
  }

  it("shows a problem with a step's duration at the Duration field, and refuses to save", async () => {
    const user = userEvent.setup();
    const fake = renderNew({
      ValidateWorkflow: (v) => ((v.spec as ChaosWorkflowSpec).steps[0].fault.duration === "99999999h" ? problems(TOO_LONG) : problems()),
    });
    await fillValid(user);
    const duration = within(step(1)).getByLabelText("Duration");
    await user.clear(duration);
    await user.type(duration, "99999999h");
    await waitFor(() => expect(duration.getAttribute("aria-invalid")).toBe("true"), { timeout: 3000 });
    expect(errorText(duration)).toBe(TOO_LONG.message);
    // the form's spec, under its name, is what was checked
    const last = fake.calls("ValidateWorkflow").at(-1);
    expect(last).toMatchObject({ project: "demo", name: "my-flow" });
    expect((last?.spec as ChaosWorkflowSpec).steps[0].fault.duration).toBe("99999999h");

    await user.click(screen.getByRole("button", { name: "Create workflow" }));
    expect(document.activeElement).toBe(duration);
    expect(screen.getByText("One field needs fixing before saving.")).toBeTruthy();
    expect(fake.calls("CreateWorkflow")).toEqual([]);

    await user.clear(duration);
    await user.type(duration, "45s");
    await waitFor(() => expect(duration.getAttribute("aria-invalid")).toBeNull(), { timeout: 3000 });
  });

  it("offers each network fault with only its own parameters, and shows the server's problems at them", async () => {
    const user = userEvent.setup();
    const PORT = { field: "spec.steps[0].fault.params.destinations.ports", message: "icmp has no ports; remove them or choose tcp or udp" };
    const fake = renderNew({
      ValidateWorkflow: (v) => ((v.spec as ChaosWorkflowSpec).steps[0].fault.params?.destinations?.protocol === "icmp" ? problems(PORT) : problems()),
      CreateWorkflow: { data: { createWorkflow: { name: "my-flow", resourceVersion: "1" } } },
    });
    await fillValid(user);
    const s = within(step(1));
    const type = s.getByLabelText("Fault type");
    expect(within(type).getByRole("option", { name: "network-delay — add latency (Litmus pod-network-latency)" })).toBeTruthy();
    const shown = (...labels: string[]) =>
      labels.filter((l) => s.queryByLabelText(l) !== null);
    const PARAMS = ["Latency", "Jitter", "Correlation (%)", "Percent of packets", "Rate", "Direction", "Mechanism", "Ports", "Protocol", "Grace period (seconds)"];

    await user.selectOptions(type, "network-rate");
    expect(shown(...PARAMS)).toEqual(["Rate"]);
    await user.selectOptions(type, "network-loss");
    expect(shown(...PARAMS)).toEqual(["Correlation (%)", "Percent of packets", "Ports", "Protocol"]);
    await user.selectOptions(type, "network-partition");
    expect(shown(...PARAMS)).toEqual(["Direction", "Mechanism", "Ports", "Protocol"]);
    const mechanism = s.getByLabelText("Mechanism");
    expect(document.getElementById(`${mechanism.id}-hint`)?.textContent).toMatch(/only works where the network plugin \(CNI\) enforces policies.*InjectionIneffective/);
    await user.selectOptions(mechanism, "network-policy");
    expect(s.queryByRole("group", { name: "Destinations" })).toBeNull();
    expect(s.getByText(/isolates the pods from everyone/)).toBeTruthy();

    await user.selectOptions(type, "network-delay");
    expect(shown(...PARAMS)).toEqual(["Latency", "Jitter", "Correlation (%)", "Ports", "Protocol"]);
    await user.type(s.getByLabelText("Latency"), "100ms");
    const destinations = within(s.getByRole("group", { name: "Destinations" }));
    await user.type(destinations.getByLabelText("Peer pods: label selector"), "app=db");
    const ports = destinations.getByLabelText("Ports");
    await user.type(ports, "53");
    await user.selectOptions(destinations.getByLabelText("Protocol"), "icmp");
    await waitFor(() => expect(ports.getAttribute("aria-invalid")).toBe("true"), { timeout: 3000 });
    expect(errorText(ports)).toBe(PORT.message);

    await user.selectOptions(destinations.getByLabelText("Protocol"), "udp");
    await waitFor(() => expect(ports.getAttribute("aria-invalid")).toBeNull(), { timeout: 3000 });
    await user.click(screen.getByRole("button", { name: "Create workflow" }));
    await screen.findByText("The workflows list");
    expect((fake.calls("CreateWorkflow")[0].spec as ChaosWorkflowSpec).steps[0].fault).toEqual({
      type: "network-delay",
      target: { namespace: "demo", kind: "Pod", selector: { matchLabels: { app: "web" } }, mode: "all" },
      duration: "30s",
      params: { latency: "100ms", destinations: { pods: { selector: { matchLabels: { app: "db" } } }, ports: [53], protocol: "udp" } },
    });
  });

  it("offers the node agent's container, stress, disk, DNS, HTTP and node faults, each with only its own parameters", async () => {
    const user = userEvent.setup();
    // the server's validator judges the bounds and which parameters go together
    const CORES = { field: "spec.steps[0].fault.params.cores", message: "65 is outside 1 to 64" };
    const BOTH = { field: "spec.steps[0].fault.params.percent", message: "give size or percent, not both" };
    const fake = renderNew({
      ValidateWorkflow: (v) => {
        const params = (v.spec as ChaosWorkflowSpec).steps[0].fault.params;
        if (params?.cores === 65) return problems(CORES);
        return params?.size !== undefined && params.percent !== undefined ? problems(BOTH) : problems();
      },
      CreateWorkflow: { data: { createWorkflow: { name: "my-flow", resourceVersion: "1" } } },
    });
    await fillValid(user);
    const s = within(step(1));
    const type = s.getByLabelText("Fault type");
    const litmus = {
      "container-kill": "container-kill",
      "pod-cpu-stress": "pod-cpu-hog",
      "pod-memory-stress": "pod-memory-hog",
      "pod-io-stress": "pod-io-stress",
      "disk-fill": "disk-fill",
      "dns-error": "pod-dns-error",
      "dns-spoof": "pod-dns-spoof",
      "http-latency": "pod-http-latency",
      "http-abort": "pod-http-reset-peer",
      "http-status": "pod-http-status-code",
      "http-modify": "pod-http-modify-body, pod-http-modify-header",
      "node-cpu-stress": "node-cpu-hog",
      "node-memory-stress": "node-memory-hog",
    };
    for (const [value, name] of Object.entries(litmus)) {
      const option = within(type).getAllByRole("option").find((o) => (o as HTMLOptionElement).value === value);
      expect(option?.textContent, value).toMatch(new RegExp(`^${value} — .*\\(Litmus ${name}\\)$`));
    }
    const PARAMS = ["Container", "Signal", "Cores", "Load (%)", "Size", "Percent of memory limit", "Percent of node memory", "Percent of storage limit"];
    PARAMS.push("Percent of packets", "Allow passing the memory limit", "Workers", "Directory", "Latency", "Names", "Answer", "Answers", "Port");
    PARAMS.push("Direction", "Method", "Path prefix", "Status code", "Response body", "Response headers", "Grace period (seconds)", "Ports");
    const shown = () => PARAMS.filter((l) => s.queryByLabelText(l) !== null);
    const HTTP = ["Port", "Direction", "Method", "Path prefix"];
    const expected: Record<keyof typeof litmus, string[]> = {
      "container-kill": ["Container", "Signal"],
      "pod-cpu-stress": ["Container", "Cores", "Load (%)"],
      "pod-memory-stress": ["Container", "Size", "Percent of memory limit", "Allow passing the memory limit"],
      "pod-io-stress": ["Container", "Size", "Workers", "Directory"],
      "disk-fill": ["Container", "Size", "Percent of storage limit", "Directory"],
      "dns-error": ["Names", "Answer"],
      "dns-spoof": ["Answers"],
      "http-latency": ["Latency", ...HTTP],
      "http-abort": HTTP,
      "http-status": [...HTTP, "Status code", "Response body"],
      "http-modify": [...HTTP, "Response body", "Response headers"],
      "node-cpu-stress": ["Cores", "Load (%)"],
      "node-memory-stress": ["Size", "Percent of node memory"],
    };
    for (const [t, labels] of Object.entries(expected)) {
      await user.selectOptions(type, t);
      expect(shown(), t).toEqual(labels);
      const nodes = t.startsWith("node-");
      expect(s.queryByLabelText("Target namespace") === null, t).toBe(nodes);
      const kinds = within(s.getByLabelText("Target kind")).getAllByRole("option").map((o) => o.textContent);
      expect(kinds, t).toEqual(nodes ? ["Default (Node)", "Node"] : ["Default (Pod)", "Pod", "Deployment", "StatefulSet"]);
    }
    // the defaults are shown as placeholders or chosen options
    await user.selectOptions(type, "pod-cpu-stress");
    expect(s.getByLabelText("Cores")).toHaveProperty("placeholder", "1");
    expect(s.getByLabelText("Load (%)")).toHaveProperty("placeholder", "100");
    await user.selectOptions(type, "container-kill");
    expect(s.getByLabelText("Signal")).toHaveProperty("value", "SIGKILL");

    // the form checks syntax while typing; the server's problems with bounds and pairs land at their fields
    await user.selectOptions(type, "pod-cpu-stress");
    const cores = s.getByLabelText("Cores");
    await user.type(cores, "1.5");
    await user.tab();
    expect(errorText(cores)).toBe("a whole number");
    await user.clear(cores);
    await user.type(cores, "65");
    await waitFor(() => expect(errorText(cores)).toBe(CORES.message), { timeout: 3000 });
    expect(cores.getAttribute("aria-invalid")).toBe("true");
    await user.clear(cores);
    await waitFor(() => expect(cores.getAttribute("aria-invalid")).toBeNull(), { timeout: 3000 });
    await user.selectOptions(type, "pod-memory-stress");
    await user.type(s.getByLabelText("Size"), "256Mi");
    const percent = s.getByLabelText("Percent of memory limit");
    await user.type(percent, "50");
    await waitFor(() => expect(errorText(percent)).toBe(BOTH.message), { timeout: 3000 });
    expect(percent.getAttribute("aria-invalid")).toBe("true");
    await user.clear(percent);
    await waitFor(() => expect(percent.getAttribute("aria-invalid")).toBeNull(), { timeout: 3000 });

    // the one sent has only its own parameters
    await user.selectOptions(type, "http-status");
    const http = within(s.getByRole("group", { name: "HTTP traffic" }));
    await user.type(http.getByLabelText("Port"), "8080");
    await user.type(http.getByLabelText("Status code"), "418");
    await user.selectOptions(http.getByLabelText("Direction"), "outbound");
    await user.click(screen.getByRole("button", { name: "Create workflow" }));
    await screen.findByText("The workflows list");
    expect((fake.calls("CreateWorkflow")[0].spec as ChaosWorkflowSpec).steps[0].fault).toEqual({
      type: "http-status",
      target: { namespace: "demo", kind: "Pod", selector: { matchLabels: { app: "web" } }, mode: "all" },
      duration: "30s",
      params: { http: { port: 8080, direction: "outbound", status: 418 } },
    });
  });

  it("lists a problem with a field the form does not show next to the save button", async () => {
    const user = userEvent.setup();
    const fake = renderNew({
      ValidateWorkflow: problems({ field: "spec.steps[0].fault.target.value", message: "not used by mode all; remove it" }),
    });
    await fillValid(user);
    const summary = screen.getByRole("status", { name: "Other problems" });
    await within(summary).findByText(/not used by mode all; remove it/, undefined, { timeout: 3000 });
    expect(summary.textContent).toContain("spec.steps[0].fault.target.value: not used by mode all; remove it");
    // no field of the form claims it
    expect(document.querySelector('[aria-invalid="true"]')).toBeNull();
    await user.click(screen.getByRole("button", { name: "Create workflow" }));
    expect(document.activeElement).toBe(summary);
    expect(fake.calls("CreateWorkflow")).toEqual([]);
  });

  it("does not show an answer to an earlier version over the newer one's", async () => {
    const user = userEvent.setup();
    let answerFirst: (a: Answer) => void = () => {};
    const fake = renderNew({
      ValidateWorkflow: (v) => {
        if (fake.calls("ValidateWorkflow").length === 1) return new Promise<Answer>((resolve) => (answerFirst = resolve));
        const weight = (v.spec as ChaosWorkflowSpec).steps[0].weight;
        return problems({ field: "spec.steps[0].weight", message: `newer: ${weight} is more than the limit of 1000` });
      },
    });
    await fillValid(user);
    await waitFor(() => expect(fake.calls("ValidateWorkflow")).toHaveLength(1), { timeout: 3000 });
    const weight = within(step(1)).getByLabelText("Weight");
    await user.clear(weight);
    await user.type(weight, "2000");
    await waitFor(() => expect(errorText(weight)).toBe("newer: 2000 is more than the limit of 1000"), { timeout: 3000 });
    // the first question's answer comes last: it is about the form before the weight changed
    answerFirst(problems({ field: "spec.steps[0].weight", message: "older: stale" }, TOO_LONG));
    await new Promise((r) => setTimeout(r, 50));
    expect(errorText(weight)).toBe("newer: 2000 is more than the limit of 1000");
    expect(screen.queryByText(/older: stale/)).toBeNull();
    expect(within(step(1)).getByLabelText("Duration").getAttribute("aria-invalid")).toBeNull();
  });

  it("places the problems of a refused save at their fields", async () => {
    const user = userEvent.setup();
    const fields = [TOO_LONG, { field: "spec", message: "is not valid" }];
    const fake = renderNew({
      CreateWorkflow: {
        error: fields.map((f) => `${f.field}: ${f.message}`).join("; "),
        code: "INVALID",
        extensions: { fields },
      },
    });
    await fillValid(user);
    await user.click(screen.getByRole("button", { name: "Create workflow" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toMatch(/Not created.*The server found 2 problems in the definition, shown at their fields or listed below\./);
    const duration = within(step(1)).getByLabelText("Duration");
    expect(duration.getAttribute("aria-invalid")).toBe("true");
    expect(errorText(duration)).toBe(TOO_LONG.message);
    expect(document.activeElement).toBe(duration);
    expect(screen.getByRole("status", { name: "Other problems" }).textContent).toContain("spec: is not valid");
    expect(fake.calls("CreateWorkflow")).toHaveLength(1);
  });

  it("lists the server's problems under the YAML with their lines", async () => {
    const user = userEvent.setup();
    renderNew({ ValidateWorkflow: (v) => (v.yaml ? problems(TOO_LONG) : problems()) });
    await fillValid(user);
    await user.click(screen.getByRole("tab", { name: "YAML" }));
    const panel = screen.getByRole("tabpanel");
    const item = await within(panel).findByText(/spec\.steps\[0\]\.fault\.duration: "99999999h" is more than/, undefined, { timeout: 3000 });
    expect(item.textContent).toMatch(/^Line \d+, column \d+: spec\.steps\[0\]\.fault\.duration: /);
    await user.click(screen.getByRole("button", { name: "Create workflow" }));
    expect(screen.getByRole("alert").textContent).toMatch(/Not saved: fix the problems listed under the editor first/);
  });
});

describe("WorkflowEditor, seeded from a hub template or an import", () => {
  const seeded: ChaosWorkflowSpec = {
    description: "Deletes pods of the web app",
    steps: [
      {
        name: "pod-delete",
        weight: 10,
        fault: { type: "pod-delete", target: { namespace: "demo", selector: { matchLabels: { app: "web" } }, mode: "one" }, duration: "20s" },
      },
    ],
  };

  function renderSeeded(answers: Answers) {
    const fake = fakeClient({ ...VALID, ...answers });
    render(
      <Provider value={fake.client}>
        <MemoryRouter initialEntries={[{ pathname: NEW, state: { seed: { name: "pod-delete", spec: seeded, from: "chaoscenter-pod-delete" } } }]}>
          <ProjectProvider name="demo" project={project("Editor")}>
            <Routes>
              <Route path="/projects/demo/workflows/new" element={<WorkflowEditor />} />
              <Route path="/projects/demo/workflows" element={<p>The workflows list</p>} />
            </Routes>
          </ProjectProvider>
        </MemoryRouter>
      </Provider>,
    );
    return fake;
  }

  it("opens the form filled with the seed's workflow, and creates it", async () => {
    const user = userEvent.setup();
    const fake = renderSeeded({ CreateWorkflow: { data: { createWorkflow: { name: "pod-delete", resourceVersion: "1" } } } });
    expect(screen.getByRole("note").textContent).toMatch(/Prefilled from chaoscenter-pod-delete/);
    expect(screen.getByLabelText("Name")).toHaveProperty("value", "pod-delete");
    const s = within(step(1));
    expect(s.getByLabelText("Step name")).toHaveProperty("value", "pod-delete");
    expect(s.getByLabelText("Duration")).toHaveProperty("value", "20s");
    expect(s.getByLabelText("Mode")).toHaveProperty("value", "one");
    await user.click(screen.getByRole("button", { name: "Create workflow" }));
    await screen.findByText("The workflows list");
    const [call] = fake.calls("CreateWorkflow");
    expect(call.name).toBe("pod-delete");
    expect((call.spec as ChaosWorkflowSpec).steps[0].fault?.duration).toBe("20s");
  });
});
