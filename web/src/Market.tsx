// Every pool (GPU class): spot price per device-hour, reserves, hours on sale, the epoch clock.
import { useEffect, useRef, useState } from "react";
import { LoopinPairQueryClient } from "./contracts/LoopinPair.client";
import { chainTime, formatHours, formatLoop } from "./chain";
import { countdown, poolViews, type PoolView } from "./market";
import { lastBoundaryHeight, twapSince } from "./history";
import { History } from "./History";
import type { Session } from "./session";

const REFRESH_MS = 3_000;
const TWAP_REFRESH_MS = 15_000;

/**
 * Each pool's TWAP since its last boundary, refreshed slowly. The boundary's height is searched
 * once per epoch (the search reads every boundary the pool has had), then only the historical
 * query and the Twap query run.
 */
function useTwaps(session: Session, version: number): Record<string, string | null> {
  const [twaps, setTwaps] = useState<Record<string, string | null>>({});
  const heights = useRef(new Map<string, number | undefined>());
  useEffect(() => {
    let live = true;
    const boundaryHeight = async (pair: string) => {
      const { epoch } = await new LoopinPairQueryClient(session.client, pair).pool();
      const key = `${pair}@${epoch}`;
      if (!heights.current.has(key)) heights.current.set(key, await lastBoundaryHeight(session.client, pair));
      return heights.current.get(key);
    };
    const refresh = async () => {
      const entries = await Promise.all(
        Object.entries(session.config.contracts.pools).map(async ([gpuClass, pair]) => {
          const height = await boundaryHeight(pair);
          const twap = height === undefined ? null : await twapSince(session.config.chain.rpc, session.client, pair, height);
          return [gpuClass, twap] as const;
        }),
      );
      if (live) setTwaps(Object.fromEntries(entries));
    };
    refresh().catch(() => undefined);
    const timer = setInterval(() => refresh().catch(() => undefined), TWAP_REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [session, version]);
  return twaps;
}

export function Market({ session, version }: { session: Session; version: number }) {
  const [pools, setPools] = useState<PoolView[]>();
  const [now, setNow] = useState<number>();
  const [failed, setFailed] = useState<string>();
  const twaps = useTwaps(session, version);
  const { symbol, decimals } = session.config.token;
  // The pair's prices are LOOP's smallest unit per device-hour.
  const perHour = (price: string) => `${(Number(price) / 10 ** decimals).toFixed(4)} ${symbol}/h`;

  useEffect(() => {
    let live = true;
    const refresh = async () => {
      try {
        const [views, time] = await Promise.all([poolViews(session.client, session.config), chainTime(session.client)]);
        if (!live) return;
        setPools(views);
        setNow(time);
        setFailed(undefined);
      } catch (error) {
        if (live) setFailed(String(error));
      }
    };
    refresh();
    const timer = setInterval(refresh, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [session, version]);

  return (
    <section data-testid="market">
      <h2>Market</h2>
      {failed && <p className="muted">Could not refresh: {failed}</p>}
      {!pools ? (
        <p className="muted">Loading pools…</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>GPU class</th>
              <th>Spot price</th>
              <th>TWAP this epoch</th>
              <th>Hours on sale</th>
              <th>Supplied per epoch</th>
              <th>LOOP reserve</th>
              <th>Trading epoch</th>
              <th>Next epoch in</th>
            </tr>
          </thead>
          <tbody>
            {pools.map((p) => (
              <tr key={p.gpuClass} data-testid={`pool-${p.gpuClass}`}>
                <td>{p.gpuClass}</td>
                <td data-testid={`spot-${p.gpuClass}`}>
                  {p.pool.spot_price ? perHour(p.pool.spot_price) : "—"}
                </td>
                <td data-testid={`twap-${p.gpuClass}`}>
                  {twaps[p.gpuClass] ? perHour(twaps[p.gpuClass] ?? "0") : "—"}
                </td>
                <td data-testid={`hours-${p.gpuClass}`}>{formatHours(p.pool.reserves.hours)}</td>
                <td>{formatHours(BigInt(p.pool.provider_hours) + BigInt(p.pool.seller_hours))}</td>
                <td>{formatLoop(p.pool.reserves.tokens, session.config)}</td>
                <td>{p.pool.trading_epoch}</td>
                <td data-testid={`countdown-${p.gpuClass}`}>
                  {now === undefined ? "—" : countdown(p.nextBoundary - now)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pools?.map((p) => (
        <History key={p.gpuClass} session={session} gpuClass={p.gpuClass} pair={p.pair} epoch={p.pool.epoch} />
      ))}
    </section>
  );
}
