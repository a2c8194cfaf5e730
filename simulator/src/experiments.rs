//! The paper's equations reproduced: eq. (3)/(6) staircase, eq. (5) dissipation, eq. (7)/(8)
//! break-even sweep, the T → ∞ limit, miner ROI against T and cost against a fixed price.

use cosmwasm_std::{Decimal, Decimal256, SignedDecimal256};
use loopin_pool_math::capacity::EpochClock;
use loopin_pool_math::dissipation::{
    Commitment, staircase_bound, total_continuous, total_dissipation_rate, total_staircase,
};
use loopin_pool_math::economics::Economics;
use loopin_pool_math::{HOUR, MathError};

use crate::report::Summary;
use crate::scenario::{EntryPolicy, Preset, RenewalPolicy, Scenario};
use crate::sim::run;

fn f(d: Decimal256) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

fn fs(d: SignedDecimal256) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

/// The stakes of the eq. (6) figure: three overlapping stakes, rates 1, 2.5 and 0.5.
pub fn example_stakes() -> Vec<Commitment> {
    let c = |rate: Decimal, start_epoch, end_epoch| Commitment {
        rate,
        start_epoch,
        end_epoch,
    };
    vec![
        c(Decimal::one(), 0, 12),
        c(Decimal::percent(250), 3, 7),
        c(Decimal::percent(50), 5, 20),
    ]
}

/// Eq. (3)/(6) sampled every `step` seconds: rows of hours `[t, curve, staircase, bound]`
/// (device-hours), and the largest `staircase − curve` and `Σ r·Δ` seen.
pub struct Staircase {
    pub rows: Vec<Vec<f64>>,
    pub max_error: f64,
    pub max_bound: f64,
}

pub fn staircase(
    stakes: &[Commitment],
    epoch_seconds: u64,
    step: u64,
) -> Result<Staircase, MathError> {
    let clock = EpochClock::new(0, epoch_seconds)?;
    let end = stakes.iter().map(|c| c.end_epoch).max().unwrap_or(0) * epoch_seconds;
    let mut out = Staircase {
        rows: Vec::new(),
        max_error: 0.0,
        max_bound: 0.0,
    };
    let mut t = 0;
    while t <= end {
        let curve = f(total_continuous(stakes, &clock, t)?) / HOUR as f64;
        let stair = total_staircase(stakes, &clock, t)?.u128() as f64 / HOUR as f64;
        let bound = f(staircase_bound(stakes, &clock, t)?) / HOUR as f64;
        out.max_error = out.max_error.max(stair - curve);
        out.max_bound = out.max_bound.max(bound);
        out.rows.push(vec![t as f64 / 3_600.0, curve, stair, bound]);
        t += step;
    }
    Ok(out)
}

/// Eq. (5) summed over `stakes`: rows `[t hours, continuous rate, staircase rate]` in
/// device-hours per hour; the staircase rate is the hours one epoch withdraws, per hour.
pub fn dissipation(
    stakes: &[Commitment],
    epoch_seconds: u64,
    step: u64,
) -> Result<Vec<Vec<f64>>, MathError> {
    let clock = EpochClock::new(0, epoch_seconds)?;
    let end = stakes.iter().map(|c| c.end_epoch).max().unwrap_or(0) * epoch_seconds;
    let hours = epoch_seconds as f64 / 3_600.0;
    let mut rows = Vec::new();
    let mut t = 0;
    while t <= end {
        let smooth = fs(total_dissipation_rate(stakes, &clock, t)?) / HOUR as f64;
        let epoch = clock.epoch_at(t);
        // The pool withdraws (or delivers) one epoch of hours of every active stake per epoch.
        let mut left = 0u128;
        for c in stakes
            .iter()
            .filter(|c| c.start_epoch <= epoch && epoch < c.end_epoch)
        {
            left += loopin_pool_math::capacity::hours_per_epoch(c.rate, epoch_seconds)?.u128();
        }
        let left = left as f64;
        rows.push(vec![
            t as f64 / 3_600.0,
            smooth,
            -left / HOUR as f64 / hours,
        ]);
        t += step;
    }
    Ok(rows)
}

/// One point of the eq. (7)/(8) sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakEven {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub t_hours: f64,
    pub t1_hours: f64,
    pub t_min_hours: f64,
}

/// Eq. (7)/(8) over a grid of `alpha` and `beta/gamma` at `gamma`, for stake lengths `ts`.
pub fn break_even_sweep(
    alphas: &[u64],
    beta_permille_of_gamma: &[u64],
    gamma: Decimal,
    ts: &[u64],
) -> Result<Vec<BreakEven>, MathError> {
    let mut out = Vec::new();
    for &alpha in alphas {
        for &ratio in beta_permille_of_gamma {
            let e = Economics {
                alpha: Decimal::from_ratio(alpha, 1u64),
                beta: gamma * Decimal::permille(ratio),
                gamma,
            };
            let t_min = f(e.t_min_hours()?);
            for &t in ts {
                let t1 = f(e.break_even_hours(Decimal256::from_ratio(t, 1u64))?);
                out.push(BreakEven {
                    alpha: alpha as f64,
                    beta: f(Decimal256::from(e.beta)),
                    gamma: f(Decimal256::from(gamma)),
                    t_hours: t as f64,
                    t1_hours: t1,
                    t_min_hours: t_min,
                });
            }
        }
    }
    Ok(out)
}

/// The T → ∞ limit: providers that all renew, no clients. Returns the largest relative change
/// of either reserve between consecutive epochs after the first.
pub fn defi_limit(seed: u64, epochs: u64) -> Result<f64, MathError> {
    let outcome = run(&Preset::DefiLimit.scenario(seed, epochs))?;
    let mut worst: f64 = 0.0;
    for w in outcome.records.windows(2).skip(1) {
        let dh = (w[1].reserve_hours - w[0].reserve_hours).abs() / w[0].reserve_hours;
        let dy = (w[1].reserve_loop - w[0].reserve_loop).abs() / w[0].reserve_loop;
        worst = worst.max(dh).max(dy);
    }
    Ok(worst)
}

/// Expected eq. (7) net per unit of rate with a device that fails with probability `p` per
/// epoch and earns `gamma` for every hour worked (`T1 = min(failure, T)`).
pub fn expected_net(e: &Economics, epochs: u64, epoch_hours: f64, p: f64) -> f64 {
    let g = |d: Decimal| f(Decimal256::from(d));
    let worked: f64 = (0..epochs)
        .map(|k| (1.0 - p).powi(k as i32 + 1))
        .sum::<f64>()
        * epoch_hours;
    -g(e.alpha) - g(e.beta) * epochs as f64 * epoch_hours + g(e.gamma) * worked
}

/// Miner ROI against T: rows `[T hours, simulated net LOOP/h, eq. (7) expected net LOOP/h,
/// simulated ROI, simulated eq. (7) net LOOP/h under the contract's rules]` with every candidate staking, no renewals and arrivals sized so that about
/// `devices` stakes are active whatever T.
pub fn roi_against_t(
    base: &Scenario,
    ts: &[u64],
    devices: f64,
) -> Result<Vec<Vec<f64>>, MathError> {
    let mut rows = Vec::new();
    for &t in ts {
        let mut s = base.clone();
        s.miners.epochs = t;
        s.miners.arrivals_per_epoch = devices / t as f64;
        s.miners.initial = (devices as u64).min(t) as u32;
        s.miners.entry = EntryPolicy::Always;
        s.miners.renewal = RenewalPolicy::Never;
        let summary = Summary::of(&run(&s)?);
        let hours = t as f64 * s.epoch_seconds as f64 / 3_600.0;
        let expected = expected_net(
            &s.economics,
            t,
            s.epoch_seconds as f64 / 3_600.0,
            s.miners.failure_rate,
        );
        rows.push(vec![
            hours,
            summary.miner_net_per_hour,
            expected / hours,
            summary.miner_roi,
            summary.miner_reward_net_per_hour,
        ]);
    }
    Ok(rows)
}

/// Cost per GPU-hour against the baseline across presets, and issue 19's agents without and
/// with the class's incentives (miners ignoring, then counting the utilisation reward): rows
/// of `(name, summary)`.
pub fn cost_comparison(seed: u64, epochs: u64) -> Result<Vec<(String, Summary)>, MathError> {
    let presets = [
        Preset::Market,
        Preset::ProvidersOnly,
        Preset::IdleGpus,
        Preset::Failures,
        Preset::Orders,
    ];
    let mut scenarios: Vec<Scenario> = presets.iter().map(|p| p.scenario(seed, epochs)).collect();
    scenarios.push(Scenario::orders(seed, epochs).with_incentives(false));
    scenarios.push(Preset::Incentives.scenario(seed, epochs));
    scenarios
        .iter()
        .map(|s| Ok((s.name.clone(), Summary::of(&run(s)?))))
        .collect()
}

/// Issue 19's agents over several seeds: rows `[seed, clients pay without incentives, clients
/// pay with them (miners counting the utilisation reward), the same net of the client reward,
/// lease fee per hour with them]`, LOOP per useful device-hour.
pub fn incentive_seeds(seeds: &[u64], epochs: u64) -> Result<Vec<Vec<f64>>, MathError> {
    seeds
        .iter()
        .map(|&seed| {
            let without = Summary::of(&run(&Preset::Orders.scenario(seed, epochs))?);
            let with = Summary::of(&run(&Preset::Incentives.scenario(seed, epochs))?);
            Ok(vec![
                seed as f64,
                without.client_cost,
                with.client_cost,
                with.client_net_cost,
                with.lease_fee_per_hour,
            ])
        })
        .collect()
}

/// Eq. (8) with the utilisation reward for a stake of `hours`: the break-even working hours
/// `(T1 without, T1 with)` when a share `leased` of the working hours is leased and each pays
/// `utilisation` LOOP more (`Economics::break_even_hours_leased`).
pub fn break_even_leased(
    e: &Economics,
    hours: u64,
    leased: f64,
    utilisation: f64,
) -> Result<(f64, f64), MathError> {
    let t = Decimal256::from_ratio(hours, 1u64);
    let ratio = |x: f64| Decimal::from_ratio((x.max(0.0) * 1e12).round() as u128, 10u128.pow(12));
    let with = e.break_even_hours_leased(t, ratio(leased), ratio(utilisation))?;
    Ok((f(e.break_even_hours(t)?), f(with)))
}

/// The market with miners' costs uniform in `[0.5, 1.5] × scale × baseline`, two candidates per
/// epoch, and with `subsidy: false` `gamma` barely above `beta`. The class pays the incentives
/// of [`Scenario::with_incentives`], miners ignoring them: every run is the one without
/// incentives, its clients paid their client reward on top.
pub fn sweep_scenario(seed: u64, epochs: u64, scale: f64, subsidy: bool) -> Scenario {
    let mut s = Scenario::market(seed, epochs);
    s.name = format!("cost{scale}{}", if subsidy { "" } else { "-nosubsidy" });
    s.miners.cost_low = 0.5 * scale * s.baseline_price;
    s.miners.cost_high = 1.5 * scale * s.baseline_price;
    s.miners.arrivals_per_epoch = 2.0;
    if !subsidy {
        s.economics.gamma = s.economics.beta + Decimal::permille(1);
    }
    let name = s.name.clone();
    let mut s = s.with_incentives(false);
    s.name = name;
    s
}

/// Client cost against miners' cost: rows `[mean miner cost / baseline, client cost / baseline,
/// (client + issuance) / baseline, useful hours / baseline hours, mean miner ROI, eq. (7) net per
/// hour, client cost net of the client reward / baseline]`. Miners' costs
/// are uniform in `[0.5, 1.5] × scale × baseline`; `subsidy: false` sets `gamma` barely above
/// `beta`, so miners live on clients' payments alone.
pub fn cost_sweep(
    seed: u64,
    epochs: u64,
    scales: &[f64],
    subsidy: bool,
) -> Result<Vec<Vec<f64>>, MathError> {
    let mut rows = Vec::new();
    for &scale in scales {
        let s = sweep_scenario(seed, epochs, scale, subsidy);
        let summary = Summary::of(&run(&s)?);
        rows.push(vec![
            scale,
            summary.cost_ratio,
            summary.cost_with_issuance / s.baseline_price,
            summary.useful / summary.baseline_hours.max(1e-9),
            summary.miner_roi,
            summary.miner_reward_net_per_hour,
            summary.client_net_cost / s.baseline_price,
        ]);
    }
    Ok(rows)
}
