// Tests of the catalogue browser.
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderHubPage } from "../hub/testing";
import { fakeClient, project, type Answers } from "../workflow/test-utils";
import { Catalogue } from "./Catalogue";

const ROUTE = "/projects/demo/hubs/catalogue";

const spec = { steps: [{ name: "kill", fault: { type: "pod-delete", target: { namespace: "demo", selector: { matchLabels: { app: "web" } } } } }] };

const item = (over: { id: string; name: string; displayName: string; category: string; supported: boolean; description?: string; reason?: string }) => ({
  hub: "litmus",
  description: "",
  reason: null as string | null,
  layout: "LitmusFault",
  ...over,
});
const items = [
  item({ id: "litmus-pod-delete", name: "pod-delete", displayName: "Pod Delete", description: "Deletes pods", category: "kubernetes", supported: true }),
  item({
    id: "litmus-aws-ssm-chaos",
    name: "aws-ssm-chaos",
    displayName: "AWS SSM chaos",
    category: "aws",
    supported: false,
    reason: "fault aws-ssm-chaos has no ChaosCenter equivalent (cloud faults are not supported)",
  }),
];
const categories = [
  { category: "aws", templates: 1 },
  { category: "kubernetes", templates: 1 },
];

function renderCatalogue(answers: Answers, path = ROUTE, role: "Owner" | "Viewer" = "Owner") {
  const fake = fakeClient({
    HubList: { data: { hubs: [{ name: "litmus" }, { name: "chaoscenter" }] } },
    Templates: (v) => ({
      data: {
        templates: {
          total: 2,
          categories,
          items: items.filter((t) => !v.category || t.category === v.category),
        },
      },
    }),
    ...answers,
  });
  renderHubPage(<Catalogue />, ROUTE, path, fake.client, project(role));
  return fake;
}

const card = (name: string) => screen.getByRole("heading", { name }).closest("li") as HTMLElement;

describe("Catalogue", () => {
  it("shows templates by category, supported or not and why", () => {
    renderCatalogue({});
    expect(screen.getByRole("button", { name: "kubernetes (1)" })).toBeTruthy();
    expect(within(card("Pod Delete")).getByText("Supported")).toBeTruthy();
    const aws = within(card("AWS SSM chaos"));
    expect(aws.getByText("Not supported")).toBeTruthy();
    expect(aws.getByText(/no ChaosCenter equivalent/)).toBeTruthy();
    expect(aws.queryByRole("button")).toBeNull();
  });

  it("filters by hub, category and search, asking the server", async () => {
    const user = userEvent.setup();
    const fake = renderCatalogue({}, `${ROUTE}?hub=litmus`);
    await user.click(screen.getByRole("button", { name: "kubernetes (1)" }));
    expect(screen.queryByRole("heading", { name: "AWS SSM chaos" })).toBeNull();
    await user.type(screen.getByRole("searchbox"), "delete pods");
    await user.click(screen.getByRole("button", { name: "Search" }));
    expect(fake.calls("Templates").at(-1)).toEqual({ project: "demo", hub: "litmus", category: "kubernetes", search: "delete pods" });
    expect(fake.calls("Templates")[0]).toEqual({ project: "demo", hub: "litmus", category: null, search: null });
  });

  it("opens the workflow form prefilled with the template's workflow", async () => {
    const user = userEvent.setup();
    const fake = renderCatalogue({ Template: { data: { template: { id: "litmus-pod-delete", name: "pod-delete", workflow: spec } } } });
    await user.click(screen.getByRole("button", { name: "Create workflow from Pod Delete" }));
    expect(await screen.findByText("The new workflow form")).toBeTruthy();
    expect(JSON.parse(screen.getByTestId("seed").textContent ?? "")).toEqual({ name: "pod-delete", spec, from: "litmus-pod-delete" });
    expect(fake.calls("Template")).toEqual([{ project: "demo", id: "litmus-pod-delete" }]);
  });

  it("says why a template could not be opened", async () => {
    const user = userEvent.setup();
    renderCatalogue({ Template: { error: "the template \"litmus-pod-delete\" was not found", code: "NOT_FOUND" } });
    await user.click(screen.getByRole("button", { name: "Create workflow from Pod Delete" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/Could not open pod-delete: .*not found/);
  });

  it("offers viewers no workflow to create", () => {
    renderCatalogue({}, ROUTE, "Viewer");
    expect(screen.queryByRole("button", { name: /Create workflow/ })).toBeNull();
  });
});
