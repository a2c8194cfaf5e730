// Helpers of the browser tests: the app opened with a test wallet, the chain read from the test's
// side (what the app shows is checked against the chain), an SSH key, and screenshots for docs.
import { expect, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { installWallet, type TestWallet } from "./wallet";
import { fixture, webConfig } from "./fixture";

/** Opens the app, with the wallet of `who` installed unless it is "none". */
export async function openApp(page: Page, who: "alice" | "bob" | "empty" | "none"): Promise<TestWallet | undefined> {
  const wallet = who === "none" ? undefined : await installWallet(page, fixture().wallets[who].mnemonic, who);
  await page.goto("/");
  return wallet;
}

export async function connectWallet(page: Page, wallet: TestWallet): Promise<void> {
  await page.getByTestId("connect").click();
  await expect(page.getByTestId("wallet-address")).toHaveText(wallet.address);
}

export async function chain(): Promise<CosmWasmClient> {
  return CosmWasmClient.connect(webConfig().chain.rpc);
}

export async function loopBalance(address: string): Promise<bigint> {
  const client = await chain();
  const { balance } = await client.queryContractSmart(webConfig().token.address, { balance: { address } });
  return BigInt(balance);
}

export interface Lease {
  id: number;
  epoch: number;
  paid: string;
  refunded: string;
  cancelled: boolean;
  order: number;
  access: string | null;
}

export async function leasesOf(address: string): Promise<Lease[]> {
  const client = await chain();
  const page = await client.queryContractSmart(fixture().pair, { leases_by_client: { client: address, limit: 30 } });
  return page.leases as Lease[];
}

/** Waits until the pool's clock has at least `seconds` left in its epoch (leases made now stay cancellable). */
export async function awaitEpochTimeLeft(seconds: number): Promise<void> {
  const client = await chain();
  const pair = fixture().pair;
  const { genesis, params } = await client.queryContractSmart(pair, { config: {} });
  for (;;) {
    const block = await client.getBlock();
    const now = Math.floor(Date.parse(block.header.time) / 1000);
    const left = params.epoch_seconds - ((now - genesis) % params.epoch_seconds);
    // ... and the boundary behind it processed by the keeper (the pair refuses quotes until then).
    const pool = await client.queryContractSmart(pair, { pool: {} });
    if (left >= seconds && pool.epoch === pool.clock_epoch) return;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** A fresh ed25519 key pair: [private key file, public key line]. */
export function sshKey(): [string, string] {
  const dir = mkdtempSync(join(tmpdir(), "loopin-web-ssh-"));
  const file = join(dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "web-test", "-f", file]);
  return [file, readFileSync(`${file}.pub`, "utf8").trim()];
}

/** With LOOPIN_WEB_SCREENSHOTS set, saves the page to docs/img/web-<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!process.env.LOOPIN_WEB_SCREENSHOTS) return;
  await page.screenshot({ path: join("..", "docs", "img", `web-${name}.png`), fullPage: true });
}
