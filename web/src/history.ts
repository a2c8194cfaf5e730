// A pool's past epochs from chain data, with no indexer of our own: the node's transaction index
// (CometBFT's kv indexer, on by default in wasmd) searched for the pair's events. The keeper's
// `advance_epoch` gives each boundary's reserves (the next epoch's opening hours and price),
// `lease` the hours each epoch sold and `cancel_lease` the hours sold back. Epochs advanced
// inside another message (a claim, a slash) carry no `advance_epoch` event and show as gaps.
import type { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { QueryClient, type Event } from "@cosmjs/stargate";
import { Comet38Client } from "@cosmjs/tendermint-rpc";
import { fromUtf8, toUtf8 } from "@cosmjs/encoding";
import { QuerySmartContractStateRequest, QuerySmartContractStateResponse } from "cosmjs-types/cosmwasm/wasm/v1/query";

export interface EpochRecord {
  /** The trading epoch whose hours went on sale at this boundary. */
  epoch: number;
  /** Hours on sale at the boundary (micro-hours) and the opening price (LOOP per device-hour). */
  openingHours: bigint;
  openingPrice: number | null;
  /** Hours leased (net of cancellations) for this epoch, and what was left to dissipate. */
  leasedHours: bigint;
  dissipatedHours: bigint;
}

type Attributes = Map<string, string>;

function wasmEvents(events: readonly Event[], pair: string, action: string): Attributes[] {
  return events
    .filter((e) => e.type === "wasm")
    .map((e) => new Map(e.attributes.map((a) => [a.key, a.value])))
    .filter((a) => a.get("_contract_address") === pair && a.get("action") === action);
}

async function search(client: CosmWasmClient, pair: string, action: string): Promise<Attributes[]> {
  const txs = await client.searchTx(`wasm._contract_address='${pair}' AND wasm.action='${action}'`);
  return txs.filter((tx) => tx.code === 0).flatMap((tx) => wasmEvents(tx.events, pair, action));
}

/** Every epoch the pool's events describe, oldest first. */
export async function epochHistory(client: CosmWasmClient, pair: string): Promise<EpochRecord[]> {
  const [boundaries, leases, cancels] = await Promise.all([
    search(client, pair, "advance_epoch"),
    search(client, pair, "lease"),
    search(client, pair, "cancel_lease"),
  ]);
  const leased = new Map<number, bigint>();
  const byLease = new Map<string, [number, bigint]>();
  for (const lease of leases) {
    const epoch = Number(lease.get("epoch"));
    const hours = BigInt(lease.get("hours") ?? "0");
    byLease.set(lease.get("lease_id") ?? "", [epoch, hours]);
    leased.set(epoch, (leased.get(epoch) ?? 0n) + hours);
  }
  for (const cancel of cancels) {
    const found = byLease.get(cancel.get("lease_id") ?? "");
    if (found) leased.set(found[0], (leased.get(found[0]) ?? 0n) - found[1]);
  }
  const records = new Map<number, EpochRecord>();
  for (const boundary of boundaries) {
    // After processing boundary `epoch`, the pool trades epoch + 1's hours.
    const epoch = Number(boundary.get("epoch")) + 1;
    const openingHours = BigInt(boundary.get("hours") ?? "0");
    const tokens = BigInt(boundary.get("tokens") ?? "0");
    const sold = leased.get(epoch) ?? 0n;
    records.set(epoch, {
      epoch,
      openingHours,
      openingPrice: openingHours > 0n ? Number(tokens) / Number(openingHours) : null,
      leasedHours: sold,
      dissipatedHours: openingHours > sold ? openingHours - sold : 0n,
    });
  }
  return [...records.values()].sort((a, b) => a.epoch - b.epoch);
}

/**
 * The time-weighted average price since `height`: the pair's price accumulator read at that
 * height (a historical ABCI query over the node's RPC), then the pair's Twap query since it.
 */
export async function twapSince(rpc: string, client: CosmWasmClient, pair: string, height: number): Promise<string | null> {
  const comet = await Comet38Client.connect(rpc);
  try {
    const request = QuerySmartContractStateRequest.encode({
      address: pair,
      queryData: toUtf8(JSON.stringify({ twap: {} })),
    }).finish();
    const { value } = await QueryClient.withExtensions(comet).queryAbci(
      "/cosmwasm.wasm.v1.Query/SmartContractState",
      request,
      height,
    );
    const then = JSON.parse(fromUtf8(QuerySmartContractStateResponse.decode(value).data)) as { accumulator: unknown };
    const now = (await client.queryContractSmart(pair, { twap: { since: then.accumulator } })) as { twap: string | null };
    return now.twap;
  } finally {
    comet.disconnect();
  }
}

/** The height of the pool's latest boundary (its last `advance_epoch`), if any. */
export async function lastBoundaryHeight(client: CosmWasmClient, pair: string): Promise<number | undefined> {
  const txs = await client.searchTx(`wasm._contract_address='${pair}' AND wasm.action='advance_epoch'`);
  return txs.filter((tx) => tx.code === 0).reduce<number | undefined>((h, tx) => Math.max(h ?? 0, tx.height), undefined);
}
