// A miner's journey on a real wasmd chain: paste the Stake hook `loopin-prover stake-msg` printed
// (refused before anything is signed when the device signed it for someone else), stake a device
// as a seller and as a liquidity provider with the LOOP shown, see the stake with its
// certificate, register the device with the registry's commitment, and claim exactly what the page
// showed claimable. Every amount is checked against the chain's balances and records.
import { expect, test, type Page } from "@playwright/test";
import { fixture, webConfig, type Fixture, type Wallet } from "./fixture";
import { chain, connectWallet, loopBalance, screenshot } from "./app";
import { installWallet, type TestWallet } from "./wallet";

test.describe.configure({ mode: "serial" });

/** fixture.json's devices not staked yet (tests/web-fixture: more_devices). */
interface MinerFixture extends Fixture {
  wallets: Fixture["wallets"] & { miner: Wallet };
  devices: {
    bob: {
      stakeHook: { stake: Record<string, unknown> };
      foreignStakeHook: { stake: Record<string, unknown> };
      commitment: Record<string, unknown>;
      randomness: string;
      endpoint: string;
    };
    miner: { stakeHook: { stake: Record<string, unknown> } };
  };
}

const f = () => fixture() as MinerFixture;

interface Contracts {
  stakeCert: string;
  registry: string;
}

const contracts = () => (webConfig() as unknown as { contracts: Contracts }).contracts;

async function open(page: Page, who: "bob" | "miner"): Promise<TestWallet> {
  const wallet = await installWallet(page, f().wallets[who].mnemonic, who);
  await page.goto("/");
  await connectWallet(page, wallet);
  return wallet;
}

interface Stake {
  id: number;
  token_id: string;
  mode: string;
  deposit: string;
  shares: string;
  end_epoch: number;
  finished: boolean;
  verified_from: number | null;
}

async function stakesOf(owner: string): Promise<Stake[]> {
  const client = await chain();
  const page = await client.queryContractSmart(f().pair, { stakes_by_owner: { owner, limit: 30 } });
  return page.stakes as Stake[];
}

async function query<T>(contract: string, msg: object): Promise<T> {
  return (await chain()).queryContractSmart(contract, msg) as Promise<T>;
}

/** LOOP in a notice, "… 1.008334 LOOP …" after `marker`, in its smallest unit. */
function micro(text: string, marker: string): bigint {
  const found = new RegExp(`${marker} (\\d+(?:\\.\\d+)?) LOOP`).exec(text);
  if (!found) throw new Error(`no "${marker} … LOOP" in ${text}`);
  const [whole, fraction = ""] = found[1].split(".");
  return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, "0"));
}

/** The class's staking fee for rate 1: alpha rounded up (the pair's Config). */
async function stakingFee(): Promise<bigint> {
  const { params } = await query<{ params: { economics: { alpha: string } } }>(f().pair, { config: {} });
  const [whole, fraction = ""] = params.economics.alpha.split(".");
  return BigInt(whole) + (/[1-9]/.test(fraction) ? 1n : 0n);
}

test("a stake hook the device signed for someone else, or no stake hook, is refused before anything is signed", async ({ page }) => {
  const wallet = await open(page, "bob");
  const before = await loopBalance(wallet.address);
  await page.getByTestId("stake-hook").fill(JSON.stringify(f().devices.bob.foreignStakeHook, null, 2));
  await expect(page.getByTestId("stake-check")).toContainText(`not signed by its device for your address ${wallet.address}`);
  await page.getByTestId("stake-button").click();
  await expect(page.getByTestId("problem")).toContainText("not signed by its device for your address");
  await expect(page.getByTestId("problem")).toContainText("Nothing was signed");
  await screenshot(page, "stake-refused");

  await page.getByTestId("stake-hook").fill(JSON.stringify({ lease: { stake_id: 1 } }));
  await expect(page.getByTestId("stake-check")).toContainText("a lease hook, not a stake");
  await page.getByTestId("stake-button").click();
  await expect(page.getByTestId("problem")).toContainText("not a stake");

  expect(wallet.requests).not.toContain("signDirect");
  expect(await loopBalance(wallet.address)).toBe(before);
  expect(await stakesOf(wallet.address)).toEqual([]);
});

test("bob stakes a second device as a seller for the LOOP shown, sees its certificate and registers the device", async ({ page }) => {
  const wallet = await open(page, "bob");
  const device = f().devices.bob;
  const before = await loopBalance(wallet.address);
  await page.getByTestId("stake-hook").fill(JSON.stringify(device.stakeHook, null, 2));
  await expect(page.getByTestId("stake-review")).toBeVisible();
  await expect(page.getByTestId("stake-mode")).toHaveText("seller");
  await expect(page.getByTestId("stake-epochs")).toHaveText("10");
  const send = BigInt((await page.getByTestId("stake-send").getAttribute("data-micro")) ?? "0");
  await screenshot(page, "stake-review");
  await page.getByTestId("stake-button").click();
  await expect(page.getByTestId("notice")).toContainText("Staked: stake");

  const [stake] = await stakesOf(wallet.address);
  expect(stake.mode).toBe("seller");
  const paid = before - (await loopBalance(wallet.address));
  // What left the account is what the page showed and said, and the pair's fee and deposit.
  expect(paid).toBe(send);
  expect(micro(await page.getByTestId("notice").innerText(), "paid")).toBe(paid);
  expect(paid).toBe((await stakingFee()) + BigInt(stake.deposit));

  // The stake and its certificate, as the stake-cert contract has it.
  const key = stake.token_id;
  await expect(page.getByTestId(`stake-${key}`)).toBeVisible();
  await expect(page.getByTestId(`stake-mode-${key}`)).toHaveText("seller");
  const cert = await query<{ certificate: { status: string; expiry: string; miner: string } }>(contracts().stakeCert, {
    certificate: { token_id: key },
  });
  expect(cert.certificate.miner).toBe(wallet.address);
  await expect(page.getByTestId(`cert-${key}`)).toHaveText(key);
  await expect(page.getByTestId(`cert-status-${key}`)).toHaveText(cert.certificate.status);
  await expect(page.getByTestId(`cert-status-${key}`)).toHaveText("active");
  await expect(page.getByTestId(`cert-expiry-${key}`)).toHaveAttribute("data-nanos", cert.certificate.expiry);
  await expect(page.getByTestId(`device-status-${key}`)).toHaveText("not registered");

  // A registration the registry would refuse (another ek randomness) is refused here, unsigned.
  const signed = wallet.requests.filter((r) => r === "signDirect").length;
  await page.getByTestId(`register-open-${key}`).click();
  await page.getByTestId("register-commitment").fill(JSON.stringify(device.commitment, null, 2));
  await page.getByTestId("register-randomness").fill("00");
  await page.getByTestId("register-endpoint").fill(device.endpoint);
  await page.getByTestId("register-button").click();
  await expect(page.getByTestId("problem")).toContainText("ek was derived for another miner, pool or randomness");
  expect(wallet.requests.filter((r) => r === "signDirect").length).toBe(signed);

  const afterStake = await loopBalance(wallet.address);
  await page.getByTestId("register-randomness").fill(device.randomness);
  await page.getByTestId("register-button").click();
  await expect(page.getByTestId("notice")).toContainText(`Device of ${key} registered`);
  const registered = await query<{ owner: string; status: string; passes: number }>(contracts().registry, {
    device: { token_id: key },
  });
  expect(registered.owner).toBe(wallet.address);
  await expect(page.getByTestId(`device-status-${key}`)).toHaveText(registered.status);
  await expect(page.getByTestId(`device-status-${key}`)).toHaveText("active");
  await expect(page.getByTestId(`device-passes-${key}`)).toHaveText(String(registered.passes));
  await expect(page.getByTestId(`device-accusation-${key}`)).toHaveText("no accusation");
  await expect(page.getByTestId(`device-missed-${key}`)).toHaveText("0");
  await expect(page.getByTestId(`audits-${key}`)).toHaveText("No open audits.");
  await expect(page.getByTestId(`verdicts-${key}`)).toHaveText("No verdicts yet.");
  // The pool was told: the seller's hours are sold from the next boundary.
  const [verified] = await stakesOf(wallet.address);
  expect(verified.verified_from).not.toBeNull();
  // Registering moves no LOOP.
  expect(await loopBalance(wallet.address)).toBe(afterStake);
  await screenshot(page, "stakes");
});

test("the miner stakes a provider device within its slippage bound and claims exactly what was shown claimable", async ({ page }) => {
  test.setTimeout(420_000);
  const wallet = await open(page, "miner");
  // The fixture's own stake: a provider is paid at its end, which is far.
  const first = `h100-${f().stakeId}`;
  await expect(page.getByTestId(`claimable-${first}`)).toContainText("nothing to claim yet");
  await expect(page.getByTestId(`claimable-${first}`)).toContainText("a provider is paid when its stake ends");
  await expect(page.getByTestId(`claim-${first}`)).toHaveCount(0);
  await expect(page.getByTestId(`device-status-${first}`)).toHaveText("active");

  const before = await loopBalance(wallet.address);
  await page.getByTestId("stake-slippage").fill("2");
  await page.getByTestId("stake-hook").fill(JSON.stringify(f().devices.miner.stakeHook, null, 2));
  await expect(page.getByTestId("stake-mode")).toHaveText("liquidity provider");
  await expect(page.getByTestId("stake-send")).toContainText("You send at most");
  const bound = BigInt((await page.getByTestId("stake-send").getAttribute("data-micro")) ?? "0");
  await page.getByTestId("stake-button").click();
  await expect(page.getByTestId("notice")).toContainText("Staked: stake");
  const paid = before - (await loopBalance(wallet.address));
  expect(micro(await page.getByTestId("notice").innerText(), "paid")).toBe(paid);
  // The pool took its price's liquidity and refunded the rest of the bound signed.
  expect(paid > 0n && paid <= bound).toBe(true);
  const stake = (await stakesOf(wallet.address)).find((s) => s.mode === "liquidity_provider" && s.id !== f().stakeId);
  expect(stake).toBeDefined();
  const key = stake!.token_id;
  expect(BigInt(stake!.shares) > 0n).toBe(true);
  await expect(page.getByTestId(`cert-status-${key}`)).toHaveText("active");

  // Three epochs later the stake has ended and its liquidity is claimable.
  const claimable = page.getByTestId(`claim-${key}`);
  await expect(claimable).toBeVisible({ timeout: 360_000 });
  const shown = BigInt((await page.getByTestId(`claimable-${key}`).getAttribute("data-micro")) ?? "0");
  expect(shown > 0n).toBe(true);
  const beforeClaim = await loopBalance(wallet.address);
  await claimable.click();
  await expect(page.getByTestId("notice")).toContainText(`Claimed stake ${stake!.id}`);
  const claimed = (await loopBalance(wallet.address)) - beforeClaim;
  expect(claimed).toBe(shown);
  expect(micro(await page.getByTestId("notice").innerText(), "Claimed stake \\d+:")).toBe(claimed);
  const after = (await stakesOf(wallet.address)).find((s) => s.id === stake!.id);
  expect(after?.finished).toBe(true);
  await expect(page.getByTestId(`claimable-${key}`)).toHaveText("claimed");
  await expect(page.getByTestId(`cert-status-${key}`)).toHaveText("expired");
});
