//! Proven epochs (issue 22, "fail closed"): a stake's epoch pays (rewards, a seller's proceeds,
//! the leases' pay) only when the registry reported the class's passes of its device's
//! challenges in it. Before, any registered device that was not invalidated was paid for every
//! epoch: a miner with no GPU behind its registration earned gamma x hours and sold hours
//! nobody could use. Here the registry is an account standing for it (`Protocol::prove`); the
//! registry tests drive real passes (`registry_proven_epochs.rs`).

use cosmwasm_std::Timestamp;
use loopin::pair::{ExecuteMsg, QueryMsg, ReceiveMsg};
use loopin::pool::PoolParams;
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{
    LOOP, attr, market, market_on, market_with, params, protocol_with_dispute_window,
};
use loopin_integration_tests::proven::{claim_to_the_end, epoch_proof, number, stake};
use loopin_pair::ContractError;
use loopin_pool_math::HOUR;

struct SellerRun {
    /// What the client's lease on the seller's hours cost it in the end.
    client_cost: u128,
    lease_paid: u128,
    seller_paid: u128,
    seller_rewards: u128,
    proven_epochs: u64,
    pool_tokens: u128,
}

/// A seller's three epochs; demand funds the first sale, and a client leases a tenth of the
/// seller's hour of that epoch.
fn seller_run(proven: bool) -> SellerRun {
    let mut p = market();
    let id = stake(&mut p, "seller", "gpu-s", StakeMode::Seller, proven);
    // Demand (Dave's lease of Alice's hours) funds the boundary's sale of the seller's hours.
    p.fund_sellers("dave", 1, HOUR / 2);
    let before = p.balance_of("client");
    let res = p.lease("client", id, HOUR / 10, 10 * LOOP).unwrap();
    let lease_paid = number(&res, "paid");
    for _ in 0..6 {
        p.next_epoch();
    }
    let (seller_paid, seller_rewards) = claim_to_the_end(&mut p, "seller", id);
    assert!(p.stake_info(id).finished);
    SellerRun {
        client_cost: before - p.balance_of("client"),
        lease_paid,
        seller_paid,
        seller_rewards,
        proven_epochs: p.stake_info(id).proven_epochs,
        pool_tokens: p.pool().reserves.tokens.u128(),
    }
}

#[test]
fn a_registered_seller_that_proves_no_epoch_earns_nothing_and_its_client_pays_nothing() {
    let honest = seller_run(true);
    let idle = seller_run(false);
    // The honest seller: three proven epochs, gamma = 0.5 LOOP per device-hour, and proceeds
    // beyond its deposit less maintenance (10 LOOP - 0.3).
    assert_eq!(honest.proven_epochs, 3);
    assert_eq!(honest.seller_rewards, 3 * LOOP / 2);
    assert!(honest.seller_paid > 10 * LOOP - 3 * LOOP / 10);
    assert_eq!(honest.client_cost, honest.lease_paid);

    // The same seller with no GPU answering: no rewards, no proceeds, and at most its deposit
    // less maintenance back (what its client's refund needed beyond the epoch's proceeds came
    // out of it).
    assert_eq!(idle.proven_epochs, 0);
    assert_eq!(idle.seller_rewards, 0);
    assert!(idle.seller_paid <= 10 * LOOP - 3 * LOOP / 10);
    // Its client got back every micro-LOOP the lease paid, without asking: the seller's claim
    // refunded it on its way past the epoch.
    assert!(idle.lease_paid > 0);
    assert_eq!(idle.client_cost, 0);
    // The providers are not the ones paying: the pool took back all it paid for the hours,
    // fee included, and kept no client's LOOP. It holds exactly what it holds where the seller
    // never registered (so nothing was sold and nobody could lease its hours); the seller's
    // deposit paid the exchange fees.
    assert_eq!(idle.pool_tokens, pool_without_the_seller());
    assert!(idle.seller_paid < 10 * LOOP - 3 * LOOP / 10);
}

/// The pool's LOOP at the end of [`seller_run`] where the seller's device never registers.
fn pool_without_the_seller() -> u128 {
    let mut p = market();
    p.auto_register = false;
    stake(&mut p, "seller", "gpu-s", StakeMode::Seller, false);
    p.fund_sellers("dave", 1, HOUR / 2);
    for _ in 0..6 {
        p.next_epoch();
    }
    p.pool().reserves.tokens.u128()
}

#[test]
fn a_provider_that_proves_no_epoch_earns_no_rewards_and_anyone_refunds_its_clients() {
    let run = |proven: bool| {
        let mut p = market();
        let id = stake(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider, proven);
        let epoch = p.pool().trading_epoch;
        let before = p.balance_of("client");
        let res = p.lease("client", id, HOUR / 2, 10 * LOOP).unwrap();
        let paid = number(&res, "paid");
        let dave = p.addr("dave");
        let refund = ExecuteMsg::SettleUnproven {
            stake_id: id,
            epoch,
        };
        // Delivered now: its epoch may still be proven.
        p.next_epoch();
        let err: ContractError = contract_error(p.exec(&dave, &refund));
        assert_eq!(err, ContractError::EpochNotFinal { epoch });
        p.next_epoch();
        let proof = epoch_proof(&p, id, epoch);
        assert!(proof.is_final && !proof.legacy);
        assert_eq!((proof.passes, proof.required), (u32::from(proven), 1));
        let result = p.exec(&dave, &refund);
        if proven {
            let err: ContractError = contract_error(result);
            assert_eq!(err, ContractError::EpochProven { epoch });
        } else {
            // A keeper (here Dave) refunds the client in full out of Bob's shares.
            let res = result.unwrap();
            assert_eq!(number(&res, "refunded"), paid);
            assert!(epoch_proof(&p, id, epoch).settled);
            let err: ContractError = contract_error(p.exec(&dave, &refund));
            assert_eq!(err, ContractError::EpochSettled { epoch });
        }
        let client_cost = before - p.balance_of("client");
        for _ in 0..4 {
            p.next_epoch();
        }
        let (bob_paid, rewards) = claim_to_the_end(&mut p, "bob", id);
        (client_cost, paid, bob_paid, rewards)
    };
    let (cost, paid, bob_honest, rewards) = run(true);
    assert_eq!(cost, paid);
    // (gamma - beta) = 0.4 LOOP per device-hour, three proven epochs.
    assert_eq!(rewards, 3 * 4 * LOOP / 10);
    let (cost, _, bob_idle, rewards) = run(false);
    assert_eq!(cost, 0, "the client paid nothing for an unproven epoch");
    assert_eq!(rewards, 0, "no rewards for epochs nothing proved");
    // The refund came out of Bob's own position.
    assert!(bob_idle + paid <= bob_honest + 2);
}

#[test]
fn only_the_registry_reports_passes_and_a_report_too_late_counts_nothing() {
    let mut p = market();
    let id = stake(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider, false);
    let token_id = p.stake_info(id).token_id;
    let epoch = p.pool().trading_epoch;
    let carol = p.addr("carol").to_string();
    let msg = |at: Timestamp| ExecuteMsg::DeviceProven {
        token_id: token_id.clone(),
        challenged_at: at,
        verifier: Some(carol.clone()),
        audit_until: None,
    };
    let now = p.app.block_info().time;
    let bob = p.addr("bob");
    let err: ContractError = contract_error(p.exec(&bob, &msg(now)));
    assert_eq!(err, ContractError::NotRegistry {});
    // A pass of the epoch the stake starts in, reported in it, counts.
    p.next_epoch();
    let in_epoch = p.app.block_info().time;
    assert_eq!(p.pool().epoch, epoch);
    let registry = p.registry.clone();
    let res = p.exec(&registry, &msg(in_epoch)).unwrap();
    assert_eq!(attr(&res, "counted").as_deref(), Some("true"));
    assert!(epoch_proof(&p, id, epoch).proven);
    // One for the epoch after it, reported once that epoch has ended, counts nowhere: the
    // epoch is settled for good when it ends.
    p.next_epoch();
    p.next_epoch();
    let res = p
        .exec(&registry, &msg(in_epoch.plus_seconds(3_600)))
        .unwrap();
    assert_eq!(attr(&res, "counted").as_deref(), Some("false"));
    assert_eq!(epoch_proof(&p, id, epoch + 1).passes, 0);
    // Nor does one from before the stake's first epoch.
    let res = p.exec(&registry, &msg(now)).unwrap();
    assert_eq!(attr(&res, "counted").as_deref(), Some("false"));
    assert_eq!(p.stake_info(id).proven_epochs, 1);
}

#[test]
fn a_seller_unproven_for_many_epochs_is_settled_page_by_page_and_paid_for_the_rest() {
    let mut p = market();
    let res = p
        .stake("seller", "gpu-s", StakeMode::Seller, 14, 20 * LOOP)
        .unwrap();
    let id = number(&res, "stake_id") as u64;
    let token_id = attr(&res, "token_id").unwrap();
    p.registered.retain(|t| *t != token_id);
    let stake = p.stake_info(id);
    // Its device answers nothing for ten epochs (more than two claim pages of four), then
    // comes up and is proven to the end; demand funds a sale now and then.
    for e in 0..16 {
        if e == 10 {
            p.registered.push(token_id.clone());
        }
        if e % 3 == 0 {
            p.fund_sellers("dave", 1, HOUR / 10);
        } else {
            p.next_epoch();
        }
    }
    let (paid, rewards) = claim_to_the_end(&mut p, "seller", id);
    let info = p.stake_info(id);
    assert!(info.finished, "the claims reach the end");
    let first = info.verified_from.unwrap();
    let proven: Vec<u64> = (first..stake.end_epoch)
        .filter(|e| epoch_proof(&p, id, *e).proven)
        .collect();
    assert_eq!(info.proven_epochs, proven.len() as u64);
    assert!(!proven.is_empty() && proven.len() < 10);
    // Every unproven epoch was settled on the way, none skipped.
    for epoch in first..stake.end_epoch {
        let proof = epoch_proof(&p, id, epoch);
        assert!(proof.proven || proof.settled, "epoch {epoch}: {proof:?}");
    }
    assert_eq!(rewards, proven.len() as u128 * LOOP / 2);
    assert!(paid > 0);
    p.check_invariants();
}

#[test]
fn a_lease_refunded_by_a_dispute_is_not_refunded_again_when_its_epoch_is_unproven() {
    let mut p = market_on(protocol_with_dispute_window(2));
    let id = stake(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider, false);
    let epoch = p.pool().trading_epoch;
    let res = p.lease("client", id, HOUR / 2, 10 * LOOP).unwrap();
    let lease_id = number(&res, "lease_id") as u64;
    let paid = number(&res, "paid");
    p.next_epoch();
    let dispute = ReceiveMsg::Dispute {
        lease_id,
        reason: "no GPU behind it".into(),
    };
    p.send("client", 10 * LOOP, &dispute).unwrap();
    let governance = p.addr("governance");
    let resolve = ExecuteMsg::ResolveDispute {
        lease_id,
        refund: paid.into(),
    };
    p.exec(&governance, &resolve).unwrap();
    p.next_epoch();
    let before = p.balance_of("client");
    let dave = p.addr("dave");
    let res = p
        .exec(
            &dave,
            &ExecuteMsg::SettleUnproven {
                stake_id: id,
                epoch,
            },
        )
        .unwrap();
    assert_eq!(number(&res, "refunded"), 0);
    assert_eq!(p.balance_of("client"), before);
    assert!(epoch_proof(&p, id, epoch).settled);
}

#[test]
fn an_epoch_of_a_class_that_asks_two_passes_needs_two_distinct_verifiers() {
    let mut p = market_with(PoolParams {
        min_passes_per_epoch: 2,
        ..params()
    });
    let id = stake(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider, false);
    let token_id = p.stake_info(id).token_id;
    p.next_epoch();
    let epoch = p.pool().epoch;
    // One verifier passing the device again and again proves nothing more than once.
    for _ in 0..3 {
        p.prove_by(&token_id, "carol").unwrap();
    }
    let proof = epoch_proof(&p, id, epoch);
    assert_eq!((proof.passes, proof.proven), (1, false));
    // A second verifier makes two.
    p.prove_by(&token_id, "dave").unwrap();
    let proof = epoch_proof(&p, id, epoch);
    assert_eq!((proof.passes, proof.proven), (2, true));
    assert_eq!(p.stake_info(id).proven_epochs, 1);
}

/// A seller's claim that settles an unproven epoch while the next, proven epoch's pay is
/// retained for an open dispute keeps that pay: the dispute rejected, the next claim pays it.
/// (The first fix dropped such a claim's plan and moved the seller's page past the retained
/// epoch, stranding its proceeds in escrow.)
#[test]
fn a_claim_that_settles_while_pay_is_retained_keeps_the_retained_pay() {
    let run = |dispute: bool| {
        let mut p = market_on(protocol_with_dispute_window(1));
        // Its first epoch goes unproven; the next two are proven.
        let id = stake(&mut p, "seller", "gpu-s", StakeMode::Seller, false);
        let token_id = p.stake_info(id).token_id;
        p.fund_sellers("dave", 1, HOUR / 2);
        let first = p.pool().trading_epoch;
        assert_eq!(p.stake_info(id).verified_from, Some(first));
        p.lease("client", id, HOUR / 10, 10 * LOOP).unwrap();
        p.lease("dave", 1, HOUR / 2, 100 * LOOP).unwrap();
        p.next_epoch();
        // Epoch `first` is delivered: a client leases the whole hour of the next.
        let res = p.lease("client", id, HOUR, 100 * LOOP).unwrap();
        let lease_id = number(&res, "lease_id") as u64;
        p.next_epoch();
        p.registered.push(token_id.clone());
        assert!(!epoch_proof(&p, id, first).proven);
        // In its epoch the client disputes it.
        if dispute {
            let msg = ReceiveMsg::Dispute {
                lease_id,
                reason: "slow".into(),
            };
            p.send("client", 100 * LOOP, &msg).unwrap();
        }
        p.next_epoch();
        p.next_epoch();
        assert!(epoch_proof(&p, id, first + 1).proven);
        // The claim settles the unproven first epoch; the second's pay is retained.
        let seller = p.addr("seller");
        let res = p
            .exec(&seller, &ExecuteMsg::Claim { stake_id: id })
            .unwrap();
        assert!(number(&res, "refunded_unproven") > 0);
        if dispute {
            let governance = p.addr("governance");
            let reject = ExecuteMsg::ResolveDispute {
                lease_id,
                refund: 0u128.into(),
            };
            p.exec(&governance, &reject).unwrap();
        }
        p.next_epoch();
        let (rest, _) = claim_to_the_end(&mut p, "seller", id);
        p.check_invariants();
        number(&res, "payout") + rest
    };
    // Rejected, the dispute costs the seller nothing: it is paid what it is paid undisputed.
    assert_eq!(run(true), run(false));
}

/// An open dispute does not hold up an unproven epoch: its settlement refunds the disputing
/// client like the others, closes the dispute as upheld and returns its bond. (Waiting for
/// governance, as a review's fix first did, let one dispute strand every other client of the
/// epoch when the stake was invalidated, and hold a seller's pay for as long as governance
/// did not rule.)
#[test]
fn an_unproven_epoch_settles_its_open_disputes_in_the_clients_favour() {
    let mut p = market_on(protocol_with_dispute_window(2));
    let id = stake(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider, false);
    let epoch = p.pool().trading_epoch;
    let before = [p.balance_of("client"), p.balance_of("dave")];
    let res = p.lease("client", id, HOUR / 4, 10 * LOOP).unwrap();
    let lease_id = number(&res, "lease_id") as u64;
    p.lease("dave", id, HOUR / 4, 10 * LOOP).unwrap();
    p.next_epoch();
    let dispute = ReceiveMsg::Dispute {
        lease_id,
        reason: "nothing answers".into(),
    };
    p.send("client", 10 * LOOP, &dispute).unwrap();
    assert!(p.balance_of("client") < before[0]);
    p.next_epoch();
    let carol = p.addr("carol");
    p.exec(
        &carol,
        &ExecuteMsg::SettleUnproven {
            stake_id: id,
            epoch,
        },
    )
    .unwrap();
    // Both clients have every micro-LOOP back, the disputing one its bond too.
    assert_eq!([p.balance_of("client"), p.balance_of("dave")], before);
    let lease: loopin::pair::LeaseResponse = p
        .app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::Lease { lease_id })
        .unwrap();
    assert!(lease.dispute.unwrap().resolution.is_some());
    assert_eq!(p.pool().dispute_bonds.u128(), 0);
    p.check_invariants();
}

/// A dispute governance upholds before the unproven epoch settles costs the seller no more
/// than the settlement alone would: the lease's LOOP the pool still held goes back to the
/// seller's pay, which refunded the client. (Before, the pool kept it and the seller paid
/// the refund on top of losing the epoch.)
#[test]
fn a_dispute_upheld_before_the_epoch_settles_costs_the_seller_no_more() {
    let run = |ruled: bool| {
        let mut p = market_on(protocol_with_dispute_window(1));
        let id = stake(&mut p, "seller", "gpu-s", StakeMode::Seller, false);
        p.fund_sellers("dave", 1, HOUR / 2);
        let before = p.balance_of("client");
        let res = p.lease("client", id, HOUR / 10, 10 * LOOP).unwrap();
        let lease_id = number(&res, "lease_id") as u64;
        let paid = number(&res, "paid");
        p.next_epoch();
        if ruled {
            let msg = ReceiveMsg::Dispute {
                lease_id,
                reason: "no GPU".into(),
            };
            p.send("client", 10 * LOOP, &msg).unwrap();
            let governance = p.addr("governance");
            let uphold = ExecuteMsg::ResolveDispute {
                lease_id,
                refund: paid.into(),
            };
            p.exec(&governance, &uphold).unwrap();
        }
        for _ in 0..5 {
            p.next_epoch();
        }
        let (seller_paid, _) = claim_to_the_end(&mut p, "seller", id);
        p.check_invariants();
        (
            seller_paid,
            before - p.balance_of("client"),
            p.pool().reserves.tokens.u128(),
        )
    };
    let (settled, ruled) = (run(false), run(true));
    assert_eq!(settled.1, 0, "the client got everything back");
    assert_eq!(ruled.1, 0, "the client got everything back, bond included");
    assert_eq!(ruled.2, settled.2, "the pool ends the same");
    assert!(
        ruled.0 + 2 >= settled.0,
        "the seller paid {} more",
        settled.0 - ruled.0
    );
}

/// An idle seller invalidated after an unproven epoch ended: the invalidation refunds that
/// epoch's client in full before it seizes and burns the seller's position.
#[test]
fn an_invalidation_refunds_the_clients_of_the_unproven_epochs_before_it_seizes() {
    let mut p = market();
    let id = stake(&mut p, "seller", "gpu-s", StakeMode::Seller, false);
    p.fund_sellers("dave", 1, HOUR / 2);
    let before = p.balance_of("client");
    p.lease("client", id, HOUR / 10, 10 * LOOP).unwrap();
    p.next_epoch();
    p.next_epoch();
    let registry = p.registry.clone();
    let invalidate = ExecuteMsg::Invalidate {
        token_id: p.stake_info(id).token_id,
        reason: "late".into(),
    };
    let res = p.exec(&registry, &invalidate).unwrap();
    assert!(number(&res, "refunded_unproven") > 0);
    assert_eq!(p.balance_of("client"), before);
    assert!(p.stake_info(id).invalidated);
    p.check_invariants();
}

/// Settling is refused for an epoch that is not the stake's, or that came before its device
/// registered (nothing was sold or leased in it).
#[test]
fn settling_an_epoch_outside_the_registered_stake_is_refused() {
    let mut p = market();
    p.auto_register = false;
    let res = p
        .stake("bob", "gpu-b", StakeMode::LiquidityProvider, 3, 11 * LOOP)
        .unwrap();
    let id = number(&res, "stake_id") as u64;
    let token_id = attr(&res, "token_id").unwrap();
    let start = p.stake_info(id).start_epoch;
    p.next_epoch();
    p.next_epoch();
    p.register_device(&token_id).unwrap();
    p.registered.retain(|t| *t != token_id);
    p.next_epoch();
    let dave = p.addr("dave");
    for epoch in [start - 1, start, start + 3] {
        let err: ContractError = contract_error(p.exec(
            &dave,
            &ExecuteMsg::SettleUnproven {
                stake_id: id,
                epoch,
            },
        ));
        assert_eq!(err, ContractError::EpochOutsideStake { id, epoch });
    }
}
