// A miner's stake checked in the browser as the contracts check it: the device's signature over
// the stake claim, the device id, the commitment digest and ek, the LOOP a stake needs, and the
// liquidity quotes' bounds. The vectors were written by the Rust side (loopin-web-fixture: the
// device keys, `loopin_prover::stake::signed_stake`, the registry's and the certificate's stored
// commitment of the fixture's device), so the browser's arithmetic is the contracts'.
import { describe, expect, it } from "vitest";
import { fromHex, toHex, toUtf8 } from "@cosmjs/encoding";
import type { IndexedTx } from "@cosmjs/stargate";
import type { PoolParams } from "../src/contracts/LoopinPair.types";
import {
  checkRegistration,
  checkTerms,
  commitmentDigest,
  decimalAtomics,
  decimalCeil,
  deriveEk,
  deviceFingerprint,
  deviceId,
  hoursPerEpoch,
  maintenance,
  matchingLiquidity,
  maxStakePrice,
  parseCommitment,
  parseStakeHook,
  poolOfHook,
  provideQuote,
  RefusedError,
  sellerDeposit,
  signedFor,
  slippageBps,
  stakeCost,
  stakeMsg,
  stakingFee,
  withdrawQuote,
} from "../src/miner";
import { formatTime, verdictsOf } from "../src/stakes";

const CHAIN = "loopin-devnet-1";
const PAIR = "loopin1qwlgtx52gsdu7dtp0cekka5zehdl0uj3fhp9acg325fvgs8jdzksnnqzpz";
const BOB = "loopin1szmcgze8z0n6l0n5hrs9n80twaaxqv8uphsuv2";
const ALICE = "loopin16rrc44wwf62n5qf28f9mjghqy0y3jdcy0xv76n";
const MINER = "loopin1m7cltwrw2n2ljqn7ajukzv4ezfdxlulej8xukj";

/** `loopin-prover stake-msg` of a device for bob: a seller, rate 1, 10 epochs. */
const BOB_HOOK = {
  stake: {
    commitment: "21df1b5e70bbe0f1c10dbde30dba95f891bb49b5afc380d1a30be8963a7461ed",
    device_id: "283cfbd9618a5db9f1f550f9f1020aa62e7a709e6e716570287785364888f1c1",
    device_key: "03ba84d57376b1eb76da8fc802c50281261732f46a0ab75cf0bc58939b3a1717e2",
    device_signature:
      "dde8dc8ee698b25a5577912b67cec2c51aa55d0af06ec9a4214f19ad34201b7205ee7303ddd033b1092b83210fda58a81a2fdf9b50ace8fa0d785878a8dafb39",
    epochs: 10,
    max_liquidity: null,
    mode: "seller",
    rate: "1",
  },
};

/** The same device's stake signed for alice. */
const ALICE_SIGNATURE =
  "dc8ce91127c3956d381c4aa45105e47b227a55a74e1c24c6128e08a4b904e38170272b40a099ac29c4cf32db2b9becdbc189ab0702896c25b6468c5c96159b35";

/** `loopin-prover commitment` of bob's device, whose ek was derived for bob in PAIR. */
const BOB_COMMITMENT = {
  device_pubkey: "03ba84d57376b1eb76da8fc802c50281261732f46a0ab75cf0bc58939b3a1717e2",
  ek: "dd300e2c261520d54c69da2ac502df1f",
  params: { blocks_per_lane: 256, blocks_per_leaf: 64, lanes: 4, rounds: 4 },
  root: "47484ae8dc056f33dbae57169245f11ef8e4f5e322412b5731550f43c7df41bd",
};
const BOB_RANDOMNESS = toHex(toUtf8("bob's device"));

/** The fixture's device as the registry stores it (Device query) and its certificate's digest. */
const REGISTERED = {
  fingerprint: "e02247fce6d35cbb38adf6a9f7b0557eb90284f13754d4297665f532186482d6",
  commitment: {
    params: { lanes: 4, blocks_per_lane: 256, rounds: 4, blocks_per_leaf: 64 },
    root: "ad07c0599a5ead8379ae972ca03bce5703c66e6a5c3014b7ea240742264f4b0e",
    ek: "8795484199417726126407856385011652825",
    pubkey: "03716f784aab5dafc7188f8fbd27adfc90e71e5bba95eb65d87b8412c6101fa3c6",
  },
  certificateCommitment: "7063ad70df0384781c503cc217dd31b9c9c0167b3a138a7beb94da83034bab2c",
};

/** The fixture's h100 class (its Config query). */
const PARAMS: PoolParams = {
  economics: { alpha: "8333.333333333333333333", beta: "100000", gamma: "500000" },
  exchange_fee: "0.003",
  epoch_seconds: 30,
  min_epochs: 3,
  max_epochs: 200,
  seller_deposit: "1000000",
  dispute_epochs: 0,
  min_lease_hours: "2083",
  min_rate: "0.1",
  max_rate: "1",
};

const hookText = (stake: Record<string, unknown> = {}) => JSON.stringify({ stake: { ...BOB_HOOK.stake, ...stake } });

describe("the stake hook", () => {
  it("verifies the device's signature for the chain, pair and staker it was made for, and no other", () => {
    const hook = parseStakeHook(hookText());
    expect(signedFor(hook, CHAIN, PAIR, BOB)).toBe(true);
    expect(signedFor(hook, CHAIN, PAIR, ALICE)).toBe(false);
    expect(signedFor(hook, "loopin-1", PAIR, BOB)).toBe(false);
    expect(signedFor(hook, CHAIN, PAIR.replace("zpz", "zpy"), BOB)).toBe(false);
    const forAlice = parseStakeHook(hookText({ device_signature: ALICE_SIGNATURE }));
    expect(signedFor(forAlice, CHAIN, PAIR, ALICE)).toBe(true);
    expect(signedFor(forAlice, CHAIN, PAIR, BOB)).toBe(false);
  });

  it("finds the pool it was signed for and refuses another staker's hook with what to do", () => {
    const pools = { a100: "loopin1other", h100: PAIR };
    expect(poolOfHook(parseStakeHook(hookText()), CHAIN, pools, BOB)).toBe("h100");
    const foreign = parseStakeHook(hookText({ device_signature: ALICE_SIGNATURE }));
    expect(() => poolOfHook(foreign, CHAIN, pools, BOB)).toThrow(RefusedError);
    expect(() => poolOfHook(foreign, CHAIN, pools, BOB)).toThrow(/not signed by its device for your address .*Nothing was signed/);
  });

  it("refuses terms changed after the device signed them", () => {
    for (const change of [{ epochs: 11 }, { mode: "liquidity_provider" }, { rate: "0.5" }]) {
      expect(signedFor(parseStakeHook(hookText(change)), CHAIN, PAIR, BOB)).toBe(false);
    }
    const other = "22" + BOB_HOOK.stake.commitment.slice(2);
    expect(signedFor(parseStakeHook(hookText({ commitment: other })), CHAIN, PAIR, BOB)).toBe(false);
  });

  it("takes the staker's bounds, outside the device's claim, and sends them as pasted", () => {
    const bounds = { min_shares: "3162277", max_price: "10100000", deadline: "1700000000000000000" };
    const hook = parseStakeHook(hookText(bounds));
    expect(signedFor(hook, CHAIN, PAIR, BOB)).toBe(true);
    expect(stakeMsg(hook).stake).toMatchObject(bounds);
  });

  it("refuses what is not a well-formed stake hook", () => {
    expect(() => parseStakeHook("ssh-ed25519 AAAA")).toThrow(/not JSON/);
    expect(() => parseStakeHook(JSON.stringify({ lease: {} }))).toThrow(/a lease hook, not a stake/);
    expect(() => parseStakeHook(JSON.stringify({ stake: {}, lease: {} }))).toThrow(/not a stake/);
    expect(() => parseStakeHook(hookText({ mode: "renter" }))).toThrow(/mode/);
    expect(() => parseStakeHook(hookText({ rate: 1 }))).toThrow(/rate/);
    expect(() => parseStakeHook(hookText({ epochs: -1 }))).toThrow(/epochs/);
    expect(() => parseStakeHook(hookText({ device_signature: "00" }))).toThrow(/device_signature must be 64 bytes/);
    expect(() => parseStakeHook(hookText({ extra: 1 }))).toThrow(/unknown fields: extra/);
    // The id is the key's: another key under this id is refused as the pair refuses it.
    expect(() => parseStakeHook(hookText({ device_key: REGISTERED.commitment.pubkey }))).toThrow(/not its key's/);
  });

  it("names the device by its key's fingerprint, as the registry does", () => {
    expect(deviceId(fromHex(REGISTERED.commitment.pubkey))).toBe(REGISTERED.fingerprint);
    expect(toHex(deviceFingerprint(fromHex(BOB_HOOK.stake.device_key)))).toBe(BOB_HOOK.stake.device_id);
  });

  it("refuses terms outside the class's bounds", () => {
    expect(() => checkTerms(parseStakeHook(hookText({ epochs: 2 })), PARAMS)).toThrow(/3 to 200 epochs/);
    expect(() => checkTerms(parseStakeHook(hookText({ rate: "0.05" })), PARAMS)).toThrow(/0.1 to 1/);
    expect(() => checkTerms(parseStakeHook(hookText()), PARAMS)).not.toThrow();
  });
});

describe("what a stake sends", () => {
  const rate = decimalAtomics("1");
  const reserves = { hours: "8333", tokens: "10000000" };

  it("computes hours, fee and upkeep as the pair rounds them", () => {
    // 30 s of one device-hour per hour: 8,333 micro-hours (rounded down).
    expect(hoursPerEpoch(rate, 30)).toBe(8_333n);
    expect(hoursPerEpoch(decimalAtomics("0.5"), 3_600)).toBe(500_000n);
    // alpha 8333.33… per unit of rate, rounded up: what the fixture's own stake burned.
    expect(stakingFee(PARAMS, rate)).toBe(8_334n);
    // beta 0.1 LOOP per device-hour over 10 epochs of 8,333 µh: 8,333 (exact).
    expect(maintenance(PARAMS, 8_333n, 10)).toBe(8_333n);
    expect(maintenance(PARAMS, 8_333n, 3)).toBe(2_500n);
    // The class's deposit per unit of rate is above the upkeep here; otherwise the upkeep.
    expect(sellerDeposit(PARAMS, rate, 8_333n, 10)).toBe(1_000_000n);
    expect(sellerDeposit(PARAMS, rate, 8_333n, 200)).toBe(1_000_000n);
    expect(sellerDeposit({ ...PARAMS, seller_deposit: "1000" }, rate, 8_333n, 200)).toBe(166_660n);
  });

  it("sends a seller's fee and deposit exactly", () => {
    const cost = stakeCost(parseStakeHook(hookText()), PARAMS, reserves, 100);
    expect(cost).toMatchObject({ hours: 8_333n, fee: 8_334n, deposit: 1_000_000n, upkeep: 8_333n, send: 1_008_334n });
  });

  it("sends a provider's fee and liquidity at the pool's price plus its slippage, within the hook's cap", () => {
    const provider = (stake: Record<string, unknown> = {}) => parseStakeHook(hookText({ mode: "liquidity_provider", ...stake }));
    expect(matchingLiquidity(reserves, 8_333n)).toBe(10_000_000n);
    expect(matchingLiquidity({ hours: "3", tokens: "10" }, 1n)).toBe(4n);
    const cost = stakeCost(provider(), PARAMS, reserves, 100);
    expect(cost).toMatchObject({ fee: 8_334n, liquidity: 10_000_000n, maxLiquidity: 10_100_000n, send: 10_108_334n });
    expect(stakeCost(provider({ max_liquidity: "10050000" }), PARAMS, reserves, 100).send).toBe(10_058_334n);
    expect(() => stakeCost(provider({ max_liquidity: "9999999" }), PARAMS, reserves, 100)).toThrow(/caps the liquidity/);
    // A pool without hours: the provider sets the price with what it chooses to bring.
    const empty = { hours: "0", tokens: "0" };
    expect(() => stakeCost(provider(), PARAMS, empty, 100)).toThrow(/sets its price/);
    expect(stakeCost(provider(), PARAMS, empty, 100, 5_000_000n).send).toBe(5_008_334n);
  });
});

describe("the device's registration", () => {
  it("digests a commitment as the certificate carries it, and derives ek as the registry does", () => {
    expect(toHex(commitmentDigest(REGISTERED.commitment))).toBe(REGISTERED.certificateCommitment);
    const ek = deriveEk(fromHex(REGISTERED.fingerprint), MINER, PAIR, toUtf8("randomness"));
    expect(ek.toString()).toBe(REGISTERED.commitment.ek);
  });

  it("reads loopin-prover commitment's JSON into the registry's form", () => {
    const msg = parseCommitment(JSON.stringify(BOB_COMMITMENT));
    expect(msg.pubkey).toBe(BOB_COMMITMENT.device_pubkey);
    expect(toHex(commitmentDigest(msg))).toBe(BOB_HOOK.stake.commitment);
    // The registry's own form reads the same.
    expect(parseCommitment(JSON.stringify(REGISTERED.commitment))).toEqual(REGISTERED.commitment);
    expect(() => parseCommitment("{}")).toThrow(/params/);
    expect(() => parseCommitment(JSON.stringify({ ...BOB_COMMITMENT, root: "00" }))).toThrow(/root must be 32 bytes/);
  });

  const input = {
    commitment: parseCommitment(JSON.stringify(BOB_COMMITMENT)),
    randomness: BOB_RANDOMNESS,
    endpoint: "http://127.0.0.1:7471",
    deviceId: BOB_HOOK.stake.device_id,
    certificateCommitment: BOB_HOOK.stake.commitment,
    pool: PAIR,
    miner: BOB,
  };

  it("accepts the stake's own device, commitment and ek", () => {
    expect(checkRegistration(input)).toEqual({ fingerprint: BOB_HOOK.stake.device_id, ekRandomness: BOB_RANDOMNESS });
  });

  it("refuses what the registry would refuse, before anything is signed", () => {
    expect(() => checkRegistration({ ...input, miner: ALICE })).toThrow(/ek was derived for another miner/);
    expect(() => checkRegistration({ ...input, randomness: "00" })).toThrow(/ek was derived/);
    expect(() => checkRegistration({ ...input, randomness: "xyz" })).toThrow(/must be hex/);
    expect(() => checkRegistration({ ...input, deviceId: REGISTERED.fingerprint })).toThrow(/another device/);
    expect(() => checkRegistration({ ...input, certificateCommitment: REGISTERED.certificateCommitment })).toThrow(/not the one the stake was made with/);
    expect(() => checkRegistration({ ...input, endpoint: "127.0.0.1:7471" })).toThrow(/endpoint/);
  });
});

describe("liquidity quotes and bounds", () => {
  it("quotes shares at the spot LOOP per share, rounded down", () => {
    expect(provideQuote(1_000_000n, 288_669n, 10_000_000n)).toBe(28_866n);
    expect(() => provideQuote(1n, 0n, 0n)).toThrow(/no price/);
  });

  it("quotes a withdrawal less the exit fee, rounded up against the provider", () => {
    expect(withdrawQuote(28_866n, 28_866n, 999_968n, "0.003")).toEqual({ gross: 999_968n, fee: 3_000n, out: 996_968n });
    expect(withdrawQuote(1n, 2n, 1_001n, "0.003")).toEqual({ gross: 500n, fee: 2n, out: 498n });
    expect(() => withdrawQuote(3n, 2n, 10n, "0.003")).toThrow(/2 shares held/);
  });

  it("takes a slippage of 0 to 50 %", () => {
    expect(slippageBps("1")).toBe(100);
    expect(slippageBps("0.25")).toBe(25);
    expect(() => slippageBps("51")).toThrow(/between 0 and 50/);
    expect(() => slippageBps("")).toThrow(/between 0 and 50/);
  });
});

describe("the device's verdicts", () => {
  const REGISTRY = "loopin1registry";
  const event = (attrs: Record<string, string>) => ({
    type: "wasm",
    attributes: Object.entries(attrs).map(([key, value]) => ({ key, value })),
  });
  const tx = (height: number, code: number, events: ReturnType<typeof event>[]): IndexedTx => ({
    height,
    txIndex: 0,
    hash: `H${height}`,
    code,
    events,
    rawLog: "",
    msgResponses: [],
    gasUsed: 0n,
    gasWanted: 0n,
    tx: new Uint8Array(),
  });

  it("lists the registry's Submit verdicts on the device, newest first, and nothing else", () => {
    const submit = (id: string, target: string, extra: Record<string, string>) =>
      event({ _contract_address: REGISTRY, action: "submit", challenge_id: id, verifier: "loopin1v", target, ...extra });
    const txs = [
      tx(10, 0, [submit("1", "h100-2", { verdict: "pass", latency_ms: "120" })]),
      tx(12, 0, [submit("2", "h100-2", { verdict: "bad_proof", outcome: "refuted" })]),
      tx(13, 0, [submit("3", "h100-3", { verdict: "late" })]),
      tx(14, 5, [submit("4", "h100-2", { verdict: "late" })]),
      tx(15, 0, [event({ _contract_address: "loopin1other", action: "submit", target: "h100-2", verdict: "pass" })]),
    ];
    expect(verdictsOf(txs, REGISTRY, "h100-2")).toEqual([
      { height: 12, hash: "H12", challengeId: "2", verdict: "bad_proof", outcome: "refuted", latencyMs: undefined, verifier: "loopin1v" },
      { height: 10, hash: "H10", challengeId: "1", verdict: "pass", latencyMs: "120", outcome: undefined, verifier: "loopin1v" },
    ]);
  });

  it("shows a certificate's expiry in UTC", () => {
    expect(formatTime("1796564669000000000")).toBe("2026-12-06 13:44:29 UTC");
  });
});

describe("a provider's stake signs its price bound", () => {
  const hours = 8_333n;
  const reserves = { hours: "8333", tokens: "10000000" };

  it("matches at most the spot price plus the slippage allowance, per device-hour", () => {
    // 10 LOOP for 0.008333 h: 1,200,048.0019... smallest units per hour; +1 % rounded up.
    const bound = maxStakePrice({ hours, fee: 0n, send: 0n }, reserves, 100);
    expect(bound).toBe(decimalCeil(10_000_000n * 1_000_000n * 10_100n, 8_333n * 10_000n));
    expect(Number(bound)).toBeCloseTo((10_000_000 / 0.008333) * 1.01, 0);
  });

  it("bounds the price its own deposit sets in a pool with no hours", () => {
    const empty = { hours: "0", tokens: "5000000" };
    const bound = maxStakePrice({ hours, fee: 0n, liquidity: 5_000_000n, send: 0n }, empty, 0);
    expect(bound).toBe(decimalCeil(10_000_000n * 1_000_000n, hours));
  });

  it("adds the bounds to a provider's hook only, keeping what the pasted hook says", () => {
    const base = { device_id: "d", mode: "liquidity_provider" };
    const hook = { mode: "liquidity_provider", raw: base } as unknown as Parameters<typeof stakeMsg>[0];
    const bounds = { maxPrice: "12.5", deadline: "1700000300000000000" };
    expect(stakeMsg(hook, bounds)).toEqual({ stake: { max_price: "12.5", deadline: "1700000300000000000", ...base } });
    const pasted = { ...hook, raw: { ...base, max_price: "11" } };
    expect(stakeMsg(pasted, bounds).stake.max_price).toBe("11");
    const seller = { ...hook, mode: "seller", raw: base } as unknown as Parameters<typeof stakeMsg>[0];
    expect(stakeMsg(seller, bounds)).toEqual({ stake: base });
  });

  it("writes decimals as cosmwasm does, rounded up", () => {
    expect(decimalCeil(1n, 3n)).toBe("0.333333333333333334");
    expect(decimalCeil(10n, 2n)).toBe("5");
  });
});
