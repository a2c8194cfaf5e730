// The account's leases in every pool: status, the access details opened in the browser (the ssh
// command and the host key's fingerprint), cancellation with a refund quote before the lease's
// epoch starts, a standing order's renewals and budget (extend, renew, close), and disputes
// within the pool's window, the bond shown before signing. Every amount the wallet is asked to
// sign is computed and shown first, and checked against the account's balance.
import { useEffect, useState } from "react";
import { fromBase64 } from "@cosmjs/encoding";
import { balances, chainTime, ensureFunds, formatHours, formatLoop, sendWithHook, wasmAttribute, whenCurrent } from "./chain";
import { LoopinPairClient, LoopinPairQueryClient } from "./contracts/LoopinPair.client";
import type { ConfigResponse, LeaseResponse, ReceiveMsg } from "./contracts/LoopinPair.types";
import { knownHostsLine, openAccess, sshCommand, type AccessDetails } from "./access";
import { deadline, minOut } from "./lease";
import {
  checkDisputeReason,
  disputeBond,
  disputeWindow,
  extendable,
  extended,
  hasOrder,
  parseExtension,
  renewable,
  renewalBound,
  status,
  type Extension,
} from "./leases";
import { classify, describe } from "./problems";
import { accessKey, type Session } from "./session";
import type { Run } from "./App";

interface Row {
  gpuClass: string;
  pair: string;
  lease: LeaseResponse;
  clockEpoch: number;
  config: ConfigResponse;
}

interface Props {
  session: Session;
  run: Run;
  busy: boolean;
  version: number;
}

/** The form open under one lease, if any. */
type Form = { key: string; kind: "extend" | "dispute" };

/** Pools' configurations (their dispute windows and clocks), read once per pool. */
const configs = new Map<string, Promise<ConfigResponse>>();

function poolConfig(q: LoopinPairQueryClient, pair: string): Promise<ConfigResponse> {
  let config = configs.get(pair);
  if (!config) {
    config = q.config();
    configs.set(pair, config);
    config.catch(() => configs.delete(pair));
  }
  return config;
}

async function leasesOf(session: Session, address: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [gpuClass, pair] of Object.entries(session.config.contracts.pools)) {
    const q = new LoopinPairQueryClient(session.client, pair);
    const [{ clock_epoch: clockEpoch }, config] = await Promise.all([q.pool(), poolConfig(q, pair)]);
    let startAfter: number | undefined;
    for (;;) {
      const page = await q.leasesByClient({ client: address, startAfter, limit: 30 });
      rows.push(...page.leases.map((lease) => ({ gpuClass, pair, lease, clockEpoch, config })));
      if (page.leases.length < 30) break;
      startAfter = page.leases[page.leases.length - 1].id;
    }
  }
  return rows.sort((a, b) => b.lease.id - a.lease.id);
}

/** The lease and the pool's clock as the chain has them now (what a form showed may be stale). */
async function fresh(session: Session, row: Row): Promise<{ lease: LeaseResponse; clockEpoch: number }> {
  const q = new LoopinPairQueryClient(session.client, row.pair);
  const [lease, pool] = await Promise.all([q.lease({ leaseId: row.lease.id }), q.pool()]);
  return { lease, clockEpoch: pool.clock_epoch };
}

function tryExtension(renewals: string, budget: string, decimals: number, renewalsLeft: number): Extension | undefined {
  try {
    return parseExtension(renewals, budget, decimals, renewalsLeft);
  } catch {
    return undefined;
  }
}

export function MyLeases({ session, run, busy, version }: Props) {
  const [rows, setRows] = useState<Row[]>([]);
  const [opened, setOpened] = useState<Record<string, AccessDetails>>({});
  const [refunds, setRefunds] = useState<Record<string, bigint>>({});
  /** A renewal's price now, by lease, or why the pool gives none. */
  const [prices, setPrices] = useState<Record<string, bigint | string>>({});
  const [form, setForm] = useState<Form>();
  const [renewals, setRenewals] = useState("1");
  const [budget, setBudget] = useState("");
  const [reason, setReason] = useState("");
  const address = session.wallet?.address;
  const { config } = session;
  const loop = (amount: bigint | string) => formatLoop(amount, config);

  useEffect(() => {
    if (!address) return;
    let live = true;
    const refresh = () => leasesOf(session, address).then((r) => live && setRows(r), () => undefined);
    refresh();
    const timer = setInterval(refresh, 3_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [session, address, version]);

  const key = (row: Row) => `${row.pair}/${row.lease.id}`;

  const signer = () => {
    const { wallet, signing } = session;
    if (!wallet || !signing) throw new Error("connect a wallet first");
    return { wallet, signing };
  };

  const open = (row: Row) =>
    run("Opening the access details", async () => {
      if (!session.wallet || !row.lease.access) return;
      const access = await accessKey(session.wallet, session.config);
      const details = openAccess(access, fromBase64(row.lease.access));
      setOpened((o) => ({ ...o, [key(row)]: details }));
    });

  const quoteRefund = (row: Row) =>
    run("Quoting the refund", async () => {
      const q = new LoopinPairQueryClient(session.client, row.pair);
      const sell = await whenCurrent(() => q.simulateSell({ hours: row.lease.hours }));
      setRefunds((r) => ({ ...r, [key(row)]: BigInt(sell.receive) }));
    });

  const cancel = (row: Row) =>
    run("Cancelling", async () => {
      const { wallet, signing } = signer();
      const quoted = refunds[key(row)];
      if (quoted === undefined) throw new Error("quote the refund first");
      const { lease } = await fresh(session, row);
      const pair = new LoopinPairClient(signing, wallet.address, row.pair);
      const result = await pair.cancelLease(
        {
          leaseId: row.lease.id,
          minRefund: minOut(quoted, 100).toString(),
          deadline: deadline(await chainTime(session.client), 300),
        },
        config.gasAdjustment,
      );
      const refund = BigInt(wasmAttribute(result, "refund") ?? "0");
      // A standing order's budget comes back with the lease's hours.
      const orderBudget = BigInt(lease.budget);
      if (orderBudget === 0n) return `Lease ${row.lease.id} cancelled: ${loop(refund)} refunded.`;
      return `Lease ${row.lease.id} cancelled: ${loop(refund + orderBudget)} refunded (${loop(refund)} for its hours, ${loop(orderBudget)} of its order's budget).`;
    });

  const showForm = (row: Row, kind: Form["kind"]) => {
    setForm({ key: key(row), kind });
    setRenewals("1");
    setBudget("");
    setReason("");
    if (kind === "extend") void quoteRenewal(row);
  };

  /**
   * What a renewal of the order's hours costs now, to size the budget against: a hint, so it is
   * retried quietly while the pool refuses quotes (an epoch boundary due, not yet processed).
   */
  const quoteRenewal = async (row: Row) => {
    const q = new LoopinPairQueryClient(session.client, row.pair);
    for (let attempt = 0; ; attempt++) {
      try {
        const quote = await whenCurrent(() => q.simulateLease({ hours: row.lease.hours }));
        setPrices((p) => ({ ...p, [key(row)]: BigInt(quote.offer) }));
        return;
      } catch (error) {
        if (attempt === 5) {
          const problem = classify(error, config.chain.rpc);
          const why = problem.kind === "tx-failed" ? problem.reason : describe(problem);
          setPrices((p) => ({ ...p, [key(row)]: why }));
          return;
        }
        await new Promise((r) => setTimeout(r, 1_500));
      }
    }
  };

  const extend = (row: Row) =>
    run("Extending the order", async () => {
      const { wallet, signing } = signer();
      const extension = parseExtension(renewals, budget, config.token.decimals, row.lease.renewals_left);
      const now = await fresh(session, row);
      if (!extendable(now.lease, now.clockEpoch)) {
        throw new Error(`Lease ${row.lease.id} can no longer be extended (${status(now.lease, now.clockEpoch)}). Nothing was sent.`);
      }
      ensureFunds(await balances(session.client, config, wallet.address), extension.amount, config);
      const hook: ReceiveMsg = { extend: { lease_id: row.lease.id, renewals: extension.renewals } };
      const result = await sendWithHook(signing, wallet.address, config, row.pair, extension.amount, hook);
      setForm(undefined);
      const left = wasmAttribute(result, "renewals_left");
      const orderBudget = wasmAttribute(result, "budget") ?? "0";
      return `Order of lease ${row.lease.id} extended by ${extension.renewals}: ${left} renewals left, budget ${loop(orderBudget)} (${loop(extension.amount)} sent).`;
    });

  const renew = (row: Row) =>
    run("Renewing the order", async () => {
      const { wallet, signing } = signer();
      const pair = new LoopinPairClient(signing, wallet.address, row.pair);
      const result = await pair.renewLease({ leaseId: row.lease.id }, config.gasAdjustment);
      const next = wasmAttribute(result, "lease_id");
      const paid = wasmAttribute(result, "paid") ?? "0";
      const epoch = wasmAttribute(result, "epoch");
      return `Order renewed: lease ${next} for epoch ${epoch}, ${loop(paid)} paid from its budget.`;
    });

  const closeOrder = (row: Row) =>
    run("Closing the order", async () => {
      const { wallet, signing } = signer();
      const pair = new LoopinPairClient(signing, wallet.address, row.pair);
      const result = await pair.closeOrder({ leaseId: row.lease.id }, config.gasAdjustment);
      const refund = wasmAttribute(result, "refund") ?? "0";
      return `Order of lease ${row.lease.id} closed: ${loop(refund)} of its budget refunded.`;
    });

  const dispute = (row: Row) =>
    run("Disputing", async () => {
      const { wallet, signing } = signer();
      const text = checkDisputeReason(reason);
      const now = await fresh(session, row);
      const windowNow = disputeWindow(now.lease, now.clockEpoch, row.config.params.dispute_epochs ?? 0);
      if (!windowNow.open) {
        const why = { cancelled: "it was cancelled", disputed: "it is disputed already", "not started": "its epoch has not started", closed: "its dispute window closed" }[windowNow.why];
        throw new Error(`Lease ${row.lease.id} cannot be disputed: ${why}. Nothing was sent.`);
      }
      const bond = disputeBond(now.lease.paid);
      ensureFunds(await balances(session.client, config, wallet.address), bond, config);
      const hook: ReceiveMsg = { dispute: { lease_id: row.lease.id, reason: text } };
      const result = await sendWithHook(signing, wallet.address, config, row.pair, bond, hook);
      setForm(undefined);
      const bonded = wasmAttribute(result, "bond") ?? bond.toString();
      return `Lease ${row.lease.id} disputed with a bond of ${loop(bonded)}: what it paid is held from the miner's pay until governance rules.`;
    });

  /** When the epoch `epoch` of a pool ends, as a local time. */
  const endOf = (row: Row, epoch: number) => {
    const { genesis, params } = row.config;
    return new Date((genesis + (epoch + 1) * params.epoch_seconds) * 1000).toLocaleTimeString();
  };

  const orderLine = (row: Row) => {
    const { lease } = row;
    if (lease.renewed_by != null) return `renewed by lease ${lease.renewed_by}`;
    if (!hasOrder(lease)) return undefined;
    const bound = renewalBound(BigInt(lease.budget), lease.renewals_left, lease.hours, lease.max_renewal_price);
    return `order: ${lease.renewals_left} renewals left, budget ${loop(lease.budget)}, a renewal pays at most ${loop(bound)}`;
  };

  const extendForm = (row: Row) => {
    const id = row.lease.id;
    const extension = tryExtension(renewals, budget, config.token.decimals, row.lease.renewals_left);
    const after = extension && extended(row.lease, extension);
    const price = prices[key(row)];
    return (
      <div className="form" data-testid={`extend-form-${id}`}>
        <div className="muted" data-testid={`extend-now-${id}`}>
          Now: {row.lease.renewals_left} renewals left, budget {loop(row.lease.budget)}.
          {typeof price === "bigint" && ` A renewal of ${formatHours(row.lease.hours)} costs ${loop(price)} now.`}
          {typeof price === "string" && ` No price for a renewal now: ${price}.`}
        </div>
        <label htmlFor={`extend-renewals-${id}`}>More epochs (renewals)</label>
        <input
          id={`extend-renewals-${id}`}
          data-testid={`extend-renewals-${id}`}
          value={renewals}
          onChange={(e) => setRenewals(e.target.value)}
        />
        <label htmlFor={`extend-budget-${id}`}>LOOP added to the budget</label>
        <input
          id={`extend-budget-${id}`}
          data-testid={`extend-budget-${id}`}
          value={budget}
          placeholder="e.g. 2.5"
          onChange={(e) => setBudget(e.target.value)}
        />
        {extension && after && (
          <p data-testid={`extend-summary-${id}`}>
            You sign for exactly {loop(extension.amount)}. The order then has {after.renewalsLeft} renewals left and a
            budget of {loop(after.budget)}: a renewal pays at most {loop(after.bound)}.
          </p>
        )}
        {after && typeof price === "bigint" && after.bound < price && (
          <p className="problem" data-testid={`extend-warning-${id}`}>
            At most {loop(after.bound)} a renewal is below today's price of {loop(price)}: renewals will be refused
            unless the price falls or the budget grows.
          </p>
        )}
        <button data-testid={`extend-${id}`} disabled={busy} onClick={() => extend(row)}>
          Extend order
        </button>{" "}
        <button className="secondary" disabled={busy} onClick={() => setForm(undefined)}>
          Back
        </button>
      </div>
    );
  };

  const disputeForm = (row: Row, lastEpoch: number) => {
    const id = row.lease.id;
    const bond = disputeBond(row.lease.paid);
    return (
      <div className="form" data-testid={`dispute-form-${id}`}>
        <p data-testid={`dispute-bond-${id}`}>
          Bond: {loop(bond)} (a tenth of the {loop(row.lease.paid)} the lease paid): back if governance upholds the
          dispute, burned if it rejects it. What the lease paid is held from the miner's pay until it rules.
        </p>
        <p className="muted" data-testid={`dispute-window-${id}`}>
          Disputable until epoch {lastEpoch} ends ({endOf(row, lastEpoch)}).
        </p>
        <label htmlFor={`dispute-reason-${id}`}>Reason (required)</label>
        <textarea
          id={`dispute-reason-${id}`}
          data-testid={`dispute-reason-${id}`}
          placeholder="What went wrong: no access, the device was not the one leased, …"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
        <button data-testid={`dispute-${id}`} disabled={busy} onClick={() => dispute(row)}>
          Dispute, bonding {loop(bond)}
        </button>{" "}
        <button className="secondary" disabled={busy} onClick={() => setForm(undefined)}>
          Back
        </button>
      </div>
    );
  };

  return (
    <section data-testid="my-leases">
      <h2>My leases</h2>
      {rows.length === 0 ? (
        <p className="muted">No leases yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Lease</th>
              <th>Class</th>
              <th>Epoch</th>
              <th>Hours</th>
              <th>Paid</th>
              <th>Status</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const { lease, clockEpoch } = row;
              const id = lease.id;
              const details = opened[key(row)];
              const refund = refunds[key(row)];
              const cancellable = !lease.cancelled && lease.epoch > clockEpoch;
              const disputable = disputeWindow(lease, clockEpoch, row.config.params.dispute_epochs ?? 0);
              const shown = form?.key === key(row) ? form.kind : undefined;
              const order = orderLine(row);
              return (
                <tr key={key(row)} data-testid={`lease-${id}`}>
                  <td>{id}</td>
                  <td>{row.gpuClass}</td>
                  <td>{lease.epoch}</td>
                  <td>{formatHours(lease.hours)}</td>
                  <td>{formatLoop(lease.paid, config)}</td>
                  <td>
                    <span data-testid={`lease-status-${id}`}>{status(lease, clockEpoch)}</span>
                    {order && (
                      <div className="muted" data-testid={`order-${id}`}>
                        {order}
                      </div>
                    )}
                    {lease.dispute && (
                      <div className="muted" data-testid={`dispute-info-${id}`}>
                        bond {loop(lease.dispute.bond ?? "0")}: “{lease.dispute.reason}”;{" "}
                        {lease.dispute.resolution
                          ? `resolved: ${loop(lease.dispute.resolution.refund)} granted, ${loop(lease.dispute.resolution.paid)} paid`
                          : "awaiting governance"}
                      </div>
                    )}
                    {!disputable.open && disputable.why === "closed" && (
                      <div className="muted" data-testid={`dispute-closed-${id}`}>
                        dispute window closed (epoch {disputable.lastEpoch})
                      </div>
                    )}
                  </td>
                  <td>
                    {lease.access && !details && (
                      <button data-testid={`open-${id}`} disabled={busy} onClick={() => open(row)}>
                        Open access
                      </button>
                    )}
                    {details && (
                      <div data-testid={`access-${id}`}>
                        <div className="muted">Pin the host key, then log in:</div>
                        <pre data-testid={`known-hosts-${id}`}>
                          echo '{knownHostsLine(details)}' {">>"} ~/.ssh/loopin_known_hosts
                        </pre>
                        <pre data-testid={`ssh-${id}`}>{sshCommand(details)}</pre>
                        <div className="muted">
                          Host key fingerprint: <code data-testid={`fingerprint-${id}`}>{details.host_key_fingerprint}</code>
                        </div>
                      </div>
                    )}
                    {cancellable && refund === undefined && (
                      <button className="secondary" data-testid={`refund-quote-${id}`} disabled={busy} onClick={() => quoteRefund(row)}>
                        Cancel…
                      </button>
                    )}
                    {cancellable && refund !== undefined && (
                      <span>
                        <span data-testid={`refund-${id}`}>
                          refund {loop(refund + BigInt(lease.budget))}
                          {BigInt(lease.budget) > 0n && ` (${loop(refund)} for its hours, ${loop(lease.budget)} of its budget)`}
                        </span>{" "}
                        <button data-testid={`cancel-${id}`} disabled={busy} onClick={() => cancel(row)}>
                          Cancel lease
                        </button>
                      </span>
                    )}
                    {extendable(lease, clockEpoch) && shown !== "extend" && (
                      <button className="secondary" data-testid={`extend-open-${id}`} disabled={busy} onClick={() => showForm(row, "extend")}>
                        Extend…
                      </button>
                    )}
                    {renewable(lease, clockEpoch) && (
                      <button className="secondary" data-testid={`renew-${id}`} disabled={busy} onClick={() => renew(row)}>
                        Renew for the next epoch
                      </button>
                    )}
                    {hasOrder(lease) && (
                      <button className="secondary" data-testid={`close-${id}`} disabled={busy} onClick={() => closeOrder(row)}>
                        Close order (refund {loop(lease.budget)})
                      </button>
                    )}
                    {disputable.open && shown !== "dispute" && (
                      <button className="secondary" data-testid={`dispute-open-${id}`} disabled={busy} onClick={() => showForm(row, "dispute")}>
                        Dispute…
                      </button>
                    )}
                    {shown === "extend" && extendable(lease, clockEpoch) && extendForm(row)}
                    {shown === "dispute" && disputable.open && disputeForm(row, disputable.lastEpoch)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
