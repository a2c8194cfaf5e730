// A pool's past epochs as charts (uPlot): the opening price per device-hour, and the hours leased
// against the hours left to dissipate, from the chain's events (history.ts).
import { useEffect, useMemo, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { epochHistory, type EpochRecord } from "./history";
import type { Session } from "./session";

const HOURS = 1e6;

function Chart({ title, data, series, testId }: { title: string; data: uPlot.AlignedData; series: uPlot.Series[]; testId: string }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return;
    const plot = new uPlot(
      {
        title,
        width: Math.min(element.current.clientWidth || 500, 520),
        height: 220,
        scales: { x: { time: false } },
        axes: [{ label: "epoch" }, {}],
        series: [{ label: "epoch" }, ...series],
      },
      data,
      element.current,
    );
    return () => plot.destroy();
  }, [title, data, series]);
  return <div ref={element} data-testid={testId} />;
}

const PRICE_SERIES: uPlot.Series[] = [{ label: "LOOP per device-hour", stroke: "#3451d1", width: 2 }];
const HOURS_SERIES: uPlot.Series[] = [
  { label: "leased, h", stroke: "#1d8a3c", width: 2 },
  { label: "dissipated, h", stroke: "#c0392b", width: 2 },
];

interface Props {
  session: Session;
  gpuClass: string;
  pair: string;
  /** The pool's last processed boundary: the history is read again when it moves. */
  epoch: number;
}

export function History({ session, gpuClass, pair, epoch }: Props) {
  const [records, setRecords] = useState<EpochRecord[]>();
  const [failed, setFailed] = useState<string>();
  useEffect(() => {
    epochHistory(session.client, pair).then(setRecords, (error) => setFailed(String(error)));
  }, [session, pair, epoch]);
  const [price, hours] = useMemo((): [uPlot.AlignedData, uPlot.AlignedData] => {
    const list = records ?? [];
    const epochs = list.map((r) => r.epoch);
    return [
      [epochs, list.map((r) => r.openingPrice)],
      [epochs, list.map((r) => Number(r.leasedHours) / HOURS), list.map((r) => Number(r.dissipatedHours) / HOURS)],
    ];
  }, [records]);
  if (failed) return <p className="muted">No history: {failed}</p>;
  if (!records) return <p className="muted">Loading {gpuClass}'s epochs…</p>;
  if (records.length === 0) return <p className="muted">No epoch of {gpuClass} has ended yet.</p>;
  return (
    <div data-testid={`history-${gpuClass}`} data-epochs={records.length} style={{ display: "flex", gap: 16, flexWrap: "wrap" }}>
      <Chart title={`${gpuClass}: opening price`} data={price} series={PRICE_SERIES} testId={`price-chart-${gpuClass}`} />
      <Chart title={`${gpuClass}: hours per epoch`} data={hours} series={HOURS_SERIES} testId={`hours-chart-${gpuClass}`} />
    </div>
  );
}
