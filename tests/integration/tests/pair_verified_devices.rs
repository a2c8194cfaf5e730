//! Rewards without a verified device (issue 16, defect 3): a stake's hours go to clients, and
//! its epochs earn rewards and a seller's hours are sold, only while the PoCPS registry has its device
//! registered with the commitment it was staked with; a stake declares at most one device's
//! hours. Before the fix a seller whose device never registered was paid for every hour it
//! declared and minted (gamma) rewards on each, at any rate it named.

use cosmwasm_std::{Decimal, Uint128};
use cw_multi_test::AppResponse;
use loopin::pair::ExecuteMsg;
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{LOOP, Protocol, attr, market};
use loopin_pair::ContractError;
use loopin_pool_math::HOUR;

fn stake_id(response: &AppResponse) -> u64 {
    attr(response, "stake_id").unwrap().parse().unwrap()
}

/// Claims until the stake is finished; returns (LOOP paid, rewards minted).
fn claim_to_the_end(p: &mut Protocol, who: &str, id: u64) -> (u128, u128) {
    let (mut paid, mut rewards) = (0, 0);
    let owner = p.addr(who);
    loop {
        let Ok(res) = p.exec(&owner, &ExecuteMsg::Claim { stake_id: id }) else {
            break;
        };
        let amount = |key| attr(&res, key).unwrap().parse::<u128>().unwrap();
        paid += amount("payout");
        rewards += amount("rewards");
        if attr(&res, "finished").as_deref() == Some("true") {
            break;
        }
    }
    (paid, rewards)
}

#[test]
fn a_seller_whose_device_never_registers_supplies_nothing_and_gains_nothing() {
    let mut p = market();
    let pool_loop = p.pool().reserves.tokens.u128();
    // The attacker holds a device key and nothing else: its device never registers.
    p.auto_register = false;
    let before = p.balance_of("seller");
    let res = p
        .stake("seller", "no-gpu", StakeMode::Seller, 3, 10 * LOOP)
        .unwrap();
    let id = stake_id(&res);
    assert_eq!(p.stake_info(id).verified_from, None);
    // Nothing is sold to the pool for hours no device has: the providers' LOOP stays.
    assert_eq!(p.pool().reserves.tokens.u128(), pool_loop);
    assert_eq!(p.pool().seller_hours, Uint128::zero());

    // No client can lease its hours.
    let err: ContractError = contract_error(p.lease("client", id, HOUR / 10, 10 * LOOP));
    assert_eq!(err, ContractError::DeviceNotVerified { id });

    for _ in 0..4 {
        p.next_epoch();
        assert_eq!(p.pool().seller_hours, Uint128::zero());
    }
    let (paid, rewards) = claim_to_the_end(&mut p, "seller", id);
    assert_eq!(rewards, 0, "no rewards for hours no registered device had");
    // The providers' LOOP bought nothing from it: Alice's pool holds what it held.
    assert_eq!(p.pool().reserves.tokens.u128(), pool_loop);
    // What it gets back is what is left of its deposit after maintenance: it gains nothing,
    // and loses at least the staking fee.
    let after = p.balance_of("seller");
    assert!(
        before - after >= LOOP,
        "the attacker lost {}",
        before - after
    );
    assert!(paid < LOOP, "paid {paid}");
}

#[test]
fn rewards_count_only_the_epochs_from_the_devices_registration() {
    // The same stake twice: registered at once, and two epochs late.
    let rewards = |late: u64| {
        let mut p = market();
        p.auto_register = false;
        let res = p
            .stake("bob", "gpu-b", StakeMode::LiquidityProvider, 5, 11 * LOOP)
            .unwrap();
        let id = stake_id(&res);
        let token_id = attr(&res, "token_id").unwrap();
        for _ in 0..late {
            p.next_epoch();
        }
        p.register_device(&token_id).unwrap();
        let info = p.stake_info(id);
        assert_eq!(info.verified_from, Some(info.start_epoch + late));
        for _ in 0..6 {
            p.next_epoch();
        }
        claim_to_the_end(&mut p, "bob", id).1
    };
    // (gamma - beta) = 0.4 LOOP per device-hour, one device-hour per epoch.
    assert_eq!(rewards(0), 5 * 4 * LOOP / 10);
    assert_eq!(rewards(2), 3 * 4 * LOOP / 10);
}

#[test]
fn a_stake_declares_at_most_one_device_of_hours() {
    let mut p = market();
    let two = Decimal::from_ratio(2u128, 1u128);
    let msg = p.stake_msg("bob", "gpu-b", StakeMode::Seller, two, 5);
    let before = p.balance_of("bob");
    let pool = p.pool();
    let err: ContractError = contract_error(p.send("bob", 20 * LOOP, &msg));
    assert_eq!(
        err,
        ContractError::RateAboveMaximum {
            rate: two,
            max: Decimal::one(),
        }
    );
    assert_eq!(p.balance_of("bob"), before);
    assert_eq!(p.pool(), pool);
}

#[test]
fn only_the_registry_reports_a_device_registered() {
    let mut p = market();
    p.auto_register = false;
    let res = p
        .stake("bob", "gpu-b", StakeMode::LiquidityProvider, 5, 11 * LOOP)
        .unwrap();
    let (id, token_id) = (stake_id(&res), attr(&res, "token_id").unwrap());
    let bob = p.addr("bob");
    let err: ContractError = contract_error(p.exec(
        &bob,
        &ExecuteMsg::DeviceRegistered {
            token_id: token_id.clone(),
        },
    ));
    assert_eq!(err, ContractError::NotRegistry {});
    assert_eq!(p.stake_info(id).verified_from, None);
    // An unknown certificate is refused too, and a second report changes nothing.
    let err: ContractError = contract_error(p.register_device("h100-99"));
    assert_eq!(
        err,
        ContractError::UnknownCertificate {
            token_id: "h100-99".into()
        }
    );
    p.register_device(&token_id).unwrap();
    let first = p.stake_info(id).verified_from;
    p.next_epoch();
    p.register_device(&token_id).unwrap();
    assert_eq!(p.stake_info(id).verified_from, first);
    assert_eq!(p.stake_info(id).hours_per_epoch, Uint128::new(HOUR));
}

/// A registration sold its seller's hours of the trading epoch at once, at spot, with no price
/// bound (issue 16, "a seller's first sale with no minimum-proceeds bound"): whoever saw it
/// coming sold hours back just before (a lease cancelled into the pool), let the seller sell
/// into the lower price and bought back cheaper (4.99 LOOP for an hour quoted 13.29). A bound
/// and then a curve of its own followed, and four findings of the fairness property came from
/// that second price. A registration now sells nothing: a seller's first epoch is the first
/// whose boundary sale is still to come, and its hours are sold there with every seller's, at
/// one price. Carol's lease cancelled just before the registration changes nothing the seller
/// is paid, and a seller registered an epoch earlier is paid the same per hour.
#[test]
fn a_registration_sells_nothing_and_its_hours_go_at_the_boundary_with_every_sellers() {
    let run = |carol_sandwiches: bool| {
        let mut p = market();
        p.auto_register = false;
        // Dave's seller registered an epoch earlier; Bob's lease funds the boundary's sale.
        let dave = p
            .stake("dave", "gpu-d", StakeMode::Seller, 4, 10 * LOOP)
            .unwrap();
        let dave_id = stake_id(&dave);
        p.register_device(&attr(&dave, "token_id").unwrap())
            .unwrap();
        p.fund_sellers("bob", 1, 8 * HOUR / 10);
        p.lease("bob", 1, 8 * HOUR / 10, 1_000 * LOOP).unwrap();
        let carol = p.addr("carol");
        if carol_sandwiches {
            let lease = p.lease("carol", 1, HOUR / 10, 100 * LOOP).unwrap();
            let lease_id = attr(&lease, "lease_id").unwrap().parse().unwrap();
            let cancel = ExecuteMsg::CancelLease {
                lease_id,
                min_refund: Uint128::zero(),
                deadline: None,
            };
            p.exec(&carol, &cancel).unwrap();
        }
        let res = p
            .stake("seller", "gpu-s", StakeMode::Seller, 3, 10 * LOOP)
            .unwrap();
        let (id, token_id) = (stake_id(&res), attr(&res, "token_id").unwrap());
        let trading = p.pool().trading_epoch;
        assert_eq!(p.stake_info(id).start_epoch, trading + 1);
        let pool = p.pool();
        p.register_device(&token_id).unwrap();
        let registered = p.pool();
        assert_eq!(
            registered.reserves, pool.reserves,
            "a registration sells nothing"
        );
        assert_eq!(registered.escrow, pool.escrow);
        assert_eq!(p.stake_info(id).verified_from, Some(trading + 1));
        // Its hours of the trading epoch were never offered.
        let err: ContractError = contract_error(p.lease("client", id, HOUR / 10, 100 * LOOP));
        assert_eq!(err, ContractError::NotSupplying { id, epoch: trading });
        p.next_epoch();
        // Sold at the boundary with Dave's: both hours at one price, both leasable now.
        let price = |stake: u64| {
            loopin_pair::state::SELLER_PRICE
                .query(&p.app.wrap(), p.pair.clone(), trading + 1)
                .unwrap()
                .map(|price| (price, p.stake_info(stake).hours_per_epoch))
        };
        let (seller, dave) = (price(id).unwrap(), price(dave_id).unwrap());
        assert_eq!(seller, dave);
        p.lease("client", id, HOUR / 10, 100 * LOOP).unwrap();
        p.check_invariants();
        seller.0
    };
    let honest = run(false);
    assert!(!honest.is_zero());
    // Her round trip leaves its fees' worth in the pool; it never lowers the sellers' price.
    let sandwiched = run(true);
    assert!(
        sandwiched >= honest,
        "Carol's round trip before the registration lowered the sellers' price from {honest} \
         to {sandwiched}"
    );
}

/// Found by an attacker's review of the change above: a seller registered in its stake's last
/// epoch before the end is verified from its end, so nothing of it was booked; a Renew then put
/// that epoch inside the stake while the pool's books still left it out. Its hours were listed
/// by the other sellers' sale without being sold, leasable out of other devices' hours, and its
/// claim paid out of escrow the sale never funded. A Renew that brings a registered seller into
/// the market now books its hours as the registration would have: the next boundary sells them.
#[test]
fn a_seller_renewed_into_the_market_after_a_late_registration_is_sold_like_any_other() {
    let mut p = market();
    p.auto_register = false;
    // Dave's seller is in the market throughout; Bob's leases fund every sale.
    let dave = p
        .stake("dave", "gpu-d", StakeMode::Seller, 8, 10 * LOOP)
        .unwrap();
    p.register_device(&attr(&dave, "token_id").unwrap())
        .unwrap();
    let res = p
        .stake("seller", "gpu-s", StakeMode::Seller, 3, 10 * LOOP)
        .unwrap();
    let (id, token_id) = (stake_id(&res), attr(&res, "token_id").unwrap());
    let end = p.stake_info(id).end_epoch;
    while p.pool().trading_epoch + 1 < end {
        p.lease("bob", 1, HOUR / 10, 1_000 * LOOP).unwrap();
        p.next_epoch();
    }
    // Registered with one epoch left: verified from its end, so not in the market yet.
    p.register_device(&token_id).unwrap();
    assert_eq!(p.stake_info(id).verified_from, Some(end));
    let sellers = p.pool().seller_hours;
    let seller = p.addr("seller");
    p.exec(
        &seller,
        &ExecuteMsg::Renew {
            stake_id: id,
            epochs: None,
        },
    )
    .unwrap();
    let hours = p.stake_info(id).hours_per_epoch;
    assert_eq!(
        p.pool().seller_hours,
        sellers + hours,
        "its hours are booked"
    );
    p.check_invariants();
    p.lease("bob", 1, HOUR / 10, 1_000 * LOOP).unwrap();
    p.next_epoch();
    // Sold at that boundary with Dave's, leasable, and paid for out of what the sale escrowed.
    p.check_invariants();
    p.lease("client", id, HOUR / 10, 100 * LOOP).unwrap();
    p.check_invariants();
    p.next_epoch();
    p.next_epoch();
    let (paid, _) = claim_to_the_end(&mut p, "seller", id);
    assert!(paid > 0);
    p.check_invariants();
}
