// Lease hours of a device: pick the class and device, the hours, see the quote with slippage and
// deadline, paste an SSH public key, sign. The wallet signs twice the first time: the access key
// (a signature of a fixed text, nothing sent) and the lease.
import { useEffect, useState } from "react";
import { chainTime, ensureFunds, formatHours, formatLoop, parseUnits, sendWithHook, wasmAttribute, whenCurrent, type Balances } from "./chain";
import { LoopinPairQueryClient } from "./contracts/LoopinPair.client";
import type { Swap } from "./contracts/LoopinPair.types";
import { leasableDevices, poolView, type DeviceView } from "./market";
import { checkSshKey, leaseHook, maxIn, signedMaxIn } from "./lease";
import { accessKey, type Session } from "./session";
import type { Run } from "./App";

interface Props {
  session: Session;
  run: Run;
  busy: boolean;
  held?: Balances;
}

export function LeaseForm({ session, run, busy, held }: Props) {
  const { config, client } = session;
  const classes = Object.keys(config.contracts.pools).sort();
  const [gpuClass, setGpuClass] = useState(classes[0]);
  const [devices, setDevices] = useState<DeviceView[]>([]);
  const [stakeId, setStakeId] = useState<number>();
  const [hours, setHours] = useState("0.002");
  const [slippage, setSlippage] = useState("1");
  const [deadlineMinutes, setDeadlineMinutes] = useState("5");
  const [sshKey, setSshKey] = useState("");
  // The last quote shown, and the pool it is of.
  const [quote, setQuote] = useState<{ pair: string; swap: Swap }>();
  const pair = config.contracts.pools[gpuClass];

  useEffect(() => {
    (async () => {
      const view = await poolView(client, gpuClass, pair);
      const found = await leasableDevices(client, config, pair, view.pool.trading_epoch);
      setDevices(found);
      setStakeId((current) => current ?? found[0]?.stake.id);
    })().catch(() => setDevices([]));
  }, [client, config, gpuClass, pair]);

  const slippageBps = Math.round(Number(slippage) * 100);
  const microHours = () => parseUnits(hours, 6);

  const getQuote = () =>
    run("Quoting", async () => {
      const q = new LoopinPairQueryClient(client, pair);
      setQuote({ pair, swap: await whenCurrent(() => q.simulateLease({ hours: microHours().toString() })) });
    });

  const lease = () =>
    run("Leasing", async () => {
      if (stakeId === undefined) throw new Error("no device to lease in this class");
      const wallet = session.wallet;
      const signing = session.signing;
      if (!wallet || !signing) throw new Error("connect a wallet first");
      checkSshKey(sshKey);
      if (!Number.isFinite(slippageBps) || slippageBps < 0 || slippageBps > 5_000) {
        throw new Error("slippage must be between 0 and 50 %");
      }
      const q = new LoopinPairQueryClient(client, pair);
      const fresh = await whenCurrent(() => q.simulateLease({ hours: microHours().toString() }));
      const amount = signedMaxIn(quote?.pair === pair ? quote.swap : undefined, fresh, slippageBps);
      setQuote({ pair, swap: fresh });
      ensureFunds(held ?? { loop: 0n, fee: 0n }, amount, config);
      const key = await accessKey(wallet, config);
      const hook = leaseHook(
        { stakeId, hours: microHours(), sshKey, slippageBps, deadlineSecs: Math.round(Number(deadlineMinutes) * 60) },
        key.publicKey,
        await chainTime(client),
      );
      const result = await sendWithHook(signing, wallet.address, config, pair, amount, hook);
      const id = wasmAttribute(result, "lease_id");
      const paid = wasmAttribute(result, "paid") ?? "0";
      return `Leased: lease ${id}, paid ${formatLoop(paid, config)} (transaction ${result.transactionHash}).`;
    });

  return (
    <section data-testid="lease-form">
      <h2>Lease a GPU</h2>
      <div className="row">
        <div>
          <label htmlFor="class">GPU class</label>
          <select id="class" value={gpuClass} onChange={(e) => setGpuClass(e.target.value)}>
            {classes.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="device">Device</label>
          <select
            id="device"
            data-testid="device"
            value={stakeId ?? ""}
            onChange={(e) => setStakeId(Number(e.target.value))}
          >
            {devices.length === 0 && <option value="">no device on sale</option>}
            {devices.map((d) => (
              <option key={d.stake.id} value={d.stake.id}>
                stake {d.stake.id} · {formatHours(d.stake.hours_per_epoch)}/epoch · {d.status}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="hours">Hours</label>
          <input id="hours" data-testid="hours" value={hours} onChange={(e) => setHours(e.target.value)} />
        </div>
        <div>
          <label htmlFor="slippage">Max slippage, %</label>
          <input id="slippage" data-testid="slippage" value={slippage} onChange={(e) => setSlippage(e.target.value)} />
        </div>
      </div>
      <label htmlFor="deadline">Deadline, minutes</label>
      <input id="deadline" data-testid="deadline" value={deadlineMinutes} onChange={(e) => setDeadlineMinutes(e.target.value)} />
      <label htmlFor="ssh-key">SSH public key</label>
      <textarea
        id="ssh-key"
        data-testid="ssh-key"
        placeholder="ssh-ed25519 AAAA… you@laptop"
        value={sshKey}
        onChange={(e) => setSshKey(e.target.value)}
      />
      {quote && (
        <p data-testid="quote">
          {formatHours(quote.swap.receive)} for {formatLoop(quote.swap.offer, config)} (fee{" "}
          {formatLoop(quote.swap.fee, config)}); you sign for at most{" "}
          {formatLoop(maxIn(quote.swap, slippageBps || 0), config)}.
        </p>
      )}
      <p>
        <button className="secondary" data-testid="quote-button" onClick={getQuote} disabled={busy}>
          Quote
        </button>{" "}
        <button data-testid="lease-button" onClick={lease} disabled={busy || stakeId === undefined}>
          Lease
        </button>
      </p>
    </section>
  );
}
