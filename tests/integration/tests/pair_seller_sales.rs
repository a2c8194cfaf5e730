//! Sellers' sales and the passive providers' LOOP (issue 16, "passive liquidity shares priced in
//! LOOP only while the pool also holds hours"): the pool buys sellers' hours along its curve, and
//! passive LOOP raises the curve's price of an hour without adding hours, so against few
//! provider hours a seller's hour took most of the pool's LOOP at a price no client ever paid.
//! The pool now pays sellers only out of what clients paid it for hours in the epoch before
//! (the seller budget): the providers' LOOP itself is never spent on sellers' hours.

use cosmwasm_std::Uint128;
use loopin::pair::{ExecuteMsg, ReceiveMsg};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::protocol::{EPOCH, LOOP, Protocol, RICH, attr, market};
use loopin_pool_math::HOUR;

/// LOOP lost to rounding in a few trades, at most.
const ROUNDING: u128 = 10;

fn liquidity_value(p: &Protocol, who: &str) -> u128 {
    p.liquidity(who).value.u128()
}

/// `who` provides `amount` LOOP of passive liquidity.
fn provide(p: &mut Protocol, who: &str, amount: u128) {
    let provide = ReceiveMsg::ProvideLiquidity {
        min_shares: Uint128::zero(),
        deadline: None,
    };
    p.send(who, amount, &provide).unwrap();
}

/// What `who`'s seller stake was paid for its hours over its life: its claims' payouts, less
/// the deposit they return (rewards are minted apart).
fn proceeds(p: &mut Protocol, who: &str, stake_id: u64) -> u128 {
    let deposit = p.stake_info(stake_id).deposit.u128();
    let sender = p.addr(who);
    let mut paid = 0;
    while let Ok(claim) = p.exec(&sender, &ExecuteMsg::Claim { stake_id }) {
        paid += attr(&claim, "payout").unwrap().parse::<u128>().unwrap();
        if p.stake_info(stake_id).finished {
            break;
        }
    }
    paid.saturating_sub(deposit)
}

/// Alice provides one hour per epoch for 100 epochs and Dave holds 1,000 LOOP of passive
/// liquidity, so an hour is priced at about 1,011 LOOP though no client pays that. Carol stakes
/// a seller for 3 epochs (its device registered at once) and runs it to the end; with
/// `demand`, a client leases that many hours of Alice's device every epoch. Returns Dave's
/// liquidity value before Carol came and at the end, and what Carol's hours were paid.
fn seller_against_passive_liquidity(with_carol: bool, demand: u128) -> (u128, u128, u128) {
    let mut p = market();
    provide(&mut p, "dave", 1_000 * LOOP);
    p.next_epoch();
    let before = liquidity_value(&p, "dave");
    if with_carol {
        p.stake("carol", "gpu-c", StakeMode::Seller, 3, 10 * LOOP)
            .unwrap();
    }
    for _ in 0..6 {
        if demand > 0 {
            p.lease("client", 1, demand, 10_000 * LOOP).unwrap();
        }
        p.next_epoch();
    }
    let paid = if with_carol {
        proceeds(&mut p, "carol", 2)
    } else {
        0
    };
    p.check_invariants();
    (before, liquidity_value(&p, "dave"), paid)
}

/// Before the seller budget, Carol's first hour alone took about half of the pool's 1,011 LOOP
/// and Dave's 1,000 LOOP position fell to a fraction of it, for hours no client leased. Now
/// nothing funds a sale without demand: Carol's hours stay unlisted and unpaid, and Dave's
/// position is whole.
#[test]
fn a_sellers_hours_are_not_bought_with_the_passive_providers_loop() {
    let (before, after, paid) = seller_against_passive_liquidity(true, 0);
    assert!(
        after + ROUNDING >= before,
        "Dave's {before} LOOP position fell to {after}; Carol was paid {paid}"
    );
    assert_eq!(paid, 0, "no client paid for any hour");
    assert_eq!(
        seller_against_passive_liquidity(false, 0).1,
        after,
        "Carol's unfunded stake changes nothing for Dave"
    );
}

/// With clients leasing a tenth of an hour of Alice's device every epoch, sellers' sales are
/// funded by what those clients paid, never by Dave's LOOP: his position ends no lower than it
/// began (the clients' payments less the sellers' sales), and Carol is paid no more than the
/// clients paid over her epochs.
#[test]
fn sellers_are_paid_out_of_what_clients_paid_not_out_of_the_providers_loop() {
    let demand = HOUR / 10;
    let (before, after, paid) = seller_against_passive_liquidity(true, demand);
    let (_, without_carol, _) = seller_against_passive_liquidity(false, demand);
    assert!(paid > 0, "the clients' payments funded Carol's hours");
    assert!(
        after + ROUNDING >= before,
        "Dave's {before} LOOP position fell to {after}; Carol was paid {paid}"
    );
    // What Carol's hours took from Dave is within what the clients paid while she sold.
    assert!(without_carol >= after);
    assert!(without_carol - after <= without_carol - before);
}

/// A sale funded by a lease that is cancelled before the boundary would let a seller sell at
/// the curve's price with LOOP no client keeps: only what an epoch's trades leave in the pool
/// once the epoch starts funds sales. Carol registers while Bob's half hour is open (her hours
/// join at the next boundary, and nothing leaves the reserve); Bob cancels; and Carol's hours
/// are paid in all no more than what Bob's round trip left in the pool.
#[test]
fn a_cancelled_lease_funds_no_sellers_sale() {
    let mut p = market();
    let lease = p.lease("bob", 1, HOUR / 2, RICH).unwrap();
    let lease_id: u64 = attr(&lease, "lease_id").unwrap().parse().unwrap();
    assert!(p.pool().lease_revenue.i128() > 0);
    assert_eq!(p.pool().seller_budget.u128(), 0);
    let tokens = p.pool().reserves.tokens;
    p.stake("carol", "gpu-c", StakeMode::Seller, 3, 10 * LOOP)
        .unwrap();
    assert_eq!(p.pool().reserves.tokens, tokens, "nothing left the reserve");
    let bob = p.addr("bob");
    let cancel = ExecuteMsg::CancelLease {
        lease_id,
        min_refund: Uint128::zero(),
        deadline: None,
    };
    p.exec(&bob, &cancel).unwrap();
    let left_by_bob = RICH - p.balance_of("bob");
    next_boundary_sale(&mut p);
    p.check_invariants();
    // Carol's epochs are 2 to 4: delivered by epoch 5.
    for _ in 0..4 {
        p.next_epoch();
    }
    let paid = proceeds(&mut p, "carol", 2);
    assert!(p.stake_info(2).finished);
    assert!(
        paid <= left_by_bob,
        "Carol was paid {paid} out of a round trip that left {left_by_bob}"
    );
}

/// What the sellers' sale at the next boundary pays them (after the fee).
fn next_boundary_sale(p: &mut Protocol) -> u128 {
    p.next_epoch();
    let pool = p.pool();
    let price = loopin_pair::state::SELLER_PRICE
        .query(&p.app.wrap(), p.pair.clone(), pool.trading_epoch)
        .unwrap()
        .unwrap_or_default();
    let proceeds =
        (price * cosmwasm_std::Decimal256::from_ratio(pool.seller_hours, 1u128)).to_uint_floor();
    Uint128::try_from(proceeds).unwrap().u128()
}

/// Found by the fairness property: the seller budget was the epoch's revenue whoever held it,
/// so a provider settling at the boundary left with its part of the revenue and the providers
/// who stayed paid the whole sale (Alice 0.14 LOOP worse off beside an adversary whose leases
/// funded it). The revenue is now counted per share: Bob settles with his part, and Dave's
/// passive position pays the sellers no more than his part of what the client paid.
#[test]
fn a_settling_provider_takes_its_part_of_the_revenue_and_funds_none_of_the_sale() {
    let mut p = market();
    provide(&mut p, "dave", 20 * LOOP);
    // Bob supplies epochs 1 to 3 (his shares settle at the boundary into epoch 3); a seller
    // sells from epoch 2 on.
    p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 3, 100 * LOOP)
        .unwrap();
    p.fund_sellers("client", 1, HOUR / 10);
    p.stake("carol", "gpu-c", StakeMode::Seller, 5, 10 * LOOP)
        .unwrap();
    p.next_epoch();
    // Bob's last epoch: a client leases 0.4 h of Alice's device.
    let dave = liquidity_value(&p, "dave");
    let pool = p.pool();
    p.lease("client", 1, 4 * HOUR / 10, 10_000 * LOOP).unwrap();
    let revenue = p.pool().lease_revenue.i128() as u128;
    let sale = next_boundary_sale(&mut p);
    assert!(
        sale > 0 && sale < revenue,
        "the sale spent {sale} of {revenue}"
    );
    // Bob's shares settled at spot, revenue included; what the sale spent came from the
    // shares that stay, at most their part of the revenue.
    let staying = p.pool().total_shares.u128();
    assert!(staying < pool.total_shares.u128(), "Bob settled");
    let dave_after = liquidity_value(&p, "dave");
    assert!(
        dave_after + ROUNDING >= dave,
        "Dave's {dave} LOOP position fell to {dave_after} (the sale spent {sale})"
    );
    p.check_invariants();
}

/// Found by the fairness property: counting a leaver's part of the revenue out in proportion
/// to the shares it took let LOOP moved in after the revenue and out before the boundary take
/// revenue it never had out of the sellers' budget (the honest seller 0.50 LOOP worse off).
/// Per share, a deposit buys its part of the revenue with its price and a withdrawal takes just
/// that back: the sellers' sale is the same with or without Carol's round trip.
#[test]
fn liquidity_moved_in_and_out_leaves_the_sellers_budget_unchanged() {
    let run = |round_trip: u128| {
        let mut p = market();
        p.fund_sellers("bob", 1, HOUR / 10);
        p.stake("seller", "gpu-s", StakeMode::Seller, 5, 10 * LOOP)
            .unwrap();
        p.lease("client", 1, 3 * HOUR / 10, 10_000 * LOOP).unwrap();
        if round_trip > 0 {
            provide(&mut p, "carol", round_trip);
            p.withdraw_all("carol");
        }
        next_boundary_sale(&mut p)
    };
    let honest = run(0);
    assert!(honest > 0);
    for deposit in [10 * LOOP, 2_000 * LOOP] {
        let sale = run(deposit);
        assert!(
            sale + ROUNDING >= honest,
            "a round trip of {deposit} cut the sellers' sale from {honest} to {sale}"
        );
    }
}

/// Found by the fairness property at 10^6 steps: a withdrawal was counted as taking its whole
/// part of the epoch's revenue, though withdrawals are paid no more than the share value's
/// average since the boundary, which the epoch's leases had barely moved. Carol provided 30
/// LOOP, leased most of Alice's hour, withdrew and cancelled: her lease's payment was counted
/// over twice the shares her refund was, the revenue per share went negative and the honest
/// seller's hours were sold for nothing (2.05 LOOP less than without her). A withdrawal now
/// takes only what it was paid above its shares' value net of revenue; the rest stays counted.
#[test]
fn liquidity_withdrawn_before_a_cancel_does_not_sell_the_seller_for_nothing() {
    let run = |carol_deposit: u128| {
        let mut p = market();
        provide(&mut p, "dave", 10 * LOOP);
        p.fund_sellers("bob", 1, HOUR / 10);
        p.stake("seller", "gpu-s", StakeMode::Seller, 5, 10 * LOOP)
            .unwrap();
        p.lease("client", 1, HOUR / 20, 10_000 * LOOP).unwrap();
        // Ten minutes into the epoch: its average share value is the boundary's.
        p.app
            .update_block(|block| block.time = block.time.plus_seconds(EPOCH / 6));
        let carol_before = p.balance_of("carol");
        if carol_deposit > 0 {
            provide(&mut p, "carol", carol_deposit);
            let lease = p.lease("carol", 1, 6 * HOUR / 10, 10_000 * LOOP).unwrap();
            let lease_id: u64 = attr(&lease, "lease_id").unwrap().parse().unwrap();
            p.withdraw_all("carol");
            let carol = p.addr("carol");
            let cancel = ExecuteMsg::CancelLease {
                lease_id,
                min_refund: Uint128::zero(),
                deadline: None,
            };
            p.exec(&carol, &cancel).unwrap();
        }
        let sale = next_boundary_sale(&mut p);
        p.check_invariants();
        let carol = p.balance_of("carol") as i128 - carol_before as i128;
        (sale, carol, liquidity_value(&p, "dave"))
    };
    let (honest, _, dave) = run(0);
    assert!(honest > 0);
    for deposit in [30 * LOOP, 1_000 * LOOP] {
        let (sale, carol, dave_after) = run(deposit);
        assert!(
            sale + ROUNDING >= honest,
            "Carol's {deposit} in and out around her lease cut the sellers' sale from {honest} \
             to {sale}"
        );
        assert!(carol <= 0, "Carol gained {carol}");
        assert!(
            dave_after + ROUNDING >= dave,
            "Dave's passive position fell from {dave} to {dave_after}"
        );
    }
}
