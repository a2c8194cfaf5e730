//! The run's figures as Markdown (bench/load.md's tables).

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::cast::Scale;
use crate::epochs::{CatchUp, EpochRow, Settled};
use crate::gas::GasBook;

/// What one scale's run measured.
pub struct ScaleReport {
    pub scale: Scale,
    pub epochs_planned: u64,
    pub deploy_s: f64,
    pub setup_s: f64,
    pub setup_gas: GasBook,
    pub assigned: usize,
    pub assign_s: f64,
    pub registry_gas: GasBook,
    pub epochs: Vec<EpochRow>,
    pub settled: Option<Settled>,
    pub catch_up: CatchUp,
}

impl ScaleReport {
    pub fn new(scale: Scale, epochs_planned: u64) -> Self {
        ScaleReport {
            scale,
            epochs_planned,
            deploy_s: 0.0,
            setup_s: 0.0,
            setup_gas: GasBook::default(),
            assigned: 0,
            assign_s: 0.0,
            registry_gas: GasBook::default(),
            epochs: vec![],
            settled: None,
            catch_up: CatchUp::default(),
        }
    }

    /// Every epoch's gas together.
    fn epoch_gas(&self) -> GasBook {
        let mut all = GasBook::default();
        for e in &self.epochs {
            all.merge(&e.gas);
        }
        all
    }

    /// Every transaction of the run.
    fn all_gas(&self) -> GasBook {
        let mut all = self.epoch_gas();
        all.merge(&self.setup_gas);
        all.merge(&self.registry_gas);
        all.merge(&self.catch_up.gas);
        if let Some(s) = &self.settled {
            all.merge(&s.gas);
        }
        all
    }

    fn mean_epoch_s(&self) -> f64 {
        self.epochs.iter().map(|e| e.wall_s).sum::<f64>() / self.epochs.len().max(1) as f64
    }

    fn ms_per_block(&self) -> f64 {
        let blocks: i64 = self.epochs.iter().map(|e| e.blocks).sum();
        1_000.0 * self.epochs.iter().map(|e| e.wall_s).sum::<f64>() / blocks.max(1) as f64
    }

    fn keeper_tick_s(&self) -> (f64, f64) {
        let ticks: Vec<f64> = self.epochs.iter().map(|e| e.keeper_s).collect();
        let mean = ticks.iter().sum::<f64>() / ticks.len().max(1) as f64;
        (mean, ticks.iter().copied().fold(0.0, f64::max))
    }

    pub fn summary(&self) -> String {
        let s = &self.scale;
        format!(
            "{} stakes, {} clients, {} verifiers: setup {:.1} s, {} epochs at {:.2} s mean, catch-up of {} epochs {:.2} s",
            s.stakes,
            s.clients,
            s.verifiers,
            self.setup_s,
            self.epochs.len(),
            self.mean_epoch_s(),
            self.catch_up.paused,
            self.catch_up.wall_s
        )
    }
}

fn ratio(first: u64, last: u64) -> String {
    if first == 0 || last == 0 {
        return "".into();
    }
    format!("{:.3}", last as f64 / first as f64)
}

fn header(out: &mut String, first: &str, reports: &[ScaleReport], last: &str) {
    let cols: Vec<String> = reports
        .iter()
        .map(|r| format!("n = {}", r.scale.stakes))
        .collect();
    let _ = writeln!(out, "| {first} | {} | {last} |", cols.join(" | "));
    let _ = writeln!(out, "|---|{}---:|", "---:|".repeat(reports.len()));
}

fn row(out: &mut String, name: &str, cells: &[String], last: &str) {
    let _ = writeln!(out, "| {name} | {} | {last} |", cells.join(" | "));
}

/// The scales side by side: the cast, wall time per epoch and block, the keeper.
fn scales_table(out: &mut String, reports: &[ScaleReport]) {
    header(out, "measure", reports, "largest / smallest");
    let num = |f: &dyn Fn(&ScaleReport) -> u64, name: &str, out: &mut String| {
        let v: Vec<u64> = reports.iter().map(f).collect();
        let cells: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        row(out, name, &cells, &ratio(v[0], *v.last().unwrap_or(&0)));
    };
    num(
        &|r| r.scale.stakes as u64,
        "stakes (devices staked and registered)",
        out,
    );
    num(&|r| r.scale.clients as u64, "clients", out);
    num(
        &|r| r.scale.verifiers as u64,
        "verifiers bonded, challenge key set",
        out,
    );
    num(
        &|r| r.epochs.iter().map(|e| e.leases).sum(),
        "leases bought",
        out,
    );
    num(
        &|r| r.epochs.iter().map(|e| e.refused).sum(),
        "leases refused",
        out,
    );
    num(
        &|r| r.epochs.len() as u64,
        "epochs run (keeper advanced each)",
        out,
    );
    timing_rows(out, reports);
}

/// Wall times, the keeper's AdvanceEpoch and catch-up, settlement, the assignment sample.
fn timing_rows(out: &mut String, reports: &[ScaleReport]) {
    let cell = |f: &dyn Fn(&ScaleReport) -> String| reports.iter().map(f).collect::<Vec<_>>();
    row(
        out,
        "deploy (devnet.toml), s",
        &cell(&|r| format!("{:.1}", r.deploy_s)),
        "",
    );
    row(
        out,
        "stakes, registrations and bonds, s",
        &cell(&|r| format!("{:.1}", r.setup_s)),
        "",
    );
    row(
        out,
        "epoch wall time, mean s (leases, clock, keeper tick)",
        &cell(&|r| format!("{:.2}", r.mean_epoch_s())),
        "",
    );
    row(
        out,
        "wall time per block, ms",
        &cell(&|r| format!("{:.0}", r.ms_per_block())),
        "",
    );
    row(
        out,
        "keeper tick (advance_due), mean / max s",
        &cell(&|r| {
            let (mean, max) = r.keeper_tick_s();
            format!("{mean:.3} / {max:.3}")
        }),
        "",
    );
    let adv = |r: &ScaleReport| r.epoch_gas().get("advance_epoch");
    let v: Vec<u64> = reports.iter().map(|r| adv(r).mean()).collect();
    let cells: Vec<String> = reports
        .iter()
        .map(|r| format!("{} (max {})", adv(r).mean(), adv(r).max))
        .collect();
    row(
        out,
        "AdvanceEpoch gas per epoch, mean (max)",
        &cells,
        &ratio(v[0], *v.last().unwrap_or(&0)),
    );
    catch_up_rows(out, reports);
}

/// The keeper's catch-up and settlement, the assignment sample.
fn catch_up_rows(out: &mut String, reports: &[ScaleReport]) {
    let cell = |f: &dyn Fn(&ScaleReport) -> String| reports.iter().map(f).collect::<Vec<_>>();
    row(
        out,
        "catch-up: epochs paused / keeper ticks / AdvanceEpoch txs",
        &cell(&|r| {
            format!(
                "{} / {} / {}",
                r.catch_up.paused, r.catch_up.ticks, r.catch_up.advances
            )
        }),
        "",
    );
    row(
        out,
        "catch-up: wall s / AdvanceEpoch gas",
        &cell(&|r| {
            format!(
                "{:.3} / {}",
                r.catch_up.wall_s,
                r.catch_up.gas.get("advance_epoch").gas
            )
        }),
        "",
    );
    row(
        out,
        "settle_due (one tick): epochs settled / wall s",
        &cell(&|r| match &r.settled {
            Some(s) => format!("{} / {:.1}", s.settled, s.wall_s),
            None => "not run".into(),
        }),
        "",
    );
    row(
        out,
        "challenges assigned (sample) / wall s of the sample",
        &cell(&|r| format!("{} / {:.1}", r.assigned, r.assign_s)),
        "",
    );
}

/// Gas per message kind: mean (transactions) at each scale.
fn gas_table(out: &mut String, reports: &[ScaleReport]) {
    let books: Vec<GasBook> = reports.iter().map(ScaleReport::all_gas).collect();
    let kinds: BTreeSet<&String> = books.iter().flat_map(|b| b.kinds.keys()).collect();
    header(
        out,
        "message kind: mean gas (txs)",
        reports,
        "largest / smallest mean",
    );
    for kind in kinds {
        let tallies: Vec<_> = books.iter().map(|b| b.get(kind)).collect();
        let cells: Vec<String> = tallies
            .iter()
            .map(|t| format!("{} ({})", t.mean(), t.txs))
            .collect();
        let last = tallies.last().map(|t| t.mean()).unwrap_or(0);
        row(out, kind, &cells, &ratio(tallies[0].mean(), last));
    }
}

/// Gas summed per epoch, mean over the epochs, by kind.
fn per_epoch_table(out: &mut String, reports: &[ScaleReport]) {
    let books: Vec<(GasBook, usize)> = reports
        .iter()
        .map(|r| (r.epoch_gas(), r.epochs.len().max(1)))
        .collect();
    let kinds: BTreeSet<&String> = books.iter().flat_map(|(b, _)| b.kinds.keys()).collect();
    header(
        out,
        "per epoch: gas summed (txs)",
        reports,
        "largest / smallest",
    );
    for kind in kinds {
        let sums: Vec<(u64, u64)> = books
            .iter()
            .map(|(b, n)| (b.get(kind).gas / *n as u64, b.get(kind).txs / *n as u64))
            .collect();
        let cells: Vec<String> = sums.iter().map(|(g, t)| format!("{g} ({t})")).collect();
        row(
            out,
            kind,
            &cells,
            &ratio(sums[0].0, sums.last().map(|s| s.0).unwrap_or(0)),
        );
    }
}

pub fn markdown(reports: &[ScaleReport], command: &str, total_s: f64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Command: `{command}` ({total_s:.0} s in all).\n");
    if reports.is_empty() {
        return out;
    }
    scales_table(&mut out, reports);
    out.push('\n');
    gas_table(&mut out, reports);
    out.push('\n');
    per_epoch_table(&mut out, reports);
    let planned = reports[0].epochs_planned;
    let _ = writeln!(out, "\n{planned} epochs planned per scale.");
    out
}
