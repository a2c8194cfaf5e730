//! Early exit (issue 19): a stake ends before its term, still serving what clients may have
//! leased, forfeiting the maintenance of the epochs it gives up out of its last pay, after what
//! its clients are owed, which waits for any verdict its device may still get; refused for
//! anyone but its owner and when it gives up nothing. (What an exit cannot dodge,
//! a challenge failed before the new end, and the device moving to a new stake afterwards are
//! in `registry_exit.rs`, with the real registry.)

use cosmwasm_std::Uint128;
use cw_multi_test::AppResponse;
use loopin::pair::{ExecuteMsg, ReceiveMsg};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{EPOCH, LOOP, Protocol, market};
use loopin_integration_tests::proven::{claim_to_the_end, number};
use loopin_pair::ContractError;
use loopin_pool_math::HOUR;

/// One epoch of a rate-1 stake's maintenance (beta = 0.1 LOOP per device-hour).
const UPKEEP: u128 = LOOP / 10;
/// Epochs an exited stake's last pay waits after its end here: the registry is an account
/// (no windows to read), so the pair's default.
const HOLD: u64 = loopin::pair::DEFAULT_EXIT_HOLD_EPOCHS;

/// Processes `epochs` boundaries.
fn epochs(p: &mut Protocol, epochs: u64) {
    for _ in 0..epochs {
        p.next_epoch();
    }
}

fn exit(p: &mut Protocol, who: &str, stake_id: u64) -> anyhow::Result<AppResponse> {
    let sender = p.addr(who);
    p.exec(&sender, &ExecuteMsg::Exit { stake_id })
}

fn total_supply(p: &Protocol) -> u128 {
    let info: cw20::TokenInfoResponse = p
        .app
        .wrap()
        .query_wasm_smart(&p.token, &cw20::Cw20QueryMsg::TokenInfo {})
        .unwrap();
    info.total_supply.u128()
}

/// Stakes `device` for ten epochs; returns the stake's id.
fn stake_ten(p: &mut Protocol, who: &str, device: &str, mode: StakeMode) -> u64 {
    let amount = if mode == StakeMode::Seller { 10 } else { 11 } * LOOP;
    let res = p.stake(who, device, mode, 10, amount).unwrap();
    number(&res, "stake_id") as u64
}

#[test]
fn a_seller_that_exits_forfeits_the_maintenance_it_gives_up_and_is_paid_at_the_new_end() {
    let mut p = market();
    let seller = stake_ten(&mut p, "seller", "gpu-s", StakeMode::Seller);
    p.send("seller", LOOP, &ReceiveMsg::TopUp { stake_id: seller })
        .unwrap();
    let start = p.stake_info(seller).start_epoch;
    let expiry = p.certificate_expiry(seller);
    // A seller's stake starts at the epoch after the trading epoch (its first sale).
    for _ in 0..3 {
        p.next_epoch();
    }
    // Two epochs in, the seller leaves: it still supplies the epoch being delivered and the
    // trading epoch, and ends at the next one, giving up seven of its ten epochs.
    let trading = p.pool().trading_epoch;
    assert_eq!(trading, start + 2);
    let supply = total_supply(&p);
    let res = exit(&mut p, "seller", seller).unwrap();
    assert_eq!(number(&res, "end_epoch"), u128::from(trading + 1));
    assert_eq!(number(&res, "epochs_given_up"), 7);
    // Their maintenance (0.7 LOOP) is owed out of its last pay, which waits HOLD epochs
    // after the new end; nothing is taken yet.
    assert_eq!(number(&res, "forfeit"), 7 * UPKEEP);
    assert_eq!(number(&res, "paid_from"), u128::from(trading + 1 + HOLD));
    assert_eq!(total_supply(&p), supply);
    let stake = p.stake_info(seller);
    assert_eq!(stake.end_epoch, trading + 1);
    assert_eq!(stake.deposit.u128(), 2 * LOOP);
    // Its certificate now expires at the new end: seven epochs earlier.
    assert_eq!(p.certificate_expiry(seller), expiry - 7 * EPOCH);
    // At the next boundary its hours are no longer sold.
    p.next_epoch();
    assert_eq!(p.pool().seller_hours, Uint128::zero());
    // Past its end, its pay is held until HOLD epochs after it: not finished.
    epochs(&mut p, 3);
    claim_to_the_end(&mut p, "seller", seller);
    assert!(!p.stake_info(seller).finished);
    epochs(&mut p, HOLD);
    // Then it is paid as any stake, less the forfeit: the deposit less the maintenance of the
    // three epochs it supplied and of the seven it gave up (nothing was sold: no client paid
    // the pool for hours), and gamma for its three proven epochs.
    let supply = total_supply(&p);
    let before = p.balance_of("seller");
    let (paid, rewards) = claim_to_the_end(&mut p, "seller", seller);
    assert!(p.stake_info(seller).finished);
    assert_eq!(paid, 2 * LOOP - 3 * UPKEEP - 7 * UPKEEP);
    assert_eq!(rewards, 3 * LOOP / 2);
    assert_eq!(p.balance_of("seller"), before + paid + rewards);
    assert_eq!(total_supply(&p), supply + rewards - 10 * UPKEEP);
    p.check_invariants();
}

#[test]
fn a_provider_that_exits_forfeits_the_maintenance_out_of_its_settlement() {
    let mut p = market();
    let bob = stake_ten(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider);
    p.next_epoch();
    p.next_epoch();
    let pool = p.pool();
    let (y, s) = (pool.reserves.tokens.u128(), pool.total_shares.u128());
    let shares = p.stake_info(bob).shares.u128();
    let res = exit(&mut p, "bob", bob).unwrap();
    assert_eq!(number(&res, "forfeit"), 7 * UPKEEP);
    // The pool is untouched: its shares stay until the new end, as any stake's.
    assert_eq!(p.pool().reserves, pool.reserves);
    assert_eq!(p.pool().total_shares, pool.total_shares);
    assert_eq!(p.stake_info(bob).shares.u128(), shares);
    // At its new end Bob is settled what his shares are worth (nothing traded: y / S as now)
    // and paid it HOLD epochs later less seven epochs' maintenance, burned, with (gamma -
    // beta) for his three proven epochs.
    epochs(&mut p, 4 + HOLD);
    let supply = total_supply(&p);
    let (paid, rewards) = claim_to_the_end(&mut p, "bob", bob);
    assert_eq!(paid, shares * y / s - 7 * UPKEEP);
    assert_eq!(rewards, 3 * 4 * LOOP / 10);
    assert_eq!(total_supply(&p), supply + rewards - 7 * UPKEEP);
    p.check_invariants();
}

#[test]
fn an_exit_burns_its_forfeit_only_after_its_clients_are_refunded() {
    // Found by an attacker's review: burned at the exit, the forfeit came out of what backs the
    // refunds of the stake's unproven epochs, and a miner whose refunds would eat its stake
    // lost nothing by exiting while its clients lost the forfeit.
    let mut p = market();
    let bob = stake_ten(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider);
    // Bob's device answers no challenge from now on: its epochs are unproven.
    let token_id = p.stake_info(bob).token_id;
    p.registered.retain(|t| *t != token_id);
    let before = p.balance_of("client");
    p.lease("client", bob, 9 * HOUR / 10, 1_000 * LOOP).unwrap();
    let paid_for_hours = before - p.balance_of("client");
    p.next_epoch();
    let res = exit(&mut p, "bob", bob).unwrap();
    let forfeit = number(&res, "forfeit");
    assert_eq!(forfeit, number(&res, "epochs_given_up") * UPKEEP);
    epochs(&mut p, 3 + HOLD);
    let owner = p.addr("bob");
    let res = p
        .exec(&owner, &ExecuteMsg::Claim { stake_id: bob })
        .unwrap();
    let refunded = number(&res, "refunded_unproven");
    // The client is refunded first, as far as Bob's position goes; the forfeit comes out of
    // what is left, if anything.
    assert_eq!(p.balance_of("client"), before - paid_for_hours + refunded);
    let left = number(&res, "payout") + number(&res, "forfeit");
    assert!(
        refunded == paid_for_hours || left == 0,
        "refunded {refunded} of {paid_for_hours} with {left} left"
    );
    assert!(number(&res, "forfeit") <= forfeit);
    p.check_invariants();
}

/// LOOP per share (`y / S`) as a fraction.
fn per_share(p: &Protocol) -> (u128, u128) {
    let pool = p.pool();
    (pool.reserves.tokens.u128(), pool.total_shares.u128())
}

#[test]
fn an_exit_after_a_lease_leaves_loop_per_share_where_it_was() {
    // Found by the value-fairness property: when the forfeit was taken out of the pool as
    // shares valued as a withdrawal's (at the epoch's average, below spot after a lease), the
    // rest of their value stayed in the pool for every share, the exiter's own passive
    // liquidity's included, and an honest provider beside it was worse off. The forfeit now
    // comes out of the stake's last pay: an exit leaves the pool as it was.
    let mut p = market();
    let bob = stake_ten(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider);
    p.next_epoch();
    let send = ReceiveMsg::ProvideLiquidity {
        min_shares: Uint128::one(),
        deadline: None,
    };
    p.send("bob", 50 * LOOP, &send).unwrap();
    // Half an epoch later a lease lifts the spot above its average since the boundary.
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(EPOCH / 2));
    p.lease("client", 1, HOUR / 2, 100 * LOOP).unwrap();
    let (y, s) = per_share(&p);
    exit(&mut p, "bob", bob).unwrap();
    assert_eq!(per_share(&p), (y, s));
    p.check_invariants();
}

#[test]
fn an_exit_withdraws_the_standing_renewal_and_ends_standing_orders_at_the_new_end() {
    let mut p = market();
    let bob = stake_ten(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider);
    let end = p.stake_info(bob).end_epoch;
    let sender = p.addr("bob");
    let msg = ExecuteMsg::SetAutoRenew {
        stake_id: bob,
        until_epoch: Some(end + 5),
    };
    p.exec(&sender, &msg).unwrap();
    // A client's standing order on Bob's device: an hour now and three renewals.
    let order = ReceiveMsg::Lease {
        stake_id: bob,
        hours: Uint128::new(HOUR / 4),
        client_key: cosmwasm_std::HexBinary::from([1u8; 32]),
        ssh_key: loopin_integration_tests::protocol::SSH_KEY.into(),
        deadline: None,
        renewals: Some(3),
        max_renewal_price: None,
        renewer: None,
    };
    let res = p.send("client", 20 * LOOP, &order).unwrap();
    let lease = number(&res, "lease_id") as u64;
    exit(&mut p, "bob", bob).unwrap();
    // Renewing it is Bob's own decision again: a keeper is refused.
    let keeper = p.addr("dave");
    let renew = ExecuteMsg::Renew {
        stake_id: bob,
        epochs: None,
    };
    let err: ContractError = contract_error(p.exec(&keeper, &renew));
    assert_eq!(err, ContractError::Unauthorized {});
    // The leased hour is served; the next epoch's is not Bob's to sell any more, so the order
    // cannot renew, and its client gets the whole budget back when closing it.
    p.next_epoch();
    let client = p.addr("client");
    let err: ContractError =
        contract_error(p.exec(&client, &ExecuteMsg::RenewLease { lease_id: lease }));
    let end = p.stake_info(bob).end_epoch;
    assert_eq!(
        err,
        ContractError::NotSupplying {
            id: bob,
            epoch: end
        }
    );
    let info: loopin::pair::LeaseResponse = p
        .app
        .wrap()
        .query_wasm_smart(&p.pair, &loopin::pair::QueryMsg::Lease { lease_id: lease })
        .unwrap();
    let budget = info.budget.u128();
    assert!(budget > 0);
    let before = p.balance_of("client");
    p.exec(&client, &ExecuteMsg::CloseOrder { lease_id: lease })
        .unwrap();
    assert_eq!(p.balance_of("client"), before + budget);
}

#[test]
fn an_exit_is_refused_with_a_typed_error_and_changes_nothing() {
    let mut p = market();
    let bob = stake_ten(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider);
    let short = p
        .stake(
            "seller",
            "gpu-e",
            StakeMode::LiquidityProvider,
            3,
            11 * LOOP,
        )
        .map(|res| number(&res, "stake_id") as u64)
        .unwrap();
    p.next_epoch();
    // Short of its term by two epochs, the seller's provider stake first exits, giving up one,
    // then gives up nothing more.
    exit(&mut p, "seller", short).unwrap();
    let refusals: Vec<(&str, u64, ContractError)> = vec![
        ("dave", bob, ContractError::Unauthorized {}),
        ("bob", 99, ContractError::StakeNotFound { id: 99 }),
        (
            "seller",
            short,
            ContractError::ExitTooLate {
                id: short,
                end_epoch: p.stake_info(short).end_epoch,
            },
        ),
    ];
    for (who, id, expected) in refusals {
        let pool = p.pool();
        let stakes = [bob, short].map(|id| p.stake_info(id));
        let err: ContractError = contract_error(exit(&mut p, who, id));
        assert_eq!(err, expected, "{who} exiting {id}");
        assert_eq!(p.pool(), pool);
        assert_eq!([bob, short].map(|id| p.stake_info(id)), stakes);
    }
    // Invalidated, or finished, a stake has nothing to exit.
    let registry = p.registry.clone();
    let token_id = p.stake_info(bob).token_id;
    let invalidate = ExecuteMsg::Invalidate {
        token_id,
        reason: "failed a challenge".into(),
    };
    p.exec(&registry, &invalidate).unwrap();
    let err: ContractError = contract_error(exit(&mut p, "bob", bob));
    assert_eq!(err, ContractError::Invalidated { id: bob });
    epochs(&mut p, 2 + HOLD);
    claim_to_the_end(&mut p, "seller", short);
    assert!(p.stake_info(short).finished);
    let err: ContractError = contract_error(exit(&mut p, "seller", short));
    assert_eq!(err, ContractError::StakeFinished { id: short });
    p.check_invariants();
}

#[test]
fn an_exit_under_an_open_dispute_still_pays_the_clients_refund_first() {
    let mut p = market();
    let carol = stake_ten(&mut p, "carol", "gpu-c", StakeMode::LiquidityProvider);
    // A client leases half an hour of Carol's device and disputes it once its epoch started.
    let before = p.balance_of("client");
    let lease = p
        .lease("client", carol, HOUR / 2, 100 * LOOP)
        .map(|res| number(&res, "lease_id") as u64)
        .unwrap();
    let paid_for_hours = before - p.balance_of("client");
    p.next_epoch();
    let dispute = ReceiveMsg::Dispute {
        lease_id: lease,
        reason: "no access".into(),
    };
    p.send("client", 10 * LOOP, &dispute).unwrap();
    // Carol exits anyway (a client cannot hold a miner in by disputing), and governance then
    // grants the client a full refund: paid out of Carol's position, before any forfeit.
    let res = exit(&mut p, "carol", carol).unwrap();
    let forfeit = number(&res, "epochs_given_up") * UPKEEP;
    let governance = p.addr("governance");
    let resolve = ExecuteMsg::ResolveDispute {
        lease_id: lease,
        refund: Uint128::new(paid_for_hours),
    };
    p.exec(&governance, &resolve).unwrap();
    assert_eq!(p.balance_of("client"), before);
    epochs(&mut p, 3 + HOLD);
    let owner = p.addr("carol");
    let res = p
        .exec(&owner, &ExecuteMsg::Claim { stake_id: carol })
        .unwrap();
    assert_eq!(number(&res, "forfeit"), forfeit);
    assert_eq!(p.balance_of("client"), before);
    p.check_invariants();
}
