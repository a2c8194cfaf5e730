// What the market page shows of each pool (GPU class), from the pair's and the registry's
// queries: prices, reserves, hours on sale, the epoch clock, and the devices a client can lease.
import type { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { LoopinPairQueryClient } from "./contracts/LoopinPair.client";
import type { PoolResponse, StakeResponse } from "./contracts/LoopinPair.types";
import { LoopinPocpsRegistryQueryClient } from "./contracts/LoopinPocpsRegistry.client";
import type { AppConfig } from "./config";

export interface PoolView {
  gpuClass: string;
  pair: string;
  pool: PoolResponse;
  epochSeconds: number;
  /** Block time at which the pool's clock enters its next epoch, seconds. */
  nextBoundary: number;
}

export interface DeviceView {
  stake: StakeResponse;
  tokenId: string;
  /** The registry's status of the device ("active", "accused", ...). */
  status: string;
}

export async function poolView(client: CosmWasmClient, gpuClass: string, pair: string): Promise<PoolView> {
  const q = new LoopinPairQueryClient(client, pair);
  const [config, pool] = await Promise.all([q.config(), q.pool()]);
  const epochSeconds = config.params.epoch_seconds;
  return {
    gpuClass,
    pair,
    pool,
    epochSeconds,
    nextBoundary: config.genesis + (pool.clock_epoch + 1) * epochSeconds,
  };
}

export async function poolViews(client: CosmWasmClient, config: AppConfig): Promise<PoolView[]> {
  const classes = Object.entries(config.contracts.pools).sort(([a], [b]) => a.localeCompare(b));
  return Promise.all(classes.map(([gpuClass, pair]) => poolView(client, gpuClass, pair)));
}

/** Registered devices of the pool `pair` with the stake behind each, supplying the trading epoch. */
export async function leasableDevices(
  client: CosmWasmClient,
  config: AppConfig,
  pair: string,
  tradingEpoch: number,
): Promise<DeviceView[]> {
  if (!config.contracts.registry) return [];
  const registry = new LoopinPocpsRegistryQueryClient(client, config.contracts.registry);
  const q = new LoopinPairQueryClient(client, pair);
  const devices = [];
  let startAfter: string | undefined;
  for (;;) {
    const page = await registry.devices({ startAfter, limit: 30 });
    devices.push(...page.devices.filter((d) => d.pool === pair));
    if (page.devices.length < 30) break;
    startAfter = page.devices[page.devices.length - 1].token_id;
  }
  const owners = [...new Set(devices.map((d) => d.owner))];
  const stakes = (await Promise.all(owners.map((owner) => q.stakesByOwner({ owner, limit: 30 })))).flatMap(
    (page) => page.stakes,
  );
  return devices.flatMap((device) =>
    stakes
      .filter((stake) => stake.token_id === device.token_id)
      .filter((stake) => !stake.invalidated && stake.start_epoch <= tradingEpoch && tradingEpoch < stake.end_epoch)
      .map((stake) => ({ stake, tokenId: device.token_id, status: String(device.status) })),
  );
}

/** "1m 05s" until a boundary. */
export function countdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const minutes = Math.floor(s / 60);
  return `${minutes}m ${String(s % 60).padStart(2, "0")}s`;
}
