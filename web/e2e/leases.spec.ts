// My leases beyond cancelling: a standing order extended (renewals and a LOOP budget, the amount
// signed shown first), renewed from its budget while its lease is delivered, and closed for what
// is left; a dispute within the pool's window (the fixture's class has dispute_epochs 0: only
// while the lease's epoch is delivered) with its bond shown before signing; and the refusals, with
// nothing signed: a dispute without a reason, an extension above the account's balance, bad
// input. Every balance is checked on chain to the smallest unit.
//
// The account is a fresh one, funded by alice at the start, so its leases are only these.
import { expect, test, type Page } from "@playwright/test";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { toBase64, toUtf8 } from "@cosmjs/encoding";
import { fixture, webConfig } from "./fixture";
import { awaitEpochTimeLeft, chain, connectWallet, loopBalance, screenshot, sshKey, type Lease } from "./app";
import { installWallet, type TestWallet } from "./wallet";

test.describe.configure({ mode: "serial" });

/** Above the pool's minimum lease (2,083 µh of a 30 s epoch), three to an epoch's 8,333 µh. */
const HOURS = "0.0021";

interface Account {
  mnemonic: string;
  address: string;
}

interface FullLease extends Lease {
  hours: string;
  renewals_left: number;
  budget: string;
  renewed_by: number | null;
  dispute: { reason: string; bond: string; resolution: unknown } | null;
}

/** LOOP as the app prints it ("0.35", "12") to its smallest unit, exactly. */
function micro(text: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (!match) throw new Error(`not a LOOP amount: ${text}`);
  return BigInt(match[1]) * 1_000_000n + BigInt((match[2] ?? "").padEnd(6, "0"));
}

/** The first amount before " LOOP" in `text`, after `after` if given. */
function loopIn(text: string, after = ""): bigint {
  const from = after ? text.slice(text.indexOf(after) + after.length) : text;
  const match = /(\d+(?:\.\d+)?) LOOP/.exec(from);
  if (!match) throw new Error(`no LOOP amount in: ${text}`);
  return micro(match[1]);
}

/** Smallest units as the app prints LOOP ("1.5 LOOP"). */
function loop(amount: bigint): string {
  const fraction = (amount % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  return `${amount / 1_000_000n}${fraction ? "." + fraction : ""} LOOP`;
}

function gasPrice(): GasPrice {
  return GasPrice.fromString((webConfig() as unknown as { gasPrice: string }).gasPrice);
}

async function signer(mnemonic: string): Promise<{ client: SigningCosmWasmClient; address: string }> {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "loopin" });
  const [{ address }] = await wallet.getAccounts();
  const client = await SigningCosmWasmClient.connectWithSigner(webConfig().chain.rpc, wallet, { gasPrice: gasPrice() });
  return { client, address };
}

/** A fresh account holding fee tokens and 300 LOOP from alice. */
async function fundedAccount(): Promise<Account> {
  const wallet = await DirectSecp256k1HdWallet.generate(24, { prefix: "loopin" });
  const [{ address }] = await wallet.getAccounts();
  const alice = await signer(fixture().wallets.alice.mnemonic);
  await alice.client.sendTokens(alice.address, address, [{ denom: gasPrice().denom, amount: "50000000" }], "auto");
  await alice.client.execute(alice.address, webConfig().token.address, { transfer: { recipient: address, amount: "300000000" } }, "auto");
  alice.client.disconnect();
  return { mnemonic: wallet.mnemonic, address };
}

async function leaseOnChain(id: number): Promise<FullLease> {
  return (await chain()).queryContractSmart(fixture().pair, { lease: { lease_id: id } });
}

async function clockEpoch(): Promise<number> {
  const pool = await (await chain()).queryContractSmart(fixture().pair, { pool: {} });
  return pool.clock_epoch as number;
}

/** The pool's answer to `account` disputing lease `id` with `bond` sent from outside the app. */
async function disputeFromOutside(account: Account, id: number, bond: bigint): Promise<string> {
  const { client, address } = await signer(account.mnemonic);
  const msg = toBase64(toUtf8(JSON.stringify({ dispute: { lease_id: id, reason: "from the test" } })));
  try {
    await client.execute(address, webConfig().token.address, { send: { contract: fixture().pair, amount: bond.toString(), msg } }, "auto");
    return "accepted";
  } catch (error) {
    return String(error);
  } finally {
    client.disconnect();
  }
}

async function openAs(page: Page, account: Account): Promise<TestWallet> {
  const wallet = await installWallet(page, account.mnemonic, "leases-account");
  await page.goto("/");
  await connectWallet(page, wallet);
  return wallet;
}

/** Leases in the app; the new lease's id. */
async function leaseInApp(page: Page): Promise<number> {
  await page.getByTestId("hours").fill(HOURS);
  await page.getByTestId("ssh-key").fill(sshKey()[1]);
  await page.getByTestId("lease-button").click();
  await expect(page.getByTestId("notice")).toContainText("Leased: lease");
  return Number(/Leased: lease (\d+)/.exec(await page.getByTestId("notice").innerText())?.[1]);
}

const signatures = (wallet: TestWallet) => wallet.requests.filter((r) => r === "signDirect").length;

let account: Account;
/** The first test's lease, over by the last test. */
let firstLease: number;

test.beforeAll(async () => {
  account = await fundedAccount();
});

test("a standing order is extended with the amount signed shown first, renewed from its budget, and closed for the rest", async ({ page }) => {
  const wallet = await openAs(page, account);
  // Room to lease and extend before the lease's epoch.
  await awaitEpochTimeLeft(20);
  const id = await leaseInApp(page);
  firstLease = id;
  const lease = await leaseOnChain(id);

  // The form shows the order as it is and what a renewal of its hours costs now.
  await page.getByTestId(`extend-open-${id}`).click();
  const now = page.getByTestId(`extend-now-${id}`);
  await expect(now).toContainText("Now: 0 renewals left, budget 0 LOOP.");
  await expect(now).toContainText(`A renewal of ${HOURS} h costs`);
  const price = loopIn(await now.innerText(), "costs ");
  expect(price > 0n).toBe(true);

  // Two renewals, each with room for three times today's price.
  const amount = price * 6n;
  await page.getByTestId(`extend-renewals-${id}`).fill("2");
  await page.getByTestId(`extend-budget-${id}`).fill(loop(amount).replace(" LOOP", ""));
  await expect(page.getByTestId(`extend-summary-${id}`)).toHaveText(
    `You sign for exactly ${loop(amount)}. The order then has 2 renewals left and a budget of ${loop(amount)}: a renewal pays at most ${loop(amount / 2n)}.`,
  );
  await expect(page.getByTestId(`extend-warning-${id}`)).toHaveCount(0);
  // Too small a budget is flagged before anything is signed.
  await page.getByTestId(`extend-budget-${id}`).fill(loop(price).replace(" LOOP", ""));
  await expect(page.getByTestId(`extend-warning-${id}`)).toContainText("below today's price");
  await page.getByTestId(`extend-budget-${id}`).fill(loop(amount).replace(" LOOP", ""));
  await screenshot(page, "extend");

  const before = await loopBalance(account.address);
  const signed = signatures(wallet);
  await page.getByTestId(`extend-${id}`).click();
  await expect(page.getByTestId("notice")).toHaveText(
    `Order of lease ${id} extended by 2: 2 renewals left, budget ${loop(amount)} (${loop(amount)} sent).`,
  );
  expect(signatures(wallet)).toBe(signed + 1);
  // Exactly the amount shown left the account, and joined the order's budget.
  expect(before - (await loopBalance(account.address))).toBe(amount);
  const extendedLease = await leaseOnChain(id);
  expect(extendedLease.renewals_left).toBe(2);
  expect(BigInt(extendedLease.budget)).toBe(amount);
  await expect(page.getByTestId(`order-${id}`)).toHaveText(
    `order: 2 renewals left, budget ${loop(amount)}, a renewal pays at most ${loop(amount / 2n)}`,
  );

  // Once the lease's epoch is delivered, the order renews from its budget: nothing more is paid.
  const renew = page.getByTestId(`renew-${id}`);
  await expect(renew).toBeVisible({ timeout: 60_000 });
  const beforeRenewal = await loopBalance(account.address);
  await renew.click();
  await expect(page.getByTestId("notice")).toContainText("Order renewed: lease ");
  const notice = await page.getByTestId("notice").innerText();
  const next = Number(/lease (\d+) for epoch (\d+)/.exec(notice)?.[1]);
  const renewal = await leaseOnChain(next);
  expect(notice).toBe(`Order renewed: lease ${next} for epoch ${lease.epoch + 1}, ${loop(BigInt(renewal.paid))} paid from its budget.`);
  expect(await loopBalance(account.address)).toBe(beforeRenewal);
  expect(renewal.epoch).toBe(lease.epoch + 1);
  expect(renewal.order).toBe(id);
  expect(renewal.renewals_left).toBe(1);
  expect(BigInt(renewal.paid) + BigInt(renewal.budget)).toBe(amount);
  expect(BigInt(renewal.paid) <= amount / 2n).toBe(true);
  const renewed = await leaseOnChain(id);
  expect(renewed.renewed_by).toBe(next);
  expect(renewed.renewals_left).toBe(0);
  expect(renewed.budget).toBe("0");
  await expect(page.getByTestId(`order-${id}`)).toHaveText(`renewed by lease ${next}`);
  await expect(page.getByTestId(`order-${next}`)).toContainText(`1 renewals left, budget ${loop(BigInt(renewal.budget))}`);

  // Closing the order refunds what is left of the budget, exactly.
  await page.getByTestId(`close-${next}`).click();
  await expect(page.getByTestId("notice")).toHaveText(`Order of lease ${next} closed: ${loop(BigInt(renewal.budget))} of its budget refunded.`);
  expect((await loopBalance(account.address)) - beforeRenewal).toBe(BigInt(renewal.budget));
  const closed = await leaseOnChain(next);
  expect([closed.renewals_left, closed.budget, closed.cancelled]).toEqual([0, "0", false]);
  await expect(page.getByTestId(`close-${next}`)).toHaveCount(0);
});

test("an extension the account cannot pay, or that makes no sense, is refused and nothing is signed", async ({ page }) => {
  const wallet = await openAs(page, account);
  await awaitEpochTimeLeft(15);
  const id = await leaseInApp(page);
  await page.getByTestId(`extend-open-${id}`).click();
  await expect(page.getByTestId(`extend-form-${id}`)).toBeVisible();
  const signed = signatures(wallet);
  const held = await loopBalance(account.address);
  const attempt = async (renewals: string, budget: string) => {
    await page.getByTestId(`extend-renewals-${id}`).fill(renewals);
    await page.getByTestId(`extend-budget-${id}`).fill(budget);
    await page.getByTestId(`extend-${id}`).click();
    await expect(page.getByTestId("problem")).toBeVisible();
    return page.getByTestId("problem");
  };

  // One micro-LOOP more than the account holds.
  const problem = await attempt("1", loop(held + 1n).replace(" LOOP", ""));
  await expect(problem).toHaveAttribute("data-kind", "insufficient-funds");
  await expect(problem).toContainText(`the account holds ${loop(held)} and this needs up to ${loop(held + 1n)}`);
  await expect(problem).toContainText("Nothing was sent");
  await screenshot(page, "extend-refused");

  await expect(await attempt("0", "1")).toContainText('"0" is not a number of renewals');
  await expect(await attempt("1.5", "1")).toContainText("is not a number of renewals");
  await expect(await attempt("1", "0")).toContainText("the budget must be above zero");
  await expect(await attempt("1", "0.0000001")).toContainText("at most 6 decimals");

  expect(signatures(wallet)).toBe(signed);
  expect(await loopBalance(account.address)).toBe(held);
  const lease = await leaseOnChain(id);
  expect([lease.renewals_left, lease.budget]).toEqual([0, "0"]);
});

test("a lease is disputed in its epoch with the bond shown before signing; without a reason nothing is signed", async ({ page }) => {
  const wallet = await openAs(page, account);
  await awaitEpochTimeLeft(15);
  const id = await leaseInApp(page);
  const lease = await leaseOnChain(id);
  const bond = (BigInt(lease.paid) + 9n) / 10n;

  // Before its epoch starts the app offers no dispute, and the pool would refuse one.
  if ((await clockEpoch()) < lease.epoch) {
    await expect(page.getByTestId(`dispute-open-${id}`)).toHaveCount(0);
    expect(await disputeFromOutside(account, id, bond)).toContain(`lease ${id} cannot be disputed before its epoch ${lease.epoch} starts`);
  }

  // The epoch starts: the window (dispute_epochs 0) is the lease's epoch.
  const open = page.getByTestId(`dispute-open-${id}`);
  await expect(open).toBeVisible({ timeout: 60_000 });
  await open.click();
  await expect(page.getByTestId(`dispute-bond-${id}`)).toContainText(`Bond: ${loop(bond)} (a tenth of the ${loop(BigInt(lease.paid))} the lease paid)`);
  await expect(page.getByTestId(`dispute-window-${id}`)).toContainText(`Disputable until epoch ${lease.epoch} ends`);
  await expect(page.getByTestId(`dispute-${id}`)).toHaveText(`Dispute, bonding ${loop(bond)}`);
  await screenshot(page, "dispute");

  // No reason: refused in the page, nothing signed, nothing sent.
  const signed = signatures(wallet);
  const before = await loopBalance(account.address);
  await page.getByTestId(`dispute-reason-${id}`).fill("   ");
  await page.getByTestId(`dispute-${id}`).click();
  await expect(page.getByTestId("problem")).toContainText("A dispute needs a reason");
  await expect(page.getByTestId("problem")).toContainText("Nothing was sent");
  expect(signatures(wallet)).toBe(signed);
  expect((await leaseOnChain(id)).dispute).toBeNull();

  // With one, exactly the bond shown is sent.
  await page.getByTestId(`dispute-reason-${id}`).fill("the GPU was not reachable");
  await page.getByTestId(`dispute-${id}`).click();
  await expect(page.getByTestId("notice")).toHaveText(
    `Lease ${id} disputed with a bond of ${loop(bond)}: what it paid is held from the miner's pay until governance rules.`,
  );
  expect(signatures(wallet)).toBe(signed + 1);
  expect(before - (await loopBalance(account.address))).toBe(bond);
  const disputed = await leaseOnChain(id);
  expect(disputed.dispute?.reason).toBe("the GPU was not reachable");
  expect(BigInt(disputed.dispute?.bond ?? 0)).toBe(bond);
  expect(disputed.dispute?.resolution).toBeNull();
  await expect(page.getByTestId(`lease-status-${id}`)).toHaveText("disputed");
  await expect(page.getByTestId(`dispute-info-${id}`)).toHaveText(`bond ${loop(bond)}: “the GPU was not reachable”; awaiting governance`);
  await expect(page.getByTestId(`dispute-open-${id}`)).toHaveCount(0);
});

test("once a lease's dispute window has closed the app offers no dispute, and the pool refuses one", async ({ page }) => {
  await openAs(page, account);
  const lease = await leaseOnChain(firstLease);
  await expect.poll(clockEpoch, { timeout: 60_000 }).toBeGreaterThan(lease.epoch);
  await expect(page.getByTestId(`dispute-closed-${firstLease}`)).toHaveText(`dispute window closed (epoch ${lease.epoch})`);
  await expect(page.getByTestId(`dispute-open-${firstLease}`)).toHaveCount(0);
  const before = await loopBalance(account.address);
  const bond = (BigInt(lease.paid) + 9n) / 10n;
  expect(await disputeFromOutside(account, firstLease, bond)).toContain(`the dispute window of lease ${firstLease} has closed`);
  expect(await loopBalance(account.address)).toBe(before);
});
