//! Attack suite: each attacker is run through both phases of the timed challenge; it is either
//! rejected by verification or its serial slow-round count puts it past the deadline D under the
//! model (timing itself is only printed by the `attack_report` example, never asserted).

use k256::ecdsa::SigningKey;
use loopin_pocps::attack::*;
use loopin_pocps::encode::{CpuEncoder, Encoder, derive_ek};
use loopin_pocps::proof::VerifyError;
use loopin_pocps::proof::{Commitment, Prover};
use loopin_pocps::sig::{K256Verifier, k256_sign};
use loopin_pocps::timed::{
    TimedCommit, TimedReveal, TimedTerms, open_spots, timed_message, verify_timed,
};

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
    let pubkey = loopin_pocps::sig::k256_pubkey(&key);
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

/// Phase 2 of an attacker's run, then the verifier's verdict. The attacker has all the time it
/// wants to open spots, so it opens the real leaves (regenerated at leisure); the nonce is drawn
/// by the verifier after the commit.
fn verdict(id: &Id, s: &[u8; 32], rounds: u32, r: &Run) -> Result<(), VerifyError> {
    let commit = TimedCommit {
        final_state: r.final_state,
        signature: k256_sign(&id.key, &timed_message(&id.c, s, &r.final_state)),
    };
    let nonce = [s[0] ^ 0xa5; 32];
    let reveal = TimedReveal {
        openings: open_spots(&id.p, s, &r.transcript, &nonce, TEST.spots),
        transcript: r.transcript.clone(),
    };
    let terms = TimedTerms {
        seed: *s,
        rounds,
        spots: TEST.spots,
    };
    verify_timed(&id.c, &terms, &commit, &nonce, &reveal, &K256Verifier)
}

fn run(
    id: &Id,
    src: &mut dyn BlockSource,
    s: &[u8; 32],
    rounds: u32,
) -> (Result<(), VerifyError>, u64) {
    let r = run_timed(src, &id.p, s, rounds);
    (verdict(id, s, rounds, &r), r.serial_rounds)
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
fn partial_storage_passes_verification_but_pays_a_block_of_slow_rounds_per_missing_read() {
    let id = identity("m1");
    for f in [0.5, 0.125] {
        let s = seed((f * 100.0) as u8);
        let (v, serial) = run(
            &id,
            &mut Partial {
                p: &id.p,
                ek: id.c.ek,
                f,
            },
            &s,
            TEST.rounds,
        );
        assert_eq!(v, Ok(()), "f = {f}: regenerated data is correct");
        let want = expected_serial_rounds(&id.c.params, TEST.rounds, f);
        assert!(
            serial as f64 > 0.6 * want,
            "f = {f}: {serial} serial rounds, expected about {want}"
        );
        // At production parameters the expected extra time is >= 10x the deadline at 50 ms RTT.
        let p = PRODUCTION_80G;
        let m = model(0.05);
        let t = m.attacker(
            p.rounds,
            expected_serial_rounds(&p.params, p.rounds, f) as u64,
        );
        assert!(
            t > 10.0 * m.deadline(p.rounds),
            "f = {f}: {t} s vs D {}",
            m.deadline(p.rounds)
        );
    }
}

#[test]
fn regeneration_on_demand_pays_a_block_per_read() {
    let id = identity("m1");
    let rounds = 64;
    let (v, serial) = run(
        &id,
        &mut Partial {
            p: &id.p,
            ek: id.c.ek,
            f: 0.0,
        },
        &seed(3),
        rounds,
    );
    assert_eq!(v, Ok(()));
    assert_eq!(serial, rounds as u64 * id.c.params.rounds as u64);
}

#[test]
fn partial_storage_forging_is_rejected_at_the_first_forged_read() {
    let id = identity("m1");
    for f in [0.5, 0.9] {
        for n in 10..14 {
            let s = seed(n);
            let r = run_timed(&mut Discard { p: &id.p, f }, &id.p, &s, TEST.rounds);
            assert!(r.forged > 0, "f = {f}, seed {n}: nothing forged");
            let first = first_forged(&id, &s, &r.transcript);
            assert_eq!(
                verdict(&id, &s, TEST.rounds, &r),
                Err(VerifyError::BadRead(first)),
                "f = {f}, seed {n}"
            );
        }
    }
}

/// Index of the first read that is not the block at its position.
fn first_forged(id: &Id, s: &[u8; 32], transcript: &[u128]) -> usize {
    let (_, pos) = loopin_pocps::timed::replay(s, transcript, id.p.blocks.len() as u64);
    (0..transcript.len())
        .find(|&r| transcript[r] != id.p.blocks[pos[r] as usize])
        .unwrap_or(usize::MAX)
}

/// The grinding-and-steering attacker at each fraction kept: it grinds every forged value (up to
/// 4,096 candidates each) so that the chain's next reads land in blocks it kept. Steering works
/// (it forges fewer reads than the same attacker without it), and every try is still rejected:
/// each read is checked against the one block its position allows, so however the forged value
/// was chosen, it is caught. The chance per challenge that the attacker instead regenerates
/// every missing read within D at production parameters is below 1e-9 (the bound).
#[test]
fn the_grinding_and_steering_attacker_is_rejected_at_every_fraction_kept() {
    let id = identity("m1");
    let tries_per_f = 24u8;
    for f in [0.25, 0.5, 0.8, 0.9] {
        let (mut steered, mut plain, mut hashes) = (0u64, 0u64, 0u64);
        for n in 0..tries_per_f {
            let s = seed(100 + n);
            let r = run_steering(&id.p, f, &s, TEST.rounds, 8, 4096);
            let d = run_timed(&mut Discard { p: &id.p, f }, &id.p, &s, TEST.rounds);
            (steered, plain, hashes) = (
                steered + r.forged as u64,
                plain + d.forged as u64,
                hashes + r.grind_hashes,
            );
            assert!(r.forged > 0, "f = {f}: a chain with no missing read");
            let first = first_forged(&id, &s, &r.transcript);
            assert_eq!(
                verdict(&id, &s, TEST.rounds, &r),
                Err(VerifyError::BadRead(first)),
                "f = {f}, try {n}: a steered chain was accepted"
            );
        }
        assert!(hashes > 0);
        assert!(
            steered < plain,
            "f = {f}: steering forged {steered} reads, without it {plain}"
        );
        for set in [PRODUCTION_80G, PRODUCTION_24G] {
            for rtt in [0.001, 0.05, 0.15] {
                let bound = log10_pass_bound(&model(rtt), &set, f);
                assert!(
                    bound < -9.0,
                    "{} f = {f} at {rtt} s RTT: 10^{bound:.1}",
                    set.name
                );
            }
        }
    }
}

#[test]
fn the_pass_bound_is_the_binomial_tail() {
    // k = 0 is exact: (1 - q)^n.
    let b = log10_binomial_lower_tail(100, 0.1, 0);
    assert!((b - 100.0 * 0.9f64.log10()).abs() < 1e-9);
    // At or past the mean there is no bound.
    assert_eq!(log10_binomial_lower_tail(100, 0.1, 10), 0.0);
    // The Chernoff bound is above the exact tail: P[X <= 2], n = 100, q = 0.1 is 0.00194.
    let b = log10_binomial_lower_tail(100, 0.1, 2);
    assert!(b > 0.00194f64.log10() && b < -1.0, "{b}");
    // An attacker keeping almost everything is not bounded: it regenerates the rest in time.
    let m = model(0.05);
    assert!(m.affordable_regenerations(&PRODUCTION_80G.params, PRODUCTION_80G.rounds) > 10);
    assert!(log10_pass_bound(&m, &PRODUCTION_80G, 0.9999) > -1.0);
}

#[test]
fn sybil_needs_both_encodings() {
    // One device, two identities challenged at once. Answering B with A's data fails;
    // splitting storage between them is the f = 0.5 attack on each, run in parallel.
    let a = identity("miner-a");
    let b = identity("miner-b");
    assert_ne!(a.c.root, b.c.root);
    let (v, _) = run(&b, &mut Honest(&a.p), &seed(4), TEST.rounds);
    assert!(v.is_err());
    let half = |id: &Id| {
        run(
            id,
            &mut Partial {
                p: &id.p,
                ek: id.c.ek,
                f: 0.5,
            },
            &seed(5),
            TEST.rounds,
        )
    };
    let ((va, sa), (vb, sb)) = (half(&a), half(&b));
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
fn sybil_cannot_share_blocks_between_identities() {
    // B commits to A's P with one leaf of its own: every shared block fails under B's ek.
    let a = identity("miner-a");
    let b = identity("miner-b");
    let m = TEST.params.blocks_per_leaf as usize;
    let mut blocks = a.p.blocks.clone();
    blocks[..m].copy_from_slice(&b.p.blocks[..m]);
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
    assert!(matches!(v, Err(VerifyError::BadRead(_))), "{v:?}");
}
