//! Lateness accuses, the device appeals, a beacon-drawn quorum decides: a cartel of verifiers
//! at the lateness quorum cannot invalidate an honest device that appeals, and pays for trying;
//! a device that is really late loses its appeal; one that does not appeal is invalidated. And
//! deadlines that allow the verifier's measured round trip, up to their cap.

use cosmwasm_std::Uint128;
use loopin::pool::{GemmClass, PoolParams};
use loopin::registry::{
    AppealDutiesResponse, ChallengeStatus, DeviceStatus, ExecuteMsg, MAX_APPEALS, QueryMsg,
    RegistrySettings, Verdict,
};
use loopin::stake_cert::{CertificateStatus, StakeMode};
use loopin_integration_tests::protocol::{LOOP, attr, params, protocol_with};
use loopin_integration_tests::registry::appeals::{
    APPEAL, MORE, OVERTURNED_BPS, accused_net, accused_net_on, appeal_drawn, appeal_settings,
    name_of,
};
use loopin_integration_tests::registry::{BOND, Net, bonded_net_on, challenge_key, settings};
use loopin_pocps_registry::ContractError;

/// bob and carol, assigned the device, attest lateness: the quorum accuses it.
fn cartel_accuses(n: &mut Net, token_id: &str) {
    let entropy = ["dave", "erin"];
    let (id, _) = n.assigned("bob", &entropy);
    let res = n.submit("bob", id, late()).unwrap();
    assert_eq!(attr(&res, "late_votes").unwrap(), "1");
    let (id, _) = n.assigned("carol", &entropy);
    let res = n.submit("carol", id, late()).unwrap();
    assert_eq!(attr(&res, "late_votes").unwrap(), "2");
    assert_eq!(attr(&res, "accused").as_deref(), Some(token_id));
    assert_eq!(attr(&res, "invalidated"), None, "accused, not invalidated");
}

fn late() -> Verdict {
    Verdict::Late {
        latency_ms: None,
        rtt_ms: 0,
        throughput: false,
    }
}

#[test]
fn a_cartel_at_the_quorum_cannot_invalidate_an_honest_device_that_appeals() {
    // Four drawn, three Passes uphold: grace, the cartel's third member, is drawn and lies.
    let s = RegistrySettings {
        appeal_draw: 4,
        appeal_passes: 3,
        ..appeal_settings()
    };
    let (mut n, token_id) = accused_net(s, &MORE);
    cartel_accuses(&mut n, &token_id);
    let accusation = n.device(&token_id).accusation.unwrap();
    assert_eq!((accusation.votes, accusation.appeals), (2, 0));
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);

    // Only the owner appeals.
    let appeal = ExecuteMsg::Appeal {
        token_id: token_id.clone(),
    };
    assert_eq!(n.refused("bob", &appeal), ContractError::NotDeviceOwner {});
    let drawn = appeal_drawn(&mut n, &token_id);
    let mut names: Vec<&str> = drawn.iter().map(|(a, _)| name_of(&n, a)).collect();
    names.sort();
    assert_eq!(
        names,
        ["dave", "erin", "frank", "grace"],
        "never an accuser: bob and carol are bonded but not drawn"
    );
    // Each drawn verifier finds its duty, and the prover serves its key.
    for (who, id) in &drawn {
        let duties: AppealDutiesResponse = n.q(&QueryMsg::AppealDuties {
            verifier: who.clone(),
            start_after: None,
            limit: None,
        });
        assert_eq!(duties.duties.len(), 1);
        assert_eq!(duties.duties[0].challenge_id, *id);
        assert!(n.challenge(*id).appeal);
    }
    assert_eq!(n.assignments(&token_id).len(), 4);

    let bonds_before = [
        n.verifier("bob").bonded,
        n.verifier("carol").bonded,
        n.verifier("grace").bonded,
    ];
    let alice = 0;
    let mut outcome = None;
    for (who, id) in &drawn {
        let who = name_of(&n, who);
        n.drawn_secret(*id);
        let res = if who == "grace" {
            n.submit(who, *id, late()).unwrap()
        } else {
            n.pass(who, *id, alice).unwrap()
        };
        if let Some(o) = attr(&res, "appeal") {
            outcome = Some(o);
        }
    }
    assert_eq!(outcome.as_deref(), Some("upheld"));
    let device = n.device(&token_id);
    assert_eq!(device.status, DeviceStatus::Active);
    assert_eq!(device.accusation, None);
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);
    assert!(!n.p.stake_info(1).invalidated);
    // Each accuser, and grace who found it late when drawn, paid 5 % of its bond for a vote
    // the appeal overturned.
    for (who, before) in ["bob", "carol", "grace"].iter().zip(bonds_before) {
        let paid = before.u128() * u128::from(OVERTURNED_BPS) / 10_000;
        assert_eq!(n.verifier(who).bonded.u128(), before.u128() - paid, "{who}");
    }
    // The same accusers cannot vote again in the window: its count starts over without them.
    let (id, _) = n.assigned("bob", &["dave", "erin"]);
    let res = n.submit("bob", id, late()).unwrap();
    assert_eq!(attr(&res, "late_votes").unwrap(), "0");
    assert_eq!(n.device(&token_id).accusation, None);
}

#[test]
fn a_device_that_is_really_late_loses_its_appeal_and_is_invalidated() {
    let (mut n, token_id) = accused_net(appeal_settings(), &MORE);
    cartel_accuses(&mut n, &token_id);
    let bonds_before = [n.verifier("bob").bonded, n.verifier("carol").bonded];
    let drawn = appeal_drawn(&mut n, &token_id);
    assert_eq!(drawn.len(), 3);
    let (first, second) = (drawn[0].clone(), drawn[1].clone());
    n.drawn_secret(first.1);
    let res = n.submit(name_of(&n, &first.0), first.1, late()).unwrap();
    assert_eq!(
        attr(&res, "appeal"),
        None,
        "one Late leaves two Passes possible"
    );
    n.drawn_secret(second.1);
    let res = n.submit(name_of(&n, &second.0), second.1, late()).unwrap();
    assert_eq!(attr(&res, "appeal").as_deref(), Some("lost"));
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
    assert!(n.p.stake_info(1).invalidated);
    // The accusers were right: nothing taken from them.
    assert_eq!(
        [n.verifier("bob").bonded, n.verifier("carol").bonded],
        bonds_before
    );
    // The third drawn challenge can no longer be answered, and lapses at no cost.
    let third = drawn[2].1;
    n.drawn_secret(third);
    assert!(n.submit(name_of(&n, &drawn[2].0), third, late()).is_err());
}

#[test]
fn an_accused_device_that_does_not_appeal_is_invalidated_after_its_window() {
    let (mut n, token_id) = accused_net(appeal_settings(), &MORE);
    cartel_accuses(&mut n, &token_id);
    let finalize = ExecuteMsg::FinalizeAccusation {
        token_id: token_id.clone(),
    };
    let appeal_by = n.device(&token_id).accusation.unwrap().appeal_by.seconds();
    assert_eq!(
        n.refused("client", &finalize),
        ContractError::AppealWindowOpen { until: appeal_by }
    );
    n.wait(APPEAL + 1);
    // Too late to appeal.
    assert_eq!(
        n.refused(
            "alice",
            &ExecuteMsg::Appeal {
                token_id: token_id.clone()
            }
        ),
        ContractError::AppealLapsed { until: appeal_by }
    );
    n.exec("client", &finalize).unwrap();
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
}

#[test]
fn an_appeal_needs_enough_verifiers_that_are_not_its_accusers() {
    // Bonded: bob and carol (the accusers) and dave. One eligible verifier cannot pass it twice.
    let (mut n, token_id) = accused_net(appeal_settings(), &[]);
    let entropy = ["dave", "bob", "carol"];
    for v in ["bob", "carol"] {
        let (id, _) = n.assigned(v, &entropy);
        n.submit(v, id, late()).unwrap();
    }
    assert!(n.device(&token_id).accusation.is_some());
    n.exec(
        "alice",
        &ExecuteMsg::Appeal {
            token_id: token_id.clone(),
        },
    )
    .unwrap();
    n.beacon(&entropy);
    assert_eq!(
        n.refused("client", &ExecuteMsg::DrawAppeal { token_id }),
        ContractError::TooFewVerifiers {
            eligible: 1,
            needed: 2
        }
    );
}

#[test]
fn drawn_verifiers_that_let_an_appeal_lapse_pay_and_the_device_may_appeal_again() {
    let (mut n, token_id) = accused_net(appeal_settings(), &MORE);
    cartel_accuses(&mut n, &token_id);
    for round in 1..=MAX_APPEALS {
        let drawn = appeal_drawn(&mut n, &token_id);
        n.wait(settings().response_seconds + 1);
        let mut outcomes = vec![];
        let mut paid = vec![];
        for (who, id) in &drawn {
            let before = n.verifier(name_of(&n, who)).bonded.u128();
            let res = n
                .exec("client", &ExecuteMsg::Expire { challenge_id: *id })
                .unwrap();
            assert_eq!(n.challenge(*id).status, ChallengeStatus::Expired);
            let after = n.verifier(name_of(&n, who)).bonded.u128();
            paid.push(before - after == before / 100);
            outcomes.push(attr(&res, "appeal"));
        }
        if round < MAX_APPEALS {
            // Each drawn verifier paid the skip penalty; the last lapse leaves it undecided.
            assert_eq!(paid, [true; 3]);
            assert_eq!(outcomes, [None, None, Some("undecided".to_string())]);
            let accusation = n.device(&token_id).accusation.unwrap();
            assert_eq!((accusation.appeals, accusation.appeal), (round, None));
        } else {
            // The last appeal it may file: once two Passes are out of reach, fail closed. The
            // third challenge's device is gone by then, so it lapses at no cost.
            assert_eq!(outcomes, [None, Some("lost".to_string()), None]);
            assert_eq!(paid, [true, true, false]);
            assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
        }
    }
}

#[test]
fn the_deadline_allows_the_measured_round_trip_up_to_its_cap() {
    let s = RegistrySettings {
        deadline_ms: 100,
        rtt_factor: 3,
        max_deadline_ms: 400,
        ..appeal_settings()
    };
    let (mut n, _) = accused_net(s, &[]);
    let entropy = ["dave", "carol"];
    let pass = |n: &mut Net, id: u64, latency_ms: u64, rtt_ms: u64| {
        let seed = n.seed(id);
        let answer = n.devices[0].answer(&seed);
        let chain = n.devices[0].chain(&seed);
        let transcript = n.devices[0].sign_transcript(&seed, &chain);
        n.submit(
            "bob",
            id,
            Verdict::Pass {
                answer,
                latency_ms,
                transcript,
                rtt_ms,
                gemm: None,
            },
        )
    };
    let (id, _) = n.assigned("bob", &entropy);
    // 100 + 3 × 50 = 250 ms.
    let err = pass(&mut n, id, 251, 50)
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    assert_eq!(
        err,
        ContractError::LatencyOverDeadline {
            latency_ms: 251,
            deadline_ms: 250
        }
    );
    pass(&mut n, id, 250, 50).unwrap();
    // A 1 s round trip is capped at 400 ms: a prover delaying the probes gains no more.
    let (id, _) = n.assigned("bob", &entropy);
    let err = pass(&mut n, id, 401, 1_000)
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    assert_eq!(
        err,
        ContractError::LatencyOverDeadline {
            latency_ms: 401,
            deadline_ms: 400
        }
    );
    let late_at = |latency_ms| Verdict::Late {
        latency_ms: Some(latency_ms),
        rtt_ms: 1_000,
        throughput: false,
    };
    let err = n
        .submit("bob", id, late_at(400))
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    assert_eq!(err, ContractError::NotLate { latency_ms: 400 });
    n.submit("bob", id, late_at(401)).unwrap();
}

#[test]
fn nobody_joins_the_draw_after_the_appeal_is_filed_and_the_owner_is_never_drawn() {
    // Bonded before: the accusers, dave, and alice herself (the device's owner) as a verifier.
    let (mut n, token_id) = accused_net(appeal_settings(), &[]);
    n.bond("alice", 2 * BOND).unwrap();
    n.set_key("alice", &challenge_key("alice", 0)).unwrap();
    let entropy = ["dave", "bob", "carol"];
    for v in ["bob", "carol"] {
        let (id, _) = n.assigned(v, &entropy);
        n.submit(v, id, late()).unwrap();
    }
    n.exec(
        "alice",
        &ExecuteMsg::Appeal {
            token_id: token_id.clone(),
        },
    )
    .unwrap();
    // After the filing, once the beacon is known: a new verifier bonds, and carol's friend
    // frank (bonded before, no key) sets a key. Neither may be drawn.
    for v in ["erin", "frank"] {
        n.fund(v, 2 * BOND);
    }
    n.bond("frank", BOND).unwrap();
    n.wait(1);
    n.beacon(&entropy);
    n.bond("erin", BOND).unwrap();
    n.set_key("erin", &challenge_key("erin", 0)).unwrap();
    n.set_key("frank", &challenge_key("frank", 0)).unwrap();
    assert_eq!(
        n.refused("client", &ExecuteMsg::DrawAppeal { token_id }),
        ContractError::TooFewVerifiers {
            eligible: 1,
            needed: 2
        },
        "only dave: not the owner, not the accusers, not erin or frank"
    );
}

#[test]
fn a_stranger_cannot_block_a_drawn_verdict_by_committing_its_secret_first() {
    let (mut n, token_id) = accused_net(appeal_settings(), &MORE);
    cartel_accuses(&mut n, &token_id);
    let drawn = appeal_drawn(&mut n, &token_id);
    let (who, id) = drawn[0].clone();
    let secret = n.drawn_secret(id);
    // Bob saw the secret (the mempool, or the prover) and commits its hash first.
    n.exec(
        "bob",
        &ExecuteMsg::Commit {
            secret_hash: cosmwasm_std::HexBinary::from(loopin_pocps::challenge::commit_secret(
                &secret,
            )),
        },
    )
    .unwrap();
    n.pass(name_of(&n, &who), id, 0).unwrap();
    assert_eq!(n.challenge(id).status, ChallengeStatus::Passed);
}

#[test]
fn an_accused_device_is_not_pruned_out_of_its_accusation() {
    let (mut n, token_id) = accused_net(appeal_settings(), &MORE);
    cartel_accuses(&mut n, &token_id);
    n.until_expired(0);
    let prune = ExecuteMsg::Prune {
        token_id: token_id.clone(),
    };
    assert_eq!(
        n.refused("client", &prune),
        ContractError::DeviceAccused {
            token_id: token_id.clone()
        }
    );
    n.wait(APPEAL + 1);
    n.exec(
        "client",
        &ExecuteMsg::FinalizeAccusation {
            token_id: token_id.clone(),
        },
    )
    .unwrap();
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
    assert!(n.p.stake_info(1).invalidated);
}

#[test]
fn an_appeal_never_drawn_is_finalized_after_the_assignment_window() {
    let (mut n, token_id) = accused_net(appeal_settings(), &MORE);
    cartel_accuses(&mut n, &token_id);
    n.exec(
        "alice",
        &ExecuteMsg::Appeal {
            token_id: token_id.clone(),
        },
    )
    .unwrap();
    let s = settings();
    let appeal_by = n.device(&token_id).accusation.unwrap().appeal_by.seconds();
    let draw_by = appeal_by + s.assign_window_rounds * s.round_seconds;
    let finalize = ExecuteMsg::FinalizeAccusation {
        token_id: token_id.clone(),
    };
    n.wait(APPEAL + 1);
    assert_eq!(
        n.refused("client", &finalize),
        ContractError::AppealWindowOpen { until: draw_by }
    );
    n.wait(s.assign_window_rounds * s.round_seconds);
    n.beacon(&["dave", "erin"]);
    assert_eq!(
        n.refused(
            "client",
            &ExecuteMsg::DrawAppeal {
                token_id: token_id.clone()
            }
        ),
        ContractError::AppealLapsed { until: draw_by }
    );
    n.exec("client", &finalize).unwrap();
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
}

#[test]
fn a_late_voter_stays_liable_until_every_appeal_could_overturn_its_vote() {
    // The shortest unbonding the settings allow: less than the time appeals may take.
    let s = settings();
    let (mut n, token_id) = accused_net(
        RegistrySettings {
            unbonding_seconds: s.response_seconds + s.audit_seconds + s.dispute_seconds,
            ..appeal_settings()
        },
        &MORE,
    );
    n.exec(
        "bob",
        &ExecuteMsg::Unbond {
            amount: Uint128::new(BOND),
        },
    )
    .unwrap();
    cartel_accuses(&mut n, &token_id);
    n.wait(s.response_seconds + s.audit_seconds + s.dispute_seconds + 1);
    assert!(matches!(
        n.refused("bob", &ExecuteMsg::WithdrawUnbonded {}),
        ContractError::StillLiable { .. }
    ));
}

#[test]
fn a_class_sets_its_own_lateness_quorum() {
    // The registry's quorum is 2; this class asks for 3 distinct verifiers.
    let p = protocol_with(
        PoolParams {
            lateness_quorum: 3,
            ..params()
        },
        1_000 * LOOP,
    );
    let mut n = bonded_net_on(p, appeal_settings());
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();
    assert_eq!(n.device(&token_id).lateness_quorum, 3);
    let entropy = ["dave", "bob", "carol"];
    for (v, votes) in [("bob", "1"), ("carol", "2")] {
        let (id, _) = n.assigned(v, &entropy);
        let res = n.submit(v, id, late()).unwrap();
        assert_eq!(attr(&res, "late_votes").as_deref(), Some(votes));
        assert_eq!(attr(&res, "accused"), None, "{votes} of 3");
    }
    let (id, _) = n.assigned("dave", &entropy);
    let res = n.submit("dave", id, late()).unwrap();
    assert_eq!(attr(&res, "accused").as_deref(), Some(token_id.as_str()));
}

#[test]
fn a_class_cannot_lower_the_registrys_lateness_quorum() {
    // The class asks for 1; the registry's 2 still holds.
    let p = protocol_with(
        PoolParams {
            lateness_quorum: 1,
            ..params()
        },
        1_000 * LOOP,
    );
    let mut n = bonded_net_on(p, appeal_settings());
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();
    let (id, _) = n.assigned("bob", &["dave", "carol"]);
    let res = n.submit("bob", id, late()).unwrap();
    assert_eq!(attr(&res, "accused"), None);
    assert_eq!(n.device(&token_id).accusation, None);
}

#[test]
fn an_appeal_pass_is_checked_like_any_pass() {
    // A drawn verifier is paid (and the epoch counted) only for a Pass the chain can check:
    // within the deadline, over the transcript the device signed for this challenge's seed.
    let (mut n, token_id) = accused_net(appeal_settings(), &MORE);
    cartel_accuses(&mut n, &token_id);
    let drawn = appeal_drawn(&mut n, &token_id);
    let (who, id) = (name_of(&n, &drawn[0].0), drawn[0].1);
    let other = drawn[1].1;
    let secret = n.drawn_secret(id);
    n.drawn_secret(other);
    let seed = n.seed(id);
    let pass = |n: &Net, latency_ms: u64, transcript_of: u64| ExecuteMsg::Submit {
        challenge_id: id,
        secret: cosmwasm_std::HexBinary::from(secret.to_vec()),
        verdict: Verdict::Pass {
            answer: n.devices[0].answer(&seed),
            latency_ms,
            transcript: n.transcript(transcript_of, 0),
            rtt_ms: 0,
            gemm: None,
        },
        attempt: 0,
    };
    let late_pass = pass(&n, settings().deadline_ms + 1, id);
    assert!(matches!(
        n.refused(who, &late_pass),
        ContractError::LatencyOverDeadline { .. }
    ));
    let wrong_seed = pass(&n, 20, other);
    assert_eq!(
        n.refused(who, &wrong_seed),
        ContractError::NotSignedForChallenge {}
    );
    let right = pass(&n, 20, id);
    n.exec(who, &right).unwrap();
    assert_eq!(n.challenge(id).status, ChallengeStatus::Passed);
}

#[test]
fn a_cartel_voting_the_gemm_late_cannot_invalidate_a_device_whose_drawn_passes_carry_the_root() {
    // The device's class asks a GEMM; bob and carol say its GEMM part came late although the
    // timed part was on time (a vote that needs no evidence). The drawn verifiers' Passes carry
    // the device-signed root for their own challenges' seeds: the appeal is upheld, and the
    // accusers pay exactly as for any overturned vote.
    let class = GemmClass {
        m: 64,
        k: 40,
        n: 24,
        rows: 64,
        deadline_ms: 1_500,
        sweep_seconds: 0,
        max_missed_sweeps: 0,
    };
    let p = protocol_with(
        PoolParams {
            gemm: Some(class),
            ..params()
        },
        1_000 * LOOP,
    );
    let (mut n, token_id) = accused_net_on(bonded_net_on(p, appeal_settings()), &MORE);
    let gemm_late = Verdict::Late {
        latency_ms: Some(20),
        rtt_ms: 0,
        throughput: true,
    };
    let entropy = ["dave", "erin"];
    for v in ["bob", "carol"] {
        let (id, _) = n.assigned(v, &entropy);
        n.submit(v, id, gemm_late.clone()).unwrap();
    }
    assert!(n.device(&token_id).accusation.is_some(), "accused");
    let bonds_before = [n.verifier("bob").bonded, n.verifier("carol").bonded];
    let drawn = appeal_drawn(&mut n, &token_id);
    // A drawn Pass without the GEMM part is refused, as any Pass on this class.
    let (who, id) = (name_of(&n, &drawn[0].0), drawn[0].1);
    n.drawn_secret(id);
    let seed = n.seed(id);
    let without = ExecuteMsg::Submit {
        challenge_id: id,
        secret: cosmwasm_std::HexBinary::from(n.secret(id).to_vec()),
        verdict: Verdict::Pass {
            answer: n.devices[0].answer(&seed),
            latency_ms: 20,
            transcript: n.transcript(id, 0),
            rtt_ms: 0,
            gemm: None,
        },
        attempt: 0,
    };
    assert_eq!(
        n.refused(who, &without),
        ContractError::ThroughputMissing {}
    );
    let mut outcome = None;
    for (address, id) in &drawn {
        let who = name_of(&n, address);
        if *id != drawn[0].1 {
            n.drawn_secret(*id);
        }
        let res = n.pass_with_gemm(who, *id, 0, &class).unwrap();
        outcome = outcome.or(attr(&res, "appeal"));
    }
    assert_eq!(outcome.as_deref(), Some("upheld"));
    assert_eq!(n.device(&token_id).accusation, None);
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);
    for (who, before) in ["bob", "carol"].into_iter().zip(bonds_before) {
        let penalty = before.multiply_ratio(OVERTURNED_BPS, 10_000u128);
        assert_eq!(n.verifier(who).bonded, before - penalty, "{who}");
    }
}
