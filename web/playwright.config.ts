// Browser tests of the app: Debian's Chromium (no browser download), headless, against the built
// app served by `vite preview` and a real wasmd chain started by the global setup (e2e/fixture.ts).
import { defineConfig } from "@playwright/test";
import { WEB_CONFIG } from "./e2e/fixture";

const PORT = Number(process.env.LOOPIN_WEB_PORT ?? 4173);

export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/global-setup.ts",
  // One chain, one set of accounts: the tests run in order, each on its own page.
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 20_000 },
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: "chromium",
    headless: true,
    launchOptions: {
      executablePath: process.env.LOOPIN_CHROMIUM ?? "/usr/bin/chromium",
      // As root in a container Chromium needs --no-sandbox; the rest keeps it off the network.
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
  webServer: {
    // --bypass-lock: a second run on one machine (its own ports) serves the same build.
    command: `npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort --bypass-lock`,
    url: `http://127.0.0.1:${PORT}`,
    env: { LOOPIN_WEB_CONFIG: WEB_CONFIG },
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
