// The client CLI and the app agree: one account (its mnemonic is the CLI's key file and the test
// wallet's key) leases with either, and the other sees the lease, cancels it, and opens its
// access details to the same ssh command (the same v2 access key: an ADR-036 signature of a fixed
// text, HKDF, X25519). The real `loopin-client` binary runs against the fixture's chain over
// gRPC; balances are checked on chain to the smallest unit.
//
// The account is a fresh one, funded by alice at the start: the CLI's leases must not show up
// among alice's and bob's, which the other specs expect to hold only their own.
import { expect, test, type Page } from "@playwright/test";
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { fixture, WEB_CONFIG } from "./fixture";
import { awaitEpochTimeLeft, chain, connectWallet, loopBalance, sshKey, type Lease } from "./app";
import { installWallet, type TestWallet } from "./wallet";

test.describe.configure({ mode: "serial" });

const HOURS = "0.003";
const CLIENT = resolve(process.env.LOOPIN_CLIENT ?? "../target/debug/loopin-client");
const run = promisify(execFile);

interface Account {
  mnemonic: string;
  address: string;
  keyFile: string;
}

interface FullConfig {
  chain: { chainId: string; rpc: string; feeCurrencies: { coinMinimalDenom: string }[] };
  gasPrice: string;
  token: { address: string };
}

const config = (): FullConfig => JSON.parse(readFileSync(WEB_CONFIG, "utf8")) as FullConfig;

/** LOOP as the CLI and the app print it ("0.35", "12") to its smallest unit, exactly. */
function micro(text: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (!match) throw new Error(`not a LOOP amount: ${text}`);
  return BigInt(match[1]) * 1_000_000n + BigInt((match[2] ?? "").padEnd(6, "0"));
}

/** Smallest units as the CLI and the app print LOOP ("20.137758", "6"). */
function loopText(amount: bigint): string {
  const fraction = (amount % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  return `${amount / 1_000_000n}${fraction ? "." + fraction : ""}`;
}

/** The amount before " LOOP" in a line the app shows. */
function loopIn(text: string, after = ""): bigint {
  const from = after ? text.slice(text.indexOf(after) + after.length) : text;
  const match = /(\d+(?:\.\d+)?) LOOP/.exec(from);
  if (!match) throw new Error(`no LOOP amount in: ${text}`);
  return micro(match[1]);
}

/** A fresh account holding fee tokens and 300 LOOP from alice, with its mnemonic as a key file. */
async function fundedAccount(): Promise<Account> {
  const cfg = config();
  const wallet = await DirectSecp256k1HdWallet.generate(24, { prefix: "loopin" });
  const [{ address }] = await wallet.getAccounts();
  const alice = fixture().wallets.alice;
  const funder = await DirectSecp256k1HdWallet.fromMnemonic(alice.mnemonic, { prefix: "loopin" });
  const client = await SigningCosmWasmClient.connectWithSigner(cfg.chain.rpc, funder, {
    gasPrice: GasPrice.fromString(cfg.gasPrice),
  });
  const denom = cfg.chain.feeCurrencies[0].coinMinimalDenom;
  await client.sendTokens(alice.address, address, [{ denom, amount: "50000000" }], "auto");
  await client.execute(alice.address, cfg.token.address, { transfer: { recipient: address, amount: "300000000" } }, "auto");
  client.disconnect();
  const keyFile = join(mkdtempSync(join(tmpdir(), "loopin-web-cli-")), "client.key");
  writeFileSync(keyFile, wallet.mnemonic + "\n", { mode: 0o600 });
  return { mnemonic: wallet.mnemonic, address, keyFile };
}

/** `loopin-client`'s environment: the fixture's chain and pool, the account's key file. */
function cliEnv(account: Account): NodeJS.ProcessEnv {
  const cfg = config();
  const fx = fixture() as ReturnType<typeof fixture> & { grpc: string };
  const price = /^([\d.]+)(\w+)$/.exec(cfg.gasPrice);
  return {
    ...process.env,
    LOOPIN_GRPC: fx.grpc,
    LOOPIN_CHAIN_ID: cfg.chain.chainId,
    LOOPIN_DENOM: price?.[2] ?? "uloop",
    LOOPIN_GAS_PRICE: price?.[1] ?? "0.0025",
    LOOPIN_PAIR: fx.pair,
    LOOPIN_KEY_FILE: account.keyFile,
  };
}

/** Runs `loopin-client` to its end: its stdout, or the failure with its stderr. */
async function cli(account: Account, ...args: string[]): Promise<string> {
  const { stdout } = await run(CLIENT, args, { env: cliEnv(account), timeout: 120_000 });
  return stdout;
}

/** `loopin-client` expected to fail: its stderr. */
async function cliFails(account: Account, ...args: string[]): Promise<string> {
  try {
    await run(CLIENT, args, { env: cliEnv(account), timeout: 60_000 });
  } catch (error) {
    return (error as { stderr: string }).stderr;
  }
  throw new Error(`loopin-client ${args.join(" ")} succeeded`);
}

/** `-p PORT USER@HOST` of an ssh command line. */
function target(command: string): { port: string; user: string; host: string } {
  const match = / -p (\d+) ([^@\s]+)@(\S+)$/.exec(command.trim());
  if (!match) throw new Error(`not an ssh command: ${command}`);
  return { port: match[1], user: match[2], host: match[3] };
}

async function leaseOnChain(id: number): Promise<Lease & { client: string; stake_id: number; hours: string; renewals_left: number; budget: string }> {
  return (await chain()).queryContractSmart(fixture().pair, { lease: { lease_id: id } });
}

/** Runs an ssh command line (as printed) with `identity`, and returns what the remote prints. */
function login(command: string, identity: string): string {
  const args = command.trim().split(" ").slice(1);
  const out = execFileSync("ssh", ["-i", identity, "-o", "BatchMode=yes", ...args, "echo hello from $(whoami)"], {
    encoding: "utf8",
    timeout: 30_000,
  });
  return out.trim();
}

/** Opens the app with `account`'s key in the test wallet, connected. */
async function openAs(page: Page, account: Account): Promise<TestWallet> {
  const wallet = await installWallet(page, account.mnemonic, "cli-account");
  await page.goto("/");
  await connectWallet(page, wallet);
  return wallet;
}

/** Leases in the app; the new lease's id. */
async function leaseInApp(page: Page, publicKey: string): Promise<number> {
  await page.getByTestId("hours").fill(HOURS);
  await page.getByTestId("ssh-key").fill(publicKey);
  await page.getByTestId("lease-button").click();
  await expect(page.getByTestId("notice")).toContainText("Leased: lease");
  const notice = await page.getByTestId("notice").innerText();
  return Number(/Leased: lease (\d+)/.exec(notice)?.[1]);
}

let account: Account;

test.beforeAll(async () => {
  expect(existsSync(CLIENT), `${CLIENT}: cargo build -p loopin-client (scripts/test-web.sh does)`).toBe(true);
  account = await fundedAccount();
});

test("a lease made with loopin-client is in the app's My leases and opens there to the CLI's ssh command", async ({ page }) => {
  const [identity] = sshKey();
  const knownHosts = join(mkdtempSync(join(tmpdir(), "loopin-web-kh-")), "known_hosts");
  const before = await loopBalance(account.address);

  // The CLI leases and waits for the miner's access details, printing the lease first.
  const child = spawn(
    CLIENT,
    ["lease", "--stake-id", String(fixture().stakeId), "--hours", HOURS, "--ssh-key", `${identity}.pub`, "--wait-secs", "150", "--known-hosts", knownHosts],
    { env: cliEnv(account) },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number>((done) => child.once("exit", (code) => done(code ?? -1)));
  const leasedLine = /^lease (\d+) on stake (\d+): ([\d.]+) h of epoch (\d+) for ([\d.]+) LOOP$/m;
  await expect.poll(() => leasedLine.test(stdout) || stderr, { timeout: 60_000 }).toBe(true);
  const [, idText, stake, hours, epoch, paid] = leasedLine.exec(stdout)!;
  const id = Number(idText);

  const lease = await leaseOnChain(id);
  expect(lease.client).toBe(account.address);
  expect(lease.stake_id).toBe(fixture().stakeId);
  expect(String(lease.stake_id)).toBe(stake);
  expect(lease.epoch).toBe(Number(epoch));
  expect(BigInt(lease.hours)).toBe(micro(hours));
  expect(BigInt(lease.paid)).toBe(micro(paid));
  // The CLI sent at most the quote and its slippage; what was not spent came back.
  expect(before - (await loopBalance(account.address))).toBe(BigInt(lease.paid));

  // The app lists it with the CLI's numbers.
  const wallet = await openAs(page, account);
  const row = page.getByTestId(`lease-${id}`);
  await expect(row).toBeVisible();
  await expect(row).toContainText(`${HOURS} h`);
  await expect(row).toContainText(`${paid} LOOP`);
  await expect(page.getByTestId(`lease-status-${id}`)).toHaveText(/waiting for its epoch|in delivery/);

  // The epoch starts, the agent posts the sealed details: the CLI opens them ...
  expect(await exited, stderr).toBe(0);
  const cliCommand = stdout.split("\n").find((line) => line.startsWith("ssh "));
  expect(cliCommand, stdout).toBeDefined();
  // ... and so does the app, with the key it derives from the wallet's signature.
  await page.getByTestId(`open-${id}`).click();
  const appCommand = await page.getByTestId(`ssh-${id}`).innerText();
  const { ssh } = fixture();
  expect(target(appCommand)).toEqual(target(cliCommand!));
  expect(target(cliCommand!)).toEqual({ port: String(ssh.port), user: `${ssh.userPrefix}${lease.order}`, host: "127.0.0.1" });
  // The host key the CLI pinned is the one the app says to pin.
  const appLine = (await page.getByTestId(`known-hosts-${id}`).innerText()).match(/'(.*)'/)?.[1];
  expect(readFileSync(knownHosts, "utf8").trim()).toBe(appLine);
  // Opening asked the wallet for the access key's signature, and for no transaction.
  expect(wallet.requests).toContain("signArbitrary");
  expect(wallet.requests).not.toContain("signDirect");

  // The CLI's command, as printed, logs in.
  expect(login(cliCommand!, identity)).toBe(`hello from ${ssh.userPrefix}${lease.order}`);
});

test("a lease made in the app is listed by loopin-client and cancelled by it before its epoch; the app shows it cancelled", async ({ page }) => {
  await openAs(page, account);
  // Room to lease and cancel within the epoch.
  await awaitEpochTimeLeft(20);
  const before = await loopBalance(account.address);
  const id = await leaseInApp(page, sshKey()[1]);
  const lease = await leaseOnChain(id);
  const afterLease = await loopBalance(account.address);
  expect(before - afterLease).toBe(BigInt(lease.paid));

  // `loopin-client leases` lists it as the chain has it.
  const listed = (await cli(account, "leases")).split("\n").find((line) => line.startsWith(`${id} `));
  expect(listed, "the CLI lists the app's lease").toBeDefined();
  const [lid, order, stake, epoch, hours, paid, ...status] = listed!.trim().split(/\s+/);
  expect([lid, order, stake, epoch]).toEqual([String(id), String(lease.order), String(fixture().stakeId), String(lease.epoch)]);
  expect(micro(hours)).toBe(3_000n);
  expect(micro(paid)).toBe(BigInt(lease.paid));
  expect(status.join(" ")).toBe("booked");
  await expect(page.getByTestId(`lease-status-${id}`)).toHaveText("waiting for its epoch");

  // The app quotes the refund; the CLI cancels, bounded as the app would bound it (99 %).
  await page.getByTestId(`refund-quote-${id}`).click();
  const quoted = loopIn(await page.getByTestId(`refund-${id}`).innerText());
  const minRefund = (quoted * 99n) / 100n;
  const minText = `${minRefund / 1_000_000n}.${(minRefund % 1_000_000n).toString().padStart(6, "0")}`;
  const out = await cli(account, "cancel", String(id), "--min-refund", minText);
  const refunded = /^lease (\d+): ([\d.]+) LOOP refunded$/m.exec(out);
  expect(refunded?.[1], out).toBe(String(id));
  const refund = micro(refunded![2]);
  expect((await loopBalance(account.address)) - afterLease).toBe(refund);
  expect(refund >= minRefund && refund <= BigInt(lease.paid)).toBe(true);
  expect((await leaseOnChain(id)).cancelled).toBe(true);

  // The app sees it cancelled, and offers nothing more for it.
  await expect(page.getByTestId(`lease-status-${id}`)).toHaveText("cancelled", { timeout: 10_000 });
  await expect(page.getByTestId(`cancel-${id}`)).toHaveCount(0);
  await expect(page.getByTestId(`refund-quote-${id}`)).toHaveCount(0);
  const relisted = (await cli(account, "leases")).split("\n").find((line) => line.startsWith(`${id} `));
  expect(relisted).toMatch(/ cancelled$/);
});

test("a lease made in the app is opened by loopin-client access: the same ssh command, and it logs in", async ({ page }) => {
  await openAs(page, account);
  const [identity, publicKey] = sshKey();
  await awaitEpochTimeLeft(10);
  const before = await loopBalance(account.address);
  const id = await leaseInApp(page, publicKey);
  const lease = await leaseOnChain(id);
  expect(before - (await loopBalance(account.address))).toBe(BigInt(lease.paid));

  // Before the miner posts access, the CLI says so.
  if (!lease.access) {
    expect(await cliFails(account, "access", String(id))).toContain(`lease ${id}: no access details posted yet`);
  }

  // The epoch starts and the agent posts the details; the CLI opens what the app registered.
  await expect.poll(async () => (await leaseOnChain(id)).access !== null, { timeout: 120_000, intervals: [1_000] }).toBe(true);
  const knownHosts = join(mkdtempSync(join(tmpdir(), "loopin-web-kh-")), "known_hosts");
  const cliCommand = (await cli(account, "access", String(id), "--known-hosts", knownHosts)).trim();
  const { ssh } = fixture();
  const user = `${ssh.userPrefix}${lease.order}`;
  expect(target(cliCommand)).toEqual({ port: String(ssh.port), user, host: "127.0.0.1" });

  // The app shows the same, and the CLI's command logs in with the key given in the app.
  await page.getByTestId(`open-${id}`).click();
  expect(target(await page.getByTestId(`ssh-${id}`).innerText())).toEqual(target(cliCommand));
  const appLine = (await page.getByTestId(`known-hosts-${id}`).innerText()).match(/'(.*)'/)?.[1];
  expect(readFileSync(knownHosts, "utf8").trim()).toBe(appLine);
  expect(login(cliCommand, identity)).toBe(`hello from ${user}`);
});

test("a standing order made with loopin-client shows its renewals and budget in the app, and the app's cancel refunds both", async ({ page }) => {
  await openAs(page, account);
  await awaitEpochTimeLeft(20);
  const before = await loopBalance(account.address);
  // Two renewals, 20 LOOP of budget, at most 2000 LOOP per device-hour: 6 LOOP for 0.003 h.
  const out = await cli(
    account,
    "lease", "--stake-id", String(fixture().stakeId), "--hours", HOURS, "--ssh-key", `${sshKey()[0]}.pub`,
    "--renewals", "2", "--budget", "20", "--max-renewal-price", "2000", "--wait-secs", "0",
  );
  const id = Number(/^lease (\d+) on stake/m.exec(out)?.[1]);
  const lease = await leaseOnChain(id);
  // The order keeps the budget and what the slippage allowance did not spend (the pair's rule).
  const budget = BigInt(lease.budget);
  expect(budget >= 20_000_000n && budget <= 20_000_000n + BigInt(lease.paid) / 100n + 1n).toBe(true);
  expect(before - (await loopBalance(account.address))).toBe(BigInt(lease.paid) + budget);

  const listed = (await cli(account, "leases")).split("\n").find((line) => line.startsWith(`${id} `));
  expect(listed).toMatch(new RegExp(` booked, 2 renewals left, budget ${loopText(budget)}$`));
  await expect(page.getByTestId(`order-${id}`)).toHaveText(
    `order: 2 renewals left, budget ${loopText(budget)} LOOP, a renewal pays at most 6 LOOP`,
  );

  // Cancelled in the app before its epoch: the hours are sold back and the budget comes back.
  await page.getByTestId(`refund-quote-${id}`).click();
  await expect(page.getByTestId(`refund-${id}`)).toContainText(`${loopText(budget)} LOOP of its budget`);
  const afterLease = await loopBalance(account.address);
  await page.getByTestId(`cancel-${id}`).click();
  await expect(page.getByTestId("notice")).toContainText(`Lease ${id} cancelled: `);
  const notice = await page.getByTestId("notice").innerText();
  const total = loopIn(notice, "cancelled: ");
  const forHours = loopIn(notice, "refunded (");
  expect(total - forHours).toBe(budget);
  expect((await loopBalance(account.address)) - afterLease).toBe(total);
  const cancelled = await leaseOnChain(id);
  expect([cancelled.cancelled, cancelled.renewals_left, cancelled.budget]).toEqual([true, 0, "0"]);
  const relisted = (await cli(account, "leases")).split("\n").find((line) => line.startsWith(`${id} `));
  expect(relisted).toMatch(/ cancelled$/);
});
