//! The paper's closed forms, reproduced to 1e-9 relative error, and the simulator's behaviour.

use cosmwasm_std::{Decimal, Decimal256, SignedDecimal256};
use loopin_pool_math::economics::Economics;
use loopin_simulator::experiments::{self, example_stakes, expected_net};
use loopin_simulator::report::Summary;
use loopin_simulator::scenario::{Preset, Scenario};
use loopin_simulator::sim::run;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

/// Σ r over the example's stakes active in `epoch`.
fn active_rate(epoch: u64) -> f64 {
    example_stakes()
        .iter()
        .filter(|c| c.start_epoch <= epoch && epoch < c.end_epoch)
        .map(|c| c.rate.to_string().parse::<f64>().unwrap())
        .sum()
}

#[test]
fn eq_6_staircase_error_is_r_delta_at_most_and_reached_just_before_each_boundary() {
    // Sampling every second of the last minute of each epoch finds `Σ r · (Δ - 1 s)`.
    let stair = experiments::staircase(&example_stakes(), 3_600, 1).unwrap();
    assert!(stair.max_error <= stair.max_bound);
    for row in &stair.rows {
        let t = (row[0] * 3_600.0).round() as u64;
        let (curve, steps) = (row[1], row[2]);
        assert!(steps >= curve - 1e-12, "staircase below eq. (6) at {t}");
        if t % 3_600 == 3_599 {
            let expected = active_rate(t / 3_600) * 3_599.0 / 3_600.0;
            assert!(
                close(steps - curve, expected),
                "gap at {t}: {} vs {expected}",
                steps - curve
            );
        }
        if t.is_multiple_of(3_600) {
            assert!(
                close(steps, curve) || steps == curve,
                "staircase meets eq. (6) at {t}"
            );
        }
    }
    // The largest gap is r·Δ(1 - 1/3600) for the busiest epoch (rates 1 + 2.5 + 0.5 = 4).
    assert!(close(stair.max_error, 4.0 * 3_599.0 / 3_600.0));
    assert!(close(stair.max_bound, 4.0));
}

#[test]
fn eq_5_integrates_to_what_the_pool_withdraws_each_epoch() {
    let rows = experiments::dissipation(&example_stakes(), 3_600, 900).unwrap();
    for row in &rows {
        let epoch = (row[0] as u64).min(1_000);
        // Inside an epoch the smooth rate of eq. (5) is exactly −Σ r, and the pool removes the
        // same Σ r · Δ at the boundary.
        assert!(close(row[1], -active_rate(epoch)) || (row[1] == 0.0 && active_rate(epoch) == 0.0));
        assert!(close(row[1], row[2]) || row[1] == row[2]);
    }
}

#[test]
fn eq_7_and_8_break_even_over_a_sweep() {
    let gamma = Decimal::percent(5);
    let ratios = [0, 100, 250, 500, 750, 990];
    let ts: Vec<u64> = (1..=40).map(|i| i * 25).collect();
    for b in experiments::break_even_sweep(&[1, 2, 10, 100], &ratios, gamma, &ts).unwrap() {
        assert!(close(b.t_min_hours, b.alpha / (b.gamma - b.beta)));
        assert!(close(
            b.t1_hours,
            b.alpha / b.gamma + b.beta / b.gamma * b.t_hours
        ));
        // T1 <= T exactly when T >= T_min.
        assert_eq!(
            b.t1_hours <= b.t_hours + 1e-12,
            b.t_hours >= b.t_min_hours - 1e-12
        );
        // Eq. (7) nets zero at T1.
        let e = Economics {
            alpha: Decimal::from_ratio(b.alpha as u64, 1u64),
            beta: Decimal::from_ratio((b.beta * 1e9).round() as u64, 1_000_000_000u64),
            gamma,
        };
        let net = e
            .net(
                Decimal256::from_ratio(b.t_hours as u64, 1u64),
                e.break_even_hours(Decimal256::from_ratio(b.t_hours as u64, 1u64))
                    .unwrap(),
            )
            .unwrap();
        let tiny = SignedDecimal256::from_ratio(1i128, 1_000_000_000i128);
        assert!(net <= tiny && net >= -tiny, "{b:?}");
    }
}

#[test]
fn expected_eq_7_without_failures_is_the_closed_form() {
    let e = Scenario::market(1, 1).economics;
    for t in [1u64, 50, 168, 1_000] {
        let net = e
            .net(
                Decimal256::from_ratio(t, 1u64),
                Decimal256::from_ratio(t, 1u64),
            )
            .unwrap()
            .to_string()
            .parse::<f64>()
            .unwrap();
        assert!(close(expected_net(&e, t, 1.0, 0.0), net));
    }
    // Failures only lower the expected net.
    assert!(expected_net(&e, 168, 1.0, 0.01) < expected_net(&e, 168, 1.0, 0.0));
}

#[test]
fn the_t_infinity_limit_is_a_conservative_defi_pool() {
    // Every provider renewing, no trades: each boundary withdraws and re-lists the same hours and
    // the LOOP reserve does not move.
    assert_eq!(experiments::defi_limit(7, 300).unwrap(), 0.0);
}

#[test]
fn runs_are_deterministic_for_a_seed() {
    let a = run(&Preset::Market.scenario(3, 120)).unwrap();
    let b = run(&Preset::Market.scenario(3, 120)).unwrap();
    let c = run(&Preset::Market.scenario(4, 120)).unwrap();
    assert_eq!(a.records, b.records);
    assert_ne!(a.records, c.records);
}

#[test]
fn every_committed_hour_is_either_leased_or_withdrawn() {
    let mut s = Preset::Market.scenario(5, 150);
    s.miners.failure_rate = 0.0;
    let outcome = run(&s).unwrap();
    let mut leased = 0.0;
    for r in &outcome.records {
        assert!(r.leased <= r.capacity + 1e-9, "oversold at {}", r.epoch);
        assert!(
            (r.capacity - r.leased - r.withdrawn).abs() < 1e-6,
            "epoch {}",
            r.epoch
        );
        assert!(r.utilisation <= 1.0 + 1e-9);
        leased += r.leased;
    }
    assert!(leased > 0.0);
}

#[test]
fn without_sellers_the_price_only_ratchets_up_and_demand_is_priced_out() {
    let providers = Summary::of(&run(&Preset::ProvidersOnly.scenario(1, 400)).unwrap());
    let market = Summary::of(&run(&Preset::Market.scenario(1, 400)).unwrap());
    assert!(providers.leased < 0.05 * market.leased);
    assert!(market.cost_ratio < 1.0);
}

#[test]
fn failed_devices_are_caught_and_slashed() {
    let summary = Summary::of(&run(&Preset::Failures.scenario(2, 300)).unwrap());
    assert!(summary.invalidated > 0);
    assert!(summary.burned > 0.0);
}

#[test]
fn plots_render_with_the_embedded_font() {
    let dir = std::env::temp_dir().join(format!("loopin-sim-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("line.png");
    loopin_plot::line_chart(
        &path,
        "test",
        "x",
        "y",
        &[loopin_plot::Series {
            name: "line",
            points: vec![(0.0, 0.0), (1.0, 2.0)],
        }],
    )
    .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 19: on a class paying the incentives, with the agents deciding as they would without
/// them, every trade is the same, and the client reward lowers the clients' LOOP per GPU-hour
/// below the no-incentive run's by a positive amount of at most half the exchange fee their
/// leases burned (`LEASE_REWARD_FEE_SHARE`).
#[test]
fn the_client_reward_lowers_the_cost_per_gpu_hour_by_at_most_half_the_fee() {
    let without = Summary::of(&run(&Scenario::orders(1, 400)).unwrap());
    let with = Summary::of(&run(&Scenario::orders(1, 400).with_incentives(false)).unwrap());
    assert_eq!(with.client_cost, without.client_cost);
    assert_eq!(with.lease_fee_per_hour, without.lease_fee_per_hour);
    let lower = without.client_cost - with.client_net_cost;
    assert!(lower > 0.0, "the client reward lowers the net cost");
    assert!(
        lower <= 0.5 * with.lease_fee_per_hour + 1e-12,
        "{lower} above half the fee {}",
        with.lease_fee_per_hour
    );
    // The miner's part goes to the miners, the passive provider earns its liquidity reward.
    assert!(with.miner_lease_rewards > 0.0 && with.passive_rewards > 0.0);
    assert!(with.passive_return > with.passive_return_without_rewards);
    assert!(without.standing_leased > 0.0);
}

/// Every reward is minted within the factory's cap per emission epoch, and what the cap leaves
/// stays owed and is minted later.
#[test]
fn rewards_stay_within_the_emission_cap_and_what_it_leaves_is_owed() {
    let s = Preset::Incentives.scenario(2, 400);
    let (cap, seconds) = s.rewards.cap.unwrap();
    let per_day = (seconds / s.epoch_seconds) as usize;
    let outcome = run(&s).unwrap();
    for day in outcome.records.chunks(per_day) {
        let minted: f64 = day.iter().map(|e| e.emission()).sum();
        assert!(minted <= cap as f64 / 1e6 + 1e-6, "{minted} in a day");
    }
    let owed = outcome.records.iter().map(|e| e.owed).fold(0.0, f64::max);
    assert!(owed > 0.0, "the cap binds when a cohort of stakes claims");
    let unlimited = Summary::of(&run(&Preset::Market.scenario(2, 400)).unwrap());
    assert_eq!(unlimited.owed, 0.0);
}
