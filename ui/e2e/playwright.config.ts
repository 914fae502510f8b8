// Playwright: one browser (Debian's Chromium, never a downloaded one), one worker, artifacts in CC_ARTIFACTS.
// Started by e2e/tests/ui.rs, which brings up the stack and passes its URL and credentials in CC_* variables.
import { defineConfig } from "@playwright/test";

const artifacts = process.env.CC_ARTIFACTS ?? "e2e-artifacts";

export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  timeout: 6 * 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: `${artifacts}/results`,
  use: {
    baseURL: process.env.CC_URL,
    viewport: { width: 1280, height: 860 },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    actionTimeout: 15_000,
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      // as root on these machines; no background connections (the network is closed)
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
