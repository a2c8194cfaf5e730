// Passive liquidity on a real wasmd chain: provide LOOP for at least the shares signed for and
// withdraw them for at least the LOOP signed for; what moved is checked against the chain's
// balances and the account's shares, the quote and the signed bound; a provision the account
// cannot pay is refused before anything is signed.
import { expect, test, type Page } from "@playwright/test";
import { fixture } from "./fixture";
import { chain, connectWallet, loopBalance, openApp, screenshot } from "./app";
import type { TestWallet } from "./wallet";

test.describe.configure({ mode: "serial" });

async function sharesOf(owner: string): Promise<bigint> {
  const { shares } = await (await chain()).queryContractSmart(fixture().pair, { liquidity: { owner } });
  return BigInt(shares);
}

async function open(page: Page, who: "alice" | "bob"): Promise<TestWallet> {
  const wallet = await openApp(page, who);
  await connectWallet(page, wallet!);
  return wallet!;
}

const data = async (page: Page, id: string, attr: string) => BigInt((await page.getByTestId(id).getAttribute(attr)) ?? "-1");

/** LOOP in a notice after `marker`, in its smallest unit. */
function micro(text: string, marker: string): bigint {
  const found = new RegExp(`${marker} (\\d+(?:\\.\\d+)?) LOOP`).exec(text);
  if (!found) throw new Error(`no "${marker} … LOOP" in ${text}`);
  const [whole, fraction = ""] = found[1].split(".");
  return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, "0"));
}

test("a provider adds LOOP for at least the shares signed for, then withdraws for at least the LOOP signed for", async ({ page }) => {
  const wallet = await open(page, "alice");
  expect(await sharesOf(wallet.address)).toBe(0n);
  await expect(page.getByTestId("lp-shares")).toHaveText("0");

  // Provide 2 LOOP with 1 % slippage.
  await page.getByTestId("provide-amount").fill("2");
  await page.getByTestId("provide-slippage").fill("1");
  await page.getByTestId("provide-quote-button").click();
  await expect(page.getByTestId("provide-quote")).toContainText("you sign for at least");
  const before = await loopBalance(wallet.address);
  await page.getByTestId("provide-button").click();
  await expect(page.getByTestId("notice")).toContainText("Provided 2 LOOP");
  // The quote and bound the provision was signed with (re-quoted at signing).
  const quoted = await data(page, "provide-quote", "data-shares");
  const minShares = await data(page, "provide-quote", "data-min-shares");
  expect(minShares).toBe((quoted * 9_900n) / 10_000n);
  // Exactly the LOOP provided left the account, for shares between the bound and the quote.
  expect(before - (await loopBalance(wallet.address))).toBe(2_000_000n);
  const shares = await sharesOf(wallet.address);
  expect(shares >= minShares && shares <= quoted).toBe(true);
  expect(await page.getByTestId("notice").innerText()).toContain(`: ${shares} shares`);
  await expect(page.getByTestId("lp-shares")).toHaveText(String(shares));
  await screenshot(page, "liquidity");

  // Withdraw them all with 1 % slippage.
  await page.getByTestId("withdraw-slippage").fill("1");
  await page.getByTestId("withdraw-quote-button").click();
  await expect(page.getByTestId("withdraw-quote")).toContainText("you sign for at least");
  const beforeWithdraw = await loopBalance(wallet.address);
  await page.getByTestId("withdraw-button").click();
  await expect(page.getByTestId("notice")).toContainText(`Withdrew ${shares} shares`);
  const out = await data(page, "withdraw-quote", "data-out");
  const minOut = await data(page, "withdraw-quote", "data-min-out");
  expect(minOut).toBe((out * 9_900n) / 10_000n);
  const received = (await loopBalance(wallet.address)) - beforeWithdraw;
  // What came in is what the page says came in, at least the bound signed, within the slippage
  // of the quote, and less than was provided (the exit fee is burned).
  expect(micro(await page.getByTestId("notice").innerText(), "received")).toBe(received);
  expect(received >= minOut).toBe(true);
  expect(received * 10_000n <= out * 10_100n).toBe(true);
  expect(received < 2_000_000n).toBe(true);
  expect(await sharesOf(wallet.address)).toBe(0n);
  await expect(page.getByTestId("lp-shares")).toHaveText("0");
});

test("a provision beyond the account's LOOP is refused before anything is signed", async ({ page }) => {
  const wallet = await open(page, "bob");
  const before = await loopBalance(wallet.address);
  await page.getByTestId("provide-amount").fill("2000000");
  await page.getByTestId("provide-button").click();
  await expect(page.getByTestId("problem")).toHaveAttribute("data-kind", "insufficient-funds");
  await expect(page.getByTestId("problem")).toContainText("Nothing was sent");
  expect(wallet.requests).not.toContain("signDirect");
  expect(await loopBalance(wallet.address)).toBe(before);
  expect(await sharesOf(wallet.address)).toBe(0n);
  // Nothing to withdraw: the withdrawal is not offered.
  await expect(page.getByTestId("withdraw-button")).toBeDisabled();
});
