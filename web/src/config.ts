// The app's configuration, loopin.json, written by `loopin-deploy web-config` and served next to
// index.html: the chain as Keplr's experimentalSuggestChain takes it, LOOP, and the contracts.
import type { ChainInfo } from "@keplr-wallet/types";

export interface TokenConfig {
  /** LOOP's cw20 contract. */
  address: string;
  symbol: string;
  decimals: number;
}

export interface ContractsConfig {
  factory: string;
  stakeCert: string;
  registry: string | null;
  /** Pair (pool) contract by GPU class. */
  pools: Record<string, string>;
}

export interface AppConfig {
  chain: ChainInfo;
  /** Fee per unit of gas with its denom, e.g. "0.0025uloop". */
  gasPrice: string;
  /** Simulated gas is multiplied by this. */
  gasAdjustment: number;
  token: TokenConfig;
  contracts: ContractsConfig;
}

/** loopin.json could not be read or lacks a field the app needs. */
export class ConfigError extends Error {}

function field<T>(value: unknown, path: string, kind: string): T {
  if (typeof value !== kind || value === null) {
    throw new ConfigError(`loopin.json: ${path} must be a ${kind}`);
  }
  return value as T;
}

/** Checks the fields the app reads; anything else is passed through to the wallet. */
export function parseConfig(json: unknown): AppConfig {
  const root = field<Record<string, unknown>>(json, "the file", "object");
  const chain = field<Record<string, unknown>>(root.chain, "chain", "object");
  for (const key of ["chainId", "rpc", "rest", "chainName"]) {
    field<string>(chain[key], `chain.${key}`, "string");
  }
  field<string>(root.gasPrice, "gasPrice", "string");
  field<number>(root.gasAdjustment, "gasAdjustment", "number");
  const token = field<Record<string, unknown>>(root.token, "token", "object");
  field<string>(token.address, "token.address", "string");
  field<number>(token.decimals, "token.decimals", "number");
  const contracts = field<Record<string, unknown>>(root.contracts, "contracts", "object");
  const pools = field<Record<string, unknown>>(contracts.pools, "contracts.pools", "object");
  if (Object.keys(pools).length === 0) throw new ConfigError("loopin.json: no pools");
  return json as AppConfig;
}

export async function loadConfig(url = "/loopin.json"): Promise<AppConfig> {
  let response: Response;
  try {
    response = await fetch(url, { cache: "no-store" });
  } catch (error) {
    throw new ConfigError(`${url} could not be fetched: ${String(error)}`);
  }
  if (!response.ok) throw new ConfigError(`${url}: HTTP ${response.status}`);
  return parseConfig(await response.json());
}
