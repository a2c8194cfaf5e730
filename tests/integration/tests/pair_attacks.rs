//! Attacks on the pair's fairness (issue 16): each test runs the attack and the same history
//! without the attacker, and asserts that the victim loses nothing and the attacker gains nothing
//! beyond rounding. Each was written first and failed on the code before its fix. Where the fix
//! is a bound the victim signs (a stake's `max_price`, `min_shares`), the test also runs the
//! attack without the bound, as an older client's message, and pins what moved.

use cosmwasm_std::{Decimal, Decimal256, HexBinary, Timestamp, Uint128};
use cw_multi_test::AppResponse;
use loopin::pair::{ExecuteMsg, LeaseResponse, QueryMsg, ReceiveMsg};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{EPOCH, LOOP, Protocol, RICH, SSH_KEY, market, protocol};
use loopin_pair::ContractError;
use loopin_pool_math::HOUR;

/// LOOP lost to rounding in one settlement or one round trip, at most.
const ROUNDING: u128 = 10;

fn lease_info(p: &Protocol, lease_id: u64) -> LeaseResponse {
    p.app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::Lease { lease_id })
        .unwrap()
}

/// `who` withdraws all of its passive liquidity, if it holds any.
fn withdraw_all(p: &mut Protocol, who: &str) {
    let shares = p.liquidity(who).shares;
    if !shares.is_zero() {
        let sender = p.addr(who);
        let msg = ExecuteMsg::WithdrawLiquidity {
            shares,
            min_out: Uint128::zero(),
            deadline: None,
        };
        p.exec(&sender, &msg).unwrap();
    }
}

/// The id of the lease a Lease hook or a renewal recorded.
fn lease_id(response: &AppResponse) -> u64 {
    response
        .events
        .iter()
        .flat_map(|event| &event.attributes)
        .find(|attr| attr.key == "lease_id")
        .map(|attr| attr.value.parse().unwrap())
        .unwrap()
}

/// Alice provides for 100 epochs, Bob for 3; one second before Bob's settlement `deposit` LOOP
/// (if any) arrives through `ProvideLiquidity` from Carol, who withdraws everything right after
/// the boundary. Returns Bob's settled value and Carol's LOOP balance change.
fn settlement_with_last_second_liquidity(deposit: u128) -> (u128, i128) {
    let mut p = market();
    p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 3, 11 * LOOP)
        .unwrap();
    p.next_epoch();
    p.next_epoch();
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(EPOCH - 1));
    if deposit > 0 {
        let provide = ReceiveMsg::ProvideLiquidity {
            min_shares: Uint128::zero(),
            deadline: None,
        };
        p.send("carol", deposit, &provide).unwrap();
    }
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(1));
    let keeper = p.addr("dave");
    p.exec(&keeper, &ExecuteMsg::AdvanceEpoch { max_epochs: None })
        .unwrap();
    let settled = p.pool().escrow.u128();
    withdraw_all(&mut p, "carol");
    let change = p.balance_of("carol") as i128 - RICH as i128;
    (settled, change)
}

#[test]
fn last_second_liquidity_does_not_dilute_a_settling_provider() {
    let (honest, _) = settlement_with_last_second_liquidity(0);
    // Bob holds half the pool's 20 LOOP, less Alice's locked minimum shares' part.
    assert!(honest > 9 * LOOP, "{honest}");
    for deposit in [LOOP, 100 * LOOP, 100_000 * LOOP] {
        let (settled, carol) = settlement_with_last_second_liquidity(deposit);
        assert!(
            settled + ROUNDING >= honest,
            "a deposit of {deposit} cut Bob's settlement from {honest} to {settled}"
        );
        // Carol pays the exit fee and gains nothing from Bob.
        assert!(
            carol <= 0,
            "Carol gained {carol} with a deposit of {deposit}"
        );
    }
}

/// A standing order of 0.5 h a epoch on Alice's device (stake 1) with two renewals and a budget;
/// Bob's device (stake 2) is the other half of the pool. During the order's first epoch, with
/// `attack`, Carol leases 0.9 h on Bob's device, renews the client's order at the price she
/// inflated, and cancels her lease; whoever renews, the order is renewed once in that epoch.
/// Returns what the renewal cost the client and Carol's LOOP balance change.
fn renewal_sandwich(attack: bool) -> (u128, i128) {
    let mut p = protocol();
    for (miner, device) in [("alice", "gpu-a"), ("bob", "gpu-b")] {
        p.stake(miner, device, StakeMode::LiquidityProvider, 10, 11 * LOOP)
            .unwrap();
    }
    let order = ReceiveMsg::Lease {
        stake_id: 1,
        hours: Uint128::new(HOUR / 2),
        client_key: HexBinary::from([1u8; 32]),
        ssh_key: SSH_KEY.into(),
        deadline: None,
        renewals: Some(2),
        max_renewal_price: None,
        renewer: None,
    };
    p.send("client", 100 * LOOP, &order).unwrap();
    p.next_epoch();
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(60));
    let budget = |p: &Protocol, id: u64| lease_info(p, id).budget.u128();
    let before = budget(&p, 1);
    let (carol, client) = (p.addr("carol"), p.addr("client"));
    let mut renewed = false;
    if attack {
        let leased = p.lease("carol", 2, 9 * HOUR / 10, 1_000 * LOOP).unwrap();
        let carols_lease = lease_id(&leased);
        match p.exec(&carol, &ExecuteMsg::RenewLease { lease_id: 1 }) {
            Ok(_) => renewed = true,
            Err(err) => assert_eq!(
                err.downcast::<ContractError>().unwrap(),
                ContractError::Unauthorized {}
            ),
        }
        p.exec(
            &carol,
            &ExecuteMsg::CancelLease {
                lease_id: carols_lease,
                min_refund: Uint128::zero(),
                deadline: None,
            },
        )
        .unwrap();
    }
    if !renewed {
        p.exec(&client, &ExecuteMsg::RenewLease { lease_id: 1 })
            .unwrap();
    }
    let renewal = lease_info(&p, 1).renewed_by.unwrap();
    let after = budget(&p, renewal);
    (before - after, p.balance_of("carol") as i128 - RICH as i128)
}

#[test]
fn a_sandwiched_renewal_drains_no_standing_order() {
    let (honest, _) = renewal_sandwich(false);
    let (paid, carol) = renewal_sandwich(true);
    assert!(
        paid <= honest + ROUNDING,
        "the renewal cost {paid} instead of {honest}"
    );
    assert!(carol <= 0, "Carol gained {carol}");
}

/// Even the keeper a client trusts with renewals cannot make one pay more than the client's price
/// per device-hour, nor more than the budget split evenly over the renewals left.
#[test]
fn a_renewal_never_pays_above_the_bounds_the_client_set() {
    let mut p = protocol();
    for (miner, device) in [("alice", "gpu-a"), ("bob", "gpu-b")] {
        p.stake(miner, device, StakeMode::LiquidityProvider, 10, 11 * LOOP)
            .unwrap();
    }
    let dave = p.addr("dave");
    let order = |max_renewal_price| ReceiveMsg::Lease {
        stake_id: 1,
        hours: Uint128::new(HOUR / 4),
        client_key: HexBinary::from([1u8; 32]),
        ssh_key: SSH_KEY.into(),
        deadline: None,
        renewals: Some(2),
        max_renewal_price,
        renewer: Some(dave.to_string()),
    };
    // 20 LOOP per device-hour at most; the other order only splits its budget.
    p.send(
        "client",
        100 * LOOP,
        &order(Some(cosmwasm_std::Decimal::from_ratio(20 * LOOP, 1u128))),
    )
    .unwrap();
    p.send("client", 24 * LOOP, &order(None)).unwrap();
    let budget = lease_info(&p, 2).budget.u128();
    p.next_epoch();
    // Dave buys most of the free hours and renews at the price he made.
    p.lease("dave", 2, 9 * HOUR / 10, 1_000 * LOOP).unwrap();
    let err = p
        .exec(&dave, &ExecuteMsg::RenewLease { lease_id: 1 })
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    let ContractError::RenewalAboveBound { offer, bound } = err else {
        panic!("{err:?}");
    };
    assert_eq!(bound.u128(), 5 * LOOP, "20 LOOP/h for 0.25 h");
    assert!(offer.u128() > 5 * LOOP);
    let err = p
        .exec(&dave, &ExecuteMsg::RenewLease { lease_id: 2 })
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    assert!(
        matches!(err, ContractError::RenewalAboveBound { bound, .. } if bound.u128() == budget / 2),
        "{err:?}"
    );
    // Nothing was spent; anyone else is refused outright.
    assert_eq!(lease_info(&p, 2).budget.u128(), budget);
    let carol = p.addr("carol");
    let err = p
        .exec(&carol, &ExecuteMsg::RenewLease { lease_id: 1 })
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    assert_eq!(err, ContractError::Unauthorized {});
}

/// A device's lease slots per epoch cannot be filled with dust, nor with leases cancelled again:
/// a cancel gives the slot back and takes the lease out of the device's book.
#[test]
fn dust_leases_and_cancels_do_not_lock_a_device_out() {
    let mut p = protocol();
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )
    .unwrap();
    let err = p
        .lease("carol", 1, 1, LOOP)
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    // The device's hour over its 32 slots: above the class's smallest lease (0.01 h).
    let slots = loopin::pair::MAX_LEASES_PER_EPOCH as usize;
    let min = Uint128::new(HOUR.div_ceil(slots as u128));
    assert!(min.u128() > loopin::pool::DEFAULT_MIN_LEASE_HOURS);
    assert_eq!(
        err,
        ContractError::LeaseBelowMinimum {
            hours: Uint128::one(),
            min
        }
    );
    let carol = p.addr("carol");
    for _ in 0..slots + 8 {
        let leased = p.lease("carol", 1, min.u128(), LOOP).unwrap();
        let cancel = ExecuteMsg::CancelLease {
            lease_id: lease_id(&leased),
            min_refund: Uint128::zero(),
            deadline: None,
        };
        p.exec(&carol, &cancel).unwrap();
    }
    // Each round trip burned two exchange fees: Carol paid for every try.
    assert!(p.balance_of("carol") < RICH);
    let leased = p.lease("client", 1, HOUR / 2, 100 * LOOP).unwrap();
    // The device's book for the trading epoch holds the client's lease only: an invalidation
    // walks no more than the live leases.
    let book: loopin::pair::LeasesResponse = p
        .app
        .wrap()
        .query_wasm_smart(
            &p.pair,
            &QueryMsg::LeasesByStake {
                stake_id: 1,
                epoch: p.pool().trading_epoch,
            },
        )
        .unwrap();
    let ids: Vec<u64> = book.leases.iter().map(|lease| lease.id).collect();
    assert_eq!(ids, vec![lease_id(&leased)]);
}

/// Leases of the smallest size a device takes run out of its slots only with its hours: 31 of
/// them (one a little larger) and one lease of what is left (below the smallest, allowed as it
/// takes all that is free) take the whole hour; no slot is left while hours are free.
#[test]
fn smallest_leases_fill_a_devices_slots_only_with_its_hours() {
    let mut p = protocol();
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )
    .unwrap();
    p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 10, 11 * LOOP)
        .unwrap();
    let slots = u128::from(loopin::pair::MAX_LEASES_PER_EPOCH);
    let min = HOUR.div_ceil(slots);
    for _ in 0..slots - 2 {
        p.lease("carol", 1, min, 1_000 * LOOP).unwrap();
    }
    p.lease("carol", 1, min + 1_000, 1_000 * LOOP).unwrap();
    let left = HOUR - (slots - 2) * min - (min + 1_000);
    assert!(left < min);
    let err = p
        .lease("client", 1, left - 1, 1_000 * LOOP)
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    assert_eq!(
        err,
        ContractError::LeaseBelowMinimum {
            hours: Uint128::new(left - 1),
            min: Uint128::new(min)
        }
    );
    p.lease("client", 1, left, 1_000 * LOOP).unwrap();
    // Alice's hour is all leased in 32 leases; Bob's is what the pool lists.
    assert_eq!(p.pool().reserves.hours.u128(), HOUR);
}

/// A seller (stake 2) with one small lease of Carol's in its first epoch, run until its whole
/// pay is out of the dispute window; with `disputed`, Carol disputes her lease and governance
/// rejects the dispute only after the seller's claim. Returns what the seller's claim paid and
/// Carol's LOOP balance change.
fn seller_with_a_disputed_dust_lease(disputed: bool) -> (u128, i128) {
    let mut p = loopin_integration_tests::protocol::protocol_with_dispute_window(1);
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        101 * LOOP,
    )
    .unwrap();
    // Bob's lease of Alice's hours funds the seller's first sale, at the next boundary.
    p.stake("seller", "gpu-s", StakeMode::Seller, 3, 10 * LOOP)
        .unwrap();
    p.fund_sellers("bob", 1, HOUR / 10);
    // The seller's hour over its 32 slots: the smallest lease its device takes.
    let min = HOUR.div_ceil(u128::from(loopin::pair::MAX_LEASES_PER_EPOCH));
    let leased = p.lease("carol", 2, min, 10 * LOOP).unwrap();
    let lease = lease_id(&leased);
    p.next_epoch();
    if disputed {
        let msg = ReceiveMsg::Dispute {
            lease_id: lease,
            reason: "no access".into(),
        };
        p.send("carol", LOOP, &msg).unwrap();
    }
    for _ in 0..4 {
        p.next_epoch();
    }
    let seller = p.addr("seller");
    let claimed = p
        .exec(&seller, &ExecuteMsg::Claim { stake_id: 2 })
        .map(|response| {
            response
                .events
                .iter()
                .flat_map(|event| &event.attributes)
                .find(|attr| attr.key == "payout")
                .map(|attr| attr.value.parse::<u128>().unwrap())
                .unwrap()
        })
        .unwrap_or(0);
    if disputed {
        let governance = p.addr("governance");
        let resolve = ExecuteMsg::ResolveDispute {
            lease_id: lease,
            refund: Uint128::zero(),
        };
        p.exec(&governance, &resolve).unwrap();
    }
    (claimed, p.balance_of("carol") as i128 - RICH as i128)
}

#[test]
fn a_dispute_holds_no_more_than_the_lease_paid_and_costs_a_bond() {
    let (honest, carol_honest) = seller_with_a_disputed_dust_lease(false);
    let (paid, carol) = seller_with_a_disputed_dust_lease(true);
    // Carol's lease cost her -carol_honest; the dispute holds back at most that much.
    let lease_price = (-carol_honest) as u128;
    assert!(
        paid + lease_price >= honest,
        "a dispute of a {lease_price} lease held {} of the seller's pay",
        honest - paid
    );
    // The rejected dispute burned her bond: she is worse off than without it.
    assert!(carol < carol_honest, "{carol} vs {carol_honest}");
}

/// Alice provides for 100 epochs and Dave holds passive liquidity; half an hour into the
/// epoch a client leases 0.8 h. With `deposit`, Carol provides that much LOOP just before the
/// lease and withdraws everything right after it. Returns Dave's liquidity value after the
/// lease and Carol's LOOP balance change.
fn lease_sandwiched_by_liquidity(deposit: u128) -> (u128, i128) {
    let mut p = market();
    let provide = ReceiveMsg::ProvideLiquidity {
        min_shares: Uint128::zero(),
        deadline: None,
    };
    p.send("dave", 10 * LOOP, &provide).unwrap();
    p.next_epoch();
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(EPOCH / 2));
    if deposit > 0 {
        p.send("carol", deposit, &provide).unwrap();
    }
    p.lease("client", 1, 8 * HOUR / 10, 10_000 * LOOP).unwrap();
    withdraw_all(&mut p, "carol");
    let dave = p.liquidity("dave").value.u128();
    (dave, p.balance_of("carol") as i128 - RICH as i128)
}

#[test]
fn liquidity_sandwiching_a_lease_takes_none_of_its_revenue() {
    let (honest, _) = lease_sandwiched_by_liquidity(0);
    for deposit in [10 * LOOP, 100 * LOOP, 1_000 * LOOP] {
        let (dave, carol) = lease_sandwiched_by_liquidity(deposit);
        assert!(
            carol <= 0,
            "Carol gained {carol} with a deposit of {deposit}"
        );
        assert!(
            dave + ROUNDING >= honest,
            "a deposit of {deposit} cut Dave's liquidity from {honest} to {dave}"
        );
    }
}

/// Alice provides for 100 epochs, Bob for 3 and Dave holds passive liquidity; in Bob's last
/// epoch a client leases 0.8 h on Alice's device, so Bob settles at the epoch's lowest LOOP per
/// share and what the lease added to his shares stays with the providers who remain. With
/// `deposit`, Carol provides that much LOOP one second before the boundary and withdraws
/// everything right after it. Returns Dave's liquidity value after the boundary and Carol's
/// LOOP balance change.
fn settlement_discount_with_last_second_liquidity(deposit: u128) -> (u128, i128) {
    let mut p = market();
    p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 3, 11 * LOOP)
        .unwrap();
    let provide = ReceiveMsg::ProvideLiquidity {
        min_shares: Uint128::zero(),
        deadline: None,
    };
    p.send("dave", 10 * LOOP, &provide).unwrap();
    p.next_epoch();
    p.next_epoch();
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(EPOCH / 2));
    p.lease("client", 1, 8 * HOUR / 10, 10_000 * LOOP).unwrap();
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(EPOCH / 2 - 1));
    if deposit > 0 {
        p.send("carol", deposit, &provide).unwrap();
    }
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(1));
    let keeper = p.addr("keeper");
    p.exec(&keeper, &ExecuteMsg::AdvanceEpoch { max_epochs: None })
        .unwrap();
    let dave = p.liquidity("dave").value.u128();
    withdraw_all(&mut p, "carol");
    (dave, p.balance_of("carol") as i128 - RICH as i128)
}

/// A settlement priced at the epoch's lowest LOOP per share leaves the rest of the settling
/// shares' value with the providers who held the pool through the epoch; a deposit made just
/// before the boundary took its part of that (the fairness property's finding: Alice and the
/// passive provider 0.002 LOOP worse off beside 0.7 LOOP of the adversary's liquidity). A
/// deposit now buys shares at no less than what one is worth once the pending settlement is
/// paid.
#[test]
fn liquidity_before_a_settlement_takes_none_of_its_discount() {
    let (honest, _) = settlement_discount_with_last_second_liquidity(0);
    for deposit in [LOOP, 100 * LOOP, 10_000 * LOOP] {
        let (dave, carol) = settlement_discount_with_last_second_liquidity(deposit);
        assert!(
            dave + ROUNDING >= honest,
            "a deposit of {deposit} cut Dave's liquidity from {honest} to {dave}"
        );
        assert!(
            carol <= 0,
            "Carol gained {carol} with a deposit of {deposit}"
        );
    }
}

/// Alice provides for 100 epochs and Dave holds 10 LOOP of passive liquidity; Bob's lease funds
/// the sellers' sales; a seller stakes (its first hour is sold to the pool at the next
/// boundary, along the curve) and a client leases
/// `leased` of it; then the seller's device fails a check and the registry invalidates it.
/// Returns the pool's LOOP after the invalidation, what it would hold had the pool bought only
/// the hours the client leased (the pool's LOOP before the seller came, less the leased part of
/// what the sale took, plus what the client's lease brought in), and the seller's and the
/// client's LOOP balance changes.
fn cheating_seller(leased: u128) -> (u128, u128, i128, i128) {
    let mut p = market();
    let provide = ReceiveMsg::ProvideLiquidity {
        min_shares: Uint128::zero(),
        deadline: None,
    };
    p.send("dave", 10 * LOOP, &provide).unwrap();
    p.stake("seller", "gpu-s", StakeMode::Seller, 3, 10 * LOOP)
        .unwrap();
    // Bob's lease of 0.6 h of Alice's hours funds the sellers' sale at the next boundary, more
    // than the seller's hour takes along the curve.
    p.lease("bob", 1, 6 * HOUR / 10, 1_000 * LOOP).unwrap();
    let before = p.pool().reserves.tokens.u128();
    p.next_epoch();
    let sold = p.pool().reserves.tokens.u128();
    assert!(before > sold, "the seller's hour was sold");
    assert!(
        !p.pool().seller_budget.is_zero(),
        "the sale was along the curve"
    );
    if leased > 0 {
        p.lease("client", 2, leased, 100 * LOOP).unwrap();
    }
    let brought = p.pool().reserves.tokens.u128() - sold;
    let registry = p.registry.clone();
    let invalidate = ExecuteMsg::Invalidate {
        token_id: "h100-2".into(),
        reason: "bad openings".into(),
    };
    p.exec(&registry, &invalidate).unwrap();
    let paid_for_leased = (before - sold) * leased / HOUR;
    let change = |p: &Protocol, who| p.balance_of(who) as i128 - RICH as i128;
    (
        p.pool().reserves.tokens.u128(),
        before - paid_for_leased + brought,
        change(&p, "seller"),
        change(&p, "client"),
    )
}

/// A seller's hours are bought with the providers' LOOP when they are listed; when its device
/// then fails a check, the hours it had not delivered leave the pool. Before the fix the LOOP
/// paid for them stayed in the seller's escrow and was burned with it, so the providers lost
/// what they had paid for hours that never existed: 10 of the pool's 20 LOOP for one unleased
/// hour. Now what the pool paid for the unleased hours of the trading epoch, exchange fee
/// included, goes back to its LOOP out of the seller's position before anything is burned; the
/// leased hours stay a trade like any other (the pool bought them at the sale's price and sold
/// them at the client's), the clients are refunded, and the seller keeps nothing.
#[test]
fn a_cheating_sellers_undelivered_hours_cost_the_providers_nothing() {
    for leased in [0, 3 * HOUR / 10, HOUR] {
        let (after, fair, seller, client) = cheating_seller(leased);
        assert!(
            after + ROUNDING >= fair,
            "with {leased} leased the pool holds {after} LOOP, {fair} without the undelivered hours"
        );
        // The client is refunded in full; the seller lost its fee and deposit.
        assert_eq!(client, 0);
        assert!(seller <= -2 * LOOP as i128, "the seller ended {seller}");
    }
}

/// What a provider's stake between Carol's trades left each party.
#[derive(Debug, PartialEq)]
struct StakeBetweenTrades {
    /// Carol's LOOP balance change.
    carol: i128,
    /// LOOP that left Bob (fee and liquidity; the rest is refunded).
    bob_paid: u128,
    /// Shares minted to Bob and what they are worth at the pool's LOOP per share.
    bob_shares: u128,
    bob_value: u128,
    /// What Alice's shares (the provider already in the pool) are worth.
    alice_value: u128,
}

/// The LOOP `shares` are worth at the pool's LOOP per share now.
fn share_value(p: &Protocol, shares: Uint128) -> u128 {
    let pool = p.pool();
    shares
        .multiply_ratio(pool.reserves.tokens, pool.total_shares)
        .u128()
}

fn outcome(p: &Protocol, staked: bool) -> StakeBetweenTrades {
    let bob_shares = if staked {
        p.stake_info(2).shares
    } else {
        Uint128::zero()
    };
    StakeBetweenTrades {
        carol: p.balance_of("carol") as i128 - RICH as i128,
        bob_paid: RICH - p.balance_of("bob"),
        bob_shares: bob_shares.u128(),
        bob_value: share_value(p, bob_shares),
        alice_value: share_value(p, p.stake_info(1).shares),
    }
}

/// Bob's Stake hook for a second one-hour device, as the device signed it, with his own bounds
/// (outside the device's claim).
fn bobs_stake(
    p: &Protocol,
    min_shares: Option<u128>,
    max_price: Option<Decimal>,
    deadline: Option<Timestamp>,
) -> ReceiveMsg {
    let mut msg = p.stake_msg(
        "bob",
        "gpu-b",
        StakeMode::LiquidityProvider,
        Decimal::one(),
        10,
    );
    if let ReceiveMsg::Stake {
        min_shares: floor,
        max_price: ceiling,
        deadline: until,
        ..
    } = &mut msg
    {
        *floor = min_shares.map(Uint128::new);
        *ceiling = max_price;
        *until = deadline;
    }
    msg
}

/// LOOP Bob sends with his stake: 1 LOOP of fee and 100 LOOP he lets the pair take, trusting it
/// to take what his hour matches at the pool's price (10 LOOP when he looks) and refund the rest.
const BOBS_SEND: u128 = 101 * LOOP;
/// Micro-hours of Alice's hour Carol leases just before Bob's stake: the price goes from 10 to
/// 97.7 LOOP per device-hour, as much as Bob's 100 LOOP matches.
const PUMP: u128 = 680_000;

/// Alice provides 1 h at 10 LOOP ([`market`]) and Bob stakes a second one-hour device with the
/// bounds `bobs` signs. With `attack`, Carol, who sees Bob's stake pending, leases [`PUMP`] of
/// Alice's hour just before it and cancels her lease right after it. Returns the outcome, Bob's
/// stake's result and the spot price Bob's stake met.
fn stake_sandwiched_by_a_lease(
    attack: bool,
    bobs: impl Fn(&Protocol) -> ReceiveMsg,
) -> (StakeBetweenTrades, anyhow::Result<AppResponse>, Decimal256) {
    let mut p = market();
    let carols_lease = attack.then(|| lease_id(&p.lease("carol", 1, PUMP, 1_000 * LOOP).unwrap()));
    let spot = p.pool().spot_price.unwrap();
    let msg = bobs(&p);
    let staked = p.send("bob", BOBS_SEND, &msg);
    if let Some(lease_id) = carols_lease {
        let carol = p.addr("carol");
        let cancel = ExecuteMsg::CancelLease {
            lease_id,
            min_refund: Uint128::zero(),
            deadline: None,
        };
        p.exec(&carol, &cancel).unwrap();
    }
    (outcome(&p, staked.is_ok()), staked, spot)
}

/// Carol sees Bob's provider stake pending, leases most of the hours on sale just before it so
/// Bob's hour matches her inflated price with LOOP he meant as headroom, and cancels right after,
/// selling her hours back into the pool Bob deepened at that price. Before the fix nothing but
/// the LOOP sent bounded Bob's price: he paid 97.66 LOOP of liquidity for shares worth 64.45
/// LOOP, 33.20 LOOP worse off than without Carol; Carol kept 22.38 LOOP and Alice 10.62 LOOP of
/// it (0.20 LOOP of fees burned). A floor on the shares does not stop it (the pumped price mints
/// Bob *more* shares); the price he signs, `max_price`, does: his stake is refused, nothing
/// moves, and Carol's round trip costs her its fees.
#[test]
fn leasing_before_a_providers_stake_and_cancelling_after_sells_it_no_pumped_price() {
    let (honest, staked, quote) =
        stake_sandwiched_by_a_lease(false, |p| bobs_stake(p, None, None, None));
    staked.unwrap();
    assert_eq!(
        quote,
        Decimal256::from_ratio(10 * LOOP, 1u128),
        "10 LOOP per device-hour"
    );
    assert_eq!(
        honest,
        StakeBetweenTrades {
            carol: 0,
            bob_paid: 11 * LOOP,
            bob_shares: 3_162_277,
            bob_value: 10 * LOOP,
            alice_value: 9_996_837,
        }
    );

    // Unbounded (an older client's hook): the attack as it ran before the fix.
    let (attacked, staked, pumped) =
        stake_sandwiched_by_a_lease(true, |p| bobs_stake(p, None, None, None));
    staked.unwrap();
    assert_eq!(
        attacked,
        StakeBetweenTrades {
            carol: 22_382_695,
            bob_paid: 98_656_244,
            bob_shares: 9_882_115,
            bob_value: 64_453_121,
            alice_value: 20_618_478,
        }
    );
    let bobs_loss = (attacked.bob_paid - attacked.bob_value) - (honest.bob_paid - honest.bob_value);
    assert_eq!(bobs_loss, 33_203_123);
    assert_eq!(attacked.alice_value - honest.alice_value, 10_621_641);

    // Bob's floor on shares from his quote (1 % slippage) holds: the pumped price mints more.
    let floor = honest.bob_shares * 99 / 100;
    let (with_floor, staked, _) =
        stake_sandwiched_by_a_lease(true, |p| bobs_stake(p, Some(floor), None, None));
    staked.unwrap();
    assert_eq!(with_floor, attacked);

    // Bob's price from his quote (1 % slippage) refuses the pumped one: nothing moves.
    let max = Decimal::from_ratio(10 * LOOP * 101 / 100, 1u128);
    let (bounded, staked, _) =
        stake_sandwiched_by_a_lease(true, |p| bobs_stake(p, Some(floor), Some(max), None));
    assert_eq!(
        contract_error::<ContractError>(staked),
        ContractError::PriceAboveMaximum { price: pumped, max }
    );
    assert!(
        pumped > Decimal256::from_ratio(97 * LOOP, 1u128),
        "{pumped}"
    );
    assert_eq!(bounded.bob_paid, 0);
    assert!(bounded.carol < 0, "Carol's round trip costs her its fees");
    assert!(bounded.alice_value >= honest.alice_value);
    // Without Carol the same bounds take Bob's stake as before.
    let (calm, staked, _) =
        stake_sandwiched_by_a_lease(false, |p| bobs_stake(p, Some(floor), Some(max), None));
    staked.unwrap();
    assert_eq!(calm, honest);
}

/// The pumped price cannot be taken to "no hours listed", where a provider sets the price with
/// all the LOOP it brings: the curve never sells its last hour, whoever leases them.
#[test]
fn leasing_every_hour_to_make_a_providers_stake_set_the_price_is_refused() {
    let mut p = market();
    p.stake("dave", "gpu-d", StakeMode::LiquidityProvider, 10, 20 * LOOP)
        .unwrap();
    // Dave's whole hour (one of the two listed) can be leased; the last hour cannot.
    p.lease("carol", 2, HOUR, 1_000 * LOOP).unwrap();
    let err = contract_error::<ContractError>(p.lease("carol", 1, HOUR, RICH / 2));
    assert!(
        matches!(
            err,
            ContractError::Math(loopin_pool_math::MathError::InsufficientLiquidity { .. })
        ),
        "{err:?}"
    );
    assert_eq!(p.pool().reserves.hours.u128(), HOUR);
}

/// Carol holds a lease bought earlier (it raised the price to 97.7 LOOP per device-hour, at
/// which Bob quotes his stake); seeing Bob's stake pending she cancels it just before, so his hour
/// matches the price her cancel pushed down, and buys the same hours back right after from the
/// pool his hour deepened. Returns the outcome, Bob's stake's result, and, without the attack,
/// the same history with Carol holding her lease.
fn stake_between_a_cancel_and_a_lease(
    attack: bool,
    min_shares: Option<u128>,
) -> (StakeBetweenTrades, anyhow::Result<AppResponse>) {
    let mut p = market();
    let carol = p.addr("carol");
    let first = lease_id(&p.lease("carol", 1, PUMP, 1_000 * LOOP).unwrap());
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(600));
    if attack {
        let cancel = ExecuteMsg::CancelLease {
            lease_id: first,
            min_refund: Uint128::zero(),
            deadline: None,
        };
        p.exec(&carol, &cancel).unwrap();
    }
    let msg = bobs_stake(&p, min_shares, None, None);
    let staked = p.send("bob", BOBS_SEND, &msg);
    if attack {
        p.lease("carol", 1, PUMP, 1_000 * LOOP).unwrap();
    }
    (outcome(&p, staked.is_ok()), staked)
}

/// The other ordering: Carol sells her leased hours back just before Bob's stake and buys them
/// back right after. Bob quoted at the price her lease made (9,882,115 shares for 97.66 LOOP);
/// his hour matches the price her cancel pushed down (3,162,277 shares for 10 LOOP), then her
/// purchase from the deeper pool lifts what his shares are worth to 15.15 LOOP. Carol holds the
/// same lease for 10.85 LOOP less and Bob gains 5.15 LOOP; Alice's position, which held the
/// revenue of Carol's lease at its first price, ends 16.09 LOOP lower. The price is below Bob's
/// quote, so `max_price` does not see it; his floor on shares from his quote refuses the stake.
/// (A staker colluding with Carol would sign no floor: a stake mints shares at spot LOOP per
/// share, which a cancel lowers; see docs/pair.md, "Left open".)
#[test]
fn cancelling_before_a_providers_stake_and_leasing_back_after_is_refused_by_its_min_shares() {
    let (holding, staked) = stake_between_a_cancel_and_a_lease(false, None);
    staked.unwrap();
    assert_eq!(
        holding,
        StakeBetweenTrades {
            carol: -21_313_942,
            bob_paid: 98_656_244,
            bob_shares: 9_882_115,
            bob_value: 97_656_243,
            alice_value: 31_240_117,
        }
    );
    let (attacked, staked) = stake_between_a_cancel_and_a_lease(true, None);
    staked.unwrap();
    assert_eq!(
        attacked,
        StakeBetweenTrades {
            carol: -10_461_726,
            bob_paid: 11 * LOOP,
            bob_shares: 3_162_277,
            bob_value: 15_151_515,
            alice_value: 15_146_724,
        }
    );
    assert_eq!(attacked.carol - holding.carol, 10_852_216);
    assert_eq!(holding.alice_value - attacked.alice_value, 16_093_393);

    let floor = holding.bob_shares * 99 / 100;
    let (bounded, staked) = stake_between_a_cancel_and_a_lease(true, Some(floor));
    assert_eq!(
        contract_error::<ContractError>(staked),
        ContractError::SharesBelowMinimum {
            minted: Uint128::new(3_162_277),
            min: Uint128::new(floor),
        }
    );
    assert_eq!(bounded.bob_paid, 0);
    let (calm, staked) = stake_between_a_cancel_and_a_lease(false, Some(floor));
    staked.unwrap();
    assert_eq!(calm, holding);
}

/// A stake signed and sent, then held back (by a validator, a relayer, a congested mempool) and
/// executed later at whatever price the pool has then: with a deadline the pair refuses it.
/// A hook without the bounds is what older clients send: it still parses and stakes.
#[test]
fn a_stake_held_back_past_its_deadline_is_refused() {
    let mut p = market();
    let now = p.app.block_info().time;
    let deadline = now.plus_seconds(60);
    let msg = bobs_stake(&p, None, None, Some(deadline));
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(61));
    assert_eq!(
        contract_error::<ContractError>(p.send("bob", BOBS_SEND, &msg)),
        ContractError::DeadlinePassed { deadline }
    );
    assert_eq!(p.balance_of("bob"), RICH, "nothing moved");
    let in_time = bobs_stake(
        &p,
        None,
        None,
        Some(p.app.block_info().time.plus_seconds(60)),
    );
    p.send("bob", BOBS_SEND, &in_time).unwrap();
    assert_eq!(p.stake_info(2).shares.u128(), 3_162_277);

    let older = p.stake_msg("dave", "gpu-d", StakeMode::Seller, Decimal::one(), 10);
    let json = String::from_utf8(cosmwasm_std::to_json_vec(&older).unwrap()).unwrap();
    for field in ["min_shares", "max_price", "deadline"] {
        assert!(!json.contains(field), "{json}");
    }
    let parsed: ReceiveMsg = cosmwasm_std::from_json(json.as_bytes()).unwrap();
    assert_eq!(parsed, older);
    p.send("dave", 10 * LOOP, &parsed).unwrap();
}
