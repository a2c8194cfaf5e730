// Passive liquidity in a pool: the account's shares and what withdrawing pays now; provide LOOP
// for shares (at least the quote less the slippage allowance, before a deadline) and withdraw
// shares for LOOP (at least the quote less the slippage allowance, before a deadline): both bounds
// are signed in the message, and the pair refuses a trade below them.
import { useEffect, useState } from "react";
import { chainTime, ensureFunds, formatLoop, parseUnits, sendWithHook, wasmAttribute, type Balances } from "./chain";
import { LoopinPairClient, LoopinPairQueryClient } from "./contracts/LoopinPair.client";
import type { LiquidityResponse } from "./contracts/LoopinPair.types";
import { deadline, minOut } from "./lease";
import { provideQuote, slippageBps, withdrawQuote } from "./miner";
import type { Session } from "./session";
import type { Run } from "./App";

interface Props {
  session: Session;
  run: Run;
  busy: boolean;
  version: number;
  held?: Balances;
}

interface ProvideQuote {
  amount: bigint;
  shares: bigint;
  minShares: bigint;
}

interface WithdrawQuote {
  shares: bigint;
  gross: bigint;
  fee: bigint;
  out: bigint;
  minOut: bigint;
}

const REFRESH_MS = 3_000;

export function Liquidity({ session, run, busy, version, held }: Props) {
  const { config, client } = session;
  const classes = Object.keys(config.contracts.pools).sort();
  const [gpuClass, setGpuClass] = useState(classes[0]);
  const pair = config.contracts.pools[gpuClass];
  const address = session.wallet?.address;
  const [position, setPosition] = useState<{ pair: string; liquidity: LiquidityResponse }>();
  const [amount, setAmount] = useState("1");
  const [provideSlippage, setProvideSlippage] = useState("1");
  const [shares, setShares] = useState("");
  const [withdrawSlippage, setWithdrawSlippage] = useState("1");
  const [deadlineMinutes, setDeadlineMinutes] = useState("5");
  const [provideQ, setProvideQ] = useState<ProvideQuote>();
  const [withdrawQ, setWithdrawQ] = useState<WithdrawQuote>();

  useEffect(() => {
    if (!address) return;
    let live = true;
    const q = new LoopinPairQueryClient(client, pair);
    const refresh = () => q.liquidity({ owner: address }).then((liquidity) => live && setPosition({ pair, liquidity }), () => undefined);
    refresh();
    const timer = setInterval(refresh, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [client, pair, address, version]);

  const current = position?.pair === pair ? position.liquidity : undefined;
  const heldShares = BigInt(current?.shares ?? "0");
  const deadlineSecs = () => {
    const minutes = Number(deadlineMinutes);
    if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 60) throw new Error("the deadline must be 0 to 60 minutes");
    return Math.round(minutes * 60);
  };

  const quoteProvide = async (): Promise<ProvideQuote> => {
    const micro = parseUnits(amount, config.token.decimals);
    if (micro === 0n) throw new Error("provide more than 0");
    const pool = await new LoopinPairQueryClient(client, pair).pool();
    const quoted = provideQuote(micro, BigInt(pool.total_shares), BigInt(pool.reserves.tokens));
    const q = { amount: micro, shares: quoted, minShares: minOut(quoted, slippageBps(provideSlippage)) };
    setProvideQ(q);
    return q;
  };

  const quoteWithdraw = async (): Promise<WithdrawQuote> => {
    if (!address) throw new Error("connect a wallet first");
    const q = new LoopinPairQueryClient(client, pair);
    const [liquidity, { params }] = await Promise.all([q.liquidity({ owner: address }), q.config()]);
    const held = BigInt(liquidity.shares);
    const text = shares.trim();
    if (text && !/^\d+$/.test(text)) throw new Error("shares must be a whole number");
    const wanted = text ? BigInt(text) : held;
    const quote = withdrawQuote(wanted, held, BigInt(liquidity.value), params.exchange_fee);
    const w = { shares: wanted, ...quote, minOut: minOut(quote.out, slippageBps(withdrawSlippage)) };
    setWithdrawQ(w);
    return w;
  };

  const provide = () =>
    run("Providing liquidity", async () => {
      const { wallet, signing } = session;
      if (!wallet || !signing) throw new Error("connect a wallet first");
      const q = await quoteProvide();
      ensureFunds(held ?? { loop: 0n, fee: 0n }, q.amount, config);
      const hook = {
        provide_liquidity: {
          min_shares: q.minShares.toString(),
          deadline: deadline(await chainTime(client), deadlineSecs()),
        },
      };
      const result = await sendWithHook(signing, wallet.address, config, pair, q.amount, hook);
      const minted = wasmAttribute(result, "shares") ?? "0";
      return `Provided ${formatLoop(q.amount, config)}: ${minted} shares (at least ${q.minShares} signed).`;
    });

  const withdraw = () =>
    run("Withdrawing liquidity", async () => {
      const { wallet, signing } = session;
      if (!wallet || !signing) throw new Error("connect a wallet first");
      const q = await quoteWithdraw();
      const client_ = new LoopinPairClient(signing, wallet.address, pair);
      const result = await client_.withdrawLiquidity(
        { shares: q.shares.toString(), minOut: q.minOut.toString(), deadline: deadline(await chainTime(client), deadlineSecs()) },
        config.gasAdjustment,
      );
      const out = wasmAttribute(result, "amount") ?? "0";
      const fee = wasmAttribute(result, "fee_burned") ?? "0";
      return `Withdrew ${q.shares} shares: received ${formatLoop(out, config)} (exit fee ${formatLoop(fee, config)} burned; at least ${formatLoop(q.minOut, config)} signed).`;
    });

  const quote = (which: "provide" | "withdraw") =>
    run("Quoting", async () => {
      if (which === "provide") await quoteProvide();
      else await quoteWithdraw();
    });

  return (
    <section data-testid="liquidity">
      <h2>Liquidity</h2>
      {classes.length > 1 && (
        <>
          <label htmlFor="lp-class">GPU class</label>
          <select id="lp-class" value={gpuClass} onChange={(e) => setGpuClass(e.target.value)}>
            {classes.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </>
      )}
      <p data-testid="lp-position">
        You hold <span data-testid="lp-shares">{current?.shares ?? "…"}</span> shares of {gpuClass}
        {current && heldShares > 0n && (
          <>
            , worth <span data-testid="lp-value" data-micro={current.value}>{formatLoop(current.value, config)}</span> now before the exit fee
          </>
        )}
        .
      </p>
      <div className="row">
        <div>
          <label htmlFor="provide-amount">Provide, {config.token.symbol}</label>
          <input id="provide-amount" data-testid="provide-amount" value={amount} onChange={(e) => setAmount(e.target.value)} />
        </div>
        <div>
          <label htmlFor="provide-slippage">Max slippage, %</label>
          <input id="provide-slippage" data-testid="provide-slippage" value={provideSlippage} onChange={(e) => setProvideSlippage(e.target.value)} />
        </div>
        <div>
          <label htmlFor="lp-deadline">Deadline, minutes</label>
          <input id="lp-deadline" data-testid="lp-deadline" value={deadlineMinutes} onChange={(e) => setDeadlineMinutes(e.target.value)} />
        </div>
      </div>
      {provideQ && (
        <p data-testid="provide-quote" data-shares={provideQ.shares.toString()} data-min-shares={provideQ.minShares.toString()}>
          {formatLoop(provideQ.amount, config)} buys {provideQ.shares.toString()} shares at the pool&apos;s price now; you sign for at
          least {provideQ.minShares.toString()}.
        </p>
      )}
      <p>
        <button className="secondary" data-testid="provide-quote-button" disabled={busy} onClick={() => quote("provide")}>
          Quote
        </button>{" "}
        <button data-testid="provide-button" disabled={busy} onClick={provide}>
          Provide liquidity
        </button>
      </p>
      <div className="row">
        <div>
          <label htmlFor="withdraw-shares">Withdraw, shares (empty: all)</label>
          <input id="withdraw-shares" data-testid="withdraw-shares" value={shares} onChange={(e) => setShares(e.target.value)} />
        </div>
        <div>
          <label htmlFor="withdraw-slippage">Max slippage, %</label>
          <input id="withdraw-slippage" data-testid="withdraw-slippage" value={withdrawSlippage} onChange={(e) => setWithdrawSlippage(e.target.value)} />
        </div>
      </div>
      {withdrawQ && (
        <p data-testid="withdraw-quote" data-out={withdrawQ.out.toString()} data-min-out={withdrawQ.minOut.toString()}>
          {withdrawQ.shares.toString()} shares pay {formatLoop(withdrawQ.out, config)} now ({formatLoop(withdrawQ.gross, config)} less the exit
          fee {formatLoop(withdrawQ.fee, config)}); you sign for at least {formatLoop(withdrawQ.minOut, config)}.
        </p>
      )}
      <p>
        <button className="secondary" data-testid="withdraw-quote-button" disabled={busy || heldShares === 0n} onClick={() => quote("withdraw")}>
          Quote
        </button>{" "}
        <button data-testid="withdraw-button" disabled={busy || heldShares === 0n} onClick={withdraw}>
          Withdraw
        </button>
      </p>
    </section>
  );
}
