// Tests of the WorkflowEditor page.
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { fakeClient, project, renderInProject, type Answers } from "../workflow/test-utils";
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

function renderNew(answers: Answers = {}, role: "Editor" | "Viewer" = "Editor") {
  const fake = fakeClient(answers);
  renderInProject(<WorkflowEditor />, "/projects/demo/workflows/new", NEW, fake.client, project(role));
  return fake;
}

function renderEdit(answers: Answers = {}, role: "Editor" | "Viewer" = "Editor") {
  const fake = fakeClient({ WorkflowObjects: { data: { workflows: [{ name: "web-survives-pod-loss", object: served }] } }, ...answers });
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

  it("shows the value a mode needs, and its range", async () => {
    const user = userEvent.setup();
    renderNew();
    const s = within(step(1));
    await user.selectOptions(s.getByLabelText("Mode"), "fixed-percent");
    const value = s.getByLabelText("Value");
    await user.type(value, "150");
    await user.tab();
    expect(value.getAttribute("aria-invalid")).toBe("true");
    expect(s.getByText("a percentage from 1 to 100")).toBeTruthy();
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
