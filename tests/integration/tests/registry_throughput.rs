//! The GEMM throughput part of a challenge on chain: a device whose class asks one is passed
//! only with its device-signed row root, for this challenge's seed, within the class's deadline
//! plus the round-trip allowance; a throughput part that did not come counts as lateness even
//! when the timed part was on time; a class without one takes none.

use cosmwasm_std::HexBinary;
use loopin::pool::{GemmClass, PoolParams};
use loopin::registry::{ChallengeStatus, ExecuteMsg, GemmPassMsg, RegistrySettings, Verdict};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::protocol::{LOOP, attr, params, protocol_with};
use loopin_integration_tests::registry::{Net, bonded_net_on, bonded_net_with, settings};
use loopin_pocps::challenge::round_seed;
use loopin_pocps::merkle::Hash;
use loopin_pocps_registry::ContractError;
use sha2::{Digest, Sha256};

const CLASS: GemmClass = GemmClass {
    m: 64,
    k: 40,
    n: 24,
    rows: 64,
    deadline_ms: 1_500,
    sweep_seconds: 0,
    max_missed_sweeps: 0,
};

/// Round trips allowed: 3 of them for the timed part, at most 400 ms above its 100 ms.
fn rtt_settings() -> RegistrySettings {
    RegistrySettings {
        rtt_factor: 3,
        max_deadline_ms: 500,
        ..settings()
    }
}

/// alice's device staked in a class that asks `CLASS`.
fn gemm_net() -> (Net, String) {
    let p = protocol_with(
        PoolParams {
            gemm: Some(CLASS),
            ..params()
        },
        1_000 * LOOP,
    );
    let mut n = bonded_net_on(p, rtt_settings());
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();
    (n, token_id)
}

fn gemm_seed_at(n: &Net, id: u64, gemm_try: u32) -> Hash {
    n.gemm_seed(id, gemm_try)
}

fn gemm_seed(n: &Net, id: u64) -> Hash {
    n.gemm_seed(id, 0)
}

/// The honest row root of the class's GEMM with `seed`, signed by the device.
fn signed_root(n: &Net, seed: &Hash, latency_ms: u64) -> GemmPassMsg {
    n.signed_gemm_root(0, &CLASS, seed, latency_ms)
}

/// The honest, signed GEMM part of challenge `seed_of`.
fn gemm_part(n: &Net, seed_of: u64, latency_ms: u64) -> GemmPassMsg {
    signed_root(n, &gemm_seed(n, seed_of), latency_ms)
}

fn pass(n: &Net, id: u64, rtt_ms: u64, gemm: Option<GemmPassMsg>) -> ExecuteMsg {
    let seed = n.seed(id);
    ExecuteMsg::Submit {
        challenge_id: id,
        secret: HexBinary::from(n.secret(id).to_vec()),
        verdict: Verdict::Pass {
            answer: n.devices[0].answer(&seed),
            latency_ms: 20,
            transcript: n.transcript(id, 0),
            rtt_ms,
            gemm,
        },
        attempt: 0,
    }
}

#[test]
fn a_device_registers_with_its_classs_gemm_challenge() {
    let (n, token_id) = gemm_net();
    assert_eq!(n.device(&token_id).gemm, Some(CLASS));
}

#[test]
fn a_pass_without_the_throughput_part_its_class_asks_is_refused() {
    let (mut n, _) = gemm_net();
    let (id, _) = n.assigned("bob", &["carol", "dave"]);
    assert_eq!(
        n.refused("bob", &pass(&n, id, 0, None)),
        ContractError::ThroughputMissing {}
    );
    assert_eq!(n.challenge(id).status, ChallengeStatus::Assigned);
}

#[test]
fn a_gemm_root_signed_for_another_challenge_is_refused() {
    let (mut n, _) = gemm_net();
    let (id, _) = n.assigned("bob", &["carol", "dave"]);
    let (other, _) = n.assigned("carol", &["bob", "dave"]);
    let replayed = gemm_part(&n, other, 900);
    assert_eq!(
        n.refused("bob", &pass(&n, id, 0, Some(replayed))),
        ContractError::NotSignedForChallenge {}
    );
    // A root computed ahead, from the seed of the timed part, which the prover has as soon as
    // the timed part starts, by the derivation the GEMM seed had before the review
    // (SHA-256 of a domain and the timed seed): not this challenge's GEMM.
    let timed_seed = n.seed(id);
    let old_derivation: Hash = Sha256::new()
        .chain_update(b"loopin-pocps/gemm/seed")
        .chain_update(timed_seed)
        .finalize()
        .into();
    let ahead = signed_root(&n, &old_derivation, 900);
    assert_eq!(
        n.refused("bob", &pass(&n, id, 0, Some(ahead))),
        ContractError::NotSignedForChallenge {}
    );
    // A root the device did not sign (the signature of the right one, another root).
    let mut forged = gemm_part(&n, id, 900);
    forged.row_root = HexBinary::from([7u8; 32].to_vec());
    assert_eq!(
        n.refused("bob", &pass(&n, id, 0, Some(forged))),
        ContractError::NotSignedForChallenge {}
    );
}

#[test]
fn a_gemm_root_over_the_deadline_and_its_round_trip_allowance_is_refused() {
    let (mut n, _) = gemm_net();
    let (id, _) = n.assigned("bob", &["carol", "dave"]);
    // 50 ms measured: the root is one packet, so the allowance is one round trip: due by
    // 1,550 ms.
    let late = gemm_part(&n, id, 1_551);
    assert_eq!(
        n.refused("bob", &pass(&n, id, 50, Some(late))),
        ContractError::ThroughputOverDeadline {
            latency_ms: 1_551,
            deadline_ms: 1_550
        }
    );
    // A prover that slows the probes gets at most MAX_THROUGHPUT_RTT_MS (200 ms), whatever the
    // timed deadline's cap allows.
    let capped = gemm_part(&n, id, 1_701);
    assert_eq!(
        n.refused("bob", &pass(&n, id, 1_000, Some(capped))),
        ContractError::ThroughputOverDeadline {
            latency_ms: 1_701,
            deadline_ms: 1_700
        }
    );
    let in_time = gemm_part(&n, id, 1_550);
    let root = in_time.row_root.clone();
    n.exec("bob", &pass(&n, id, 50, Some(in_time))).unwrap();
    let c = n.challenge(id);
    assert_eq!(c.status, ChallengeStatus::Passed);
    assert_eq!(
        c.pass.unwrap().gemm_root,
        Some(root),
        "recorded with the Pass"
    );
}

#[test]
fn a_late_throughput_part_is_a_late_vote_even_with_the_timed_part_on_time() {
    let (mut n, token_id) = gemm_net();
    let (id, _) = n.assigned("bob", &["carol", "dave"]);
    let on_time = |throughput| Verdict::Late {
        latency_ms: Some(20),
        rtt_ms: 0,
        throughput,
    };
    let err = n.submit("bob", id, on_time(false)).unwrap_err();
    assert_eq!(
        err.downcast::<ContractError>().unwrap(),
        ContractError::NotLate { latency_ms: 20 }
    );
    let res = n.submit("bob", id, on_time(true)).unwrap();
    assert_eq!(attr(&res, "late_votes").as_deref(), Some("1"));
    assert_eq!(n.challenge(id).status, ChallengeStatus::Late);
    assert!(n.device(&token_id).accusation.is_none(), "one vote of 3");
}

#[test]
fn a_class_without_a_gemm_challenge_takes_no_throughput_part() {
    let mut n = bonded_net_with(rtt_settings());
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    assert_eq!(n.device(&n.devices[alice].token_id.clone()).gemm, None);
    let (id, _) = n.assigned("bob", &["carol", "dave"]);
    let part = gemm_part(&n, id, 10);
    assert_eq!(
        n.refused("bob", &pass(&n, id, 0, Some(part))),
        ContractError::ThroughputNotAsked {}
    );
    let late = ExecuteMsg::Submit {
        challenge_id: id,
        secret: HexBinary::from(n.secret(id).to_vec()),
        verdict: Verdict::Late {
            latency_ms: None,
            rtt_ms: 0,
            throughput: true,
        },
        attempt: 0,
    };
    assert_eq!(
        n.refused("bob", &late),
        ContractError::ThroughputNotAsked {}
    );
    n.exec("bob", &pass(&n, id, 0, None)).unwrap();
}

#[test]
fn a_retry_is_judged_on_a_seed_the_prover_never_saw_and_there_is_one() {
    // A prover that refuses a try as "not assigned" has seen its seed; the verifier's second
    // try uses round 1 of the same secret, which that seed does not give away.
    let mut n = bonded_net_with(rtt_settings());
    n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let (id, _) = n.assigned("bob", &["carol", "dave"]);
    let randomness = n.challenge(id).randomness.unwrap();
    let secret = n.secret(id);
    let retry_seed = round_seed(&secret, randomness.as_slice(), 1, &[0u8; 32]);
    assert_ne!(retry_seed, n.seed(id));
    let submit = |n: &Net, seed: &Hash, attempt: u32| ExecuteMsg::Submit {
        challenge_id: id,
        secret: HexBinary::from(secret.to_vec()),
        verdict: Verdict::Pass {
            answer: n.devices[0].answer(seed),
            latency_ms: 20,
            transcript: n.devices[0].sign_transcript(seed, &n.devices[0].chain(seed)),
            rtt_ms: 0,
            gemm: None,
        },
        attempt,
    };
    // The first try's answer does not pass as the retry's, nor the retry's as the first's.
    let first = n.seed(id);
    assert_eq!(
        n.refused("bob", &submit(&n, &first, 1)),
        ContractError::NotSignedForChallenge {}
    );
    assert_eq!(
        n.refused("bob", &submit(&n, &retry_seed, 0)),
        ContractError::NotSignedForChallenge {}
    );
    // No third try.
    assert_eq!(
        n.refused(
            "bob",
            &submit(
                &n,
                &round_seed(&secret, randomness.as_slice(), 2, &[0u8; 32]),
                2
            )
        ),
        ContractError::BadAttempt { attempt: 2 }
    );
    n.exec("bob", &submit(&n, &retry_seed, 1)).unwrap();
    assert_eq!(n.challenge(id).status, ChallengeStatus::Passed);
    assert_eq!(
        n.challenge(id).pass.unwrap().seed.as_slice(),
        retry_seed.as_slice(),
        "audits check the retry's chain"
    );
}

#[test]
fn a_busy_card_is_asked_again_on_a_fresh_seed_at_most_three_times() {
    let (mut n, _) = gemm_net();
    let (id, _) = n.assigned("bob", &["carol", "dave"]);
    let at = |n: &Net, gemm_try: u32, signed_for: u32| GemmPassMsg {
        gemm_try,
        ..signed_root(n, &gemm_seed_at(n, id, signed_for), 900)
    };
    // The root of the first try's seed does not pass as the second try's, nor the reverse.
    assert_eq!(
        n.refused("bob", &pass(&n, id, 0, Some(at(&n, 1, 0)))),
        ContractError::NotSignedForChallenge {}
    );
    assert_eq!(
        n.refused("bob", &pass(&n, id, 0, Some(at(&n, 0, 1)))),
        ContractError::NotSignedForChallenge {}
    );
    // No fourth try.
    assert_eq!(
        n.refused("bob", &pass(&n, id, 0, Some(at(&n, 3, 3)))),
        ContractError::BadGemmTry { gemm_try: 3 }
    );
    n.exec("bob", &pass(&n, id, 0, Some(at(&n, 2, 2)))).unwrap();
    assert_eq!(n.challenge(id).status, ChallengeStatus::Passed);
}
