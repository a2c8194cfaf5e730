// What a miner sees of its stakes, read from the chain: each stake in every pool with its
// certificate (the stake-cert contract: expiry, status), its device in the PoCPS registry (status,
// passes, accusation, missed sweeps, open audits), its recent verdicts (the registry's Submit
// transactions on the device, from the node's transaction index), the proofs of its latest epochs,
// and what Claim would pay now.
import type { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import type { IndexedTx } from "@cosmjs/stargate";
import { LoopinPairQueryClient } from "./contracts/LoopinPair.client";
import type { ClaimableResponse, EpochProofResponse, StakeResponse } from "./contracts/LoopinPair.types";
import { LoopinStakeCertQueryClient } from "./contracts/LoopinStakeCert.client";
import type { CertificateResponse } from "./contracts/LoopinStakeCert.types";
import { LoopinPocpsRegistryQueryClient } from "./contracts/LoopinPocpsRegistry.client";
import type { DeviceAudit, DeviceResponse } from "./contracts/LoopinPocpsRegistry.types";
import type { AppConfig } from "./config";
import { classify, describe } from "./problems";

export interface StakeRow {
  gpuClass: string;
  pair: string;
  stake: StakeResponse;
  clockEpoch: number;
  certificate?: CertificateResponse;
  /** The registry's record of the device; undefined when it is not registered. */
  device?: DeviceResponse;
  audits: DeviceAudit[];
  /** The latest epochs of the stake up to now, newest first. */
  proofs: EpochProofResponse[];
  claimable?: ClaimableResponse;
  /** Why nothing can be claimed now (the pair's words). */
  claimNote?: string;
}

/** A verdict a verifier submitted on a device. */
export interface VerdictRow {
  height: number;
  hash: string;
  challengeId: string;
  verdict: string;
  latencyMs?: string;
  /** A bad-proof verdict's outcome (proven, refuted, disputed). */
  outcome?: string;
  verifier?: string;
}

/** Why nothing can be claimed now, in the contract's words (a boundary the keeper has not processed yet, said plainly). */
function reason(error: unknown, rpc: string): string {
  const problem = classify(error, rpc);
  if (problem.kind !== "tx-failed") return describe(problem);
  if (/boundar(y|ies) (is|are) due/.test(problem.reason)) return "the pool's epoch boundary is being processed";
  return problem.reason;
}

async function allStakes(q: LoopinPairQueryClient, owner: string): Promise<StakeResponse[]> {
  const stakes: StakeResponse[] = [];
  let startAfter: number | undefined;
  for (;;) {
    const page = await q.stakesByOwner({ owner, startAfter, limit: 30 });
    stakes.push(...page.stakes);
    if (page.stakes.length < 30) return stakes;
    startAfter = page.stakes[page.stakes.length - 1].id;
  }
}

/** The account's stakes in every pool, newest first, with what each row shows. */
export async function stakesOf(client: CosmWasmClient, config: AppConfig, owner: string): Promise<StakeRow[]> {
  const certs = new LoopinStakeCertQueryClient(client, config.contracts.stakeCert);
  const registry = config.contracts.registry ? new LoopinPocpsRegistryQueryClient(client, config.contracts.registry) : undefined;
  const rows: StakeRow[] = [];
  for (const [gpuClass, pair] of Object.entries(config.contracts.pools)) {
    const q = new LoopinPairQueryClient(client, pair);
    const [{ clock_epoch: clockEpoch }, stakes] = await Promise.all([q.pool(), allStakes(q, owner)]);
    const loaded = await Promise.all(
      stakes.map(async (stake): Promise<StakeRow> => {
        const row: StakeRow = { gpuClass, pair, stake, clockEpoch, audits: [], proofs: [] };
        const last = Math.min(clockEpoch, stake.end_epoch - 1);
        const epochs = [last, last - 1, last - 2].filter((e) => e >= stake.start_epoch);
        await Promise.all([
          certs.certificate({ tokenId: stake.token_id }).then(
            (c) => (row.certificate = c),
            () => undefined,
          ),
          registry?.device({ tokenId: stake.token_id }).then(
            async (d) => {
              row.device = d;
              row.audits = (await registry.deviceAudits({ tokenId: stake.token_id, limit: 10 })).audits;
            },
            () => undefined,
          ),
          Promise.all(epochs.map((epoch) => q.epochProof({ stakeId: stake.id, epoch }))).then(
            (p) => (row.proofs = p),
            () => undefined,
          ),
          q.claimable({ stakeId: stake.id }).then(
            (c) => (row.claimable = c),
            (error) => (row.claimNote = reason(error, config.chain.rpc)),
          ),
        ]);
        return row;
      }),
    );
    rows.push(...loaded);
  }
  return rows.sort((a, b) => b.stake.id - a.stake.id || a.gpuClass.localeCompare(b.gpuClass));
}

/** The registry's verdicts on device `tokenId` among transactions, newest first. */
export function verdictsOf(txs: readonly IndexedTx[], registry: string, tokenId: string): VerdictRow[] {
  const found: VerdictRow[] = [];
  for (const tx of txs) {
    if (tx.code !== 0) continue;
    for (const event of tx.events) {
      if (event.type !== "wasm") continue;
      const attr = (key: string) => event.attributes.find((a) => a.key === key)?.value;
      if (attr("_contract_address") !== registry || attr("action") !== "submit" || attr("target") !== tokenId) continue;
      found.push({
        height: tx.height,
        hash: tx.hash,
        challengeId: attr("challenge_id") ?? "?",
        verdict: attr("verdict") ?? "?",
        latencyMs: attr("latency_ms"),
        outcome: attr("outcome"),
        verifier: attr("verifier"),
      });
    }
  }
  return found.sort((a, b) => b.height - a.height);
}

/** The device's recent verdicts, from the node's transaction index (none when it keeps none). */
export async function recentVerdicts(client: CosmWasmClient, config: AppConfig, tokenId: string, limit = 5): Promise<VerdictRow[]> {
  const registry = config.contracts.registry;
  if (!registry) return [];
  const txs = await client.searchTx(
    `wasm._contract_address='${registry}' AND wasm.action='submit' AND wasm.target='${tokenId}'`,
  );
  return verdictsOf(txs, registry, tokenId).slice(0, limit);
}

/** A CosmWasm Timestamp (nanoseconds) as UTC, to the second. */
export function formatTime(nanos: string): string {
  const ms = Number(BigInt(nanos) / 1_000_000n);
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
