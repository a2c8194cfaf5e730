// A Keplr user's journey on a real wasmd chain: connect (the chain and LOOP suggested from
// loopin.json), read the market, lease a GPU, open the access details in the browser and log in
// with the ssh command shown, cancel a lease for its refund; and each failure a user can meet,
// shown with a clear message and nothing sent.
import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture, webConfig } from "./fixture";
import { awaitEpochTimeLeft, chain, connectWallet, leasesOf, loopBalance, openApp, screenshot, sshKey } from "./app";

test.describe.configure({ mode: "serial" });

/** Above the pool's minimum lease (a quarter of a 30 s epoch's 0.008333 h) and below its supply. */
const HOURS = "0.003";

function fingerprint(hostKey: string): string {
  const blob = Buffer.from(hostKey.split(" ")[1], "base64");
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

test("a browser without a wallet is told to install one", async ({ page }) => {
  await openApp(page, "none");
  await expect(page.getByTestId("market")).toBeVisible();
  await page.getByTestId("connect").click();
  await expect(page.getByTestId("problem")).toHaveAttribute("data-kind", "no-wallet");
  await expect(page.getByTestId("problem")).toContainText("install Keplr");
});

test("an app configured for another chain than its node serves says so and connects nothing", async ({ page }) => {
  await page.route("**/loopin.json", async (route) => {
    const config = JSON.parse((await (await route.fetch()).text()) as string);
    config.chain.chainId = "someone-elses-chain-1";
    await route.fulfill({ json: config });
  });
  const wallet = await openApp(page, "alice");
  await expect(page.getByTestId("problem")).toHaveAttribute("data-kind", "wrong-chain");
  await expect(page.getByTestId("problem")).toContainText("someone-elses-chain-1");
  await expect(page.getByTestId("connect")).toBeDisabled();
  expect(wallet?.requests).toEqual([]);
});

test("an unreachable node is named and nothing is asked of the wallet", async ({ page }) => {
  const rpc = webConfig().chain.rpc;
  await page.route(`${rpc}/**`, (route) => route.abort("connectionrefused"));
  await page.route(rpc, (route) => route.abort("connectionrefused"));
  const wallet = await openApp(page, "alice");
  await expect(page.getByTestId("problem")).toHaveAttribute("data-kind", "unreachable");
  await expect(page.getByTestId("problem")).toContainText(rpc);
  expect(wallet?.requests).toEqual([]);
});

test("connecting suggests the chain and LOOP to the wallet, and the market shows the pool", async ({ page }) => {
  const started = Date.now();
  const wallet = await openApp(page, "alice");
  await expect(page.getByTestId("spot-h100")).toContainText("LOOP/h");
  console.log(`first load to the market's prices: ${Date.now() - started} ms`);
  await expect(page.getByTestId("hours-h100")).not.toHaveText("0 h");
  // The price shown is the pool's: LOOP per device-hour, reserves' ratio (both in millionths).
  const client = await chain();
  await expect
    .poll(async () => {
      const shown = await page.getByTestId("spot-h100").innerText();
      const pool = await client.queryContractSmart(fixture().pair, { pool: {} });
      const expected = (Number(pool.reserves.tokens) / Number(pool.reserves.hours)).toFixed(4);
      return shown === `${expected} LOOP/h` ? "same" : `${shown} vs ${expected}`;
    })
    .toBe("same");
  await expect(page.getByTestId("countdown-h100")).toHaveText(/^\d+m \d\ds$/);
  await connectWallet(page, wallet!);
  const config = webConfig();
  const suggested = wallet!.chains.get(config.chain.chainId);
  expect(suggested?.rpc).toBe(config.chain.rpc);
  expect(suggested?.bip44.coinType).toBe(118);
  expect(wallet!.tokens).toEqual([config.token.address]);
  await expect(page.getByTestId("loop-balance")).toContainText("LOOP");
  await screenshot(page, "market");
});

test("an account without funds is told so before its wallet is asked to sign anything", async ({ page }) => {
  const wallet = await openApp(page, "empty");
  await connectWallet(page, wallet!);
  await page.getByTestId("hours").fill(HOURS);
  await page.getByTestId("ssh-key").fill(sshKey()[1]);
  await page.getByTestId("lease-button").click();
  await expect(page.getByTestId("problem")).toHaveAttribute("data-kind", "insufficient-funds");
  await expect(page.getByTestId("problem")).toContainText("Nothing was sent");
  expect(wallet!.requests.filter((r) => r.startsWith("sign"))).toEqual([]);
  expect(await leasesOf(wallet!.address)).toEqual([]);
});

test("a lease the pool refuses shows the contract's own error and sends nothing", async ({ page }) => {
  const wallet = await openApp(page, "alice");
  await connectWallet(page, wallet!);
  const before = await loopBalance(wallet!.address);
  // Below the pool's minimum lease.
  await page.getByTestId("hours").fill("0.000001");
  await page.getByTestId("ssh-key").fill(sshKey()[1]);
  await page.getByTestId("lease-button").click();
  await expect(page.getByTestId("problem")).toHaveAttribute("data-kind", "tx-failed");
  await expect(page.getByTestId("problem")).not.toContainText("execute wasm contract failed");
  await screenshot(page, "refused");
  expect(wallet!.requests).not.toContain("signDirect");
  expect(await loopBalance(wallet!.address)).toBe(before);
  expect(await leasesOf(wallet!.address)).toEqual([]);
});

test("a lease whose signature the user rejects is not sent", async ({ page }) => {
  const wallet = await openApp(page, "alice");
  await connectWallet(page, wallet!);
  const before = await loopBalance(wallet!.address);
  wallet!.rejectNext.add("signDirect");
  await page.getByTestId("hours").fill(HOURS);
  await page.getByTestId("ssh-key").fill(sshKey()[1]);
  await page.getByTestId("lease-button").click();
  await expect(page.getByTestId("problem")).toHaveAttribute("data-kind", "rejected");
  expect(wallet!.requests).toContain("signDirect");
  expect(await loopBalance(wallet!.address)).toBe(before);
  expect(await leasesOf(wallet!.address)).toEqual([]);
});

test("a client leases, opens the access details in the browser and logs in with the ssh command shown", async ({ page }) => {
  const wallet = await openApp(page, "alice");
  await connectWallet(page, wallet!);
  const [identity, publicKey] = sshKey();
  const before = await loopBalance(wallet!.address);
  // Quote and lease within one epoch: the lease signs the shown quote's bound.
  await awaitEpochTimeLeft(20);
  await page.getByTestId("hours").fill(HOURS);
  await page.getByTestId("ssh-key").fill(publicKey);
  await page.getByTestId("quote-button").click();
  await expect(page.getByTestId("quote")).toContainText("you sign for at most");
  await page.getByTestId("lease-button").click();
  await expect(page.getByTestId("notice")).toContainText("Leased: lease");
  const [lease] = await leasesOf(wallet!.address);
  expect(before - (await loopBalance(wallet!.address))).toBe(BigInt(lease.paid));
  await expect(page.getByTestId(`lease-${lease.id}`)).toBeVisible();
  await screenshot(page, "leased");

  // The lease's epoch starts, the agent makes the account and posts the sealed details.
  const open = page.getByTestId(`open-${lease.id}`);
  await expect(open).toBeVisible({ timeout: 120_000 });
  await open.click();
  const command = (await page.getByTestId(`ssh-${lease.id}`).innerText()).trim();
  const { ssh } = fixture();
  const user = `${ssh.userPrefix}${lease.order}`;
  expect(command).toContain(`-p ${ssh.port} ${user}@127.0.0.1`);
  await expect(page.getByTestId(`fingerprint-${lease.id}`)).toHaveText(fingerprint(ssh.hostKey));
  await screenshot(page, "access");

  // The command as shown, with the known_hosts line the page gives, logs in.
  const knownHosts = join(mkdtempSync(join(tmpdir(), "loopin-web-kh-")), "known_hosts");
  const line = (await page.getByTestId(`known-hosts-${lease.id}`).innerText()).match(/'(.*)'/)?.[1];
  writeFileSync(knownHosts, `${line}\n`);
  const args = command
    .replace("~/.ssh/loopin_known_hosts", knownHosts)
    .split(" ")
    .slice(1);
  const out = execFileSync("ssh", ["-i", identity, "-o", "BatchMode=yes", ...args, "echo hello from $(whoami)"], {
    encoding: "utf8",
    timeout: 30_000,
  });
  expect(out.trim()).toBe(`hello from ${user}`);
});

test("a lease cancelled before its epoch refunds what the page quoted, at least", async ({ page }) => {
  const wallet = await openApp(page, "bob");
  await connectWallet(page, wallet!);
  // Room to lease and cancel within the epoch.
  await awaitEpochTimeLeft(20);
  await page.getByTestId("hours").fill(HOURS);
  await page.getByTestId("ssh-key").fill(sshKey()[1]);
  await page.getByTestId("lease-button").click();
  await expect(page.getByTestId("notice")).toContainText("Leased: lease");
  const [lease] = await leasesOf(wallet!.address);
  const afterLease = await loopBalance(wallet!.address);
  await page.getByTestId(`refund-quote-${lease.id}`).click();
  const quoted = await page.getByTestId(`refund-${lease.id}`).innerText();
  await screenshot(page, "cancel");
  await page.getByTestId(`cancel-${lease.id}`).click();
  await expect(page.getByTestId("notice")).toContainText(`Lease ${lease.id} cancelled`);
  const [cancelled] = await leasesOf(wallet!.address);
  expect(cancelled.cancelled).toBe(true);
  const micro = (text: string) => BigInt(Math.round(Number(/\d+(\.\d+)?/.exec(text)?.[0]) * 1e6));
  // What came back is what the page says came back, ...
  const refunded = (await loopBalance(wallet!.address)) - afterLease;
  const notice = await page.getByTestId("notice").innerText();
  expect(micro(notice.split(":")[1])).toBe(refunded);
  // ... at least 99 % of the quote (the bound signed), and never more than was paid.
  expect(refunded * 100n >= micro(quoted) * 99n).toBe(true);
  expect(refunded <= BigInt(lease.paid)).toBe(true);
});

test("the market charts past epochs from the chain's events and shows this epoch's TWAP", async ({ page }) => {
  await openApp(page, "none");
  const client = await chain();
  const pair = fixture().pair;
  // At least one boundary processed by the keeper (30 s epochs).
  await expect
    .poll(async () => (await client.searchTx(`wasm._contract_address='${pair}' AND wasm.action='advance_epoch'`)).length, {
      timeout: 90_000,
    })
    .toBeGreaterThan(0);
  await page.reload();
  const history = page.getByTestId("history-h100");
  await expect(history).toBeVisible({ timeout: 60_000 });
  const boundaries = await client.searchTx(`wasm._contract_address='${pair}' AND wasm.action='advance_epoch'`);
  const shown = Number(await history.getAttribute("data-epochs"));
  // Every boundary the chain recorded by now, or more if one passed since the test counted.
  expect(shown).toBeGreaterThanOrEqual(boundaries.length);
  await expect(page.getByTestId("price-chart-h100").locator("canvas")).toHaveCount(1);
  if (process.env.LOOPIN_WEB_CHAIN === "devnet") {
    // The devnet keeps only its latest state: no historical query, so no TWAP (docs/web.md).
    await expect(page.getByTestId("twap-h100")).toHaveText("—");
  } else {
    await expect(page.getByTestId("twap-h100")).toContainText("LOOP/h", { timeout: 30_000 });
  }
  await screenshot(page, "history");
});

test("switching account in the wallet shows the new account's balance and leases", async ({ page }) => {
  const wallet = await openApp(page, "alice");
  await connectWallet(page, wallet!);
  const alice = wallet!.address;
  await expect(page.getByTestId("my-leases")).toContainText("h100");
  await wallet!.switchAccount(fixture().wallets.empty.mnemonic);
  await expect(page.getByTestId("wallet-address")).toHaveText(fixture().wallets.empty.address);
  expect(wallet!.address).not.toBe(alice);
  await expect(page.getByTestId("loop-balance")).toHaveText("0 LOOP");
  await expect(page.getByTestId("my-leases")).toContainText("No leases yet.");
});
