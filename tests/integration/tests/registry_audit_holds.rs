//! No pay for a pass that can still be voided (issue 22, "fail closed"; issue 19's left item
//! "emission paid on a pass later voided is not clawed back"). An audit may void a Pass until
//! `audit_seconds` after it, and an open audit until it is decided; the pool holds the pay of
//! the pass's epoch (a seller's proceeds, a stake's rewards, a lease's rewards) until then,
//! whatever its own dispute window says. Before this, only the deployment's window check
//! (`deploy/src/windows.rs`) kept pay from going out first; the test fixture's pool (no dispute
//! window, no grace) paid at once.

use loopin::pair::ExecuteMsg as PairMsg;
use loopin::registry::{ChallengeStatus, ExecuteMsg, StepProofMsg};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{LOOP, attr};
use loopin_integration_tests::registry::{Net, VERIFIERS, bonded_net, settings};
use loopin_pair::ContractError as PairError;
use loopin_pocps::transcript::Transcript;

/// What a device with no P signs: a chain of made-up reads.
fn forged_chain(seed: &[u8; 32]) -> Transcript {
    Transcript::new(
        seed,
        &vec![7u128; loopin_integration_tests::registry::CHAIN as usize],
    )
}

/// Alice's zero-hardware device (stake 1, a provider's, 10 epochs) passed by Bob, who colludes,
/// over a forged chain in every epoch of its stake; the challenge ids of the passes, by epoch.
fn colluded_stake(n: &mut Net) -> Vec<(u64, u64)> {
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let stake = n.p.stake_info(1);
    let mut passes = vec![];
    while n.p.pool().clock_epoch < stake.end_epoch {
        let epoch = n.p.pool().clock_epoch;
        if epoch >= stake.verified_from.unwrap() {
            let (id, d) = n.assigned("bob", &VERIFIERS);
            assert_eq!(d, alice);
            let t = forged_chain(&n.seed(id));
            let res = n.pass_with("bob", id, d, &t).unwrap();
            assert_eq!(attr(&res, "counted").as_deref(), Some("true"));
            passes.push((epoch, id));
        }
        n.p.next_epoch();
    }
    passes
}

fn claim(n: &mut Net) -> anyhow::Result<cw_multi_test::AppResponse> {
    let owner = n.addr("alice");
    n.p.exec(&owner, &PairMsg::Claim { stake_id: 1 })
}

#[test]
fn a_stake_is_not_paid_for_a_pass_an_audit_can_still_void() {
    let mut n = bonded_net();
    let passes = colluded_stake(&mut n);
    let proven = passes.len() as u128;
    assert!(proven >= 5, "passes {passes:?}");
    let end = n.p.stake_info(1).end_epoch;
    while n.p.pool().epoch < end + 1 {
        n.p.next_epoch();
    }
    // The stake is delivered and its epochs final, but the last passes can still be audited
    // (a day after each): nothing is paid yet.
    let (last_epoch, last) = *passes.last().unwrap();
    assert_eq!(
        contract_error::<PairError>(claim(&mut n)),
        PairError::NothingToClaim {}
    );
    // Carol audits the last Pass; nobody answers it (the device has no P to answer from).
    n.exec(
        "carol",
        &ExecuteMsg::Audit {
            challenge_id: last,
            round: 3,
            proof: None,
        },
    )
    .unwrap();
    // Its audit window over for every pass but the audited one, the stake is still held: the
    // open audit may void the last.
    n.later(settings().audit_seconds);
    assert_eq!(
        contract_error::<PairError>(claim(&mut n)),
        PairError::NothingToClaim {}
    );
    let res = n
        .exec(
            "client",
            &ExecuteMsg::FinalizeAudit {
                challenge_id: last,
                auditor: n.addr("carol").to_string(),
            },
        )
        .unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("unanswered"));
    assert_eq!(n.challenge(last).status, ChallengeStatus::Voided);
    assert!(!n.epoch_proof(1, last_epoch).proven);
    // Alice is paid (gamma - beta) = 0.4 LOOP per device-hour for the epochs still proven,
    // none for the voided one.
    let res = claim(&mut n).unwrap();
    assert_eq!(
        attr(&res, "rewards"),
        Some(((proven - 1) * 4 * LOOP / 10).to_string())
    );
}

/// The seller's pay so far: where its claims have paid it up to.
fn paid_until(n: &Net) -> u64 {
    n.p.stake_info(2).paid_until
}

#[test]
fn a_sellers_pay_stops_at_an_epoch_whose_pass_can_be_audited_and_an_answered_audit_releases_it() {
    let mut n = bonded_net();
    n.stake_device("alice", 1, StakeMode::LiquidityProvider, 101 * LOOP);
    let seller = n.stake_device("seller", 2, StakeMode::Seller, 10 * LOOP);
    let stake = n.p.stake_info(2);
    // Bob passes the seller's honest device in every epoch of its stake.
    let mut passes = vec![];
    while n.p.pool().clock_epoch < stake.end_epoch {
        let epoch = n.p.pool().clock_epoch;
        if epoch >= stake.verified_from.unwrap() {
            let id = n.assigned_to("bob", &VERIFIERS, seller);
            let res = n.pass("bob", id, seller).unwrap();
            assert_eq!(attr(&res, "held").as_deref(), Some("true"));
            let passed_at = n.p.app.block_info().time.seconds();
            passes.push((epoch, id, passed_at));
        }
        n.p.next_epoch();
    }
    assert!(passes.len() >= 5, "passes {passes:?}");
    let (first, _, _) = passes[0];
    let seller_addr = n.addr("seller");
    let claim = |n: &mut Net| n.p.exec(&seller_addr, &PairMsg::Claim { stake_id: 2 });
    // Past its end, but every pass can still be audited: nothing is paid, not even the
    // epochs before the first pass (the page stops at the first held epoch).
    while n.p.pool().epoch < stake.end_epoch + 1 {
        n.p.next_epoch();
    }
    assert_eq!(
        contract_error::<PairError>(claim(&mut n)),
        PairError::NothingToClaim {}
    );
    assert!(paid_until(&n) <= first);
    // A second after the third pass's audit window closed, the first three epochs are paid.
    let (third, fourth) = (passes[2], passes[3]);
    let now = n.p.app.block_info().time.seconds();
    n.later(third.2 + settings().audit_seconds + 1 - now);
    claim(&mut n).unwrap();
    assert_eq!(paid_until(&n), fourth.0);
    // Half an hour before the fourth pass's audit window closes, Carol audits it. A second
    // after that window closed (the answer is due an hour after the audit), the fourth epoch
    // would be paid; its open audit holds it.
    let audits = settings().audit_seconds;
    let now = n.p.app.block_info().time.seconds();
    n.later(fourth.2 + audits - 1_800 - now);
    n.exec(
        "carol",
        &ExecuteMsg::Audit {
            challenge_id: fourth.1,
            round: 3,
            proof: None,
        },
    )
    .unwrap();
    n.later(1_801);
    assert_eq!(
        contract_error::<PairError>(claim(&mut n)),
        PairError::NothingToClaim {}
    );
    assert_eq!(paid_until(&n), fourth.0);
    // The seller shows the step: the Pass stands, and the rest of the stake is paid.
    let honest = n.devices[seller].chain(&n.seed(fourth.1));
    let res = n
        .exec(
            "seller",
            &ExecuteMsg::AnswerAudit {
                challenge_id: fourth.1,
                auditor: n.addr("carol").to_string(),
                proof: StepProofMsg::from_transcript(&honest, 3).unwrap(),
            },
        )
        .unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("sound"));
    claim(&mut n).unwrap();
    assert_eq!(paid_until(&n), passes[4].0);
    // Once every pass's window has closed, the rest of the stake is paid and it finishes.
    n.later(audits);
    let res = claim(&mut n).unwrap();
    assert_eq!(attr(&res, "finished").as_deref(), Some("true"));
    assert_eq!(paid_until(&n), stake.end_epoch);
    assert_eq!(n.p.stake_info(2).proven_epochs as usize, passes.len());
    n.p.check_invariants();
}
