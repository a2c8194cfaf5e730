//! Rewards without a verified device (issue 16, defect 3): a stake's hours go to clients, and
//! its epochs earn rewards and a seller's hours are sold, only while the PoCPS registry has its device
//! registered with the commitment it was staked with; a stake declares at most one device's
//! hours. Before the fix a seller whose device never registered was paid for every hour it
//! declared and minted (gamma) rewards on each, at any rate it named.

use cosmwasm_std::{Decimal, Uint128};
use cw_multi_test::AppResponse;
use loopin::pair::{ExecuteMsg, QueryMsg};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{LOOP, Protocol, attr, market};
use loopin_pair::ContractError;
use loopin_pool_math::HOUR;
use loopin_pool_math::amm::Swap;

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
            min_proceeds: None,
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

/// Carol's sandwich of a seller's registration, up to the registration: the seller's stake id,
/// certificate and the quote for its first sale as it signed.
fn sandwich(p: &mut Protocol) -> (u64, String, u128) {
    // Bob's lease of Alice's hours last epoch funds this epoch's sellers' sales.
    p.fund_sellers("bob", 1, 8 * HOUR / 10);
    // Carol bought half an hour of Alice's device this epoch, before the seller staked.
    let carol = p.lease("carol", 1, HOUR / 2, 100 * LOOP).unwrap();
    let lease_id: u64 = attr(&carol, "lease_id").unwrap().parse().unwrap();
    p.auto_register = false;
    let res = p
        .stake("seller", "gpu-s", StakeMode::Seller, 3, 10 * LOOP)
        .unwrap();
    let (id, token_id) = (stake_id(&res), attr(&res, "token_id").unwrap());
    // What the seller's first epoch sells for as it signs its registration.
    let hours = p.stake_info(id).hours_per_epoch;
    let quote: Swap = p
        .app
        .wrap()
        .query_wasm_smart::<Option<Swap>>(&p.pair, &QueryMsg::SimulateSellersSale { hours })
        .unwrap()
        .unwrap();
    // Carol sees the registration coming and sells her hours back first.
    let cancel = ExecuteMsg::CancelLease {
        lease_id,
        min_refund: Uint128::zero(),
        deadline: None,
    };
    let carol = p.addr("carol");
    p.exec(&carol, &cancel).unwrap();
    (id, token_id, quote.receive.u128())
}

/// A seller's first sale had no price bound (issue 16, "a seller's first sale with no
/// minimum-proceeds bound"): its registration sold this epoch's hours at spot, so whoever saw
/// it coming sold hours just before (a lease cancelled back into the pool), let the seller sell
/// into the lower price, and bought back cheaper. Registrations' sales are now priced on the
/// curve the boundary's sellers' sale left, which no trade of the epoch moves, and carry the
/// seller's bound (`RegisterDevice { min_first_proceeds }`): an earlier registration's sale,
/// which does move that curve, can still lower the price, and below the bound the
/// registration is refused and nothing changes.
#[test]
fn a_sandwiched_registration_sells_no_hours_below_the_sellers_bound() {
    // Carol's cancel before the registration moves nothing the sale is priced on: the seller
    // is paid its quote, and carol's buy-back costs her more than her cancel refunded.
    let mut p = market();
    let (id, token_id, quote) = sandwich(&mut p);
    let carol_before = p.balance_of("carol");
    let sold = p.register_device(&token_id).unwrap();
    let proceeds: u128 = attr(&sold, "first_proceeds").unwrap().parse().unwrap();
    assert_eq!(proceeds, quote);
    assert_eq!(p.stake_info(id).verified_from, Some(p.pool().trading_epoch));
    p.lease("carol", 1, HOUR / 2, 100 * LOOP).unwrap();
    assert!(p.balance_of("carol") < carol_before);

    // Dave's seller registers first and sells into the same curve: the seller's sale would
    // pay less than its quote; with its bound (the quote less 1 %) it is refused whole.
    let mut p = market();
    let (id, token_id, quote) = sandwich(&mut p);
    p.auto_register = false;
    let dave = p
        .stake("dave", "gpu-d", StakeMode::Seller, 3, 10 * LOOP)
        .unwrap();
    p.register_device(&attr(&dave, "token_id").unwrap())
        .unwrap();
    let (pool, seller) = (p.pool(), p.balance_of("seller"));
    let min = quote * 99 / 100;
    let err: ContractError = contract_error(p.register_device_bounded(&token_id, Some(min)));
    let ContractError::FirstSaleBelowMinimum {
        proceeds,
        min: bound,
    } = err
    else {
        panic!("refused with {err:?}");
    };
    assert_eq!(bound.u128(), min);
    assert!(
        proceeds.u128() < min,
        "{proceeds} is within the bound {min}"
    );
    assert_eq!(p.pool(), pool);
    assert_eq!(p.balance_of("seller"), seller);
    assert_eq!(p.stake_info(id).verified_from, None);

    // Without a bound it registers at the lower price.
    let sold = p.register_device(&token_id).unwrap();
    let paid: u128 = attr(&sold, "first_proceeds").unwrap().parse().unwrap();
    assert_eq!(paid, proceeds.u128());
}
