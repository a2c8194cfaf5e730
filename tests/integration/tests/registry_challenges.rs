//! The PoCPS registry with the real factory, pair, LOOP token and stake certificates: verifiers'
//! challenge keys, the entropy beacon, random assignment and what provers learn of it, and
//! replayed responses, with real PoCPS proofs (`Params::TEST`, k256 device keys).

use cosmwasm_std::HexBinary;
use loopin::registry::{
    AssignmentInfo, AssignmentsResponse, ExecuteMsg, QueryMsg, RegistrySettings, Verdict,
};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::protocol::LOOP;
use loopin_integration_tests::registry::{
    BOND, VERIFIERS, bonded_net, bonded_net_with, challenge_key, net, settings,
};
use loopin_pocps::challenge::commit_secret;
use loopin_pocps_registry::ContractError;

#[test]
fn verifiers_cannot_pick_targets_or_check_their_own_owners_devices() {
    // A uniform draw (with the least-recently-passed preference Alice's passes would steer
    // every one of Bob's draws to her device; `registry_proven_epochs.rs` tests that).
    let mut n = bonded_net_with(RegistrySettings {
        assign_choices: 1,
        ..settings()
    });
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    n.bond("alice", BOND).unwrap();
    n.set_key("alice", &challenge_key("alice", 0)).unwrap();
    // Alice's only device is her own: nothing to draw for her.
    let id = n.commit("alice");
    let err = n.refused("client", &ExecuteMsg::Assign { challenge_id: id });
    assert_eq!(err, ContractError::RandomnessPending { round: 0 });
    n.beacon(&VERIFIERS);
    let err = n.refused("client", &ExecuteMsg::Assign { challenge_id: id });
    assert_eq!(err, ContractError::NoEligibleTarget {});

    let carol = n.stake_device("carol", 2, StakeMode::LiquidityProvider, 11 * LOOP);
    let mut draws = [0u32; 2];
    for _ in 0..6 {
        let (id, d) = n.assigned("alice", &VERIFIERS);
        assert_eq!(d, carol, "never her own device");
        n.pass("alice", id, d).unwrap();
        let (id, d) = n.assigned("bob", &VERIFIERS);
        draws[usize::from(d == carol)] += 1;
        n.pass("bob", id, d).unwrap();
    }
    assert!(
        draws[0] > 0 && draws[1] > 0,
        "both devices drawn for bob: {draws:?}"
    );

    // The target is the registry's: an answer from the device she would rather check is
    // refused, so is one for another challenge.
    let (id, d) = n.assigned("alice", &VERIFIERS);
    assert_eq!(d, carol);
    let seed = n.seed(id);
    let own = n.devices[alice].answer(&seed);
    let err = n.refused(
        "alice",
        &ExecuteMsg::Submit {
            challenge_id: id,
            secret: HexBinary::from(n.secret(id).to_vec()),
            verdict: Verdict::Pass {
                answer: own,
                latency_ms: 10,
                transcript: n.transcript(id, carol),
                rtt_ms: 0,
                gemm: None,
            },
            attempt: 0,
        },
    );
    assert_eq!(err, ContractError::NotSignedForChallenge {});
    // Only the challenge's verifier submits, with its own secret.
    let answer = n.devices[carol].answer(&seed);
    let err = n.refused(
        "bob",
        &ExecuteMsg::Submit {
            challenge_id: id,
            secret: HexBinary::from(n.secret(id).to_vec()),
            verdict: Verdict::Pass {
                answer: answer.clone(),
                latency_ms: 10,
                transcript: n.transcript(id, carol),
                rtt_ms: 0,
                gemm: None,
            },
            attempt: 0,
        },
    );
    assert_eq!(err, ContractError::NotChallenger {});
    let err = n.refused(
        "alice",
        &ExecuteMsg::Submit {
            challenge_id: id,
            secret: HexBinary::from([0u8; 32]),
            verdict: Verdict::Pass {
                answer: answer.clone(),
                latency_ms: 10,
                transcript: n.transcript(id, carol),
                rtt_ms: 0,
                gemm: None,
            },
            attempt: 0,
        },
    );
    assert_eq!(err, ContractError::WrongSecret {});
    // A challenge only takes randomness from a round its verifier did not make alone.
    let id = n.commit("bob");
    n.beacon(&["bob", "carol"]);
    let err = n.refused("client", &ExecuteMsg::Assign { challenge_id: id });
    assert_eq!(
        err,
        ContractError::RandomnessPending {
            round: n.challenge(id).committed_round
        }
    );
}

#[test]
fn replayed_responses_are_refused() {
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let (first, d) = n.assigned("bob", &VERIFIERS);
    assert_eq!(d, alice);
    let answer = n.devices[alice].answer(&n.seed(first));
    n.submit(
        "bob",
        first,
        Verdict::Pass {
            answer: answer.clone(),
            latency_ms: 30,
            transcript: n.transcript(first, alice),
            rtt_ms: 0,
            gemm: None,
        },
    )
    .unwrap();
    // The same answer again, to the same challenge...
    let err = n.refused(
        "bob",
        &ExecuteMsg::Submit {
            challenge_id: first,
            secret: HexBinary::from(n.secret(first).to_vec()),
            verdict: Verdict::Pass {
                answer: answer.clone(),
                latency_ms: 30,
                transcript: n.transcript(first, alice),
                rtt_ms: 0,
                gemm: None,
            },
            attempt: 0,
        },
    );
    assert!(matches!(err, ContractError::WrongStatus { .. }), "{err:?}");
    // ...or to a later challenge on the same device: it was signed for another seed.
    let (second, _) = n.assigned("bob", &VERIFIERS);
    let err = n.refused(
        "bob",
        &ExecuteMsg::Submit {
            challenge_id: second,
            secret: HexBinary::from(n.secret(second).to_vec()),
            verdict: Verdict::Pass {
                answer,
                latency_ms: 30,
                transcript: n.transcript(second, alice),
                rtt_ms: 0,
                gemm: None,
            },
            attempt: 0,
        },
    );
    assert_eq!(err, ContractError::NotSignedForChallenge {});
    // A reused secret commitment is refused too (its seeds would repeat).
    let hash = HexBinary::from(commit_secret(&n.secret(first)));
    let err = n.refused("bob", &ExecuteMsg::Commit { secret_hash: hash });
    assert_eq!(err, ContractError::SecretReused {});
    n.pass("bob", second, alice).unwrap();
    assert_eq!(n.verifier("bob").valid_checks, 2);
}

#[test]
fn provers_learn_their_open_assignments_and_the_verifiers_keys_from_the_chain() {
    let mut n = net();
    n.bond("bob", BOND).unwrap();
    n.bond("carol", BOND).unwrap();
    n.bond("dave", BOND).unwrap();
    let (bob_key, carol_key) = (challenge_key("bob", 0), challenge_key("carol", 0));

    // Keys are checked before they are stored: shape, proof of possession, one owner.
    let mut short = n.set_key_msg("bob", &bob_key, &bob_key);
    if let ExecuteMsg::SetChallengeKey { pubkey, .. } = &mut short {
        *pubkey = HexBinary::from(&pubkey.as_slice()[..32]);
    }
    assert_eq!(
        n.refused("bob", &short),
        ContractError::InvalidChallengeKey {}
    );
    let uncompressed = bob_key.verifying_key().to_encoded_point(false);
    let long = ExecuteMsg::SetChallengeKey {
        pubkey: HexBinary::from(uncompressed.as_bytes()),
        signature: HexBinary::from([0u8; 64]),
    };
    assert_eq!(
        n.refused("bob", &long),
        ContractError::InvalidChallengeKey {}
    );
    let unproven = n.set_key_msg("bob", &bob_key, &carol_key);
    assert_eq!(
        n.refused("bob", &unproven),
        ContractError::ChallengeKeyNotProven {}
    );
    // Carol's proof names carol: bob cannot replay it to claim her key.
    let carols = n.set_key_msg("carol", &carol_key, &carol_key);
    assert_eq!(
        n.refused("bob", &carols),
        ContractError::ChallengeKeyNotProven {}
    );
    assert_eq!(
        n.refused("erin", &n.set_key_msg("erin", &bob_key, &bob_key)),
        ContractError::NotVerifier {
            address: n.addr("erin").to_string()
        }
    );
    n.exec("carol", &carols).unwrap();
    // A key someone else holds is theirs even with a valid proof.
    let taken = n.set_key_msg("bob", &carol_key, &carol_key);
    assert_eq!(
        n.refused("bob", &taken),
        ContractError::ChallengeKeyTaken {}
    );
    n.set_key("bob", &bob_key).unwrap();
    n.set_key("dave", &challenge_key("dave", 0)).unwrap();
    assert_eq!(
        n.verifier("bob").challenge_key.unwrap().as_slice(),
        bob_key.verifying_key().to_encoded_point(true).as_bytes()
    );

    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();
    assert!(n.assignments(&token_id).is_empty());

    // Assigned: the device's prover sees the challenge and the key to expect.
    let (first, _) = n.assigned("bob", &VERIFIERS);
    let assigned_at = n.challenge(first).assigned_at.unwrap();
    let open = n.assignments(&token_id);
    assert_eq!(
        open,
        vec![AssignmentInfo {
            challenge_id: first,
            verifier: n.addr("bob"),
            challenge_key: n.verifier("bob").challenge_key.unwrap(),
            assigned_at,
            answer_by: assigned_at.plus_seconds(settings().response_seconds),
            gemm: true,
        }]
    );
    assert!(n.assignments("h100-99").is_empty());

    // A rotated key is what the prover is told to expect; the old one is free again.
    let rotated = challenge_key("bob", 1);
    n.set_key("bob", &rotated).unwrap();
    assert_eq!(
        n.assignments(&token_id)[0].challenge_key.as_slice(),
        rotated.verifying_key().to_encoded_point(true).as_bytes()
    );
    n.set_key("dave", &bob_key).unwrap();

    // A second verifier's challenge on the same device; pages by challenge id.
    let (second, _) = n.assigned("carol", &VERIFIERS);
    let ids = |a: Vec<AssignmentInfo>| a.into_iter().map(|a| a.challenge_id).collect::<Vec<_>>();
    assert_eq!(ids(n.assignments(&token_id)), vec![first, second]);
    let page: AssignmentsResponse = n.q(&QueryMsg::Assignments {
        token_id: token_id.clone(),
        start_after: Some(first),
        limit: Some(1),
    });
    assert_eq!(ids(page.assignments), vec![second]);

    // Answered: no longer served.
    n.pass("bob", first, alice).unwrap();
    assert_eq!(ids(n.assignments(&token_id)), vec![second]);
    // Past its answer time it is no longer served, even before anyone expires it.
    n.wait(settings().response_seconds + 1);
    assert!(n.assignments(&token_id).is_empty());
    n.exec(
        "client",
        &ExecuteMsg::Expire {
            challenge_id: second,
        },
    )
    .unwrap();
    assert!(n.assignments(&token_id).is_empty());
}

/// A verifier drawn to check a device that lets its challenge lapse (no verdict within the
/// response time) did not do the work it was assigned: it earns nothing, and whoever expires
/// the challenge burns 1 % of its bond (`skip_penalty_bps`). Skipping again costs again, so a
/// verifier that never checks is drained, and below the minimum bond it opens no more.
#[test]
fn a_verifier_that_skips_its_assigned_challenges_loses_part_of_its_bond_each_time() {
    let mut n = bonded_net();
    n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    // Bob bonds twice the minimum; Carol the minimum.
    n.bond("bob", BOND).unwrap();
    let mut bond = 2 * BOND;
    for skip in 1..=2u32 {
        let penalty = skip_and_expire(&mut n, "bob");
        assert_eq!(penalty, bond / 100, "skip {skip}");
        bond -= penalty;
        assert_eq!(n.verifier("bob").bonded.u128(), bond, "skip {skip}");
        assert_eq!(
            n.verifier("bob").valid_checks,
            0,
            "no reward for skipped work"
        );
    }
    // One skip takes Carol below the minimum bond: she opens no more challenges.
    let penalty = skip_and_expire(&mut n, "carol");
    assert_eq!(penalty, BOND / 100);
    let err = n.refused(
        "carol",
        &ExecuteMsg::Commit {
            secret_hash: HexBinary::from([9u8; 32]),
        },
    );
    assert_eq!(
        err,
        ContractError::InsufficientBond {
            bonded: (BOND - penalty).into(),
            min: settings().min_bond
        }
    );
}

/// `who` has a challenge assigned, lets it lapse, and a client expires it: the penalty burned.
fn skip_and_expire(n: &mut loopin_integration_tests::registry::Net, who: &str) -> u128 {
    use loopin_integration_tests::protocol::attr;
    let (id, _) = n.assigned(who, &VERIFIERS);
    let burned = n.supply().burned.u128();
    n.wait(settings().response_seconds + 1);
    let res = n
        .exec("client", &ExecuteMsg::Expire { challenge_id: id })
        .unwrap();
    let penalty: u128 = attr(&res, "penalty").unwrap().parse().unwrap();
    assert_eq!(n.supply().burned.u128() - burned, penalty, "burned");
    penalty
}

/// Carol cannot submit on a device another verifier's proven claim invalidated (`Submit` is
/// refused on an inactive device), so her lapsed challenge is no skipped work: expiring it
/// costs her nothing.
#[test]
fn a_challenge_whose_device_was_invalidated_lapses_without_a_penalty() {
    use loopin_integration_tests::protocol::attr;
    use loopin_integration_tests::registry::bad_proof;
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let (carols, _) = n.assigned("carol", &VERIFIERS);
    let (bobs, _) = n.assigned("bob", &VERIFIERS);
    let (answer, openings) = n.devices[alice].answer_with(&n.seed(bobs), |o| o[1].blocks[3] ^= 1);
    let res = n
        .submit("bob", bobs, bad_proof(answer, &openings, 1, Some(3)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").unwrap(), "proven");
    n.wait(settings().response_seconds + 1);
    let burned = n.supply().burned.u128();
    let res = n
        .exec(
            "client",
            &ExecuteMsg::Expire {
                challenge_id: carols,
            },
        )
        .unwrap();
    assert_eq!(attr(&res, "penalty"), None);
    assert_eq!(n.verifier("carol").bonded.u128(), BOND);
    assert_eq!(n.supply().burned.u128(), burned);
}
