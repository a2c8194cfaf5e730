// Every pool (GPU class): spot price per device-hour, reserves, hours on sale, the epoch clock.
import { useEffect, useState } from "react";
import { chainTime, formatHours, formatLoop } from "./chain";
import { countdown, poolViews, type PoolView } from "./market";
import type { Session } from "./session";

const REFRESH_MS = 3_000;

export function Market({ session, version }: { session: Session; version: number }) {
  const [pools, setPools] = useState<PoolView[]>();
  const [now, setNow] = useState<number>();
  const [failed, setFailed] = useState<string>();

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
              <th>Hours on sale</th>
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
                  {p.pool.spot_price ? `${Number(p.pool.spot_price).toFixed(4)} ${session.config.token.symbol}/h` : "—"}
                </td>
                <td data-testid={`hours-${p.gpuClass}`}>{formatHours(p.pool.reserves.hours)}</td>
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
    </section>
  );
}
