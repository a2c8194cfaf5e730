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
//! per-share account (`contracts/pair/src/revenue.rs`) is not in `loopin-pool-math`.
//!
//! `LOOPIN_DIFF_OPS` sets the total number of operations (default 1,200);
//! `LOOPIN_DIFF_SEED` replays the seed a run printed.

#[path = "pair_vs_simulator/claims.rs"]
mod claims;
#[path = "pair_vs_simulator/world.rs"]
mod world;

use cosmwasm_std::{Decimal, HexBinary, Uint128};
use loopin::pair::{ExecuteMsg, ReceiveMsg};
use loopin::pool::{Incentives, PoolParams};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::protocol::{
    ACTORS, EPOCH, LOOP, Protocol, SSH_KEY, attr, params, protocol, protocol_with,
};
use loopin_integration_tests::seeds;
use loopin_pool_math::HOUR;
use loopin_pool_math::capacity::hours_per_epoch;
use proptest::prelude::*;
use proptest::test_runner::Config;

use world::{LeaseModel, StakeModel, Tally, World, number, uint};

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
    ClaimLeaseRewards {
        lease: usize,
        as_client: bool,
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
        2 => (any::<usize>(), any::<bool>()).prop_map(|(lease, as_client)| Op::ClaimLeaseRewards { lease, as_client }),
    ]
}

fn stake(w: &mut World, who: usize, seller: bool, epochs: u64, rate_tenths: u64, extra: u128) {
    let owner = ACTORS[who];
    let rate = Decimal::from_ratio(rate_tenths, 10u64);
    let hours = hours_per_epoch(rate, EPOCH).unwrap().u128();
    let fee = w
        .params
        .economics
        .alpha
        .checked_mul(rate)
        .unwrap()
        .to_uint_ceil()
        .u128();
    let trading = w.sim.trading_epoch();
    let mode = if seller {
        StakeMode::Seller
    } else {
        StakeMode::LiquidityProvider
    };
    // A provider brings what matching the spot price takes (the rest comes back), or sets the
    // price with all it brings; a seller its deposit.
    let sets_price = w.sim.reserves.hours.is_zero();
    let (start, end) = if seller {
        (trading + 1, trading + 1 + epochs)
    } else {
        (trading, trading + epochs)
    };
    let deposit = w.seller_deposit(rate, hours, epochs);
    let amount = fee
        + if seller {
            deposit + extra * LOOP / 10
        } else if sets_price {
            (1 + extra) * LOOP
        } else {
            w.sim
                .reserves
                .matching_tokens(uint(hours))
                .map_or(0, |t| t.u128())
                + extra
        };
    w.devices += 1;
    let msg =
        w.p.stake_msg(owner, &format!("dev-{}", w.devices), mode, rate, epochs);
    let mut sim = w.sim.clone();
    let simulated = if seller {
        sim.hold(deposit);
        sim.register_seller(hours, end);
        Ok((0, deposit))
    } else {
        sim.stake_provider(hours, end, amount - fee)
    };
    let Ok(response) = w.p.send(owner, amount, &msg) else {
        return;
    };
    let (shares, _) = simulated.unwrap_or_else(|e| panic!("stake refused by the simulator: {e}"));
    assert_eq!(number(&response, "shares"), shares, "stake's shares");
    assert_eq!(
        number(&response, "deposit"),
        if seller { deposit } else { 0 }
    );
    assert_eq!(number(&response, "start_epoch"), u128::from(start));
    assert_eq!(number(&response, "end_epoch"), u128::from(end));
    w.sim = sim;
    w.stakes.push(StakeModel {
        id: number(&response, "stake_id") as u64,
        owner,
        provider: !seller,
        token_id: attr(&response, "token_id").unwrap(),
        hours,
        start,
        end,
        shares,
        deposit: if seller { deposit } else { 0 },
        paid_until: start,
        finished: false,
        rewards_owed: 0,
    });
    w.tally.stakes += 1;
    w.tally.sellers += usize::from(seller);
}

fn lease(w: &mut World, who: usize, stake: usize, hours_permille: u128, max: u128, renewals: u32) {
    if w.stakes.is_empty() {
        return;
    }
    let index = stake % w.stakes.len();
    let stake = w.stakes[index].clone();
    let (client, amount) = (ACTORS[who], max * LOOP);
    let msg = ReceiveMsg::Lease {
        stake_id: stake.id,
        hours: uint(hours_permille * HOUR / 1_000),
        client_key: HexBinary::from([5u8; 32]),
        ssh_key: SSH_KEY.into(),
        deadline: None,
        renewals: Some(renewals),
        max_renewal_price: None,
        renewer: None,
    };
    let Ok(response) = w.p.send(client, amount, &msg) else {
        return;
    };
    let swap = w
        .sim
        .lease(hours_permille * HOUR / 1_000, amount)
        .unwrap()
        .expect("the contract's lease within the client's LOOP");
    assert_eq!(
        number(&response, "paid"),
        swap.offer.u128(),
        "lease's price"
    );
    assert_eq!(
        number(&response, "hours"),
        swap.receive.u128(),
        "lease's hours"
    );
    let budget = if renewals > 0 {
        amount - swap.offer.u128()
    } else {
        0
    };
    w.sim.hold(budget);
    w.leases.push(LeaseModel {
        id: number(&response, "lease_id") as u64,
        client,
        stake: index,
        paid: swap.offer.u128(),
        rewards_left: None,
        epoch: w.sim.trading_epoch(),
        hours: swap.receive.u128(),
        budget,
        renewals_left: renewals,
        cancelled: false,
    });
    w.tally.leases += 1;
}

fn renew_order(w: &mut World, index: usize) {
    let lease = w.leases[index].clone();
    let client = w.p.addr(lease.client);
    let result =
        w.p.exec(&client, &ExecuteMsg::RenewLease { lease_id: lease.id });
    let Ok(response) = result else {
        return;
    };
    assert!(!lease.cancelled && lease.renewals_left > 0 && lease.epoch == w.sim.epoch);
    let bound = lease.budget / u128::from(lease.renewals_left);
    let swap = w
        .sim
        .renew_order(lease.hours, bound)
        .unwrap()
        .expect("a renewal within its bound");
    assert_eq!(
        number(&response, "paid"),
        swap.offer.u128(),
        "renewal's price"
    );
    assert_eq!(
        number(&response, "hours"),
        swap.receive.u128(),
        "renewal's hours"
    );
    w.leases[index].renewals_left = 0;
    w.leases[index].budget = 0;
    w.leases.push(LeaseModel {
        id: number(&response, "lease_id") as u64,
        paid: swap.offer.u128(),
        rewards_left: None,
        epoch: w.sim.trading_epoch(),
        hours: swap.receive.u128(),
        budget: lease.budget - swap.offer.u128(),
        renewals_left: lease.renewals_left - 1,
        ..lease
    });
    w.tally.renewals += 1;
}

fn close_or_cancel(w: &mut World, index: usize, cancel: bool) {
    let lease = w.leases[index].clone();
    let client = w.p.addr(lease.client);
    let msg = if cancel {
        ExecuteMsg::CancelLease {
            lease_id: lease.id,
            min_refund: uint(0),
            deadline: None,
        }
    } else {
        ExecuteMsg::CloseOrder { lease_id: lease.id }
    };
    let Ok(response) = w.p.exec(&client, &msg) else {
        return;
    };
    if cancel {
        assert!(!lease.cancelled && lease.epoch == w.sim.trading_epoch());
        let sale = w.sim.cancel(lease.hours).unwrap();
        assert_eq!(
            number(&response, "refund"),
            sale.receive.u128(),
            "cancel's refund"
        );
        assert_eq!(
            number(&response, "fee_burned"),
            sale.fee.u128(),
            "cancel's fee"
        );
        w.leases[index].cancelled = true;
        w.tally.cancels += 1;
    } else {
        assert_eq!(
            number(&response, "refund"),
            lease.budget,
            "order's budget back"
        );
        w.tally.closes += 1;
    }
    w.sim.release(lease.budget).unwrap();
    w.leases[index].budget = 0;
    w.leases[index].renewals_left = 0;
}

fn provide(w: &mut World, who: usize, amount: u128) {
    let msg = ReceiveMsg::ProvideLiquidity {
        min_shares: uint(0),
        deadline: None,
    };
    let mut sim = w.sim.clone();
    let simulated = sim.provide(amount * LOOP);
    match w.p.send(ACTORS[who], amount * LOOP, &msg) {
        Ok(response) => {
            let shares =
                simulated.unwrap_or_else(|e| panic!("provide refused by the simulator: {e}"));
            assert_eq!(number(&response, "shares"), shares, "provide's shares");
            w.sim = sim;
            w.tally.provides += 1;
        }
        Err(e) => assert!(
            simulated.is_err(),
            "provide refused by the contract only: {e:?}"
        ),
    }
}

fn withdraw(w: &mut World, who: usize, permille: u128) {
    let held = w.p.liquidity(ACTORS[who]).shares.u128();
    let shares = held * permille / 1_000;
    if shares == 0 {
        return;
    }
    let msg = ExecuteMsg::WithdrawLiquidity {
        shares: uint(shares),
        min_out: uint(0),
        deadline: None,
    };
    let mut sim = w.sim.clone();
    let simulated = sim.withdraw(shares);
    match w.p.exec(&w.p.addr(ACTORS[who]), &msg) {
        Ok(response) => {
            let paid =
                simulated.unwrap_or_else(|e| panic!("withdrawal refused by the simulator: {e}"));
            assert_eq!(number(&response, "amount"), paid.out, "withdrawal's pay");
            assert_eq!(
                number(&response, "fee_burned"),
                paid.fee,
                "withdrawal's fee"
            );
            w.sim = sim;
            w.tally.withdrawals += 1;
        }
        Err(e) => assert!(
            simulated.is_err(),
            "withdrawal refused by the contract only: {e:?}"
        ),
    }
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
            ("cancels", tally.cancels),
            ("provides", tally.provides),
            ("withdrawals", tally.withdrawals),
            ("sellers' sales", tally.seller_sales),
            ("settlements", tally.settlements),
            ("claims", tally.claims),
        ],
    );
}

/// The class's lease rewards (issue 19) and a factory cap of 2 LOOP per epoch, below what a
/// stake's claim earns: rewards are minted within the cap, the rest owed and paid later.
#[test]
fn the_contract_and_the_simulator_agree_on_rewards_within_the_emission_cap() {
    let incentives = Incentives {
        utilisation: Decimal::from_ratio(4_000u128, 1u128),
        client: Decimal::from_ratio(6_000u128, 1u128),
        liquidity_per_epoch: Uint128::zero(),
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
            ("claims capped by the emission", tally.capped_claims),
        ],
    );
}
