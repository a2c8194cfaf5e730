//! The dissipative pair on the full protocol: factory, LOOP, stake certificates and the pair.

use cosmwasm_std::{Decimal, Decimal256, Uint128};
use cw_multi_test::Executor;
use loopin::pair::{ExecuteMsg, LeaseResponse, QueryMsg, ReceiveMsg};
use loopin::stake_cert::{CertificateStatus, StakeMode};
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{
    EPOCH, LOOP, Protocol, RICH, SSH_KEY, market, protocol, protocol_with_emission_cap,
};
use loopin_pair::ContractError;
use loopin_pool_math::HOUR;
use loopin_pool_math::amm::Reserves;

#[test]
fn the_first_provider_sets_the_price_and_an_idle_renewed_pool_is_conservative() {
    let mut p = protocol();
    // 1 LOOP staking fee + 10 LOOP of liquidity: 10 LOOP per device-hour.
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )
    .unwrap();
    let pool = p.pool();
    assert_eq!(pool.reserves, Reserves::new(HOUR, 10 * LOOP));
    assert_eq!(
        pool.spot_price,
        Some(cosmwasm_std::Decimal256::from_ratio(10 * LOOP, 1u128))
    );
    assert_eq!(p.balance_of("alice"), RICH - 11 * LOOP);
    let cert = p.certificate("h100-1");
    assert_eq!(cert.certificate.status, CertificateStatus::Active);
    assert_eq!(
        cert.certificate.expiry.seconds() - cert.certificate.start.seconds(),
        10 * EPOCH
    );

    // No trades, the stake renewed by its length: each boundary withdraws and re-mints the same
    // hours, and the LOOP side does not move (the DeFi limit of §4).
    for _ in 0..9 {
        p.next_epoch();
        assert_eq!(p.pool().reserves, Reserves::new(HOUR, 10 * LOOP));
    }
    // Its last epoch has started: it supplies nothing more and its shares are settled.
    p.next_epoch();
    assert_eq!(p.pool().reserves.hours, Uint128::zero());
}

#[test]
fn a_short_stake_has_no_claim_on_a_long_stakes_hours() {
    let mut p = market();
    // Bob matches the price: 10 LOOP for his hour, plus the fee; the rest is refunded.
    p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 3, 50 * LOOP)
        .unwrap();
    assert_eq!(p.balance_of("bob"), RICH - 11 * LOOP);
    assert_eq!(p.pool().reserves, Reserves::new(2 * HOUR, 20 * LOOP));
    let (alice, bob) = (p.stake_info(1), p.stake_info(2));
    assert_eq!(bob.shares.u128(), alice.shares.u128() + 1_000);

    // Bob supplies trading epochs 1, 2 and 3; at the boundary into epoch 3 his shares settle.
    p.next_epoch();
    p.next_epoch();
    assert_eq!(p.pool().reserves, Reserves::new(2 * HOUR, 20 * LOOP));
    p.next_epoch();
    let pool = p.pool();
    assert_eq!(
        pool.reserves,
        Reserves::new(HOUR, 10 * LOOP),
        "only Alice's hour is listed"
    );
    assert_eq!(pool.escrow.u128(), 10 * LOOP);
    // Not before his last epoch is delivered.
    let bob_addr = p.addr("bob");
    let err: ContractError = contract_error(p.exec(&bob_addr, &ExecuteMsg::Claim { stake_id: 2 }));
    assert_eq!(err, ContractError::NothingToClaim {});
    p.next_epoch();
    p.exec(&bob_addr, &ExecuteMsg::Claim { stake_id: 2 })
        .unwrap();
    // Bob gets his 10 LOOP back plus (gamma - beta) * 3 h = 1.2 LOOP of rewards; he paid a 1 LOOP fee.
    assert_eq!(p.balance_of("bob"), RICH - LOOP + 12 * LOOP / 10);
    let err: ContractError = contract_error(p.exec(&bob_addr, &ExecuteMsg::Claim { stake_id: 2 }));
    assert_eq!(err, ContractError::NothingToClaim {});
    // Alice's hours and the pool's LOOP are untouched by Bob's exit.
    for _ in 0..5 {
        p.next_epoch();
        assert_eq!(p.pool().reserves, Reserves::new(HOUR, 10 * LOOP));
    }
}

#[test]
fn leases_bind_hours_to_a_device_and_never_oversell() {
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
    let before = p.pool().reserves;
    let quote: loopin_pool_math::amm::Swap = p
        .app
        .wrap()
        .query_wasm_smart(
            &p.pair,
            &QueryMsg::SimulateLease {
                hours: Uint128::new(8 * HOUR / 10),
            },
        )
        .unwrap();
    p.lease("client", 1, 8 * HOUR / 10, 100 * LOOP).unwrap();
    assert_eq!(
        p.balance_of("client"),
        RICH - quote.offer.u128(),
        "pays exactly the quote"
    );
    let after = p.pool().reserves;
    assert_eq!(after, quote.reserves);
    assert!(after.k() >= before.k(), "a swap never lowers k");
    let lease: LeaseResponse = p
        .app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::Lease { lease_id: 1 })
        .unwrap();
    assert_eq!(lease.hours, quote.receive);
    assert_eq!(lease.epoch, 1);

    // Alice's device has 0.2 h left; the pool has 1.2 h. A second lease on Alice must fail.
    let err: ContractError = contract_error(p.lease("client", 1, 3 * HOUR / 10, 100 * LOOP));
    assert!(matches!(
        err,
        ContractError::NotEnoughFreeHours {
            id: 1,
            epoch: 1,
            ..
        }
    ));
    // Too little LOOP sent is refused with what is needed.
    let err: ContractError = contract_error(p.lease("client", 2, HOUR / 10, 1));
    assert!(matches!(err, ContractError::InsufficientFunds { .. }));
    // Leases of the trading epoch cannot be sold back once it has started (no swap-advance-swap).
    p.next_epoch();
    let client = p.addr("client");
    let err: ContractError = contract_error(p.exec(
        &client,
        &ExecuteMsg::CancelLease {
            lease_id: 1,
            min_refund: Uint128::zero(),
            deadline: None,
        },
    ));
    assert_eq!(err, ContractError::CannotCancel { id: 1 });
}

#[test]
fn an_epoch_is_never_advanced_twice() {
    let mut p = protocol();
    let keeper = p.addr("dave");
    let err: ContractError =
        contract_error(p.exec(&keeper, &ExecuteMsg::AdvanceEpoch { max_epochs: None }));
    assert_eq!(err, ContractError::NothingToAdvance {});
    p.next_epoch();
    let err: ContractError =
        contract_error(p.exec(&keeper, &ExecuteMsg::AdvanceEpoch { max_epochs: None }));
    assert_eq!(err, ContractError::NothingToAdvance {});
    assert_eq!(p.pool().epoch, 1);
}

#[test]
fn a_cheating_seller_leaves_with_no_more_than_it_put_at_risk() {
    let mut p = protocol();
    // The seller pays the 1 LOOP fee and leaves max(1 LOOP, beta * 3 h = 0.3 LOOP) as deposit;
    // Dave's lease of Alice's hours funds the sale of its first hour at the next boundary.
    p.stake_provider_and_seller();
    let escrow = p.pool().escrow;
    p.fund_sellers("dave", 1, HOUR / 10);
    assert!(p.pool().escrow > escrow, "its first hour was sold");
    assert_eq!(p.balance_of("seller"), RICH - 2 * LOOP);
    let seller = p.stake_info(2);
    assert_eq!(seller.deposit.u128(), LOOP);
    p.lease("client", 2, HOUR / 2, 100 * LOOP).unwrap();
    let paid = RICH - p.balance_of("client");

    let stranger = p.addr("dave");
    let invalidate = ExecuteMsg::Invalidate {
        token_id: "h100-2".into(),
        reason: "bad openings".into(),
    };
    let err: ContractError = contract_error(p.exec(&stranger, &invalidate));
    assert_eq!(err, ContractError::NotRegistry {});
    let registry = p.registry.clone();
    p.exec(&registry, &invalidate).unwrap();

    // The client is refunded in full out of the seller's escrow and deposit.
    assert_eq!(p.balance_of("client"), RICH);
    assert!(paid > 0);
    // The seller has nothing to claim: it lost its fee and deposit and kept no proceeds.
    let seller_addr = p.addr("seller");
    let err: ContractError =
        contract_error(p.exec(&seller_addr, &ExecuteMsg::Claim { stake_id: 2 }));
    assert_eq!(err, ContractError::Invalidated { id: 2 });
    assert_eq!(p.balance_of("seller"), RICH - 2 * LOOP);
    let cert = p.certificate("h100-2");
    assert_eq!(cert.certificate.status, CertificateStatus::Invalidated);
    // Its device's hours are gone from the pool: only Alice's hour is listed.
    assert_eq!(p.pool().reserves.hours.u128(), HOUR);
}

#[test]
fn a_cheating_provider_recovers_nothing_its_clients_paid_for() {
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
    p.lease("client", 2, HOUR / 2, 100 * LOOP).unwrap();
    let registry = p.registry.clone();
    p.exec(
        &registry,
        &ExecuteMsg::Invalidate {
            token_id: "h100-2".into(),
            reason: "late".into(),
        },
    )
    .unwrap();
    assert_eq!(p.balance_of("client"), RICH, "the client is made whole");
    let bob = p.addr("bob");
    let err: ContractError = contract_error(p.exec(&bob, &ExecuteMsg::Claim { stake_id: 2 }));
    assert_eq!(err, ContractError::Invalidated { id: 2 });
    let err: ContractError = contract_error(p.exec(
        &bob,
        &ExecuteMsg::Renew {
            stake_id: 2,
            epochs: None,
        },
    ));
    assert_eq!(err, ContractError::Invalidated { id: 2 });
    assert_eq!(p.pool().reserves.hours.u128(), HOUR);
}

#[test]
fn renewal_works_before_the_last_traded_epoch_only() {
    let mut p = protocol();
    p.stake("alice", "gpu-a", StakeMode::LiquidityProvider, 3, 11 * LOOP)
        .unwrap();
    let alice = p.addr("alice");
    let renew = ExecuteMsg::Renew {
        stake_id: 1,
        epochs: None,
    };
    p.exec(&alice, &renew).unwrap();
    assert_eq!(p.stake_info(1).end_epoch, 5);
    let stranger = p.addr("dave");
    let err: ContractError = contract_error(p.exec(&stranger, &renew));
    assert_eq!(err, ContractError::Unauthorized {});
    for _ in 0..3 {
        p.next_epoch();
    }
    // Trading epoch 4 is its last: still renewable. After the next boundary it is not.
    p.exec(&alice, &renew).unwrap();
    p.next_epoch();
    p.next_epoch();
    let err: ContractError = contract_error(p.exec(&alice, &renew));
    assert_eq!(err, ContractError::RenewTooLate { id: 1 });
}

/// A settling provider is paid its shares at spot after every trade of its last epoch: LOOP that
/// a purchase pushes in just before the boundary reaches the payout, but only the shares' part of
/// it, so a settler buying hours to lift its own payout gets back less than it paid (as any
/// provider trading against its own pool does) and the rest stays with the other providers.
#[test]
fn a_purchase_just_before_a_settlement_returns_its_buyer_only_its_shares_part() {
    let mut p = market();
    p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 3, 11 * LOOP)
        .unwrap();
    p.next_epoch();
    p.next_epoch();
    // One second before Bob's settlement he buys 0.9 h on Alice's device, pushing ~16 LOOP into
    // the reserve.
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(EPOCH - 1));
    let before = p.balance_of("bob");
    p.lease("bob", 1, 9 * HOUR / 10, 100 * LOOP).unwrap();
    let paid = before - p.balance_of("bob");
    let inflated = p.pool().reserves.tokens.u128();
    assert!(inflated > 36 * LOOP);
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(1));
    let keeper = p.addr("dave");
    p.exec(&keeper, &ExecuteMsg::AdvanceEpoch { max_epochs: None })
        .unwrap();
    // Settled at spot: Bob's shares' part of the reserve, rounded down.
    let bob = p.stake_info(2);
    let total = p.pool().total_shares.u128() + bob.shares.u128();
    let settled = p.pool().escrow.u128();
    assert_eq!(settled, bob.shares.u128() * inflated / total);
    // Of what the purchase pushed in he gets back his half (Alice's shares plus the locked
    // minimum equal his), less than he paid for the hours.
    let at_spot_before = bob.shares.u128() * (20 * LOOP) / total;
    let returned = settled - at_spot_before;
    assert_eq!(2 * bob.shares.u128(), total);
    assert!(returned <= (inflated - 20 * LOOP) / 2 + 1);
    assert!(returned < paid, "{returned} back of {paid}");
}

#[test]
fn a_donation_changes_no_price_and_no_share() {
    let mut p = protocol();
    p.stake("alice", "gpu-a", StakeMode::LiquidityProvider, 5, 11 * LOOP)
        .unwrap();
    let before = p.pool();
    // A plain transfer to the pair, outside any message: the books ignore it.
    let alice = p.addr("alice");
    let donate = loopin::token::ExecuteMsg::Transfer {
        recipient: p.pair.to_string(),
        amount: Uint128::new(1_000 * LOOP),
    };
    p.app
        .execute_contract(alice, p.token.clone(), &donate, &[])
        .unwrap();
    p.donated += 1_000 * LOOP;
    p.check_invariants();
    assert_eq!(p.pool().reserves, before.reserves);
    assert_eq!(p.pool().total_shares, before.total_shares);
    // The next provider still pays the undistorted price.
    p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 5, 50 * LOOP)
        .unwrap();
    assert_eq!(p.balance_of("bob"), RICH - 11 * LOOP);
}

#[test]
fn dust_round_trips_drain_nothing() {
    let mut p = protocol();
    p.stake("alice", "gpu-a", StakeMode::LiquidityProvider, 5, 11 * LOOP)
        .unwrap();
    let client = p.addr("client");
    let mut lease_id = 0;
    for hours in [1u128, 2, 3, 7, 50, 99] {
        let before = p.pool().reserves;
        let spent_before = p.balance_of("client");
        if p.lease("client", 1, hours, LOOP).is_err() {
            continue;
        }
        lease_id += 1;
        let _ = p.exec(
            &client,
            &ExecuteMsg::CancelLease {
                lease_id,
                min_refund: Uint128::zero(),
                deadline: None,
            },
        );
        assert!(
            p.balance_of("client") <= spent_before,
            "a round trip never profits"
        );
        assert!(p.pool().reserves.k() >= before.k(), "k never falls");
    }
}

#[test]
fn deadlines_and_slippage_bounds_are_enforced() {
    let mut p = protocol();
    p.stake("alice", "gpu-a", StakeMode::LiquidityProvider, 5, 11 * LOOP)
        .unwrap();
    let now = p.app.block_info().time;
    let late = ReceiveMsg::Lease {
        stake_id: 1,
        hours: Uint128::new(HOUR / 10),
        client_key: cosmwasm_std::HexBinary::from([1u8; 32]),
        ssh_key: SSH_KEY.into(),
        deadline: Some(now.minus_seconds(1)),
        renewals: None,
        max_renewal_price: None,
        renewer: None,
    };
    let err: ContractError = contract_error(p.send("client", 10 * LOOP, &late));
    assert_eq!(
        err,
        ContractError::DeadlinePassed {
            deadline: now.minus_seconds(1)
        }
    );
    p.lease("client", 1, HOUR / 10, 10 * LOOP).unwrap();
    let client = p.addr("client");
    let greedy = ExecuteMsg::CancelLease {
        lease_id: 1,
        min_refund: Uint128::new(10 * LOOP),
        deadline: None,
    };
    let err: ContractError = contract_error(p.exec(&client, &greedy));
    assert!(matches!(err, ContractError::RefundBelowMinimum { .. }));
    let short_key = ReceiveMsg::Lease {
        stake_id: 1,
        hours: Uint128::new(HOUR / 10),
        client_key: cosmwasm_std::HexBinary::from([1u8; 31]),
        ssh_key: SSH_KEY.into(),
        deadline: None,
        renewals: None,
        max_renewal_price: None,
        renewer: None,
    };
    let err: ContractError = contract_error(p.send("client", 10 * LOOP, &short_key));
    assert_eq!(err, ContractError::InvalidClientKey {});
}

#[test]
fn committed_hours_follow_eq_3_and_6_as_staircases() {
    use cosmwasm_std::{Decimal, Decimal256};
    use loopin_pool_math::capacity::committed_continuous;
    let mut p = protocol();
    // Three staggered providers of rate 1: 6 epochs from epoch 1, 4 from 2, 3 from 3.
    p.stake("alice", "gpu-a", StakeMode::LiquidityProvider, 6, 11 * LOOP)
        .unwrap();
    p.next_epoch();
    p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 4, 50 * LOOP)
        .unwrap();
    p.next_epoch();
    p.stake("carol", "gpu-c", StakeMode::LiquidityProvider, 3, 50 * LOOP)
        .unwrap();
    let genesis: loopin::pair::ConfigResponse = p
        .app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::Config {})
        .unwrap();
    let start = |epoch: u64| genesis.genesis + epoch * EPOCH;
    let periods = [(1u64, 7u64), (2, 6), (3, 6)];
    let max_error = Decimal256::from_ratio(HOUR * 3, 1u128); // r·Δ per stake, three stakes
    for _ in 0..6 {
        let pool = p.pool();
        let now = p.app.block_info().time.seconds();
        // Hours still committed by the pool's book: every stake's epochs from the trading one on.
        let staircase: u128 = (1..=3)
            .map(|id| p.stake_info(id))
            .map(|s| {
                s.hours_per_epoch.u128() * s.end_epoch.saturating_sub(pool.trading_epoch) as u128
            })
            .sum();
        let curve: Decimal256 = periods
            .iter()
            .map(|&(s, e)| committed_continuous(Decimal::one(), start(s), start(e), now))
            .sum();
        let staircase = Decimal256::from_ratio(staircase, 1u128);
        let error = if staircase > curve {
            staircase - curve
        } else {
            curve - staircase
        };
        assert!(
            error <= max_error,
            "eq. (6): error {error} above Σ r·Δ at {now}"
        );
        // The pool lists exactly the providers active in the trading epoch (eq. 6, sampled).
        let active = periods
            .iter()
            .filter(|&&(s, e)| s <= pool.trading_epoch && pool.trading_epoch < e)
            .count() as u128;
        assert_eq!(pool.provider_hours.u128(), active * HOUR);
        p.next_epoch();
    }
}

#[test]
fn passive_liquidity_funds_sellers_and_exits_with_a_burned_fee() {
    let mut p = protocol();
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )
    .unwrap();
    let provide = ReceiveMsg::ProvideLiquidity {
        min_shares: Uint128::zero(),
        deadline: None,
    };
    let greedy = ReceiveMsg::ProvideLiquidity {
        min_shares: Uint128::new(u128::MAX),
        deadline: None,
    };
    let err: ContractError = contract_error(p.send("dave", 10 * LOOP, &greedy));
    assert!(matches!(err, ContractError::SlippageExceeded { .. }));
    p.send("dave", 10 * LOOP, &provide).unwrap();
    let held: loopin::pair::LiquidityResponse = p
        .app
        .wrap()
        .query_wasm_smart(
            &p.pair,
            &QueryMsg::Liquidity {
                owner: p.addr("dave").to_string(),
            },
        )
        .unwrap();
    // Dave doubled the LOOP side: he holds as many shares as the pool had, worth his 10 LOOP.
    assert_eq!(held.shares, p.stake_info(1).shares + Uint128::new(1_000));
    assert_eq!(held.value.u128(), 10 * LOOP);
    assert_eq!(p.pool().reserves, Reserves::new(HOUR, 20 * LOOP));

    let dave = p.addr("dave");
    let err: ContractError = contract_error(p.exec(
        &dave,
        &ExecuteMsg::WithdrawLiquidity {
            shares: held.shares + Uint128::one(),
            min_out: Uint128::zero(),
            deadline: None,
        },
    ));
    assert!(matches!(err, ContractError::InsufficientShares { .. }));
    let err: ContractError = contract_error(p.exec(
        &dave,
        &ExecuteMsg::WithdrawLiquidity {
            shares: held.shares,
            min_out: Uint128::new(10 * LOOP),
            deadline: None,
        },
    ));
    assert!(matches!(err, ContractError::SlippageExceeded { .. }));
    p.exec(
        &dave,
        &ExecuteMsg::WithdrawLiquidity {
            shares: held.shares,
            min_out: Uint128::zero(),
            deadline: None,
        },
    )
    .unwrap();
    // 10 LOOP back less the 0.3 % exchange fee, which is burned (paper §5).
    assert_eq!(p.balance_of("dave"), RICH - 30_000);
    assert_eq!(p.pool().reserves, Reserves::new(HOUR, 10 * LOOP));
}

#[test]
fn a_standing_order_renews_a_job_epoch_by_epoch_from_its_budget() {
    let mut p = protocol();
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )
    .unwrap();
    let order = ReceiveMsg::Lease {
        stake_id: 1,
        hours: Uint128::new(HOUR / 4),
        client_key: cosmwasm_std::HexBinary::from([1u8; 32]),
        ssh_key: SSH_KEY.into(),
        deadline: None,
        renewals: Some(2),
        max_renewal_price: None,
        // A keeper the client trusts renews it.
        renewer: Some(p.addr("dave").to_string()),
    };
    p.send("client", 30 * LOOP, &order).unwrap();
    // The rest of the 30 LOOP is the order's budget, held by the pair, not refunded.
    assert_eq!(p.balance_of("client"), RICH - 30 * LOOP);
    let keeper = p.addr("dave");
    // Not due while its own epoch is still the trading epoch.
    let err: ContractError =
        contract_error(p.exec(&keeper, &ExecuteMsg::RenewLease { lease_id: 1 }));
    assert_eq!(err, ContractError::NotRenewable { id: 1 });
    p.next_epoch();
    p.exec(&keeper, &ExecuteMsg::RenewLease { lease_id: 1 })
        .unwrap();
    let renewed: LeaseResponse = p
        .app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::Lease { lease_id: 2 })
        .unwrap();
    assert_eq!(
        (renewed.epoch, renewed.stake_id, renewed.renewals_left),
        (2, 1, 1)
    );
    assert!(renewed.hours.u128() >= HOUR / 4);
    // Renewing the same epoch twice is refused: the first lease handed its order on.
    let err: ContractError =
        contract_error(p.exec(&keeper, &ExecuteMsg::RenewLease { lease_id: 1 }));
    assert_eq!(err, ContractError::NotRenewable { id: 1 });
    // The client ends the order and gets the budget left back.
    let client = p.addr("client");
    let budget = renewed.budget.u128();
    let before = p.balance_of("client");
    p.exec(&client, &ExecuteMsg::CloseOrder { lease_id: 2 })
        .unwrap();
    assert_eq!(p.balance_of("client"), before + budget);
    let err: ContractError =
        contract_error(p.exec(&client, &ExecuteMsg::CloseOrder { lease_id: 2 }));
    assert_eq!(err, ContractError::NotRenewable { id: 2 });
}

/// A provider (stake 1, 10 epochs) and a 3-epoch seller (stake 2), run until the seller's hours
/// are delivered; returns what claiming the seller's stake pays now.
fn seller_stake_delivered(p: &mut Protocol) -> loopin::pair::ClaimableResponse {
    p.stake_provider_and_seller();
    // Its epochs are 2 to 4, each sold at the boundary before it.
    for _ in 0..5 {
        p.next_epoch();
    }
    p.app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::Claimable { stake_id: 2 })
        .unwrap()
}

#[test]
fn claimable_shows_exactly_what_claim_pays() {
    let mut p = protocol();
    let quote = seller_stake_delivered(&mut p);
    assert!(quote.finished);
    // Upkeep is beta * 3 h = 0.3 LOOP, burned from the 1 LOOP deposit; gamma * 3 h is minted.
    assert_eq!(quote.burned.u128(), 3 * LOOP / 10);
    assert_eq!(quote.rewards.u128(), 3 * LOOP / 2);
    let before = p.balance_of("seller");
    let seller = p.addr("seller");
    p.exec(&seller, &ExecuteMsg::Claim { stake_id: 2 }).unwrap();
    assert_eq!(
        p.balance_of("seller"),
        before + quote.payout.u128() + quote.rewards.u128()
    );
}

#[test]
fn rewards_beyond_the_emission_cap_stay_owed_and_are_paid_later() {
    // The factory mints at most 1 LOOP per epoch; the seller earns gamma * 3 h = 1.5 LOOP.
    let mut p = protocol_with_emission_cap(LOOP);
    let quote = seller_stake_delivered(&mut p);
    let seller = p.addr("seller");
    assert_eq!(quote.rewards.u128(), LOOP);
    assert_eq!(quote.rewards_owed.u128(), LOOP / 2);
    let before = p.balance_of("seller");
    // The principal is paid in full although the rewards are capped.
    p.exec(&seller, &ExecuteMsg::Claim { stake_id: 2 }).unwrap();
    assert_eq!(p.balance_of("seller"), before + quote.payout.u128() + LOOP);
    let stake = p.stake_info(2);
    assert!(stake.finished);
    assert_eq!(stake.rewards_owed.u128(), LOOP / 2);
    p.check_invariants();

    // Nothing more can be minted this epoch: a typed refusal that changes nothing.
    let err: ContractError = contract_error(p.exec(&seller, &ExecuteMsg::Claim { stake_id: 2 }));
    assert_eq!(
        err,
        ContractError::EmissionExhausted {
            owed: Uint128::new(LOOP / 2)
        }
    );
    assert_eq!(p.stake_info(2).rewards_owed.u128(), LOOP / 2);

    // The next emission epoch pays the rest, once.
    p.next_epoch();
    let before = p.balance_of("seller");
    p.exec(&seller, &ExecuteMsg::Claim { stake_id: 2 }).unwrap();
    assert_eq!(p.balance_of("seller"), before + LOOP / 2);
    assert!(p.stake_info(2).rewards_owed.is_zero());
    let err: ContractError = contract_error(p.exec(&seller, &ExecuteMsg::Claim { stake_id: 2 }));
    assert_eq!(err, ContractError::NothingToClaim {});
    p.check_invariants();
}

/// A provider's bounds hold when it sets the price too: the price is its LOOP (and any the pool
/// holds) per device-hour, the shares are the first deposit's less the locked minimum. A seller
/// pays no price and mints no shares: its bounds are not read.
#[test]
fn a_provider_setting_the_price_is_held_to_its_max_price_and_min_shares() {
    let mut p = protocol();
    let bounded = |p: &Protocol, who, device, mode, min_shares, max_price| {
        let mut msg = p.stake_msg(who, device, mode, Decimal::one(), 10);
        if let ReceiveMsg::Stake {
            min_shares: floor,
            max_price: ceiling,
            ..
        } = &mut msg
        {
            *floor = Some(Uint128::new(min_shares));
            *ceiling = Some(Decimal::from_ratio(max_price, 1u128));
        }
        msg
    };
    // 1 LOOP of fee and 10 LOOP for one hour: 10 LOOP per device-hour, 3,161,277 shares.
    let provider = StakeMode::LiquidityProvider;
    let msg = bounded(&p, "alice", "gpu-a", provider, 0, 10 * LOOP - 1);
    assert_eq!(
        contract_error::<ContractError>(p.send("alice", 11 * LOOP, &msg)),
        ContractError::PriceAboveMaximum {
            price: Decimal256::from_ratio(10 * LOOP, 1u128),
            max: Decimal::from_ratio(10 * LOOP - 1, 1u128),
        }
    );
    let msg = bounded(&p, "alice", "gpu-a", provider, 3_161_278, 10 * LOOP);
    assert_eq!(
        contract_error::<ContractError>(p.send("alice", 11 * LOOP, &msg)),
        ContractError::SharesBelowMinimum {
            minted: Uint128::new(3_161_277),
            min: Uint128::new(3_161_278),
        }
    );
    assert_eq!(p.balance_of("alice"), RICH);
    let msg = bounded(&p, "alice", "gpu-a", provider, 3_161_277, 10 * LOOP);
    p.send("alice", 11 * LOOP, &msg).unwrap();
    assert_eq!(p.stake_info(1).shares.u128(), 3_161_277);
    let seller = bounded(&p, "bob", "gpu-b", StakeMode::Seller, u128::MAX, 0);
    p.send("bob", 10 * LOOP, &seller).unwrap();
    assert!(p.stake_info(2).shares.is_zero());
}
