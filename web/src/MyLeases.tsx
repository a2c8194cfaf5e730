// The account's leases in every pool: status, the access details opened in the browser (the ssh
// command and the host key's fingerprint), and cancellation with a refund quote before the
// lease's epoch starts.
import { useEffect, useState } from "react";
import { fromBase64 } from "@cosmjs/encoding";
import { chainTime, formatHours, formatLoop, wasmAttribute } from "./chain";
import { LoopinPairClient, LoopinPairQueryClient } from "./contracts/LoopinPair.client";
import type { LeaseResponse } from "./contracts/LoopinPair.types";
import { knownHostsLine, openAccess, sshCommand, type AccessDetails } from "./access";
import { deadline, minOut } from "./lease";
import { accessKey, type Session } from "./session";
import type { Run } from "./App";

interface Row {
  gpuClass: string;
  pair: string;
  lease: LeaseResponse;
  clockEpoch: number;
}

interface Props {
  session: Session;
  run: Run;
  busy: boolean;
  version: number;
}

/** Where a lease stands, in a word. */
export function status(lease: LeaseResponse, clockEpoch: number): string {
  if (lease.cancelled) return "cancelled";
  if (lease.dispute) return "disputed";
  if (lease.completed) return "completed";
  if (lease.epoch > clockEpoch) return "waiting for its epoch";
  if (lease.epoch === clockEpoch) return lease.access ? "in delivery" : "in delivery, access pending";
  return "over";
}

async function leasesOf(session: Session, address: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [gpuClass, pair] of Object.entries(session.config.contracts.pools)) {
    const q = new LoopinPairQueryClient(session.client, pair);
    const { clock_epoch: clockEpoch } = await q.pool();
    let startAfter: number | undefined;
    for (;;) {
      const page = await q.leasesByClient({ client: address, startAfter, limit: 30 });
      rows.push(...page.leases.map((lease) => ({ gpuClass, pair, lease, clockEpoch })));
      if (page.leases.length < 30) break;
      startAfter = page.leases[page.leases.length - 1].id;
    }
  }
  return rows.sort((a, b) => b.lease.id - a.lease.id);
}

export function MyLeases({ session, run, busy, version }: Props) {
  const [rows, setRows] = useState<Row[]>([]);
  const [opened, setOpened] = useState<Record<string, AccessDetails>>({});
  const [refunds, setRefunds] = useState<Record<string, bigint>>({});
  const address = session.wallet?.address;

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
      const sell = await q.simulateSell({ hours: row.lease.hours });
      setRefunds((r) => ({ ...r, [key(row)]: BigInt(sell.receive) }));
    });

  const cancel = (row: Row) =>
    run("Cancelling", async () => {
      const { wallet, signing } = session;
      if (!wallet || !signing) return;
      const quoted = refunds[key(row)];
      if (quoted === undefined) throw new Error("quote the refund first");
      const pair = new LoopinPairClient(signing, wallet.address, row.pair);
      const result = await pair.cancelLease(
        {
          leaseId: row.lease.id,
          minRefund: minOut(quoted, 100).toString(),
          deadline: deadline(await chainTime(session.client), 300),
        },
        session.config.gasAdjustment,
      );
      const refund = wasmAttribute(result, "refund") ?? "0";
      return `Lease ${row.lease.id} cancelled: ${formatLoop(refund, session.config)} refunded.`;
    });

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
              const details = opened[key(row)];
              const refund = refunds[key(row)];
              const cancellable = !row.lease.cancelled && row.lease.epoch > row.clockEpoch;
              return (
                <tr key={key(row)} data-testid={`lease-${row.lease.id}`}>
                  <td>{row.lease.id}</td>
                  <td>{row.gpuClass}</td>
                  <td>{row.lease.epoch}</td>
                  <td>{formatHours(row.lease.hours)}</td>
                  <td>{formatLoop(row.lease.paid, session.config)}</td>
                  <td data-testid={`lease-status-${row.lease.id}`}>{status(row.lease, row.clockEpoch)}</td>
                  <td>
                    {row.lease.access && !details && (
                      <button data-testid={`open-${row.lease.id}`} disabled={busy} onClick={() => open(row)}>
                        Open access
                      </button>
                    )}
                    {details && (
                      <div data-testid={`access-${row.lease.id}`}>
                        <div className="muted">Pin the host key, then log in:</div>
                        <pre data-testid={`known-hosts-${row.lease.id}`}>
                          echo '{knownHostsLine(details)}' {">>"} ~/.ssh/loopin_known_hosts
                        </pre>
                        <pre data-testid={`ssh-${row.lease.id}`}>{sshCommand(details)}</pre>
                        <div className="muted">
                          Host key fingerprint:{" "}
                          <code data-testid={`fingerprint-${row.lease.id}`}>{details.host_key_fingerprint}</code>
                        </div>
                      </div>
                    )}
                    {cancellable && refund === undefined && (
                      <button className="secondary" data-testid={`refund-quote-${row.lease.id}`} disabled={busy} onClick={() => quoteRefund(row)}>
                        Cancel…
                      </button>
                    )}
                    {cancellable && refund !== undefined && (
                      <span>
                        <span data-testid={`refund-${row.lease.id}`}>refund {formatLoop(refund, session.config)}</span>{" "}
                        <button data-testid={`cancel-${row.lease.id}`} disabled={busy} onClick={() => cancel(row)}>
                          Cancel lease
                        </button>
                      </span>
                    )}
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
