// A miner's stake as the pair takes it, checked in the browser before anything is signed: the
// Stake hook `loopin-prover stake-msg` prints (the device's consent, signed by its key over the
// chain, pair, staker, commitment and terms), the LOOP the stake needs (the pair's own arithmetic,
// contracts/pair/src/staking.rs), the registry's RegisterDevice from `loopin-prover commitment`'s
// JSON, and the liquidity quotes with their bounds.
import { fromHex, toHex, toUtf8 } from "@cosmjs/encoding";
import { Secp256k1, Secp256k1Signature } from "@cosmjs/crypto";
import { sha256 } from "@noble/hashes/sha2.js";
import type { PoolParams, Reserves, StakeMode } from "./contracts/LoopinPair.types";
import type { CommitmentMsg } from "./contracts/LoopinPocpsRegistry.types";

/** One device-hour in micro-hours, the pair's unit of hours. */
export const HOUR = 1_000_000n;
const SECONDS_PER_HOUR = 3_600n;
/** cosmwasm_std::Decimal's fixed point. */
const DECIMAL = 10n ** 18n;

/** Why a pasted hook or commitment is refused: nothing is signed after it. */
export class RefusedError extends Error {}

// ---------------------------------------------------------------------------------------------
// cosmwasm_std arithmetic, as the contracts round it.

/** A cosmwasm Decimal ("1", "0.5", "8333.333333333333333333") as its 18-decimal atomics. */
export function decimalAtomics(text: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,18}))?$/.exec(text);
  if (!match) throw new RefusedError(`"${text}" is not a decimal`);
  return BigInt(match[1]) * DECIMAL + BigInt((match[2] ?? "").padEnd(18, "0"));
}

/** Decimal × Decimal, rounded down (Decimal::checked_mul). */
function decMul(a: bigint, b: bigint): bigint {
  return (a * b) / DECIMAL;
}

/** Decimal::to_uint_ceil. */
function ceilUint(atomics: bigint): bigint {
  return (atomics + DECIMAL - 1n) / DECIMAL;
}

function mulDivCeil(a: bigint, b: bigint, c: bigint): bigint {
  return (a * b + c - 1n) / c;
}

// ---------------------------------------------------------------------------------------------
// The Stake hook.

/** A Stake hook's fields, decoded. */
export interface StakeHook {
  deviceId: string;
  mode: StakeMode;
  /** The rate as written (a Decimal) and its atomics. */
  rate: string;
  rateAtomics: bigint;
  epochs: number;
  commitment: Uint8Array;
  maxLiquidity?: bigint;
  deviceKey: Uint8Array;
  signature: Uint8Array;
  /** The `stake` object as pasted: sent unchanged. */
  raw: Record<string, unknown>;
}

function hexField(value: unknown, name: string, bytes: number): Uint8Array {
  if (typeof value !== "string" || !/^[0-9a-fA-F]*$/.test(value) || value.length !== bytes * 2) {
    throw new RefusedError(`the hook's ${name} must be ${bytes} bytes of hex`);
  }
  return fromHex(value);
}

/** Parses the JSON `loopin-prover stake-msg` printed; refuses anything but a well-formed Stake hook. */
export function parseStakeHook(text: string): StakeHook {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RefusedError("not JSON: paste what loopin-prover stake-msg printed");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new RefusedError("not a pair hook: paste what loopin-prover stake-msg printed");
  }
  const keys = Object.keys(json);
  if (keys.length !== 1 || keys[0] !== "stake") {
    throw new RefusedError(`a ${keys.join(", ") || "empty"} hook, not a stake: paste what loopin-prover stake-msg printed`);
  }
  const raw = (json as { stake: unknown }).stake;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new RefusedError("the stake hook is empty");
  const stake = raw as Record<string, unknown>;
  // The last three are the staker's bounds, outside the device's claim (sent as pasted).
  const known = [
    "device_id",
    "mode",
    "rate",
    "epochs",
    "commitment",
    "max_liquidity",
    "device_key",
    "device_signature",
    "min_shares",
    "max_price",
    "deadline",
  ];
  const unknown = Object.keys(stake).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new RefusedError(`the stake hook has unknown fields: ${unknown.join(", ")}`);
  if (stake.mode !== "liquidity_provider" && stake.mode !== "seller") {
    throw new RefusedError("the hook's mode must be liquidity_provider or seller");
  }
  if (typeof stake.rate !== "string") throw new RefusedError("the hook's rate must be a decimal string");
  const rateAtomics = decimalAtomics(stake.rate);
  if (typeof stake.epochs !== "number" || !Number.isSafeInteger(stake.epochs) || stake.epochs <= 0) {
    throw new RefusedError("the hook's epochs must be a positive whole number");
  }
  let maxLiquidity: bigint | undefined;
  if (stake.max_liquidity !== undefined && stake.max_liquidity !== null) {
    if (typeof stake.max_liquidity !== "string" || !/^\d+$/.test(stake.max_liquidity)) {
      throw new RefusedError("the hook's max_liquidity must be a whole number of the smallest unit");
    }
    maxLiquidity = BigInt(stake.max_liquidity);
  }
  const deviceKey = hexField(stake.device_key, "device_key", 33);
  if (deviceKey[0] !== 2 && deviceKey[0] !== 3) throw new RefusedError("the hook's device_key must be a compressed key");
  if (typeof stake.device_id !== "string") throw new RefusedError("the hook has no device_id");
  const expected = deviceId(deviceKey);
  if (stake.device_id !== expected) {
    throw new RefusedError(`the hook's device_id is not its key's (${expected}): the pair would refuse it`);
  }
  return {
    deviceId: stake.device_id,
    mode: stake.mode,
    rate: stake.rate,
    rateAtomics,
    epochs: stake.epochs,
    commitment: hexField(stake.commitment, "commitment", 32),
    maxLiquidity,
    deviceKey,
    signature: hexField(stake.device_signature, "device_signature", 64),
    raw: stake,
  };
}

function u64le(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n, true);
  return out;
}

function u32le(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

function u128le(n: bigint): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

function fromLe(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Each part prefixed with its length (u64, little-endian), as the contracts hash them. */
function prefixed(parts: Uint8Array[]): Uint8Array {
  return concat(parts.flatMap((p) => [u64le(BigInt(p.length)), p]));
}

/** loopin_pocps::sig::device_fingerprint: the registry's fingerprint of a device key. */
export function deviceFingerprint(pubkey: Uint8Array): Uint8Array {
  return sha256(concat([toUtf8("loopin-pocps/device-fingerprint/v1"), prefixed([pubkey])]));
}

/** loopin::device::device_id: hex of the key's fingerprint. */
export function deviceId(pubkey: Uint8Array): string {
  return toHex(deviceFingerprint(pubkey));
}

/** What the device signs to let `staker` stake it in `pair` of `chainId` (loopin::device::StakeClaim). */
export function stakeClaimMessage(hook: StakeHook, chainId: string, pair: string, staker: string): Uint8Array {
  return sha256(
    concat([
      toUtf8("loopin-pair/stake-claim/v1"),
      prefixed([
        toUtf8(chainId),
        toUtf8(pair),
        toUtf8(hook.deviceId),
        toUtf8(staker),
        hook.commitment,
        toUtf8(hook.mode),
        u128le(hook.rateAtomics),
        u64le(BigInt(hook.epochs)),
      ]),
    ]),
  );
}

/** Whether the hook's device signature holds for this chain, pair and staker: what the pair checks. */
export function signedFor(hook: StakeHook, chainId: string, pair: string, staker: string): boolean {
  try {
    const signature = Secp256k1Signature.fromFixedLength(hook.signature);
    return Secp256k1.verifySignature(signature, stakeClaimMessage(hook, chainId, pair, staker), hook.deviceKey);
  } catch {
    return false;
  }
}

/**
 * The pool (GPU class) whose pair the device signed this stake for, by `staker` on `chainId`; a
 * hook made for another staker, pool or chain is refused: the pair would refuse it too.
 */
export function poolOfHook(hook: StakeHook, chainId: string, pools: Record<string, string>, staker: string): string {
  for (const [gpuClass, pair] of Object.entries(pools)) {
    if (signedFor(hook, chainId, pair, staker)) return gpuClass;
  }
  throw new RefusedError(
    `This stake was not signed by its device for your address ${staker} in a pool of ${chainId}: ` +
      `it was made for another staker, pool or chain, and the pair would refuse it. Nothing was signed. ` +
      `On the device, run loopin-prover stake-msg --staker ${staker} --pair <the pool's address>.`,
  );
}

/** Refuses terms outside the class's bounds (what the pair refuses). */
export function checkTerms(hook: StakeHook, params: PoolParams): void {
  if (hook.epochs < params.min_epochs || hook.epochs > params.max_epochs) {
    throw new RefusedError(`a stake runs ${params.min_epochs} to ${params.max_epochs} epochs in this pool, not ${hook.epochs}`);
  }
  const min = decimalAtomics(params.min_rate ?? "0.1");
  const max = decimalAtomics(params.max_rate ?? "1");
  if (hook.rateAtomics < min || hook.rateAtomics > max) {
    throw new RefusedError(`a stake's rate is ${params.min_rate ?? "0.1"} to ${params.max_rate ?? "1"} device-hours per hour here, not ${hook.rate}`);
  }
}

// ---------------------------------------------------------------------------------------------
// What a stake needs (contracts/pair/src/staking.rs).

/** Micro-hours a stake of `rateAtomics` supplies per epoch (pool_math::capacity::hours_per_epoch). */
export function hoursPerEpoch(rateAtomics: bigint, epochSeconds: number): bigint {
  return (rateAtomics * BigInt(epochSeconds) * HOUR) / (SECONDS_PER_HOUR * DECIMAL);
}

/** The staking fee, burned: alpha × rate, rounded up. */
export function stakingFee(params: PoolParams, rateAtomics: bigint): bigint {
  return ceilUint(decMul(decimalAtomics(params.economics.alpha), rateAtomics));
}

/** The maintenance burn of `hours` per epoch over `epochs`: beta per device-hour, rounded up. */
export function maintenance(params: PoolParams, hours: bigint, epochs: number): bigint {
  // Decimal::from_ratio(micro-hours, HOUR): exact in atomics.
  const deviceHours = (hours * BigInt(epochs) * DECIMAL) / HOUR;
  return ceilUint(decMul(decimalAtomics(params.economics.beta), deviceHours));
}

/** A seller's deposit: the class's deposit per unit of rate (rounded up), at least its maintenance. */
export function sellerDeposit(params: PoolParams, rateAtomics: bigint, hours: bigint, epochs: number): bigint {
  const perRate = mulDivCeil(BigInt(params.seller_deposit), rateAtomics, DECIMAL);
  const upkeep = maintenance(params, hours, epochs);
  return perRate > upkeep ? perRate : upkeep;
}

/** LOOP a provider's hours must bring at the pool's price; undefined while the pool has no hours (it sets the price). */
export function matchingLiquidity(reserves: Reserves, hours: bigint): bigint | undefined {
  const poolHours = BigInt(reserves.hours);
  if (poolHours === 0n) return undefined;
  return mulDivCeil(hours, BigInt(reserves.tokens), poolHours);
}

/** What a stake sends and why. */
export interface StakeCost {
  hours: bigint;
  fee: bigint;
  /** A provider's LOOP side now (the quote), or what it chose to bring when it sets the price. */
  liquidity?: bigint;
  /** The most the provider lets the pool take: the quote plus slippage, within the hook's cap. */
  maxLiquidity?: bigint;
  /** A seller's maintenance deposit and what the end of the stake burns of it. */
  deposit?: bigint;
  upkeep?: bigint;
  /** LOOP sent with the hook: the pair refunds what it does not take. */
  send: bigint;
}

/**
 * The LOOP a stake sends: the fee and a seller's deposit exactly, or the fee and a provider's
 * liquidity at the pool's price plus the slippage allowance (the pair takes what its hours match
 * at execution, at most what is sent, and refunds the rest). With no hours in the pool a provider
 * sets the price with `initialLiquidity`.
 */
export function stakeCost(
  hook: StakeHook,
  params: PoolParams,
  reserves: Reserves,
  slippageBps: number,
  initialLiquidity?: bigint,
): StakeCost {
  const hours = hoursPerEpoch(hook.rateAtomics, params.epoch_seconds);
  if (hours === 0n) throw new RefusedError("the rate supplies no hours in an epoch");
  const fee = stakingFee(params, hook.rateAtomics);
  if (hook.mode === "seller") {
    const deposit = sellerDeposit(params, hook.rateAtomics, hours, hook.epochs);
    return { hours, fee, deposit, upkeep: maintenance(params, hours, hook.epochs), send: fee + deposit };
  }
  const matching = matchingLiquidity(reserves, hours);
  if (matching === undefined) {
    if (initialLiquidity === undefined || initialLiquidity === 0n) {
      throw new RefusedError("the pool has no hours: a provider sets its price, so say how much LOOP to bring");
    }
    const liquidity = hook.maxLiquidity !== undefined && hook.maxLiquidity < initialLiquidity ? hook.maxLiquidity : initialLiquidity;
    return { hours, fee, liquidity, maxLiquidity: liquidity, send: fee + liquidity };
  }
  if (hook.maxLiquidity !== undefined && hook.maxLiquidity < matching) {
    throw new RefusedError(`the hook caps the liquidity at ${hook.maxLiquidity} but the pool's price needs ${matching} now`);
  }
  let bound = (matching * BigInt(10_000 + slippageBps) + 9_999n) / 10_000n;
  if (hook.maxLiquidity !== undefined && hook.maxLiquidity < bound) bound = hook.maxLiquidity;
  return { hours, fee, liquidity: matching, maxLiquidity: bound, send: fee + bound };
}

/** A Decimal string (18 places, as cosmwasm's Decimal) of num / den, rounded up. */
export function decimalCeil(num: bigint, den: bigint): string {
  const scaled = (num * 10n ** 18n + den - 1n) / den;
  const whole = scaled / 10n ** 18n;
  const fraction = (scaled % 10n ** 18n).toString().padStart(18, "0").replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole.toString();
}

/**
 * The most LOOP (smallest unit) per device-hour a provider's stake accepts: the price it matches
 * now (or, with no hours listed, the price its deposit sets) plus the slippage allowance. The pair
 * refuses the stake above it, so a lease pumping the price just before it takes nothing
 * (docs/pair.md).
 */
export function maxStakePrice(cost: StakeCost, reserves: Reserves, slippageBps: number): string {
  const tokens = reserves.hours === "0" ? BigInt(reserves.tokens) + (cost.liquidity ?? 0n) : BigInt(reserves.tokens);
  const hours = reserves.hours === "0" ? cost.hours : BigInt(reserves.hours);
  // LOOP's smallest unit per micro-hour x 1e6 = per device-hour.
  return decimalCeil(tokens * 1_000_000n * BigInt(10_000 + slippageBps), hours * 10_000n);
}

/**
 * The pair's Stake hook to send: the device-signed terms as pasted, and for a provider the bounds
 * the user signs beside them (outside the device's claim) where the pasted hook has none: the
 * price bound and a deadline (CosmWasm's nanosecond timestamp).
 */
export function stakeMsg(hook: StakeHook, bounds?: { maxPrice: string; deadline: string }) {
  if (hook.mode !== "liquidity_provider" || !bounds) return { stake: hook.raw };
  return {
    stake: {
      max_price: bounds.maxPrice,
      deadline: bounds.deadline,
      ...hook.raw,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The registry's RegisterDevice.

/** PoCPS commitment digest (loopin_pocps::proof::Commitment::digest): what a certificate carries. */
export function commitmentDigest(c: CommitmentMsg): Uint8Array {
  const p = c.params;
  const pubkey = fromHex(c.pubkey);
  return sha256(
    concat([
      toUtf8("loopin-pocps/commitment/v2"),
      u32le(p.lanes),
      u32le(p.blocks_per_lane),
      u32le(p.rounds),
      u32le(p.blocks_per_leaf),
      fromHex(c.root),
      u128le(BigInt(c.ek)),
      u64le(BigInt(pubkey.length)),
      pubkey,
    ]),
  );
}

/** loopin_pocps::encode::derive_ek: the encoding key bound to the device, miner, pool and randomness. */
export function deriveEk(fingerprint: Uint8Array, miner: string, pool: string, randomness: Uint8Array): bigint {
  const h = sha256(prefixed([fingerprint, toUtf8(miner), toUtf8(pool), randomness]));
  return fromLe(h.slice(0, 16)) & ((1n << 126n) - 1n);
}

function isUint(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value < 2 ** 32;
}

/**
 * The registry's commitment from `loopin-prover commitment`'s JSON (params, root, ek as 16
 * little-endian bytes of hex, device_pubkey), or from the registry's own form (ek a decimal,
 * pubkey).
 */
export function parseCommitment(text: string): CommitmentMsg {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RefusedError("not JSON: paste what loopin-prover commitment printed");
  }
  if (typeof json !== "object" || json === null) throw new RefusedError("paste what loopin-prover commitment printed");
  const params = json.params as Record<string, unknown> | undefined;
  if (
    !params ||
    !isUint(params.lanes) ||
    !isUint(params.blocks_per_lane) ||
    !isUint(params.rounds) ||
    !isUint(params.blocks_per_leaf)
  ) {
    throw new RefusedError("the commitment's params must be lanes, blocks_per_lane, rounds and blocks_per_leaf");
  }
  const root = toHex(hexField(json.root, "root", 32));
  let ek: bigint;
  let pubkeyHex: unknown;
  if ("device_pubkey" in json) {
    ek = fromLe(hexField(json.ek, "ek", 16));
    pubkeyHex = json.device_pubkey;
  } else {
    if (typeof json.ek !== "string" || !/^\d+$/.test(json.ek)) throw new RefusedError("the commitment's ek must be a number");
    ek = BigInt(json.ek);
    pubkeyHex = json.pubkey;
  }
  if (typeof pubkeyHex !== "string" || !/^[0-9a-fA-F]+$/.test(pubkeyHex) || ![66, 130].includes(pubkeyHex.length)) {
    throw new RefusedError("the commitment's device key must be 33 or 65 bytes of hex");
  }
  return {
    params: {
      lanes: params.lanes,
      blocks_per_lane: params.blocks_per_lane,
      rounds: params.rounds,
      blocks_per_leaf: params.blocks_per_leaf,
    },
    root,
    ek: ek.toString(),
    pubkey: pubkeyHex.toLowerCase(),
  };
}

/** What RegisterDevice needs besides the commitment. */
export interface RegistrationInput {
  commitment: CommitmentMsg;
  /** The ek randomness (identity.randomness of the prover's config), hex. */
  randomness: string;
  endpoint: string;
  /** The certificate's device id and commitment digest (hex), its pool, and the sender. */
  deviceId: string;
  certificateCommitment: string;
  pool: string;
  miner: string;
}

/** Checks what the registry checks, so a mismatch is refused before anything is signed. */
export function checkRegistration(input: RegistrationInput): { fingerprint: string; ekRandomness: string } {
  const randomness = input.randomness.trim();
  if (!/^([0-9a-fA-F]{2})*$/.test(randomness) || randomness.length > 128) {
    throw new RefusedError("the ek randomness must be hex (at most 64 bytes): identity.randomness of the prover's config");
  }
  const endpoint = input.endpoint.trim();
  if (!/^https?:\/\/\S+$/.test(endpoint) || endpoint.length > 256) {
    throw new RefusedError("the endpoint must be the prover's http(s) URL");
  }
  const fingerprint = deviceFingerprint(fromHex(input.commitment.pubkey));
  if (toHex(fingerprint) !== input.deviceId) {
    throw new RefusedError("this commitment names another device than the stake's: the registry would refuse it");
  }
  if (toHex(commitmentDigest(input.commitment)) !== input.certificateCommitment.toLowerCase()) {
    throw new RefusedError("this commitment is not the one the stake was made with: the registry would refuse it");
  }
  const ek = deriveEk(fingerprint, input.miner, input.pool, fromHex(randomness));
  if (ek.toString() !== input.commitment.ek) {
    throw new RefusedError(
      "the commitment's ek was derived for another miner, pool or randomness: check identity.miner, identity.pool and identity.randomness of the prover's config",
    );
  }
  return { fingerprint: toHex(fingerprint), ekRandomness: randomness.toLowerCase() };
}

// ---------------------------------------------------------------------------------------------
// Passive liquidity (contracts/pair/src/liquidity.rs).

/** Shares `amount` LOOP buys at the pool's spot LOOP per share (never more are minted), rounded down. */
export function provideQuote(amount: bigint, totalShares: bigint, tokens: bigint): bigint {
  if (totalShares === 0n || tokens === 0n) throw new RefusedError("the pool has no price yet: no liquidity can be added");
  return (amount * totalShares) / tokens;
}

/** What withdrawing `shares` of `held` pays now, worth `value` before the exit fee (the Liquidity query). */
export function withdrawQuote(shares: bigint, held: bigint, value: bigint, exchangeFee: string): { gross: bigint; fee: bigint; out: bigint } {
  if (shares <= 0n || shares > held) throw new RefusedError(`${held} shares held`);
  const gross = (shares * value) / held;
  const fee = ceilUint(decimalAtomics(exchangeFee) * gross);
  return { gross, fee, out: gross > fee ? gross - fee : 0n };
}

/** Refuses a slippage outside 0–50 %; basis points. */
export function slippageBps(text: string): number {
  const bps = Math.round(Number(text) * 100);
  if (text.trim() === "" || !Number.isFinite(bps) || bps < 0 || bps > 5_000) {
    throw new RefusedError("slippage must be between 0 and 50 %");
  }
  return bps;
}
