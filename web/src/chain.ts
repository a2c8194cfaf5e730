// The chain through cosmjs: a read client on the node's CometBFT RPC, a signing client over the
// wallet's offline signer, and LOOP sent with a cw20 hook (how leases, stakes and liquidity reach
// a pool).
import { CosmWasmClient, SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import type { ExecuteResult } from "@cosmjs/cosmwasm-stargate";
import type { OfflineSigner } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { toBase64, toUtf8 } from "@cosmjs/encoding";
import type { AppConfig } from "./config";
import { ProblemError } from "./problems";

/** Connects to the node and checks it serves the configured chain. */
export async function readClient(config: AppConfig): Promise<CosmWasmClient> {
  const rpc = config.chain.rpc;
  let client: CosmWasmClient;
  let chainId: string;
  try {
    client = await CosmWasmClient.connect(rpc);
    chainId = await client.getChainId();
  } catch (error) {
    throw new ProblemError({ kind: "unreachable", url: rpc, detail: String(error) });
  }
  if (chainId !== config.chain.chainId) {
    throw new ProblemError({ kind: "wrong-chain", expected: config.chain.chainId, actual: chainId });
  }
  return client;
}

export async function signingClient(config: AppConfig, signer: OfflineSigner): Promise<SigningCosmWasmClient> {
  try {
    return await SigningCosmWasmClient.connectWithSigner(config.chain.rpc, signer, {
      gasPrice: GasPrice.fromString(config.gasPrice),
    });
  } catch (error) {
    throw new ProblemError({ kind: "unreachable", url: config.chain.rpc, detail: String(error) });
  }
}

/** What an account holds: LOOP and the fee token, in their smallest units. */
export interface Balances {
  loop: bigint;
  fee: bigint;
}

export async function balances(client: CosmWasmClient, config: AppConfig, address: string): Promise<Balances> {
  const feeDenom = config.chain.feeCurrencies[0].coinMinimalDenom;
  const [loop, fee] = await Promise.all([
    client.queryContractSmart(config.token.address, { balance: { address } }) as Promise<{ balance: string }>,
    client.getBalance(address, feeDenom),
  ]);
  return { loop: BigInt(loop.balance), fee: BigInt(fee.amount) };
}

/** Refuses, before the wallet is asked, what the account cannot pay: nothing is sent. */
export function ensureFunds(held: Balances, loopNeeded: bigint, config: AppConfig): void {
  const fee = config.chain.feeCurrencies[0];
  if (held.fee === 0n) {
    throw new ProblemError({
      kind: "insufficient-funds",
      detail: `the account holds no ${fee.coinDenom} to pay the transaction fee`,
    });
  }
  if (held.loop < loopNeeded) {
    throw new ProblemError({
      kind: "insufficient-funds",
      detail: `the account holds ${formatLoop(held.loop, config)} and this needs up to ${formatLoop(loopNeeded, config)}`,
    });
  }
}

/** Block time of the latest block, seconds. */
export async function chainTime(client: CosmWasmClient): Promise<number> {
  const block = await client.getBlock();
  return Math.floor(Date.parse(block.header.time) / 1000);
}

/** Sends `amount` LOOP to `contract` with the cw20 hook `msg`. */
export async function sendWithHook(
  client: SigningCosmWasmClient,
  sender: string,
  config: AppConfig,
  contract: string,
  amount: bigint,
  msg: object,
): Promise<ExecuteResult> {
  const send = { send: { contract, amount: amount.toString(), msg: toBase64(toUtf8(JSON.stringify(msg))) } };
  return client.execute(sender, config.token.address, send, config.gasAdjustment);
}

/** A wasm event attribute of a transaction. */
export function wasmAttribute(result: ExecuteResult, key: string): string | undefined {
  for (const event of result.events) {
    if (event.type !== "wasm") continue;
    const found = event.attributes.find((a) => a.key === key);
    if (found) return found.value;
  }
  return undefined;
}

/** LOOP in its display unit, e.g. "12.5 LOOP". */
export function formatLoop(amount: bigint | string, config: AppConfig): string {
  return `${formatUnits(BigInt(amount), config.token.decimals)} ${config.token.symbol}`;
}

/** Micro-hours as device-hours, e.g. "0.004166 h". */
export function formatHours(microHours: bigint | string): string {
  return `${formatUnits(BigInt(microHours), 6)} h`;
}

export function formatUnits(amount: bigint, decimals: number): string {
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  const fraction = (abs % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? "." + fraction : ""}`;
}

/** "0.5" (display units) to the smallest unit; throws on more decimals than the unit has. */
export function parseUnits(text: string, decimals: number): bigint {
  const match = /^\s*(\d+)(?:\.(\d*))?\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a positive number`);
  const fraction = match[2] ?? "";
  if (fraction.length > decimals) throw new Error(`at most ${decimals} decimals`);
  return BigInt(match[1]) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
}

/** How long a quote waits for the pool's keeper to process a due epoch boundary. */
const BOUNDARY_WAIT_MS = 20_000;

/**
 * Runs a pool query that the pair refuses while an epoch boundary is due ("... epoch boundaries
 * are due"): right after a boundary, until the keeper's AdvanceEpoch, a quote would describe the
 * wrong epoch. Waits for the boundary to be processed, then asks again.
 */
export async function whenCurrent<T>(query: () => Promise<T>): Promise<T> {
  const until = Date.now() + BOUNDARY_WAIT_MS;
  for (;;) {
    try {
      return await query();
    } catch (error) {
      if (!/epoch boundaries are due/.test(String(error))) throw error;
      if (Date.now() > until) {
        throw new ProblemError({
          kind: "other",
          detail:
            "The pool's epoch boundary is due and no keeper has processed it for 20 s: quotes wait for it. Anyone may process it (the pair's AdvanceEpoch); try again in a moment.",
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
