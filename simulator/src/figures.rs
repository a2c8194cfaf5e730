//! Writes the CSV tables and PNG figures of `docs/economics.md`.

use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

use cosmwasm_std::Decimal;
use loopin_pool_math::dissipation::Commitment;

use crate::experiments::{self, example_stakes};
use crate::report::{self, Summary};
use crate::scenario::{Preset, Scenario};
use crate::sim::{EpochRecord, Outcome, run};
use loopin_plot::{Series, line_chart};

type Res = Result<(), Box<dyn Error>>;

/// Daily (24-epoch) averages, plotted at each day's first epoch.
fn column(records: &[EpochRecord], f: fn(&EpochRecord) -> f64) -> Vec<(f64, f64)> {
    records
        .chunks(24)
        .map(|day| {
            let mean = day.iter().map(f).sum::<f64>() / day.len() as f64;
            (day[0].epoch as f64, mean)
        })
        .collect()
}

fn cumulative(records: &[EpochRecord], f: fn(&EpochRecord) -> f64) -> Vec<(f64, f64)> {
    let mut total = 0.0;
    records
        .iter()
        .map(|r| {
            total += f(r);
            (r.epoch as f64, total)
        })
        .collect()
}

/// CSV and plots of one run, files prefixed with the scenario's name.
pub fn run_report(outcome: &Outcome, dir: &Path) -> Res {
    let name = &outcome.scenario.name;
    let r = &outcome.records;
    report::write(dir, &format!("{name}-epochs.csv"), &report::records_csv(r))?;
    report::write(
        dir,
        &format!("{name}-summary.csv"),
        &Summary::of(outcome).to_csv(),
    )?;
    price_chart(outcome, dir)?;
    reserves_chart(outcome, dir)?;
    utilisation_and_supply_charts(outcome, dir)
}

/// A run's price of an hour, what its clients paid on average and the baseline.
fn price_chart(outcome: &Outcome, dir: &Path) -> Res {
    let name = &outcome.scenario.name;
    let r = &outcome.records;
    line_chart(
        &dir.join(format!("{name}-price.png")),
        &format!("{name}: price of an hour and the baseline (daily means)"),
        "epoch",
        "LOOP per device-hour",
        &[
            Series {
                name: "pool spot price",
                points: column(r, |e| e.price),
            },
            Series {
                name: "clients' average price",
                points: column(r, |e| {
                    if e.leased > 0.0 {
                        e.client_paid / e.leased
                    } else {
                        0.0
                    }
                }),
            },
            Series {
                name: "fixed-price baseline",
                points: r
                    .iter()
                    .map(|e| (e.epoch as f64, outcome.scenario.baseline_price))
                    .collect(),
            },
        ],
    )?;
    Ok(())
}

/// A run's reserves, capacity, leased and demanded hours.
fn reserves_chart(outcome: &Outcome, dir: &Path) -> Res {
    let name = &outcome.scenario.name;
    let r = &outcome.records;
    line_chart(
        &dir.join(format!("{name}-reserves.png")),
        &format!("{name}: reserves and capacity (daily means)"),
        "epoch",
        "device-hours / LOOP",
        &[
            Series {
                name: "capacity (h)",
                points: column(r, |e| e.capacity),
            },
            Series {
                name: "leased (h)",
                points: column(r, |e| e.leased),
            },
            Series {
                name: "demanded (h)",
                points: column(r, |e| e.demanded),
            },
            Series {
                name: "LOOP reserve / 10",
                points: column(r, |e| e.reserve_loop / 10.0),
            },
        ],
    )?;
    Ok(())
}

/// A run's utilisation, and its cumulative emission, burns and client payments.
fn utilisation_and_supply_charts(outcome: &Outcome, dir: &Path) -> Res {
    let name = &outcome.scenario.name;
    let r = &outcome.records;
    line_chart(
        &dir.join(format!("{name}-utilisation.png")),
        &format!("{name}: utilisation (daily means)"),
        "epoch",
        "leased / capacity",
        &[Series {
            name: "utilisation",
            points: column(r, |e| e.utilisation),
        }],
    )?;
    line_chart(
        &dir.join(format!("{name}-supply.png")),
        &format!("{name}: cumulative emission and burns"),
        "epoch",
        "LOOP",
        &[
            Series {
                name: "emission",
                points: cumulative(r, EpochRecord::emission),
            },
            Series {
                name: "burned",
                points: cumulative(r, EpochRecord::burned),
            },
            Series {
                name: "client payments",
                points: cumulative(r, |e| e.client_paid),
            },
        ],
    )?;
    Ok(())
}

/// Every figure of the paper's sections 4-5 and the reports.
pub fn all(dir: &Path, seed: u64, epochs: u64) -> Res {
    let mut notes = String::new();
    let stakes = example_stakes();
    staircase_figure(dir, &stakes, &mut notes)?;
    dissipation_figure(dir, &stakes)?;
    break_even_figures(dir)?;
    let limit = experiments::defi_limit(seed, epochs.min(720))?;
    writeln!(notes, "defi_limit_max_relative_reserve_change,{limit}")?;

    roi_figure(dir, seed, epochs)?;
    cost_comparison(dir, seed, epochs, &mut notes)?;
    incentive_figures(dir, seed, epochs)?;
    cost_sweep_figure(dir, seed, epochs)?;
    for preset in [
        Preset::Market,
        Preset::ProvidersOnly,
        Preset::IdleGpus,
        Preset::Incentives,
    ] {
        run_report(&run(&preset.scenario(seed, epochs))?, dir)?;
    }
    report::write(dir, "paper-checks.csv", &format!("metric,value\n{notes}"))?;
    Ok(())
}

/// Eq. (3)/(6): committed hours, continuous against the pool's staircase, and its error bound
/// in `notes`.
fn staircase_figure(dir: &Path, stakes: &[Commitment], notes: &mut String) -> Res {
    let stair = experiments::staircase(stakes, 3_600, 60)?;
    report::write(
        dir,
        "eq6-staircase.csv",
        &report::table_csv(
            &["t_hours", "continuous", "staircase", "bound"],
            &stair.rows,
        ),
    )?;
    let pick = |i: usize| stair.rows.iter().map(|r| (r[0], r[i])).collect::<Vec<_>>();
    line_chart(
        &dir.join("eq6-staircase.png"),
        "Eq. (3)/(6): committed hours, continuous vs the pool's staircase",
        "time (hours)",
        "committed device-hours",
        &[
            Series {
                name: "eq. (6) continuous",
                points: pick(1),
            },
            Series {
                name: "staircase (Δ = 1 h)",
                points: pick(2),
            },
        ],
    )?;
    writeln!(
        notes,
        "staircase_max_error_hours,{}\nstaircase_bound_hours,{}",
        stair.max_error, stair.max_bound
    )?;

    Ok(())
}

/// Eq. (5): the dissipation rate of the same stakes.
fn dissipation_figure(dir: &Path, stakes: &[Commitment]) -> Res {
    let diss = experiments::dissipation(stakes, 3_600, 60)?;
    report::write(
        dir,
        "eq5-dissipation.csv",
        &report::table_csv(&["t_hours", "continuous", "staircase"], &diss),
    )?;
    line_chart(
        &dir.join("eq5-dissipation.png"),
        "Eq. (5): dissipation rate of the stakes of eq. (6)",
        "time (hours)",
        "device-hours per hour",
        &[
            Series {
                name: "eq. (5) summed",
                points: diss.iter().map(|r| (r[0], r[1])).collect(),
            },
            Series {
                name: "pool, per epoch",
                points: diss.iter().map(|r| (r[0], r[2])).collect(),
            },
        ],
    )?;

    Ok(())
}

/// Eq. (8): the share of T a device works to break even, and T_min.
fn break_even_figures(dir: &Path) -> Res {
    let ratios = [0, 200, 400, 600, 800, 900];
    let ts: Vec<u64> = (1..=50).map(|i| i * 20).collect();
    let sweep = experiments::break_even_sweep(&[2, 10], &ratios, Decimal::percent(5), &ts)?;
    let rows: Vec<Vec<f64>> = sweep
        .iter()
        .map(|b| {
            vec![
                b.alpha,
                b.beta,
                b.gamma,
                b.t_hours,
                b.t1_hours,
                b.t_min_hours,
            ]
        })
        .collect();
    report::write(
        dir,
        "eq8-break-even.csv",
        &report::table_csv(&["alpha", "beta", "gamma", "T", "T1", "T_min"], &rows),
    )?;
    let names: Vec<String> = ratios
        .iter()
        .map(|r| format!("β/γ = {:.1}", *r as f64 / 1000.0))
        .collect();
    let series: Vec<Series> = ratios
        .iter()
        .zip(&names)
        .map(|(&ratio, name)| Series {
            name,
            points: sweep
                .iter()
                .filter(|b| b.alpha == 2.0 && (b.beta / b.gamma * 1000.0).round() as u64 == ratio)
                .filter(|b| b.t_hours >= b.t_min_hours)
                .map(|b| (b.t_hours, b.t1_hours / b.t_hours))
                .collect(),
        })
        .collect();
    line_chart(
        &dir.join("eq8-break-even.png"),
        "Eq. (8): share of T a device must work to break even (α = 2, γ = 0.05)",
        "stake length T (hours), from T_min",
        "T1 / T",
        &series,
    )?;
    let tmin: Vec<(f64, f64)> = (0..95)
        .map(|i| {
            let r = i as f64 / 100.0;
            (r, 10.0 / (0.05 * (1.0 - r)))
        })
        .collect();
    line_chart(
        &dir.join("eq8-t-min.png"),
        "Eq. (8): T_min = α / (γ − β), α = 10, γ = 0.05",
        "β / γ",
        "T_min (hours)",
        &[Series {
            name: "T_min",
            points: tmin,
        }],
    )?;

    Ok(())
}

/// A miner's net LOOP per committed hour against T, simulated and by eq. (7).
fn roi_figure(dir: &Path, seed: u64, epochs: u64) -> Res {
    let base = Scenario::market(seed, epochs.min(24 * 60));
    let roi = experiments::roi_against_t(&base, &[24, 50, 100, 168, 336, 720], 100.0)?;
    report::write(
        dir,
        "roi-vs-t.csv",
        &report::table_csv(
            &[
                "T_hours",
                "sim_net_per_hour",
                "eq7_net_per_hour",
                "sim_roi",
                "sim_eq7_net_per_hour",
            ],
            &roi,
        ),
    )?;
    line_chart(
        &dir.join("roi-vs-t.png"),
        "Miner net LOOP per committed hour against T (before operating costs)",
        "T (hours)",
        "LOOP per device-hour",
        &[
            Series {
                name: "simulated: market revenue + rewards",
                points: roi.iter().map(|r| (r[0], r[1])).collect(),
            },
            Series {
                name: "eq. (7), rewards only: expected with failures",
                points: roi.iter().map(|r| (r[0], r[2])).collect(),
            },
            Series {
                name: "eq. (7), rewards only: simulated, contract rules",
                points: roi.iter().map(|r| (r[0], r[4])).collect(),
            },
        ],
    )?;

    Ok(())
}

/// The presets' costs against the fixed-price baseline, and the incentive preset's utilisation
/// reward in `notes`.
fn cost_comparison(dir: &Path, seed: u64, epochs: u64, notes: &mut String) -> Res {
    let mut cost = String::from(
        "preset,client_cost,cost_with_issuance,baseline,ratio,served_pool,served_baseline,utilisation,miner_roi,\
         client_net_cost,client_reward_per_hour,lease_fee_per_hour,miner_net_per_hour,miner_utilisation_per_hour,\
         passive_return,passive_return_without_rewards,passive_rewards,emission,owed_at_end,epochs_ending_owed,standing_leased\n",
    );
    let comparison = experiments::cost_comparison(seed, epochs)?;
    for (name, s) in &comparison {
        writeln!(
            cost,
            "{name},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            s.client_cost,
            s.cost_with_issuance,
            1.0,
            s.cost_ratio,
            s.useful,
            s.baseline_hours,
            s.mean_utilisation,
            s.miner_roi,
            s.client_net_cost,
            s.client_reward_per_hour,
            s.lease_fee_per_hour,
            s.miner_net_per_hour,
            s.miner_utilisation_per_hour,
            s.passive_return,
            s.passive_return_without_rewards,
            s.passive_rewards,
            s.emission,
            s.owed,
            s.owed_epochs,
            s.standing_leased
        )?;
    }
    report::write(dir, "cost-vs-baseline.csv", &cost)?;
    if let Some((_, s)) = comparison.iter().find(|(n, _)| n == "incentives") {
        let per_leased = s.miner_lease_rewards / s.leased.max(1e-9);
        let (t1, t1_leased) = experiments::break_even_leased(
            &Scenario::market(seed, 1).economics,
            168,
            s.mean_utilisation,
            per_leased,
        )?;
        writeln!(
            notes,
            "utilisation_reward_per_leased_hour,{per_leased}\nmean_utilisation,{}\n\
             t1_hours_168_without,{t1}\nt1_hours_168_with_utilisation,{t1_leased}",
            s.mean_utilisation
        )?;
    }
    Ok(())
}

/// Clients' cost per GPU-hour against miners' cost, with and without the emission subsidy.
fn cost_sweep_figure(dir: &Path, seed: u64, epochs: u64) -> Res {
    let scales = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8];
    let header = [
        "miner_cost",
        "client_cost",
        "cost_with_issuance",
        "served",
        "miner_roi",
        "eq7_net_per_hour",
        "client_net_cost",
    ];
    let with = experiments::cost_sweep(seed, epochs, &scales, true)?;
    let without = experiments::cost_sweep(seed, epochs, &scales, false)?;
    report::write(dir, "cost-sweep.csv", &report::table_csv(&header, &with))?;
    report::write(
        dir,
        "cost-sweep-no-subsidy.csv",
        &report::table_csv(&header, &without),
    )?;
    let col = |rows: &[Vec<f64>], i: usize| rows.iter().map(|r| (r[0], r[i])).collect::<Vec<_>>();
    line_chart(
        &dir.join("cost-sweep.png"),
        "Clients' cost per GPU-hour against miners' cost (both / fixed baseline price)",
        "mean miner cost / baseline price",
        "cost / baseline price",
        &[
            Series {
                name: "clients pay (γ − β = 0.04)",
                points: col(&with, 1),
            },
            Series {
                name: "clients + issuance (γ − β = 0.04)",
                points: col(&with, 2),
            },
            Series {
                name: "clients pay, net of the client reward (γ − β = 0.04)",
                points: col(&with, 6),
            },
            Series {
                name: "clients pay (γ − β = 0.001)",
                points: col(&without, 1),
            },
            Series {
                name: "miner cost (break-even line)",
                points: col(&with, 0),
            },
        ],
    )?;
    Ok(())
}

/// Issue 19's figures: where the incentive preset's rewards went, within the emission cap, and
/// its clients' cost per GPU-hour without and with the incentives over several seeds.
fn incentive_figures(dir: &Path, seed: u64, epochs: u64) -> Res {
    let outcome = run(&Preset::Incentives.scenario(seed, epochs))?;
    let r = &outcome.records;
    line_chart(
        &dir.join("incentives-emission.png"),
        "incentives: cumulative emission by recipient, and rewards owed (cap 100 LOOP/day)",
        "epoch",
        "LOOP",
        &[
            Series {
                name: "miners (γ, utilisation)",
                points: cumulative(r, |e| e.emission_miners),
            },
            Series {
                name: "verifiers",
                points: cumulative(r, |e| e.emission_verifiers),
            },
            Series {
                name: "clients",
                points: cumulative(r, |e| e.emission_clients),
            },
            Series {
                name: "passive liquidity",
                points: cumulative(r, |e| e.emission_passive),
            },
            Series {
                name: "owed (after each epoch's claims)",
                points: r.iter().map(|e| (e.epoch as f64, e.owed)).collect(),
            },
        ],
    )?;
    let seeds: Vec<u64> = (seed..seed + 8).collect();
    let rows = experiments::incentive_seeds(&seeds, epochs)?;
    report::write(
        dir,
        "incentive-seeds.csv",
        &report::table_csv(
            &[
                "seed",
                "client_cost_without",
                "client_cost_with",
                "client_net_cost_with",
                "lease_fee_per_hour_with",
            ],
            &rows,
        ),
    )?;
    let col = |i: usize| rows.iter().map(|r| (r[0], r[i])).collect::<Vec<_>>();
    line_chart(
        &dir.join("incentive-seeds.png"),
        "Clients' LOOP per GPU-hour, issue 19's agents, by seed",
        "seed",
        "LOOP per useful device-hour",
        &[
            Series {
                name: "no incentives (orders)",
                points: col(1),
            },
            Series {
                name: "incentives: clients pay",
                points: col(2),
            },
            Series {
                name: "incentives: net of the client reward",
                points: col(3),
            },
        ],
    )?;
    Ok(())
}
