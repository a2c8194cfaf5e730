//! Attack suite: each attacker is run against the timed challenge; it is either rejected by
//! verification or its serial slow-round count puts it past the deadline D under the model
//! (timing itself is only printed by the `attack_report` example, never asserted).

use k256::ecdsa::SigningKey;
use loopin_pocps::attack::*;
use loopin_pocps::encode::{CpuEncoder, Encoder, derive_ek};
use loopin_pocps::proof::{Commitment, Prover};
use loopin_pocps::sig::{K256Verifier, k256_sign};
use loopin_pocps::timed::{TimedProof, timed_message, verify_timed};

struct Id {
    c: Commitment,
    p: Prover,
    key: SigningKey,
}

fn identity(miner: &str) -> Id {
    identity_with(miner, TEST.params)
}

fn identity_with(miner: &str, params: loopin_pocps::encode::Params) -> Id {
    let ek = derive_ek(b"gpu-1", miner, "pool", b"rand");
    let p = Prover::new(CpuEncoder.encode(ek, &params), params);
    let key = SigningKey::from_slice(&[5u8; 32]).unwrap();
    let pubkey = key
        .verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec();
    Id {
        c: Commitment {
            params,
            root: p.tree.root(),
            ek,
            pubkey,
        },
        p,
        key,
    }
}

fn seed(n: u8) -> [u8; 32] {
    loopin_pocps::challenge::round_seed(&[n; 32], b"chain", 0, &[0; 32])
}

fn run(
    id: &Id,
    src: &mut dyn BlockSource,
    s: &[u8; 32],
    rounds: u32,
) -> (Result<(), loopin_pocps::proof::VerifyError>, u64) {
    let r = run_timed(src, &id.c.params, &id.p, s, rounds, TEST.spots);
    let sig = k256_sign(&id.key, &timed_message(&id.c, s, &r.final_state));
    let proof = TimedProof {
        transcript: r.transcript,
        openings: r.openings,
        signature: sig,
    };
    (
        verify_timed(&id.c, s, rounds, TEST.spots, &proof, &K256Verifier),
        r.serial_rounds,
    )
}

/// Production model as measured on this machine (slow round 0.511 us; honest round 1 us).
fn model(rtt: f64) -> Model {
    Model {
        t_slow: 0.511e-6,
        t_round: 1e-6,
        rtt,
        t_fetch: 0.0,
    }
}

#[test]
fn honest_passes_with_no_slow_rounds() {
    let id = identity("m1");
    let (v, serial) = run(&id, &mut Honest(&id.p), &seed(1), TEST.rounds);
    assert_eq!(v, Ok(()));
    assert_eq!(serial, 0);
    for rtt in [0.001, 0.05] {
        let m = model(rtt);
        assert!(m.honest(PRODUCTION_80G.rounds) < m.deadline(PRODUCTION_80G.rounds));
    }
}

#[test]
fn checkpoints_pass_verification_but_pay_serial_rounds() {
    let id = identity("m1");
    for c in [2u32, 8] {
        let s = seed(c as u8);
        let (v, serial) = run(
            &id,
            &mut Checkpoint {
                p: &id.p,
                ek: id.c.ek,
                c,
            },
            &s,
            TEST.rounds,
        );
        assert_eq!(v, Ok(()), "c = {c}: regenerated data is correct");
        let want = expected_serial_rounds(&id.c.params, TEST.rounds, c);
        assert!(
            serial as f64 > 0.6 * want,
            "c = {c}: {serial} serial rounds, expected about {want}"
        );
        // At production parameters the expected extra time is >= 10x the deadline at 50 ms RTT.
        let p = PRODUCTION_80G;
        let m = model(0.05);
        let t = m.attacker(
            p.rounds,
            expected_serial_rounds(&p.params, p.rounds, c) as u64,
        );
        assert!(
            t > 10.0 * m.deadline(p.rounds),
            "c = {c}: {t} s vs D {}",
            m.deadline(p.rounds)
        );
    }
}

#[test]
fn regeneration_on_demand_pays_whole_lanes() {
    let id = identity("m1");
    let rounds = 64;
    let c = id.c.params.blocks_per_lane;
    let (v, serial) = run(
        &id,
        &mut Checkpoint {
            p: &id.p,
            ek: id.c.ek,
            c,
        },
        &seed(3),
        rounds,
    );
    assert_eq!(v, Ok(()));
    assert!(serial as f64 > 0.6 * expected_serial_rounds(&id.c.params, rounds, c));
}

#[test]
fn partial_storage_forging_is_rejected() {
    // 64 leaves, so that f = 0.9 really discards some.
    let params = loopin_pocps::encode::Params {
        lanes: 16,
        rounds: 1,
        ..TEST.params
    };
    let id = identity_with("m1", params);
    for f in [0.5, 0.9] {
        for n in 10..14 {
            let (v, _) = run(&id, &mut Discard { p: &id.p, f }, &seed(n), TEST.rounds);
            assert!(v.is_err(), "f = {f}, seed {n}: forged transcript accepted");
        }
    }
}

#[test]
fn sybil_needs_both_encodings() {
    // One device, two identities challenged at once. Answering B with A's data fails;
    // splitting storage between them is the checkpoint c = 2 attack on each, run in parallel.
    let a = identity("miner-a");
    let b = identity("miner-b");
    assert_ne!(a.c.root, b.c.root);
    let (v, _) = run(&b, &mut Honest(&a.p), &seed(4), TEST.rounds);
    assert!(v.is_err());
    let (va, sa) = run(
        &a,
        &mut Checkpoint {
            p: &a.p,
            ek: a.c.ek,
            c: 2,
        },
        &seed(5),
        TEST.rounds,
    );
    let (vb, sb) = run(
        &b,
        &mut Checkpoint {
            p: &b.p,
            ek: b.c.ek,
            c: 2,
        },
        &seed(5),
        TEST.rounds,
    );
    assert_eq!((va, vb), (Ok(()), Ok(())));
    assert!(sa > 0 && sb > 0);
}

#[test]
fn p_not_resident_pays_fetch_per_chained_round() {
    // P on an NVMe drive (about 80 us per random 4 KiB read) or across a 1 ms link: the chain is
    // sequential, so the latency is paid once per round.
    let p = PRODUCTION_80G;
    for t_fetch in [80e-6, 1e-3] {
        let m = Model {
            t_fetch,
            ..model(0.05)
        };
        assert!(
            m.attacker(p.rounds, 0) > 10.0 * m.deadline(p.rounds),
            "fetch {t_fetch}"
        );
    }
}

#[test]
fn sybil_cannot_share_leaves_between_identities() {
    // B commits to A's P with only B's lane-start leaves replaced: every shared leaf fails to
    // chain under B's ek.
    let a = identity("miner-a");
    let b = identity("miner-b");
    let per_lane = (TEST.params.blocks_per_lane / TEST.params.blocks_per_leaf) as usize;
    let m = TEST.params.blocks_per_leaf as usize;
    let mut blocks = a.p.blocks.clone();
    for (leaf, chunk) in blocks.chunks_mut(m).enumerate() {
        if leaf % per_lane == 0 {
            chunk.copy_from_slice(&b.p.blocks[leaf * m..(leaf + 1) * m]);
        }
    }
    let forged = Prover::new(blocks, TEST.params);
    let c = Commitment {
        root: forged.tree.root(),
        ..b.c.clone()
    };
    let fake = Id {
        c,
        p: forged,
        key: b.key.clone(),
    };
    let (v, _) = run(&fake, &mut Honest(&fake.p), &seed(6), TEST.rounds);
    assert!(v.is_err());
}
