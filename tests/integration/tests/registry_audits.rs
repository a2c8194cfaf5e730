//! Audits of passes (issue 22, "passes are checkable"): a Pass records the device-signed root of
//! its timed chain's transcript, and any bonded verifier may audit a step of it on chain. A
//! colluding verifier that passes a device with no P is voided and slashed, whether the pair
//! shows its forged step or shows nothing; an honest pass survives, and the auditor pays for the
//! answer.

use cosmwasm_std::{HexBinary, Uint128};
use loopin::registry::{
    ChallengeStatus, DeviceAuditsResponse, DeviceStatus, ExecuteMsg, QueryMsg, RegistrySettings,
    StepProofMsg, Verdict,
};
use loopin::stake_cert::{CertificateStatus, StakeMode};
use loopin_integration_tests::protocol::{LOOP, attr};
use loopin_integration_tests::registry::{
    BOND, CHAIN, Net, VERIFIERS, bonded_net, bonded_net_with, settings,
};
use loopin_pocps::transcript::Transcript;
use loopin_pocps_registry::ContractError;

/// What a device with no P signs: a chain of made-up reads (each read of it is wrong).
fn forged_chain(seed: &[u8; 32]) -> Transcript {
    Transcript::new(seed, &vec![7u128; CHAIN as usize])
}

/// Alice's device, drawn to Bob, who passes it over `chain(seed)`; the challenge id, the device
/// and the pool epoch of the pass.
fn passed_by_bob(n: &mut Net, chain: impl Fn(&Net, u64, usize) -> Transcript) -> (u64, usize, u64) {
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let first = n.p.stake_info(1).verified_from.unwrap();
    while n.p.pool().clock_epoch < first {
        n.p.next_epoch();
    }
    let (id, d) = n.assigned("bob", &VERIFIERS);
    assert_eq!(d, alice);
    let t = chain(n, id, d);
    let res = n.pass_with("bob", id, d, &t).unwrap();
    assert_eq!(attr(&res, "counted").as_deref(), Some("true"));
    (id, d, n.p.pool().clock_epoch)
}

/// The open audits of the device's Passes, as (challenge id, auditor, step): what the device
/// reads to answer them itself (`loopin_prover::audits`).
fn device_audits(n: &Net, token_id: &str) -> Vec<(u64, String, u32)> {
    let page: DeviceAuditsResponse = n.q(&QueryMsg::DeviceAudits {
        token_id: token_id.to_string(),
        start_after: None,
        limit: None,
    });
    page.audits
        .into_iter()
        .map(|a| (a.challenge_id, a.auditor.to_string(), a.round))
        .collect()
}

fn audit(id: u64, round: u32, proof: Option<StepProofMsg>) -> ExecuteMsg {
    ExecuteMsg::Audit {
        challenge_id: id,
        round,
        proof,
    }
}

#[test]
fn a_colluding_verifiers_pass_of_a_device_without_p_is_proven_bad_on_chain_voided_and_slashed() {
    // The shortest unbonding period the settings allow: response + audit + dispute windows.
    let s = settings();
    let mut n = bonded_net_with(RegistrySettings {
        unbonding_seconds: s.response_seconds + s.audit_seconds + s.dispute_seconds,
        ..s
    });
    n.bond("bob", BOND).unwrap();
    n.exec(
        "bob",
        &ExecuteMsg::Unbond {
            amount: Uint128::new(BOND),
        },
    )
    .unwrap();
    n.p.next_epoch();
    n.p.next_epoch();
    let (id, d, epoch) = passed_by_bob(&mut n, |n, id, _| forged_chain(&n.seed(id)));
    let token_id = n.devices[d].token_id.clone();
    // The pass counted: the epoch is proven, for now.
    assert!(n.epoch_proof(1, epoch).proven);
    let record = n.challenge(id).pass.unwrap();
    assert_eq!(record.rounds, CHAIN);

    // Neither the Pass's verifier nor the device's owner may audit it (an audit they answer
    // themselves would move bond to them, or hold the Pass's audits).
    for who in ["bob", "alice"] {
        assert_eq!(
            n.refused(who, &audit(id, 5, None)),
            ContractError::OwnAudit {}
        );
    }
    // Bob unbonded a bond's worth a week before his Pass: its unbonding period is over, but he
    // answers for the Pass while it can be audited and cannot withdraw it yet.
    let release_at = n.verifier("bob").release_at;
    let now = n.p.app.block_info().time;
    n.later(release_at.seconds() - now.seconds() + 1);
    let err = n.refused("bob", &ExecuteMsg::WithdrawUnbonded {});
    assert!(matches!(err, ContractError::StillLiable { .. }), "{err:?}");
    // Carol audits a step at random; the pair must show it, and all they hold is the forgery.
    let res = n.exec("carol", &audit(id, 5, None)).unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("open"));
    assert_eq!(n.challenge(id).audits.len(), 1);
    assert_eq!(
        n.refused("carol", &audit(id, 6, None)),
        ContractError::AlreadyAudited { id }
    );
    let forged = forged_chain(&n.seed(id));
    let res = n
        .exec(
            "alice",
            &ExecuteMsg::AnswerAudit {
                challenge_id: id,
                auditor: n.addr("carol").to_string(),
                proof: StepProofMsg::from_transcript(&forged, 5).unwrap(),
            },
        )
        .unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("bad_step"));
    assert_eq!(
        attr(&res, "fault").as_deref(),
        Some("step 5 read a block that is not its position's")
    );
    // The pass is void, Bob's whole bond burned, the device invalidated, and the pool no longer
    // counts the pass: the epoch is unproven.
    assert_eq!(n.challenge(id).status, ChallengeStatus::Voided);
    let bob = n.verifier("bob");
    assert!(bob.slashed);
    assert_eq!(bob.bonded + bob.unbonding, Uint128::zero());
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
    let proof = n.epoch_proof(1, epoch);
    assert_eq!((proof.passes, proof.proven), (0, false));
    assert_eq!(n.p.stake_info(1).proven_epochs, 0);
    // Carol's audit was a valid check; her bond is whole.
    let carol = n.verifier("carol");
    assert_eq!((carol.valid_checks, carol.bonded.u128()), (1, BOND));
    assert_eq!(carol.open_challenges, 0);
}

#[test]
fn an_audit_nobody_answers_voids_the_pass_and_slashes_its_verifier_but_keeps_the_device() {
    let mut n = bonded_net();
    let (id, d, epoch) = passed_by_bob(&mut n, |n, id, _| forged_chain(&n.seed(id)));
    let token_id = n.devices[d].token_id.clone();
    n.exec("carol", &audit(id, 0, None)).unwrap();
    let carol = n.addr("carol").to_string();
    assert_eq!(device_audits(&n, &token_id), [(id, carol.clone(), 0)]);
    let finalize = ExecuteMsg::FinalizeAudit {
        challenge_id: id,
        auditor: carol.clone(),
    };
    // Not before the time to answer has passed.
    let err = n.refused("client", &finalize);
    assert_eq!(err, ContractError::NotLapsed {});
    n.later(settings().dispute_seconds + 1);
    // Too late to answer now, even with the step.
    let seed = n.seed(id);
    let honest = n.devices[d].chain(&seed);
    let err = n.refused(
        "alice",
        &ExecuteMsg::AnswerAudit {
            challenge_id: id,
            auditor: carol.clone(),
            proof: StepProofMsg::from_transcript(&honest, 0).unwrap(),
        },
    );
    assert!(matches!(err, ContractError::AuditLapsed { .. }), "{err:?}");
    let res = n.exec("client", &finalize).unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("unanswered"));
    assert_eq!(n.challenge(id).status, ChallengeStatus::Voided);
    assert!(n.verifier("bob").slashed);
    // Nobody showed the device wrong: it keeps its certificate, but not the pass.
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);
    assert_eq!(n.device(&token_id).passes, 0);
    assert_eq!(n.epoch_proof(1, epoch).passes, 0);
    assert_eq!(n.verifier("carol").open_challenges, 0);
    assert!(device_audits(&n, &token_id).is_empty());
    // A voided pass cannot be audited again.
    let err = n.refused("dave", &audit(id, 1, None));
    assert!(matches!(err, ContractError::WrongStatus { .. }), "{err:?}");
}

#[test]
fn an_honest_pass_survives_any_audit_and_the_auditor_pays_whoever_answers() {
    let mut n = bonded_net();
    let (id, d, epoch) = passed_by_bob(&mut n, |n, id, d| n.devices[d].chain(&n.seed(id)));
    let seed = n.seed(id);
    let honest = n.devices[d].chain(&seed);
    // An auditor that holds the transcript cannot prove a right step bad.
    for round in [0, 11, CHAIN - 1] {
        let proof = StepProofMsg::from_transcript(&honest, round).unwrap();
        let err = n.refused("carol", &audit(id, round, Some(proof)));
        assert_eq!(err, ContractError::StepSound { round });
    }
    // Asked for the last step (checked against the signed final state), the device's owner
    // shows it and is paid 1 % of Carol's bond for the answer.
    n.exec("carol", &audit(id, CHAIN - 1, None)).unwrap();
    let carol = n.addr("carol").to_string();
    // The device finds the audit of its Pass, with the seed and R to recompute the step from.
    let token_id = n.devices[d].token_id.clone();
    assert_eq!(
        device_audits(&n, &token_id),
        [(id, carol.clone(), CHAIN - 1)]
    );
    let listed: DeviceAuditsResponse = n.q(&QueryMsg::DeviceAudits {
        token_id: token_id.clone(),
        start_after: None,
        limit: None,
    });
    assert_eq!(listed.audits[0].seed.as_slice(), seed.as_slice());
    assert_eq!(listed.audits[0].rounds, CHAIN);
    let answer = |auditor: &str, t: &Transcript, round: u32| ExecuteMsg::AnswerAudit {
        challenge_id: id,
        auditor: auditor.to_string(),
        proof: StepProofMsg::from_transcript(t, round).unwrap(),
    };
    // Only the step asked for, and only data of the signed transcript, answer it.
    let err = n.refused("alice", &answer(&carol, &honest, 3));
    assert_eq!(
        err,
        ContractError::WrongStep {
            expected: CHAIN - 1,
            got: 3
        }
    );
    let other = forged_chain(&seed);
    let err = n.refused("alice", &answer(&carol, &other, CHAIN - 1));
    assert!(matches!(err, ContractError::BadStepProof { .. }), "{err:?}");
    // Anyone may show the step; the fee goes to the device's owner, not to whoever copies
    // the answer first.
    let before = n.p.balance_of("alice");
    let res = n
        .exec("client", &answer(&carol, &honest, CHAIN - 1))
        .unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("sound"));
    assert!(
        device_audits(&n, &token_id).is_empty(),
        "answered: no longer open"
    );
    let fee = BOND / 100;
    assert_eq!(n.p.balance_of("alice"), before + fee);
    let carol = n.verifier("carol");
    assert_eq!(carol.bonded.u128(), BOND - fee);
    assert_eq!(carol.open_challenges, 0);
    // The pass stands: Bob keeps his bond, the epoch stays proven, and it can be audited again
    // within the window.
    assert_eq!(n.challenge(id).status, ChallengeStatus::Passed);
    assert!(!n.verifier("bob").slashed);
    assert!(n.epoch_proof(1, epoch).proven);
    // The fee took Carol below the least bond: she audits no more until she bonds again.
    let err = n.refused("carol", &audit(id, 7, None));
    assert!(
        matches!(err, ContractError::InsufficientBond { .. }),
        "{err:?}"
    );
    n.exec("dave", &audit(id, 7, None)).unwrap();
    // The Pass's verifier answering is paid the fee itself.
    let dave = n.addr("dave").to_string();
    let res = n.exec("bob", &answer(&dave, &honest, 7)).unwrap();
    assert_eq!(attr(&res, "paid_to"), Some(n.addr("bob").to_string()));
    // After the window, no more audits.
    n.later(settings().audit_seconds + 1);
    let err = n.refused("carol", &audit(id, 1, None));
    assert!(
        matches!(err, ContractError::AuditWindowClosed { .. }),
        "{err:?}"
    );
}

#[test]
fn an_auditor_holding_the_forged_transcript_proves_the_bad_step_at_once() {
    let mut n = bonded_net();
    // The forger reads its own made-up block only at step 9; the rest is honest.
    let (id, d, epoch) = passed_by_bob(&mut n, |n, id, d| {
        let seed = n.seed(id);
        let honest = n.devices[d].chain(&seed);
        let mut blocks: Vec<u128> = (0..CHAIN).map(|r| honest.step(r).unwrap().block).collect();
        blocks[9] ^= 1;
        Transcript::new(&seed, &blocks)
    });
    let seed = n.seed(id);
    let honest = n.devices[d].chain(&seed);
    let mut blocks: Vec<u128> = (0..CHAIN).map(|r| honest.step(r).unwrap().block).collect();
    blocks[9] ^= 1;
    let forged = Transcript::new(&seed, &blocks);
    // Carol (say, the forger's friend) opens an audit of a step she knows is right: it does not
    // hold off anyone's proof of the bad one.
    n.exec("carol", &audit(id, 0, None)).unwrap();
    // A step before the forgery is right: no proof there.
    let err = n.refused(
        "dave",
        &audit(id, 8, StepProofMsg::from_transcript(&forged, 8)),
    );
    assert_eq!(err, ContractError::StepSound { round: 8 });
    let res = n
        .exec(
            "dave",
            &audit(id, 9, StepProofMsg::from_transcript(&forged, 9)),
        )
        .unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("bad_step"));
    assert_eq!(n.challenge(id).status, ChallengeStatus::Voided);
    assert!(n.verifier("bob").slashed);
    assert_eq!(
        n.device(&n.devices[d].token_id.clone()).status,
        DeviceStatus::Invalidated
    );
    assert!(!n.epoch_proof(1, epoch).proven);
    // Carol's open audit was decided with the Pass.
    assert_eq!(n.verifier("carol").open_challenges, 0);
    assert!(n.challenge(id).audits.is_empty());
}

#[test]
fn passes_without_a_checkable_transcript_and_audits_by_strangers_are_refused() {
    let mut n = bonded_net_with(RegistrySettings {
        min_chain_rounds: CHAIN + 1,
        ..settings()
    });
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let (id, d) = n.assigned("bob", &VERIFIERS);
    assert_eq!(d, alice);
    let seed = n.seed(id);
    let answer = n.devices[d].answer(&seed);
    let secret = HexBinary::from(n.secret(id).to_vec());
    let submit = |transcript| ExecuteMsg::Submit {
        challenge_id: id,
        secret: secret.clone(),
        verdict: Verdict::Pass {
            answer: answer.clone(),
            latency_ms: 20,
            transcript,
            rtt_ms: 0,
            gemm: None,
        },
        attempt: 0,
    };
    // A chain shorter than the registry asks.
    let short = n.transcript(id, d);
    let err = n.refused("bob", &submit(short.clone()));
    assert_eq!(
        err,
        ContractError::ChainTooShort {
            rounds: CHAIN,
            min: CHAIN + 1
        }
    );
    // A transcript root the device did not sign for this seed.
    let long = Transcript::new(&seed, &vec![1u128; CHAIN as usize + 1]);
    let mut unsigned = n.devices[d].sign_transcript(&[0u8; 32], &long);
    let err = n.refused("bob", &submit(unsigned.clone()));
    assert_eq!(err, ContractError::NotSignedForChallenge {});
    unsigned.root = HexBinary::from([1u8; 31]);
    let err = n.refused("bob", &submit(unsigned));
    assert!(matches!(err, ContractError::BadLength { .. }), "{err:?}");
    let signed = n.devices[d].sign_transcript(&seed, &long);
    n.exec("bob", &submit(signed)).unwrap();
    // Only bonded verifiers audit, and only steps the transcript has.
    let err = n.refused("client", &audit(id, 0, None));
    assert!(matches!(err, ContractError::NotVerifier { .. }), "{err:?}");
    let err = n.refused("carol", &audit(id, CHAIN + 1, None));
    assert_eq!(
        err,
        ContractError::StepOutOfRange {
            round: CHAIN + 1,
            rounds: CHAIN + 1
        }
    );
    // A challenge that did not pass has nothing to audit.
    let (late, _) = n.assigned("carol", &VERIFIERS);
    n.submit(
        "carol",
        late,
        Verdict::Late {
            latency_ms: None,
            rtt_ms: 0,
            throughput: false,
        },
    )
    .unwrap();
    let err = n.refused("dave", &audit(late, 0, None));
    assert!(matches!(err, ContractError::WrongStatus { .. }), "{err:?}");
}
