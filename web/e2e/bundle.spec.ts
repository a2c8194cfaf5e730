// The JavaScript a user downloads on the first visit: every script of the production build,
// gzipped as a server sends it. Printed, and held under 500 KiB (deterministic for one build).
import { expect, test } from "@playwright/test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const LIMIT_KIB = 500;

test("the app's JavaScript is under 500 KiB gzipped", () => {
  const assets = join("dist", "assets");
  const scripts = readdirSync(assets).filter((name) => name.endsWith(".js"));
  expect(scripts.length).toBeGreaterThan(0);
  const bytes = scripts.reduce((sum, name) => sum + gzipSync(readFileSync(join(assets, name))).length, 0);
  console.log(`JavaScript bundle: ${scripts.length} file(s), ${(bytes / 1024).toFixed(1)} KiB gzipped`);
  expect(bytes / 1024).toBeLessThan(LIMIT_KIB);
});
