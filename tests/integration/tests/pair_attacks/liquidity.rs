//! Liquidity added or withdrawn around a settlement or a lease takes none of a provider's revenue or discount.

use super::*;

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
    p.withdraw_all("carol");
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
    p.withdraw_all("carol");
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
    p.withdraw_all("carol");
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
