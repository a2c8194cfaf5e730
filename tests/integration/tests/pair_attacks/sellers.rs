//! A cheating seller's undelivered hours cost the providers nothing.

use super::*;

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
