//! Differential test (issue 19): the compiled pair contract on cw-multi-test and the simulator's
//! `Pair` (`simulator/src/pair.rs`) driven by the same random sequence of provider and seller
//! stakes, passive liquidity in and out, leases (single and standing orders), renewals,
//! cancellations, closes, time passing, boundaries and claims. After every operation both hold
//! the same reserves, shares, provider and seller hours and escrow; at every boundary the same
//! settlement and seller price; every claim pays the LOOP and mints the rewards the
//! simulator's books say; every call the contract accepts the simulator accepts with the same
//! numbers, and passive liquidity the contract refuses the simulator refuses too.
//!
//! The seller budget is the one thing the simulator takes from the contract: its exact
//! per-share account (`contracts/pair/src/revenue.rs`) is not in `loopin-pool-math`. The
//! simulator's own estimate of it is checked too, within two micro-LOOP of the contract's in
//! every epoch without a withdrawal (the runs count how often and by how much it is off in the
//! others).
//!
//! `LOOPIN_DIFF_OPS` sets the total number of operations (default 1,200);
//! `LOOPIN_DIFF_SEED` replays the seed a run printed.

#[path = "pair_vs_simulator/claims.rs"]
mod claims;
#[path = "pair_vs_simulator/liquidity.rs"]
mod liquidity;
#[path = "pair_vs_simulator/trades.rs"]
mod trades;
#[path = "pair_vs_simulator/world.rs"]
mod world;

use cosmwasm_std::{Decimal, Uint128};
use loopin::pool::{Incentives, PoolParams};
use loopin_integration_tests::protocol::{
    ACTORS, EPOCH, LOOP, Protocol, params, protocol, protocol_with,
};
use loopin_integration_tests::seeds;
use proptest::prelude::*;
use proptest::test_runner::Config;

use trades::{close_or_cancel, lease, provide, renew_order, renew_stake, stake, withdraw};
use world::{LeaseModel, Tally, World};

const OPS_PER_CASE: usize = 150;

#[derive(Clone, Debug)]
enum Op {
    Stake {
        who: usize,
        seller: bool,
        epochs: u64,
        rate_tenths: u64,
        extra: u128,
    },
    Lease {
        who: usize,
        stake: usize,
        hours_permille: u128,
        max: u128,
        renewals: u32,
    },
    RenewOrder {
        lease: usize,
    },
    CloseOrder {
        lease: usize,
    },
    Cancel {
        lease: usize,
    },
    Provide {
        who: usize,
        amount: u128,
    },
    Withdraw {
        who: usize,
        permille: u128,
    },
    Wait {
        seconds: u64,
    },
    Advance {
        offset: u64,
    },
    Claim {
        stake: usize,
    },
    Renew {
        stake: usize,
        epochs: u32,
    },
    ClaimLeaseRewards {
        lease: usize,
        as_client: bool,
    },
    ClaimLiquidityRewards {
        who: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..ACTORS.len();
    prop_oneof![
        3 => (who.clone(), any::<bool>(), 3u64..7, 1u64..=10, 0u128..20)
            .prop_map(|(who, seller, epochs, rate_tenths, extra)| Op::Stake { who, seller, epochs, rate_tenths, extra }),
        6 => (who.clone(), any::<usize>(), 20u128..1_000, 1u128..200, 0u32..3)
            .prop_map(|(who, stake, hours_permille, max, renewals)| Op::Lease { who, stake, hours_permille, max, renewals }),
        4 => any::<usize>().prop_map(|lease| Op::RenewOrder { lease }),
        1 => any::<usize>().prop_map(|lease| Op::CloseOrder { lease }),
        2 => any::<usize>().prop_map(|lease| Op::Cancel { lease }),
        2 => (who.clone(), 1u128..50).prop_map(|(who, amount)| Op::Provide { who, amount }),
        2 => (who, 1u128..=1_000).prop_map(|(who, permille)| Op::Withdraw { who, permille }),
        2 => (1u64..EPOCH).prop_map(|seconds| Op::Wait { seconds }),
        3 => (0u64..EPOCH / 2).prop_map(|offset| Op::Advance { offset }),
        3 => any::<usize>().prop_map(|stake| Op::Claim { stake }),
        1 => (any::<usize>(), 1u32..=3).prop_map(|(stake, epochs)| Op::Renew { stake, epochs }),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(lease, as_client)| Op::ClaimLeaseRewards { lease, as_client }),
        1 => (0..ACTORS.len()).prop_map(|who| Op::ClaimLiquidityRewards { who }),
    ]
}

/// A lease for `n`: mostly one that `open` holds for (cyclically), one in four any lease, so
/// that the contract's refusals are met too.
fn pick(w: &World, n: usize, open: impl Fn(&LeaseModel) -> bool) -> Option<usize> {
    let candidates: Vec<usize> = (0..w.leases.len())
        .filter(|&i| n.is_multiple_of(4) || open(&w.leases[i]))
        .collect();
    (!candidates.is_empty()).then(|| candidates[n / 4 % candidates.len()])
}

fn apply(w: &mut World, op: &Op) {
    w.observe();
    match *op {
        Op::Stake {
            who,
            seller,
            epochs,
            rate_tenths,
            extra,
        } => stake(w, who, seller, epochs, rate_tenths, extra),
        Op::Lease {
            who,
            stake,
            hours_permille,
            max,
            renewals,
        } => lease(w, who, stake, hours_permille, max, renewals),
        Op::RenewOrder { lease } => {
            let (epoch, open) = (w.sim.epoch, |l: &LeaseModel| {
                l.renewals_left > 0 && !l.cancelled
            });
            if let Some(i) = pick(w, lease, |l| open(l) && l.epoch == epoch) {
                renew_order(w, i);
            }
        }
        Op::CloseOrder { lease } => {
            if let Some(i) = pick(w, lease, |l| l.renewals_left > 0) {
                close_or_cancel(w, i, false);
            }
        }
        Op::Cancel { lease } => {
            let trading = w.sim.trading_epoch();
            if let Some(i) = pick(w, lease, |l| l.epoch == trading && !l.cancelled) {
                close_or_cancel(w, i, true);
            }
        }
        Op::Provide { who, amount } => provide(w, who, amount),
        Op::Withdraw { who, permille } => withdraw(w, who, permille),
        Op::Wait { seconds } => {
            // Within the epoch: boundaries are crossed by `Advance` only, one at a time.
            let end = w.sim.clock.start_of(w.sim.epoch + 1).unwrap() - 1;
            let to = (w.now() + seconds).min(end);
            w.p.app
                .update_block(|block| block.time = cosmwasm_std::Timestamp::from_seconds(to));
        }
        Op::Advance { offset } => w.advance(offset),
        Op::Claim { stake } if !w.stakes.is_empty() => w.claim(stake % w.stakes.len()),
        Op::Renew { stake, epochs } if !w.stakes.is_empty() => {
            renew_stake(w, stake % w.stakes.len(), epochs)
        }
        Op::ClaimLiquidityRewards { who } => w.claim_liquidity_rewards(ACTORS[who]),
        Op::ClaimLeaseRewards { lease, as_client } => {
            let epoch = w.sim.epoch;
            if let Some(i) = pick(w, lease, |l| !l.cancelled && l.epoch < epoch) {
                w.claim_lease_rewards(i, as_client);
            }
        }
        _ => {}
    }
    w.compare(&format!("{op:?}"));
}

/// Runs `ops` on both pairs of `p` (whose factory mints at most `cap` per epoch), after a
/// provider's stake that sets the price; then runs every stake to its end and claims it, and
/// every lease's rewards, until nothing is owed.
fn run(p: Protocol, cap: u128, ops: &[Op]) -> World {
    let mut w = World::new(p, cap);
    let first = Op::Stake {
        who: 0,
        seller: false,
        epochs: 30,
        rate_tenths: 10,
        extra: 9,
    };
    apply(&mut w, &first);
    for op in ops {
        apply(&mut w, op);
    }
    let last = w.stakes.iter().map(|s| s.end).max().unwrap_or_default();
    while w.sim.epoch < last {
        w.advance(0);
    }
    // Each emission epoch (one pool epoch) mints at most the cap: move on until all is paid.
    for _ in 0..64 {
        for index in 0..w.stakes.len() {
            let stake = &w.stakes[index];
            if !stake.finished || stake.rewards_owed > 0 {
                w.claim(index);
            }
        }
        for index in 0..w.leases.len() {
            let lease = &w.leases[index];
            if !lease.cancelled
                && lease
                    .rewards_left
                    .is_none_or(|left| !left.total().is_zero())
            {
                w.claim_lease_rewards(index, true);
                w.claim_lease_rewards(index, false);
            }
        }
        for who in w.passive.keys().copied().collect::<Vec<_>>() {
            w.claim_liquidity_rewards(who);
        }
        if w.stakes.iter().all(|s| s.finished && s.rewards_owed == 0) {
            break;
        }
        w.advance(0);
    }
    for stake in &w.stakes {
        assert!(
            stake.finished && stake.rewards_owed == 0,
            "{stake:?} paid to its end"
        );
    }
    w
}

/// Runs `LOOPIN_DIFF_OPS` random operations (default 1,200) on `protocol()`'s pairs; returns
/// what they did.
fn run_cases(protocol: impl Fn() -> Protocol, cap: u128) -> (usize, Tally) {
    let total: usize = std::env::var("LOOPIN_DIFF_OPS")
        .ok()
        .and_then(|ops| ops.parse().ok())
        .unwrap_or(1_200);
    let config = Config {
        cases: total.div_ceil(OPS_PER_CASE) as u32,
        failure_persistence: None,
        ..Config::default()
    };
    let tally = std::cell::RefCell::new(Tally::default());
    seeds::runner(config, "LOOPIN_DIFF_SEED")
        .run(&prop::collection::vec(op(), OPS_PER_CASE), |ops| {
            tally.borrow_mut().absorb(&run(protocol(), cap, &ops).tally);
            Ok(())
        })
        .unwrap();
    let tally = tally.into_inner();
    eprintln!("{tally:?}");
    (total, tally)
}

/// Asserts every count of `counts` is positive: the sequences reached what is compared.
fn reached(total: usize, counts: &[(&str, usize)]) {
    for (what, count) in counts {
        assert!(*count > 0, "no {what} in {total} operations");
    }
}

#[test]
fn the_contract_and_the_simulator_agree_on_random_sequences() {
    let (total, tally) = run_cases(protocol, 1_000 * LOOP);
    // A few cases could miss a path; eight do not.
    reached(
        total,
        &[
            ("seller stakes", tally.sellers),
            ("leases", tally.leases),
            ("renewals", tally.renewals),
            ("renewed stakes", tally.renewed_stakes),
            ("cancels", tally.cancels),
            ("provides", tally.provides),
            ("withdrawals", tally.withdrawals),
            ("sellers' sales", tally.seller_sales),
            ("settlements", tally.settlements),
            ("claims", tally.claims),
        ],
    );
}

/// The class's lease and passive liquidity rewards (issue 19) and a factory cap of 2 LOOP per
/// epoch, below what a stake's claim earns: rewards are minted within the cap, the rest owed
/// and paid later.
#[test]
fn the_contract_and_the_simulator_agree_on_rewards_within_the_emission_cap() {
    let incentives = Incentives {
        utilisation: Decimal::from_ratio(4_000u128, 1u128),
        client: Decimal::from_ratio(6_000u128, 1u128),
        liquidity_per_epoch: Uint128::new(LOOP),
    };
    let params = PoolParams {
        incentives: Some(incentives),
        ..params()
    };
    let cap = 2 * LOOP;
    let (total, tally) = run_cases(|| protocol_with(params.clone(), cap), cap);
    reached(
        total,
        &[
            ("leases", tally.leases),
            ("lease reward claims", tally.lease_reward_claims),
            ("liquidity reward claims", tally.liquidity_claims),
            ("claims capped by the emission", tally.capped_claims),
        ],
    );
}
