//! When passes count (issue 22): a pass the registry voids after an audit no longer proves its
//! epoch while the epoch's pay is held; a pass submitted within the class's grace after its
//! epoch ends still proves it, and nothing is settled or paid before the grace is over. The
//! registry is an account standing for it (`Protocol::prove`); `registry_audits.rs` drives real
//! audits.

use cosmwasm_std::Timestamp;
use cw_multi_test::AppResponse;
use loopin::pair::{AuditEvent, ExecuteMsg, QueryMsg};
use loopin::pool::PoolParams;
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{LOOP, Protocol, attr, market, market_with, params};
use loopin_integration_tests::proven::{claim_to_the_end, epoch_proof, number, stake};
use loopin_pair::ContractError;
use loopin_pool_math::HOUR;

/// The registry voids every pass of the seller's stake reported at `times` (an audit found its
/// verifier's passes unbacked); the responses.
fn void_passes(p: &mut Protocol, id: u64, times: &[Timestamp]) -> Vec<AppResponse> {
    let token_id = p.stake_info(id).token_id;
    let registry = p.registry.clone();
    let carol = p.addr("carol").to_string();
    times
        .iter()
        .map(|&at| {
            p.exec(
                &registry,
                &ExecuteMsg::DeviceProofAudit {
                    token_id: token_id.clone(),
                    challenged_at: at,
                    verifier: carol.clone(),
                    event: AuditEvent::Voided,
                },
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn passes_voided_before_the_sellers_pay_is_released_refund_its_client_and_after_change_nothing() {
    // Every epoch of the seller is proven by Carol's passes, and its client leases.
    let run = |void_before_claim: bool| {
        let mut p = market();
        let id = stake(&mut p, "seller", "gpu-s", StakeMode::Seller, true);
        p.fund_sellers("dave", 1, HOUR / 2);
        let before = p.balance_of("client");
        p.lease("client", id, HOUR / 10, 10 * LOOP).unwrap();
        let mut passed_at = vec![];
        for _ in 0..6 {
            passed_at.push(p.app.block_info().time);
            p.next_epoch();
        }
        assert_eq!(p.stake_info(id).proven_epochs, 3);
        // Only the registry voids a pass.
        let seller = p.addr("seller");
        let err: ContractError = contract_error(p.exec(
            &seller,
            &ExecuteMsg::DeviceProofAudit {
                token_id: p.stake_info(id).token_id,
                challenged_at: passed_at[0],
                verifier: p.addr("carol").to_string(),
                event: AuditEvent::Voided,
            },
        ));
        assert_eq!(err, ContractError::NotRegistry {});
        let (voided, paid, rewards) = if void_before_claim {
            let voided = void_passes(&mut p, id, &passed_at);
            let (paid, rewards) = claim_to_the_end(&mut p, "seller", id);
            (voided, paid, rewards)
        } else {
            let (paid, rewards) = claim_to_the_end(&mut p, "seller", id);
            (void_passes(&mut p, id, &passed_at), paid, rewards)
        };
        let uncounted = voided
            .iter()
            .filter(|r| attr(r, "uncounted").as_deref() == Some("true"))
            .count();
        let client_cost = before - p.balance_of("client");
        (
            uncounted,
            p.stake_info(id).proven_epochs,
            client_cost,
            paid,
            rewards,
        )
    };
    // Voided while the pay is held: the epochs are unproven, the client is refunded in full,
    // and the seller earns no rewards and no proceeds beyond its deposit less maintenance.
    let (uncounted, proven, client_cost, paid, rewards) = run(true);
    assert_eq!((uncounted, proven), (3, 0));
    assert_eq!(client_cost, 0);
    assert_eq!(rewards, 0);
    assert!(paid < 10 * LOOP - 3 * LOOP / 10);
    // Voided once the seller was paid: nothing in the pool changes (the registry's slash of the
    // verifier and, for a bad step, the device's invalidation are what remains).
    let (uncounted, proven, client_cost, paid, rewards) = run(false);
    assert_eq!((uncounted, proven), (0, 3));
    assert!(client_cost > 0);
    assert_eq!(rewards, 3 * LOOP / 2);
    assert!(paid > 10 * LOOP - 3 * LOOP / 10);
}

/// Moves `p` to `seconds` after the start of clock epoch `epoch` and processes the pool's
/// boundaries.
fn at(p: &mut Protocol, epoch: u64, seconds: u64) {
    let config: loopin::pair::ConfigResponse = p
        .app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::Config {})
        .unwrap();
    let time = config.genesis + epoch * config.params.epoch_seconds + seconds;
    p.app.update_block(|b| {
        b.time = Timestamp::from_seconds(time);
        b.height += 1;
    });
    let keeper = p.addr("dave");
    // (None due is fine: still within the same epoch.)
    let _ = p.exec(&keeper, &ExecuteMsg::AdvanceEpoch { max_epochs: None });
}

#[test]
fn a_pass_submitted_in_the_grace_after_its_epoch_still_proves_it_and_nothing_settles_before() {
    let mut p = market_with(PoolParams {
        pass_grace_seconds: 600,
        ..params()
    });
    let id = stake(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider, false);
    let token_id = p.stake_info(id).token_id;
    p.next_epoch();
    let epoch = p.pool().clock_epoch;
    // A challenge assigned a minute before the epoch ends...
    at(&mut p, epoch + 1, 0);
    let assigned = p.app.block_info().time.minus_seconds(60);
    // ...whose verifier submits five minutes into the next epoch: within the grace, it counts
    // in the epoch it was assigned in, which was not final yet.
    at(&mut p, epoch + 1, 300);
    assert!(!epoch_proof(&p, id, epoch).is_final);
    let registry = p.registry.clone();
    let carol = p.addr("carol").to_string();
    let report = |at: Timestamp| ExecuteMsg::DeviceProven {
        token_id: token_id.clone(),
        challenged_at: at,
        verifier: Some(carol.clone()),
        audit_until: None,
    };
    let res = p.exec(&registry, &report(assigned)).unwrap();
    assert_eq!(attr(&res, "counted").as_deref(), Some("true"));
    assert!(epoch_proof(&p, id, epoch).proven);
    // The next epoch goes unproven. Nothing settles it during its own grace: a pass may still
    // come.
    at(&mut p, epoch + 2, 300);
    let err: ContractError = contract_error(p.exec(
        &registry,
        &ExecuteMsg::SettleUnproven {
            stake_id: id,
            epoch: epoch + 1,
        },
    ));
    assert_eq!(err, ContractError::EpochNotFinal { epoch: epoch + 1 });
    // After the grace it is final: a late pass counts nowhere, and anyone settles the epoch.
    at(&mut p, epoch + 2, 601);
    let late = p
        .exec(&registry, &report(assigned.plus_seconds(3_600)))
        .unwrap();
    assert_eq!(attr(&late, "counted").as_deref(), Some("false"));
    let proof = epoch_proof(&p, id, epoch + 1);
    assert!(proof.is_final && !proof.proven);
    p.exec(
        &registry,
        &ExecuteMsg::SettleUnproven {
            stake_id: id,
            epoch: epoch + 1,
        },
    )
    .unwrap();
    assert!(epoch_proof(&p, id, epoch + 1).settled);
}

#[test]
fn a_pass_grace_longer_than_an_epoch_is_refused() {
    let params = PoolParams {
        pass_grace_seconds: params().epoch_seconds + 1,
        ..params()
    };
    assert_eq!(
        params.validate(),
        Err(loopin::pool::ParamsError::PassGraceTooLong {
            grace: params.epoch_seconds + 1,
            epoch_seconds: params.epoch_seconds
        })
    );
}

/// An invalidation within the grace of the epoch that just ended: no pass can count for an
/// invalidated stake, so it settles that epoch too before it seizes (with a grace of a whole
/// epoch, the lease's epoch is still in its grace here; before the fix its client lost the
/// lease's pay to the seizure, and nothing could settle it after).
#[test]
fn an_invalidation_in_the_grace_refunds_the_clients_of_the_epoch_that_just_ended() {
    let mut p = market_with(PoolParams {
        pass_grace_seconds: params().epoch_seconds,
        ..params()
    });
    let id = stake(&mut p, "seller", "gpu-s", StakeMode::Seller, false);
    p.fund_sellers("dave", 1, HOUR / 2);
    let before = p.balance_of("client");
    p.lease("client", id, HOUR / 10, 10 * LOOP).unwrap();
    p.next_epoch();
    p.next_epoch();
    let leased = p.pool().epoch - 1;
    assert!(!epoch_proof(&p, id, leased).is_final);
    let registry = p.registry.clone();
    let invalidate = ExecuteMsg::Invalidate {
        token_id: p.stake_info(id).token_id,
        reason: "late".into(),
    };
    let res = p.exec(&registry, &invalidate).unwrap();
    assert!(number(&res, "refunded_unproven") > 0);
    assert_eq!(p.balance_of("client"), before);
    p.check_invariants();
}

/// A seller's claim in the grace of an epoch not yet proven neither pays it nor moves past it:
/// the pass that arrives in the grace proves it, and the next claim pays it. (Paging past it
/// unpaid, as a claim past a non-final epoch would, left the seller's proceeds stranded and its
/// client unrefundable.)
#[test]
fn a_sellers_claim_in_the_grace_waits_for_the_epochs_pass() {
    let mut p = market_with(PoolParams {
        pass_grace_seconds: 600,
        dispute_epochs: 0,
        ..params()
    });
    let id = stake(&mut p, "seller", "gpu-s", StakeMode::Seller, false);
    let token_id = p.stake_info(id).token_id;
    p.fund_sellers("dave", 1, HOUR / 2);
    // The client leases the seller's hours of the trading epoch, its first.
    let leased = p.pool().trading_epoch;
    assert_eq!(p.stake_info(id).start_epoch, leased);
    p.lease("client", id, HOUR / 10, 10 * LOOP).unwrap();
    // The epoch of the lease ends; five minutes into its grace its pass has not come yet.
    at(&mut p, leased + 1, 300);
    assert!(!epoch_proof(&p, id, leased).is_final);
    let seller = p.addr("seller");
    let claim = ExecuteMsg::Claim { stake_id: id };
    let _ = p.exec(&seller, &claim);
    assert!(
        p.stake_info(id).paid_until <= leased,
        "paged past an open epoch"
    );
    // The pass of a challenge assigned a minute before the end arrives in the grace.
    let registry = p.registry.clone();
    let carol = p.addr("carol").to_string();
    let assigned = Timestamp::from_seconds(p.app.block_info().time.seconds() - 360);
    let res = p
        .exec(
            &registry,
            &ExecuteMsg::DeviceProven {
                token_id,
                challenged_at: assigned,
                verifier: Some(carol),
                audit_until: None,
            },
        )
        .unwrap();
    assert_eq!(attr(&res, "counted").as_deref(), Some("true"));
    // After the grace the seller is paid for the epoch, and its client's lease stands.
    at(&mut p, leased + 1, 601);
    let before = p.balance_of("seller");
    let res = p.exec(&seller, &claim).unwrap();
    assert!(number(&res, "payout") > 0);
    assert!(p.balance_of("seller") > before);
    assert!(p.stake_info(id).paid_until > leased);
    assert!(epoch_proof(&p, id, leased).proven);
    assert!(!epoch_proof(&p, id, leased).settled);
}

/// Only the void of the pass the pool counted un-counts it: a verifier's second pass in an
/// epoch counted nothing, so voiding it leaves the first standing.
#[test]
fn voiding_a_verifiers_uncounted_second_pass_leaves_its_counted_one() {
    let mut p = market();
    let id = stake(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider, false);
    let token_id = p.stake_info(id).token_id;
    p.next_epoch();
    let epoch = p.pool().epoch;
    let first = p.app.block_info().time;
    p.prove_by(&token_id, "carol").unwrap();
    p.app.update_block(|b| b.time = b.time.plus_seconds(60));
    let second = p.app.block_info().time;
    let res = p.prove_by(&token_id, "carol").unwrap();
    assert_eq!(attr(&res, "counted").as_deref(), Some("false"));
    let registry = p.registry.clone();
    let carol = p.addr("carol").to_string();
    let void = |at: Timestamp| ExecuteMsg::DeviceProofAudit {
        token_id: token_id.clone(),
        challenged_at: at,
        verifier: carol.clone(),
        event: AuditEvent::Voided,
    };
    let res = p.exec(&registry, &void(second)).unwrap();
    assert_eq!(attr(&res, "uncounted").as_deref(), Some("false"));
    assert!(epoch_proof(&p, id, epoch).proven);
    let res = p.exec(&registry, &void(first)).unwrap();
    assert_eq!(attr(&res, "uncounted").as_deref(), Some("true"));
    assert!(!epoch_proof(&p, id, epoch).proven);
}

/// A registry from before audits held pay sends voids under the message's former name,
/// `device_proof_voided`, without an event: the pool still reads them as voids.
#[test]
fn a_void_in_the_former_message_form_is_still_read_as_a_void() {
    let old = r#"{"device_proof_voided":{"token_id":"gpu-s","challenged_at":"1000000000","verifier":"carol"}}"#;
    assert_eq!(
        cosmwasm_std::from_json::<ExecuteMsg>(old).unwrap(),
        ExecuteMsg::DeviceProofAudit {
            token_id: "gpu-s".into(),
            challenged_at: Timestamp::from_seconds(1),
            verifier: "carol".into(),
            event: AuditEvent::Voided,
        }
    );
}
