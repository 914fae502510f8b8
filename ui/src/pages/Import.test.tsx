// Tests of the Litmus import page.
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderHubPage } from "../hub/testing";
import { fakeClient, project, type Answers } from "../workflow/test-utils";
import { Import } from "./Import";

const ROUTE = "/projects/demo/import";
const LITMUS = "kind: ChaosEngine\nmetadata:\n  name: web-chaos\n";
const spec = { steps: [{ name: "pod-delete", fault: { type: "pod-delete", target: { namespace: "demo", selector: { matchLabels: { app: "web" } } } } }] };
const converted = {
  name: "web-chaos",
  yaml: "apiVersion: chaoscenter.io/v1alpha1\nkind: ChaosWorkflow\nmetadata:\n  name: web-chaos\n",
  spec,
  mapped: ["step pod-delete: TOTAL_CHAOS_DURATION=30 → duration 30s"],
  dropped: ["step cpu-hog: fault pod-cpu-hog-exec has no ChaosCenter equivalent"],
};

function renderImport(answers: Answers, role: "Owner" | "Viewer" = "Owner") {
  const fake = fakeClient({ ImportLitmus: { data: { importLitmus: { workflows: [converted] } } }, ...answers });
  renderHubPage(<Import />, ROUTE, ROUTE, fake.client, project(role));
  return fake;
}

describe("Import", () => {
  it("converts pasted YAML and shows what was mapped and dropped", async () => {
    const user = userEvent.setup();
    const fake = renderImport({});
    await user.click(screen.getByLabelText("Or paste YAML"));
    await user.paste(LITMUS);
    await user.click(screen.getByRole("button", { name: "Convert" }));
    const section = within(await screen.findByRole("region", { name: "web-chaos" }));
    expect(section.getByText("step pod-delete: TOTAL_CHAOS_DURATION=30 → duration 30s")).toBeTruthy();
    expect(section.getByText(/pod-cpu-hog-exec has no ChaosCenter equivalent/)).toBeTruthy();
    expect(fake.calls("ImportLitmus")).toEqual([{ project: "demo", yaml: LITMUS }]);
  });

  it("reads an uploaded file", async () => {
    const user = userEvent.setup();
    const fake = renderImport({});
    await user.upload(screen.getByLabelText("Upload a file"), new File([LITMUS], "engine.yaml", { type: "text/yaml" }));
    await waitFor(() => expect((screen.getByLabelText("Or paste YAML") as HTMLTextAreaElement).value).toBe(LITMUS));
    await user.click(screen.getByRole("button", { name: "Convert" }));
    expect(fake.calls("ImportLitmus")).toEqual([{ project: "demo", yaml: LITMUS }]);
  });

  it("refuses a file over the limit without sending it", async () => {
    const user = userEvent.setup();
    const fake = renderImport({});
    const big = new File(["x".repeat(192 * 1024 + 1)], "huge.yaml", { type: "text/yaml" });
    await user.upload(screen.getByLabelText("Upload a file"), big);
    expect(screen.getByRole("alert").textContent).toMatch(/huge.yaml is larger than 192 KiB/);
    expect(fake.calls("ImportLitmus")).toEqual([]);
  });

  it("creates the converted workflow through createWorkflow", async () => {
    const user = userEvent.setup();
    const fake = renderImport({ CreateWorkflow: { data: { createWorkflow: { name: "web-chaos", resourceVersion: "1" } } } });
    await user.click(screen.getByLabelText("Or paste YAML"));
    await user.paste(LITMUS);
    await user.click(screen.getByRole("button", { name: "Convert" }));
    await user.click(await screen.findByRole("button", { name: "Create workflow web-chaos" }));
    expect(fake.calls("CreateWorkflow")).toEqual([{ project: "demo", yaml: converted.yaml }]);
    expect((await screen.findByRole("link", { name: "web-chaos" })).getAttribute("href")).toBe("/projects/demo/workflows/web-chaos");
  });

  it("opens a converted workflow in the form", async () => {
    const user = userEvent.setup();
    renderImport({});
    await user.click(screen.getByLabelText("Or paste YAML"));
    await user.paste(LITMUS);
    await user.click(screen.getByRole("button", { name: "Convert" }));
    await user.click(await screen.findByRole("button", { name: "Edit web-chaos in the form" }));
    expect(JSON.parse(screen.getByTestId("seed").textContent ?? "")).toEqual({ name: "web-chaos", spec, from: "the Litmus import" });
  });

  it("says why nothing could be converted", async () => {
    const user = userEvent.setup();
    renderImport({ ImportLitmus: { error: "yaml: no Argo Workflow or ChaosEngine in it", code: "BAD_INPUT" } });
    await user.click(screen.getByRole("button", { name: "Convert" }));
    expect(screen.getByRole("alert").textContent).toMatch(/Paste or upload/);
    await user.click(screen.getByLabelText("Or paste YAML"));
    await user.paste("kind: Pod\n");
    await user.click(screen.getByRole("button", { name: "Convert" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Could not import: yaml: no Argo Workflow or ChaosEngine in it");
  });

  it("lets viewers convert but not create", async () => {
    const user = userEvent.setup();
    renderImport({}, "Viewer");
    await user.click(screen.getByLabelText("Or paste YAML"));
    await user.paste(LITMUS);
    await user.click(screen.getByRole("button", { name: "Convert" }));
    await screen.findByRole("region", { name: "web-chaos" });
    expect(screen.queryByRole("button", { name: "Create workflow web-chaos" })).toBeNull();
  });
});
