// A miner's page: stake a device from the hook `loopin-prover stake-msg` printed (checked here
// first: a stake hook, signed by its device for this account, pool and chain, with terms the
// class takes), with the LOOP it sends shown and bounded; register the device with the PoCPS
// registry; then each stake with its certificate, its device's registry status and verdicts,
// what Claim pays now, and Claim.
import { useEffect, useState } from "react";
import type { ExecuteResult } from "@cosmjs/cosmwasm-stargate";
import { chainTime, ensureFunds, formatHours, formatLoop, parseUnits, sendWithHook, wasmAttribute, type Balances } from "./chain";
import { deadline } from "./lease";
import { LoopinPairClient, LoopinPairQueryClient } from "./contracts/LoopinPair.client";
import type { PoolParams } from "./contracts/LoopinPair.types";
import { LoopinPocpsRegistryClient } from "./contracts/LoopinPocpsRegistry.client";
import { LoopinStakeCertQueryClient } from "./contracts/LoopinStakeCert.client";
import {
  checkRegistration,
  checkTerms,
  parseCommitment,
  parseStakeHook,
  poolOfHook,
  slippageBps,
  maxStakePrice,
  stakeCost,
  stakeMsg,
  type StakeCost,
  type StakeHook,
} from "./miner";
import { classify, describe, ProblemError } from "./problems";
import { formatTime, recentVerdicts, stakesOf, type StakeRow, type VerdictRow } from "./stakes";
import type { Session } from "./session";
import type { Run } from "./App";

interface Props {
  session: Session;
  run: Run;
  busy: boolean;
  version: number;
  held?: Balances;
}

/** A checked stake: the hook, its pool, the class's parameters and what it sends. */
interface Review {
  hook: StakeHook;
  gpuClass: string;
  pair: string;
  params: PoolParams;
  cost: StakeCost;
}

const REFRESH_MS = 3_000;

/** Checks a pasted hook against the chain as the pair will; throws what it refuses. */
async function review(session: Session, address: string, text: string, slippage: string, liquidity: string): Promise<Review> {
  const { config, client } = session;
  const hook = parseStakeHook(text.trim());
  const gpuClass = poolOfHook(hook, config.chain.chainId, config.contracts.pools, address);
  const pair = config.contracts.pools[gpuClass];
  const q = new LoopinPairQueryClient(client, pair);
  const [{ params }, pool] = await Promise.all([q.config(), q.pool()]);
  checkTerms(hook, params);
  const initial = liquidity.trim() ? parseUnits(liquidity, config.token.decimals) : undefined;
  const cost = stakeCost(hook, params, pool.reserves, slippageBps(slippage), initial);
  return { hook, gpuClass, pair, params, cost };
}

/** What the pair refunded of a stake's LOOP (a cw20 transfer from the pair to the staker). */
function refunded(result: ExecuteResult, token: string, pair: string, staker: string): bigint {
  let total = 0n;
  for (const event of result.events) {
    if (event.type !== "wasm") continue;
    const attr = (key: string) => event.attributes.find((a) => a.key === key)?.value;
    if (attr("_contract_address") === token && attr("action") === "transfer" && attr("from") === pair && attr("to") === staker) {
      total += BigInt(attr("amount") ?? "0");
    }
  }
  return total;
}

function StakeTerms({ session, r }: { session: Session; r: Review }) {
  const { hook, cost, params } = r;
  const loop = (n: bigint) => formatLoop(n, session.config);
  return (
    <div data-testid="stake-review">
      <p>
        Pool <b data-testid="stake-pool">{r.gpuClass}</b> · <span data-testid="stake-mode">{hook.mode === "seller" ? "seller" : "liquidity provider"}</span> ·
        rate <span data-testid="stake-rate">{hook.rate}</span> device-hour per hour · <span data-testid="stake-epochs">{hook.epochs}</span> epochs
        of {params.epoch_seconds} s · <span data-testid="stake-hours">{formatHours(cost.hours)}</span> per epoch
      </p>
      <p className="muted">
        Device <code>{hook.deviceId.slice(0, 12)}…</code>: its key signed this stake for your address in this pool on{" "}
        {session.config.chain.chainId}.
      </p>
      <p data-testid="stake-send" data-micro={cost.send.toString()}>
        {hook.mode === "seller" ? (
          <>
            You send <b>{loop(cost.send)}</b>: the staking fee {loop(cost.fee)} (burned) and the seller deposit{" "}
            {loop(cost.deposit ?? 0n)}, returned when the stake ends less its maintenance burn of {loop(cost.upkeep ?? 0n)}.
          </>
        ) : (
          <>
            You send at most <b>{loop(cost.send)}</b>: the staking fee {loop(cost.fee)} (burned) and liquidity of{" "}
            {loop(cost.liquidity ?? 0n)} at the pool&apos;s price now, at most {loop(cost.maxLiquidity ?? 0n)}; what the
            pool does not take is refunded.
          </>
        )}
      </p>
    </div>
  );
}

function StakeForm({ session, run, busy, held }: Omit<Props, "version">) {
  const [text, setText] = useState("");
  const [slippage, setSlippage] = useState("1");
  const [liquidity, setLiquidity] = useState("");
  const [checked, setChecked] = useState<{ key: string; review?: Review; error?: string }>();
  const address = session.wallet?.address ?? "";
  const key = JSON.stringify([text, slippage, liquidity, address]);

  useEffect(() => {
    if (!text.trim() || !address) return;
    let live = true;
    review(session, address, text, slippage, liquidity).then(
      (r) => live && setChecked({ key, review: r }),
      (error) => live && setChecked({ key, error: describe(classify(error, session.config.chain.rpc)) }),
    );
    return () => {
      live = false;
    };
  }, [session, address, text, slippage, liquidity, key]);

  const shown = text.trim() && checked?.key === key ? checked : undefined;
  const needsPrice = shown?.error?.includes("sets its price") || (liquidity.trim() !== "" && shown?.review?.hook.mode === "liquidity_provider");

  const stake = () =>
    run("Staking", async () => {
      const { wallet, signing } = session;
      if (!wallet || !signing) throw new Error("connect a wallet first");
      // Checked again now: nothing is signed for a hook the pair would refuse.
      const r = await review(session, wallet.address, text, slippage, liquidity);
      // What the user was shown is what it signs for: a cost pushed past it since is refused.
      const seen = shown?.review?.cost.send;
      if (seen !== undefined && r.cost.send > seen) {
        throw new ProblemError({
          kind: "other",
          detail: `The pool's price moved since the terms were shown: the stake now sends ${formatLoop(r.cost.send, session.config)}, above the ${formatLoop(seen, session.config)} shown. Nothing was sent; review it again.`,
        });
      }
      ensureFunds(held ?? { loop: 0n, fee: 0n }, r.cost.send, session.config);
      const q = new LoopinPairQueryClient(session.client, r.pair);
      const { reserves } = await q.pool();
      const bounds = {
        maxPrice: maxStakePrice(r.cost, reserves, slippageBps(slippage)),
        deadline: deadline(await chainTime(session.client), 300),
      };
      const msg = stakeMsg(r.hook, bounds);
      const result = await sendWithHook(signing, wallet.address, session.config, r.pair, r.cost.send, msg);
      const paid = r.cost.send - refunded(result, session.config.token.address, r.pair, wallet.address);
      const id = wasmAttribute(result, "stake_id");
      const token = wasmAttribute(result, "token_id");
      setText("");
      return `Staked: stake ${id} (certificate ${token}) in ${r.gpuClass}, paid ${formatLoop(paid, session.config)} (transaction ${result.transactionHash}).`;
    });

  return (
    <div data-testid="stake-form">
      <label htmlFor="stake-hook">Stake hook (what loopin-prover stake-msg printed on the device)</label>
      <textarea
        id="stake-hook"
        data-testid="stake-hook"
        placeholder='{ "stake": { "device_id": "…", "mode": "seller", … } }'
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <div className="row">
        <div>
          <label htmlFor="stake-slippage">Max slippage (provider liquidity), %</label>
          <input id="stake-slippage" data-testid="stake-slippage" value={slippage} onChange={(e) => setSlippage(e.target.value)} />
        </div>
        {needsPrice && (
          <div>
            <label htmlFor="stake-liquidity">Liquidity to bring (the pool has no hours: you set its price)</label>
            <input id="stake-liquidity" data-testid="stake-liquidity" value={liquidity} onChange={(e) => setLiquidity(e.target.value)} />
          </div>
        )}
      </div>
      {shown?.error && (
        <p className="problem" data-testid="stake-check">
          {shown.error}
        </p>
      )}
      {shown?.review && <StakeTerms session={session} r={shown.review} />}
      <p>
        <button data-testid="stake-button" onClick={stake} disabled={busy || !text.trim()}>
          Stake
        </button>
      </p>
    </div>
  );
}

/** The device's recent verdicts, read from the node's transaction index. */
function Verdicts({ session, tokenId, version }: { session: Session; tokenId: string; version: number }) {
  const [verdicts, setVerdicts] = useState<VerdictRow[]>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    recentVerdicts(session.client, session.config, tokenId).then(
      (v) => {
        if (!live) return;
        setVerdicts(v);
        setFailed(false);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [session, tokenId, version]);
  return (
    <div data-testid={`verdicts-${tokenId}`}>
      {failed ? (
        <span className="muted">The node keeps no transaction index: verdicts unavailable.</span>
      ) : verdicts === undefined ? (
        <span className="muted">Loading verdicts…</span>
      ) : verdicts.length === 0 ? (
        <span className="muted">No verdicts yet.</span>
      ) : (
        <ul style={{ margin: 0, paddingLeft: 18 }}>
          {verdicts.map((v) => (
            <li key={`${v.hash}-${v.challengeId}`}>
              challenge {v.challengeId}: <b>{v.verdict}</b>
              {v.outcome ? ` (${v.outcome})` : ""}
              {v.latencyMs ? `, ${v.latencyMs} ms` : ""} at height {v.height}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Registration({ session, run, busy, row }: { session: Session; run: Run; busy: boolean; row: StakeRow }) {
  const [commitment, setCommitment] = useState("");
  const [randomness, setRandomness] = useState("");
  const [endpoint, setEndpoint] = useState("");

  const register = () =>
    run("Registering the device", async () => {
      const { wallet, signing, config, client } = session;
      if (!wallet || !signing) throw new Error("connect a wallet first");
      if (!config.contracts.registry) throw new Error("this deployment has no PoCPS registry");
      const parsed = parseCommitment(commitment.trim());
      // The certificate as it reads now: the registry takes an active one only.
      const cert = await new LoopinStakeCertQueryClient(client, config.contracts.stakeCert).certificate({ tokenId: row.stake.token_id });
      if (cert.certificate.status !== "active") throw new Error(`certificate ${row.stake.token_id} is ${cert.certificate.status}: it cannot be registered`);
      const { fingerprint, ekRandomness } = checkRegistration({
        commitment: parsed,
        randomness,
        endpoint,
        deviceId: cert.certificate.device_id,
        certificateCommitment: cert.certificate.commitment,
        pool: cert.certificate.pool,
        miner: wallet.address,
      });
      const registry = new LoopinPocpsRegistryClient(signing, wallet.address, config.contracts.registry);
      const result = await registry.registerDevice(
        { tokenId: row.stake.token_id, fingerprint, commitment: parsed, endpoint: endpoint.trim(), ekRandomness },
        config.gasAdjustment,
      );
      return `Device of ${row.stake.token_id} registered (transaction ${result.transactionHash}).`;
    });

  return (
    <div data-testid={`register-form-${row.stake.token_id}`}>
      <label htmlFor="register-commitment">Commitment (what loopin-prover commitment printed)</label>
      <textarea id="register-commitment" data-testid="register-commitment" value={commitment} onChange={(e) => setCommitment(e.target.value)} />
      <div className="row">
        <div>
          <label htmlFor="register-randomness">ek randomness (identity.randomness, hex)</label>
          <input id="register-randomness" data-testid="register-randomness" value={randomness} onChange={(e) => setRandomness(e.target.value)} />
        </div>
        <div>
          <label htmlFor="register-endpoint">Prover endpoint</label>
          <input
            id="register-endpoint"
            data-testid="register-endpoint"
            placeholder="http://gpu.example:7470"
            value={endpoint}
            onChange={(e) => setEndpoint(e.target.value)}
          />
        </div>
      </div>
      <p>
        <button data-testid="register-button" disabled={busy} onClick={register}>
          Register device
        </button>
      </p>
    </div>
  );
}

function deviceCell(row: StakeRow) {
  const d = row.device;
  const key = row.stake.token_id;
  if (!d) return <span data-testid={`device-status-${key}`}>not registered</span>;
  const accusation = d.accusation
    ? `accused: ${d.accusation.votes} late votes, appeal by ${formatTime(d.accusation.appeal_by)}${d.accusation.appeal ? " (appeal filed)" : ""}`
    : "no accusation";
  return (
    <>
      <span data-testid={`device-status-${key}`}>{d.status}</span>
      <div className="muted">
        <span data-testid={`device-passes-${key}`}>{d.passes}</span> passes · <span data-testid={`device-accusation-${key}`}>{accusation}</span> ·{" "}
        <span data-testid={`device-missed-${key}`}>{d.missed_sweeps ?? 0}</span> missed sweeps
      </div>
    </>
  );
}

function claimCell(session: Session, row: StakeRow) {
  const key = row.stake.token_id;
  const c = row.claimable;
  if (!c) {
    const hint = row.stake.finished
      ? ""
      : row.stake.mode === "liquidity_provider"
        ? ` (a provider is paid when its stake ends, after epoch ${row.stake.end_epoch - 1})`
        : " (a seller is paid for each proven epoch once it is final, and its deposit when the stake ends)";
    return (
      <span data-testid={`claimable-${key}`} data-micro="0">
        {row.stake.finished ? "claimed" : `${row.claimNote ?? "nothing"}${hint}`}
      </span>
    );
  }
  const total = BigInt(c.payout) + BigInt(c.rewards);
  return (
    <span data-testid={`claimable-${key}`} data-micro={total.toString()}>
      {formatLoop(total, session.config)}
      <div className="muted">
        pay {formatLoop(c.payout, session.config)} + rewards {formatLoop(c.rewards, session.config)}
        {BigInt(c.burned) > 0n ? `; burns ${formatLoop(c.burned, session.config)} of the deposit` : ""}
        {c.finished ? "; ends the stake" : ""}
      </div>
    </span>
  );
}

function MyStakes({ session, run, busy, version }: Omit<Props, "held">) {
  const [rows, setRows] = useState<StakeRow[]>([]);
  const [registering, setRegistering] = useState<string>();
  const address = session.wallet?.address;

  useEffect(() => {
    if (!address) return;
    let live = true;
    const refresh = () => stakesOf(session.client, session.config, address).then((r) => live && setRows(r), () => undefined);
    refresh();
    const timer = setInterval(refresh, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [session, address, version]);

  const claim = (row: StakeRow) =>
    run("Claiming", async () => {
      const { wallet, signing } = session;
      if (!wallet || !signing) throw new Error("connect a wallet first");
      const pair = new LoopinPairClient(signing, wallet.address, row.pair);
      const result = await pair.claim({ stakeId: row.stake.id }, session.config.gasAdjustment);
      const payout = BigInt(wasmAttribute(result, "payout") ?? "0");
      const rewards = BigInt(wasmAttribute(result, "rewards") ?? "0");
      return `Claimed stake ${row.stake.id}: ${formatLoop(payout + rewards, session.config)} (pay ${formatLoop(payout, session.config)}, rewards ${formatLoop(rewards, session.config)}).`;
    });

  if (rows.length === 0) return <p className="muted">No stakes yet.</p>;
  return (
    <table data-testid="my-stakes">
      <thead>
        <tr>
          <th>Stake</th>
          <th>Terms</th>
          <th>Certificate</th>
          <th>Device (registry)</th>
          <th>Claimable</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => {
          const { stake, certificate } = row;
          const key = stake.token_id;
          const registrable = !row.device && certificate?.certificate.status === "active" && !stake.invalidated && !!session.config.contracts.registry;
          return [
            <tr key={key} data-testid={`stake-${key}`}>
              <td>
                {stake.id} · {row.gpuClass}
              </td>
              <td>
                <span data-testid={`stake-mode-${key}`}>{stake.mode === "seller" ? "seller" : "liquidity provider"}</span>, rate {stake.rate}
                <div className="muted">
                  {formatHours(stake.hours_per_epoch)}/epoch, epochs {stake.start_epoch}–{stake.end_epoch - 1} (now {row.clockEpoch})
                  {stake.mode === "seller" ? `, deposit ${formatLoop(stake.deposit, session.config)}` : `, ${stake.shares} shares`}
                  {stake.invalidated ? ", invalidated" : ""}
                </div>
              </td>
              <td>
                {certificate ? (
                  <>
                    <code data-testid={`cert-${key}`}>{certificate.token_id}</code>{" "}
                    <span data-testid={`cert-status-${key}`}>{certificate.certificate.status}</span>
                    <div className="muted">
                      expires <span data-testid={`cert-expiry-${key}`} data-nanos={certificate.certificate.expiry}>{formatTime(certificate.certificate.expiry)}</span>
                    </div>
                  </>
                ) : (
                  <span data-testid={`cert-status-${key}`}>no certificate</span>
                )}
              </td>
              <td>{deviceCell(row)}</td>
              <td>{claimCell(session, row)}</td>
              <td>
                {row.claimable && (
                  <button data-testid={`claim-${key}`} disabled={busy} onClick={() => claim(row)}>
                    Claim
                  </button>
                )}
                {registrable && registering !== key && (
                  <button className="secondary" data-testid={`register-open-${key}`} disabled={busy} onClick={() => setRegistering(key)}>
                    Register device…
                  </button>
                )}
              </td>
            </tr>,
            <tr key={`${key}-details`}>
              <td colSpan={6}>
                {registrable && registering === key && <Registration session={session} run={run} busy={busy} row={row} />}
                <div className="muted" data-testid={`proofs-${key}`}>
                  {row.proofs.length === 0
                    ? "No epoch supplied yet."
                    : row.proofs
                        .map((p) => `epoch ${p.epoch}: ${p.passes}/${p.required} passes${p.proven ? ", proven" : p.is_final ? ", unproven" : ""}${p.settled ? ", settled" : ""}`)
                        .join(" · ")}
                </div>
                {row.device && (
                  <>
                    <div className="muted" data-testid={`audits-${key}`}>
                      {row.audits.length === 0
                        ? "No open audits."
                        : row.audits.map((a) => `audit of challenge ${a.challenge_id} step ${a.round}, answer by ${formatTime(a.deadline)}`).join(" · ")}
                    </div>
                    <Verdicts session={session} tokenId={key} version={version} />
                  </>
                )}
              </td>
            </tr>,
          ];
        })}
      </tbody>
    </table>
  );
}

export function Miner(props: Props) {
  return (
    <section data-testid="miner">
      <h2>Mine: stake a device</h2>
      <StakeForm session={props.session} run={props.run} busy={props.busy} held={props.held} />
      <h2>My stakes</h2>
      <MyStakes session={props.session} run={props.run} busy={props.busy} version={props.version} />
    </section>
  );
}
