// The browser test of the whole product: the steps a new team takes on day one, with screenshots.
import AxeBuilder from "@axe-core/playwright";
import { writeFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (e2e/tests/ui.rs sets it)`);
  return value;
}

const admin = env("CC_ADMIN");
const adminInitial = env("CC_ADMIN_PASSWORD");
const project = env("CC_PROJECT");
const targetNamespace = env("CC_TARGET_NAMESPACE");
const viewer = env("CC_VIEWER");
/** A workflow (applied outside the browser) whose cmd probe prints a secret, then why it fails. */
const probeWorkflow = env("CC_PROBE_WORKFLOW");
const probeMarker = env("CC_PROBE_MARKER");
const probeSecret = env("CC_PROBE_SECRET");
const artifacts = process.env.CC_ARTIFACTS ?? "e2e-artifacts";
const adminPassword = "admin-chosen-password-1";
const viewerInitial = "viewer-initial-password-1";
const viewerPassword = "viewer-chosen-password-1";
const workflow = "web-pod-delete";
/** The workflow made from a hub template. */
const fromTemplate = "from-template";
/** A hub whose repository cannot be reached: its sync error must show. */
const brokenHub = "unreachable";

/** Accessibility problems axe-core found (WCAG 2.1 A and AA), per page; the test fails on any at the end. */
const a11y: { page: string; rule: string; impact: string; help: string; targets: string[] }[] = [];

/** What the browser refused under the app's Content-Security-Policy (a script or style it would block). */
const cspViolations: string[] = [];

/** Records every CSP violation the page reports (Chromium logs each as a console error). */
function watchCsp(page: Page) {
  page.on("console", (msg) => {
    if (msg.type() === "error" && msg.text().includes("Content Security Policy")) cspViolations.push(msg.text());
  });
}

/** Saves a screenshot of the page and checks it with axe-core. */
async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  for (const v of result.violations) {
    a11y.push({
      page: name,
      rule: v.id,
      impact: v.impact ?? "",
      help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
    });
  }
}

/** Signs in with the initial password, then makes the forced change; with `keyboard`, without a mouse. */
async function firstSignIn(page: Page, user: string, initial: string, chosen: string, keyboard = false) {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
  if (keyboard) {
    // the username field has the focus; Tab moves on, Enter submits
    await page.keyboard.type(user);
    await page.keyboard.press("Tab");
    await page.keyboard.type(initial);
    await page.keyboard.press("Enter");
  } else {
    await page.getByLabel("Username").fill(user);
    await page.getByLabel("Password").fill(initial);
    await page.getByRole("button", { name: "Sign in" }).click();
  }
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await page.getByLabel("Current password").fill(initial);
  await page.getByLabel("New password", { exact: true }).fill(chosen);
  await page.getByLabel("Confirm new password").fill(chosen);
  await page.getByRole("button", { name: "Set password and continue" }).click();
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toHaveCount(0);
}

/** A link of the main navigation. */
function nav(page: Page, name: string) {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
}

/** The phase the run view's header shows. */
function runPhase(page: Page) {
  return page.getByRole("main").locator("[data-phase]").first();
}

async function runNow(page: Page) {
  await nav(page, "Workflows").click();
  await page.getByRole("button", { name: `Run ${workflow} now` }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${project}/runs/${workflow}-`));
  await expect(page.getByRole("region", { name: "Steps graph" })).toBeVisible();
}

test("a team's first day with ChaosCenter", async ({ page }) => {
  page.on("dialog", (dialog) => void dialog.accept());
  watchCsp(page);

  await test.step("the bootstrap admin signs in and must change the password", async () => {
    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Sign in to ChaosCenter" })).toBeVisible();
    await shot(page, "01-sign-in");
    await firstSignIn(page, admin, adminInitial, adminPassword);
  });

  await test.step("the session survives a reload through its cookie; no token is in the page's storage", async () => {
    await page.reload();
    await expect(page.getByRole("link", { name: "New project" })).toBeVisible();
    const storage = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }]));
    expect(storage).not.toContain("eyJ");
    const cookies = await page.context().cookies();
    const refresh = cookies.find((c) => c.name === "chaoscenter_refresh");
    expect(refresh).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/auth/session" });
  });

  await test.step("the admin creates a project that may target the app's namespace", async () => {
    await page.getByRole("link", { name: "New project" }).click();
    await page.getByLabel("Project name").fill(project);
    await page.getByLabel("Display name").fill("UI test");
    await page.getByLabel("Target namespaces").fill(targetNamespace);
    await page.getByRole("button", { name: "Create project" }).click();
    await expect(page).toHaveURL(new RegExp(`/projects/${project}$`));
    await expect(page.getByRole("heading", { name: "Recent runs" })).toBeVisible();
    await expect(page.getByLabel("Project", { exact: true })).toHaveValue(project);
  });

  await test.step("the admin creates a user", async () => {
    await nav(page, "Users").click();
    await expect(page.getByRole("heading", { name: "Users", exact: true })).toBeVisible();
    await page.getByLabel("Username").fill(viewer);
    await page.getByLabel("Initial password").fill(viewerInitial);
    await page.getByRole("button", { name: "Create user" }).click();
    await expect(page.getByRole("cell", { name: viewer, exact: true })).toBeVisible();
    await shot(page, "02-users");
  });

  await test.step("and adds them to the project as a Viewer", async () => {
    await nav(page, "Members").click();
    await expect(page.getByRole("heading", { name: "Members", exact: true })).toBeVisible();
    await page.getByLabel("User", { exact: true }).fill(viewer);
    await page.getByLabel("Role", { exact: true }).selectOption("Viewer");
    await page.getByRole("button", { name: "Add member" }).click();
    await expect(page.getByLabel(`Role of ${viewer}`)).toHaveValue("Viewer");
    await shot(page, "03-members");
  });

  await test.step("the admin makes a pod-delete workflow in the form, previewing its targets", async () => {
    await nav(page, "Workflows").click();
    await page.getByRole("link", { name: "New workflow" }).click();
    await page.getByLabel("Name", { exact: true }).fill(workflow);
    await page.getByLabel("Description").fill("The web app survives losing a pod");
    const step = page.getByRole("group", { name: "Step 1" });
    await step.getByLabel("Fault type").selectOption("pod-delete");
    await step.getByLabel("Target namespace").selectOption(targetNamespace);
    await step.getByLabel("Label selector").fill("app=web");
    await step.getByLabel("Mode").selectOption("one");
    await step.getByLabel("Duration").fill("10s");
    await step.getByLabel("Interval").fill("5s");
    await step.getByLabel("Weight").fill("10");
    await page.getByRole("button", { name: "Preview targets" }).click();
    const preview = page.getByRole("region", { name: "Target preview" });
    await expect(preview).toContainText(`${targetNamespace}/web-`, { timeout: 30_000 });
    await shot(page, "04-workflow-form");
    await page.getByRole("tab", { name: "YAML" }).click();
    await expect(page.getByRole("main")).toContainText("pod-delete");
    await shot(page, "05-workflow-yaml");
    await page.getByRole("tab", { name: "Form" }).click();
    await page.getByRole("button", { name: "Create workflow" }).click();
    await expect(page.getByRole("heading", { name: "Workflows", exact: true })).toBeVisible();
    await expect(page.getByRole("link", { name: workflow, exact: true })).toBeVisible();
    await shot(page, "06-workflows");
  });

  await test.step("runs it and watches it reach Succeeded with a score", async () => {
    await runNow(page);
    await expect(runPhase(page)).toHaveAttribute("data-phase", "Running", { timeout: 30_000 });
    await shot(page, "07-run-running");
    await expect(runPhase(page)).toHaveAttribute("data-phase", "Succeeded", { timeout: 120_000 });
    await expect(page.getByRole("main").locator("[data-score]").first()).toBeVisible();
    await expect(page.getByRole("heading", { name: "Events" })).toBeVisible();
    await shot(page, "08-run-succeeded");
  });

  await test.step("starts another run and aborts it", async () => {
    await runNow(page);
    await expect(runPhase(page)).toHaveAttribute("data-phase", "Running", { timeout: 30_000 });
    await page.getByRole("button", { name: "Abort run" }).click();
    await expect(runPhase(page)).toHaveAttribute("data-phase", "Aborted", { timeout: 60_000 });
    await expect(page.getByRole("button", { name: "Abort run" })).toHaveCount(0);
    await shot(page, "09-run-aborted");
  });

  await test.step("the dashboard, the history and the account page", async () => {
    await nav(page, "Dashboard").click();
    await expect(page.getByRole("heading", { name: "Score trend" })).toBeVisible();
    await expect(page.getByRole("main")).toContainText(workflow);
    await shot(page, "10-dashboard");
    await nav(page, "History").click();
    await expect(page.getByRole("heading", { name: "History", exact: true })).toBeVisible();
    await expect(page.getByRole("main")).toContainText("Succeeded");
    await expect(page.getByRole("main")).toContainText("Aborted");
    // who created each run (the admin, or "—" where no admission webhook recorded it)
    await expect(page.getByRole("columnheader", { name: "Author" })).toBeVisible();
    await shot(page, "11-history");
    await nav(page, "Activity").click();
    const activity = page.getByRole("table", { name: "Activity" });
    // who did what: the admin's workflow, both runs and the abort, each once
    await expect(activity.getByRole("row").filter({ hasText: workflow }).filter({ hasText: "create" })).toHaveCount(1);
    await expect(activity.getByRole("row").filter({ hasText: "abort" })).toHaveCount(1);
    const action = (name: string) => activity.getByRole("row").filter({ has: page.getByRole("cell", { name, exact: true }) });
    await expect(action("run")).toHaveCount(2);
    await expect(activity).toContainText(admin);
    await shot(page, "12-activity");
    await nav(page, "Account").click();
    await expect(page.getByRole("heading", { name: "Account", exact: true })).toBeVisible();
    await shot(page, "13-account");
  });

  await test.step("a run whose cmd probe fails shows the probe's output in its Logs tab, also after the run was deleted", async () => {
    await nav(page, "Workflows").click();
    await page.getByRole("button", { name: `Run ${probeWorkflow} now` }).click();
    await expect(page).toHaveURL(new RegExp(`/projects/${project}/runs/${probeWorkflow}-`));
    const runPath = new URL(page.url()).pathname;
    await page.getByRole("tab", { name: "Logs" }).click();
    await expect(page).toHaveURL(/\?tab=logs$/);
    const log = page.getByRole("log");
    // followed live: the probe's output appears while the run goes on, then the run's end
    await expect(log).toContainText(`[cart-up] ${probeMarker}`, { timeout: 120_000 });
    await expect(runPhase(page)).toHaveAttribute("data-phase", "Failed", { timeout: 120_000 });
    await expect(log).toContainText("run finished Failed", { timeout: 60_000 });
    await expect(log).toContainText("password=[redacted]");
    await expect(log).not.toContainText(probeSecret);
    await shot(page, "09a-run-logs");

    // the workflow is deleted, and its runs with it: the log is read from the history
    await nav(page, "Workflows").click();
    await page.getByRole("button", { name: `Delete ${probeWorkflow}` }).click();
    await expect(page.getByRole("link", { name: probeWorkflow, exact: true })).toHaveCount(0);
    await expect(async () => {
      await page.goto(`${runPath}?tab=logs`);
      await expect(page.getByText("This run is gone from the cluster")).toBeVisible({ timeout: 5_000 });
    }).toPass({ timeout: 180_000 });
    await expect(page.getByRole("log")).toContainText(`[cart-up] ${probeMarker}`);
    await expect(page.getByRole("log")).not.toContainText(probeSecret);
    await expect(page.getByText(/From ChaosCenter's history/)).toBeVisible();
    await shot(page, "09b-run-logs-history");
  });

  await test.step("the admin browses the hubs and sees a failing hub's error", async () => {
    await nav(page, "Hubs").click();
    await expect(page.getByRole("heading", { name: "Hubs", exact: true })).toBeVisible();
    const hubs = page.getByRole("table", { name: `Hubs of project ${project}` });
    // ChaosCenter's own templates: the built-in hub, added here when the install did not make one
    // for the project (it is removable, and so may be added again like any other hub); looked for once
    // the list has loaded
    await expect(hubs.or(page.getByText("No hubs yet."))).toBeVisible();
    if ((await page.getByRole("link", { name: "chaoscenter", exact: true }).count()) === 0) {
      await page.getByRole("button", { name: "Add a hub" }).click();
      const form = page.getByRole("form", { name: "Add a hub" });
      await form.getByLabel("Source").selectOption("Builtin");
      await form.getByLabel("Name").fill("chaoscenter");
      await form.getByRole("button", { name: "Add hub" }).click();
    }
    // a git hub that cannot be reached (nothing listens on the discard port)
    await page.getByRole("button", { name: "Add a hub" }).click();
    const form = page.getByRole("form", { name: "Add a hub" });
    await form.getByLabel("Name").fill(brokenHub);
    await form.getByLabel("Repository URL").fill("https://127.0.0.1:9/charts.git");
    await form.getByLabel("Branch").fill("main");
    await form.getByLabel("Credential Secret").fill("no-such-secret");
    await form.getByRole("button", { name: "Add hub" }).click();
    const row = (name: string) => hubs.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });
    await expect(row(brokenHub)).toBeVisible();
    await expect(row(brokenHub)).toContainText("Secret no-such-secret");
    // the operator syncs both; the page shows what it wrote (Sync now asks again, and refreshes)
    await expect(async () => {
      await page.getByRole("button", { name: `Sync ${brokenHub} now` }).click();
      await expect(row(brokenHub).locator("[data-hub-state]")).toHaveAttribute("data-hub-state", /Sync failed|Failing/, { timeout: 10_000 });
    }).toPass({ timeout: 120_000 });
    await expect(row(brokenHub).locator(".hub-problem")).not.toBeEmpty();
    await expect(async () => {
      await page.reload();
      await expect(row("chaoscenter").locator("[data-hub-state]")).toHaveAttribute("data-hub-state", "Synced", { timeout: 5_000 });
    }).toPass({ timeout: 120_000 });
    await shot(page, "13a-hubs");
  });

  await test.step("browses the built-in hub's catalogue and creates a workflow from a template", async () => {
    await page.getByRole("link", { name: "chaoscenter", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Catalogue", exact: true })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Categories" })).toBeVisible();
    const create = page.getByRole("button", { name: /^Create workflow from / });
    await expect(create.first()).toBeVisible({ timeout: 30_000 });
    // search narrows the catalogue to templates whose text holds the words
    await page.getByRole("searchbox").fill("pod");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await expect(page).toHaveURL(/search=pod/);
    await expect(create.first()).toBeVisible();
    await shot(page, "13b-catalogue");
    await create.first().click();
    await expect(page).toHaveURL(new RegExp(`/projects/${project}/workflows/new$`));
    await expect(page.getByRole("note")).toContainText("Prefilled from");
    await expect(page.getByLabel("Name", { exact: true })).not.toHaveValue("");
    await page.getByLabel("Name", { exact: true }).fill(fromTemplate);
    // the template targets its own example namespace: point every step at this project's app
    const steps = page.getByRole("group", { name: /^Step \d+$/ });
    for (let i = 0; i < (await steps.count()); i++) {
      const target = steps.nth(i).getByLabel("Target namespace");
      if ((await target.count()) > 0) await target.selectOption(targetNamespace);
    }
    await shot(page, "13c-workflow-from-template");
    await page.getByRole("button", { name: "Create workflow" }).click();
    await expect(page.getByRole("heading", { name: "Workflows", exact: true })).toBeVisible();
    await expect(page.getByRole("link", { name: fromTemplate, exact: true })).toBeVisible();
  });

  await test.step("a session ended elsewhere returns to sign-in and back", async () => {
    // the session ends outside this page (as after a password change, a reused refresh token or its
    // lifetime): here a sign-out with the page's own cookie
    const out = await page.request.post("/auth/session/logout", { headers: { "x-chaoscenter-csrf": "1" } });
    expect(out.status()).toBe(204);
    await nav(page, "History").click();
    await expect(page).toHaveURL(/\/login$/);
    await expect(page.getByText("Your session expired. Sign in again to continue.")).toBeVisible();
    await page.getByLabel("Username").fill(admin);
    await page.getByLabel("Password").fill(adminPassword);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(new RegExp(`/projects/${project}/runs$`));
  });

  await test.step("on a narrow screen the menu folds away", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`/projects/${project}`);
    await expect(page.getByRole("heading", { name: "Recent runs" })).toBeVisible();
    await expect(nav(page, "History")).toBeHidden();
    await page.getByRole("button", { name: "Menu" }).click();
    await expect(nav(page, "History")).toBeVisible();
    await shot(page, "14-dashboard-narrow");
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login$/);
  });

  await test.step("the Viewer finds no way to change anything", async () => {
    await firstSignIn(page, viewer, viewerInitial, viewerPassword, true);
    await expect(page).toHaveURL(new RegExp(`/projects/${project}$`));
    await nav(page, "Workflows").click();
    await expect(page.getByRole("link", { name: workflow, exact: true })).toBeVisible();
    await expect(page.getByRole("link", { name: "New workflow" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: `Run ${workflow} now` })).toHaveCount(0);
    await expect(page.getByRole("button", { name: `Delete ${workflow}` })).toHaveCount(0);
    await shot(page, "15-viewer-workflows");
    await page.getByRole("link", { name: workflow, exact: true }).click();
    await expect(page.getByText("You have read-only access to this project.")).toBeVisible();
    for (const name of ["Save changes", "Delete workflow", "Run now", "Preview targets"]) {
      await expect(page.getByRole("button", { name })).toHaveCount(0);
    }
    await nav(page, "History").click();
    await page.getByRole("main").getByRole("link", { name: new RegExp(`^${workflow}-`) }).first().click();
    await expect(page.getByRole("region", { name: "Steps graph" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Abort run" })).toHaveCount(0);
    await nav(page, "Members").click();
    await expect(page.getByRole("heading", { name: "Members", exact: true })).toBeVisible();
    await expect(page.getByRole("button", { name: "Add member" })).toHaveCount(0);
    await expect(nav(page, "Users")).toHaveCount(0);
    await shot(page, "16-viewer-members");
    await nav(page, "Hubs").click();
    await expect(page.getByRole("link", { name: brokenHub, exact: true })).toBeVisible();
    await expect(page.getByRole("button", { name: "Add a hub" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: `Sync ${brokenHub} now` })).toHaveCount(0);
  });

  await test.step("the app runs under its Content-Security-Policy without a single violation", async () => {
    const response = await page.request.get("/");
    expect(response.headers()["content-security-policy"]).toContain("script-src 'self'");
    expect(cspViolations).toEqual([]);
  });

  await test.step("every page passes axe-core's WCAG 2.1 AA checks", async () => {
    writeFileSync(`${artifacts}/accessibility.json`, JSON.stringify(a11y, null, 2));
    const summary = a11y.map((v) => `${v.page}: ${v.rule} (${v.impact}) ${v.help}: ${v.targets.join(", ")}`);
    expect(summary).toEqual([]);
  });
});
