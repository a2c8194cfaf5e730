//! Prove/verify behaviour: honest pass, tampering, wrong key, replay, ek recovery, partial throughput.

use k256::ecdsa::SigningKey;
use loopin_pocps::challenge::round_seed;
use loopin_pocps::encode::{CpuEncoder, Encoder, Params, derive_ek, recover_ek};
use loopin_pocps::merkle::{Tree, leaf_hash};
use loopin_pocps::proof::*;
use loopin_pocps::sig::{K256Verifier, k256_sign};

const K: u32 = 8;

fn setup() -> (Commitment, Prover, SigningKey) {
    let params = Params::TEST;
    let ek = derive_ek(b"gpu-uuid-1", "miner1", "pool1", b"rand");
    let prover = Prover::new(CpuEncoder.encode(ek, &params), params);
    let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let pubkey = loopin_pocps::sig::k256_pubkey(&key);
    (
        Commitment {
            params,
            root: prover.tree.root(),
            ek,
            pubkey,
        },
        prover,
        key,
    )
}

fn answer(c: &Commitment, p: &Prover, key: &SigningKey, seed: &[u8; 32]) -> RoundProof {
    let openings = p.open(seed, K);
    let signature = k256_sign(key, &round_message(c, seed, &openings));
    RoundProof {
        openings,
        signature,
    }
}

#[test]
fn honest_chained_rounds_pass_and_replay_fails() {
    let (c, p, key) = setup();
    let mut prev = [0u8; 32];
    let mut last = None;
    for r in 0..3 {
        let seed = round_seed(&[9u8; 32], b"chain", r, &prev);
        let a = answer(&c, &p, &key, &seed);
        assert_eq!(verify_round(&c, &seed, K, &a, &K256Verifier), Ok(()));
        if let Some((old_seed, old)) = last.take() {
            let _: [u8; 32] = old_seed;
            assert!(
                verify_round(&c, &seed, K, &old, &K256Verifier).is_err(),
                "replay accepted"
            );
        }
        prev = answer_hash(&a);
        last = Some((seed, a));
    }
}

#[test]
fn tampering_fails() {
    let (c, p, key) = setup();
    let seed = round_seed(&[1u8; 32], b"r", 0, &[0u8; 32]);
    let a = answer(&c, &p, &key, &seed);
    let v = |a: &RoundProof| verify_round(&c, &seed, K, a, &K256Verifier);
    for n in [0usize, 1, 63] {
        let mut t = a.clone();
        t.openings[0].blocks[n] ^= 1 << 5;
        assert!(v(&t).is_err());
    }
    let mut t = a.clone();
    t.openings[1].path[0][3] ^= 1;
    assert!(matches!(v(&t), Err(VerifyError::BadPath(1))));
    let mut t = a.clone();
    t.signature[10] ^= 1;
    assert_eq!(v(&t), Err(VerifyError::BadSignature));
    let mut c2 = c.clone();
    c2.root[0] ^= 1;
    assert!(verify_round(&c2, &seed, K, &a, &K256Verifier).is_err());
    let mut t = a.clone();
    t.openings.pop();
    assert!(matches!(v(&t), Err(VerifyError::OpeningCount { .. })));
    // Wrong key.
    let other = SigningKey::from_slice(&[8u8; 32]).unwrap();
    let mut t = a.clone();
    t.signature = k256_sign(&other, &round_message(&c, &seed, &a.openings));
    assert_eq!(v(&t), Err(VerifyError::BadSignature));
    // Garbage signature and pubkey never panic.
    let mut t = a.clone();
    t.signature = vec![1, 2, 3];
    assert_eq!(v(&t), Err(VerifyError::BadSignature));
}

#[test]
fn ek_recovered_from_p() {
    let (c, p, _) = setup();
    assert_eq!(recover_ek(p.blocks[0], c.params.rounds), c.ek);
}

#[test]
fn partial_throughput_batch_fails() {
    let seed = [3u8; 32];
    let root = [4u8; 32];
    let w = 256u64;
    // Attacker computes only half of the batch and fills the rest with garbage.
    let outs: Vec<u128> = (0..w)
        .map(|j| {
            let x = throughput_input(&seed, &root, j);
            if j % 2 == 0 { slow(x) } else { x }
        })
        .collect();
    let tree = Tree::new(outs.iter().map(|y| leaf_hash(&[*y])).collect());
    let spots: Vec<_> = (0..16u64)
        .map(|j| (j, outs[j as usize], tree.path(j as usize)))
        .collect();
    assert!(verify_throughput(&seed, 1, &root, &tree.root(), &spots).is_err());
    let honest: Vec<_> = (0..16u64)
        .step_by(2)
        .map(|j| (j, outs[j as usize], tree.path(j as usize)))
        .collect();
    assert_eq!(
        verify_throughput(&seed, 1, &root, &tree.root(), &honest),
        Ok(())
    );
}

/// A prover's value outside the field is refused, not a panic in the field's arithmetic
/// (release builds check overflow).
#[test]
fn a_throughput_value_outside_the_field_is_refused() {
    let (seed, root) = ([3u8; 32], [4u8; 32]);
    for y in [loopin_pocps::field::P, u128::MAX, u128::MAX - 5] {
        let tree = Tree::new(vec![leaf_hash(&[y])]);
        let spots = [(0u64, y, tree.path(0))];
        assert_eq!(
            verify_throughput(&seed, 1, &root, &tree.root(), &spots),
            Err(VerifyError::Throughput(0))
        );
    }
}

fn slow(x: u128) -> u128 {
    loopin_pocps::field::sloth_slow(x)
}

#[test]
fn timed_proof_honest_tamper_replay_wrong_key() {
    use loopin_pocps::timed::*;
    let (c, p, key) = setup();
    let seed = round_seed(&[2u8; 32], b"r", 0, &[0u8; 32]);
    let terms = TimedTerms {
        seed,
        rounds: 256,
        spots: 128,
    };
    let nonce = [0x33u8; 32];
    let (transcript, fin) = run_chain(&p, &seed, terms.rounds);
    let commit = TimedCommit {
        final_state: fin,
        signature: k256_sign(&key, &timed_message(&c, &seed, &fin)),
    };
    let reveal = TimedReveal {
        openings: open_spots(&p, &seed, &transcript, &nonce, terms.spots),
        transcript,
    };
    let v = |commit: &TimedCommit, t: &TimedReveal| {
        verify_timed(&c, &terms, commit, &nonce, t, &K256Verifier)
    };
    assert_eq!(v(&commit, &reveal), Ok(()));
    // A read changed: the transcript no longer leads to the signed final state.
    let mut t = reveal.clone();
    t.transcript[100] ^= 1;
    assert_eq!(v(&commit, &t), Err(VerifyError::ChainMismatch));
    // A leaf or a path of a spot opening changed.
    let mut t = reveal.clone();
    t.openings[0].blocks[5] ^= 1 << 70;
    assert!(v(&commit, &t).is_err());
    let mut t = reveal.clone();
    t.openings[3].path[2][0] ^= 1;
    assert_eq!(v(&commit, &t), Err(VerifyError::BadPath(3)));
    let mut t = reveal.clone();
    t.transcript.pop();
    assert!(matches!(
        v(&commit, &t),
        Err(VerifyError::OpeningCount { .. })
    ));
    let mut t = reveal.clone();
    t.openings.pop();
    assert!(matches!(
        v(&commit, &t),
        Err(VerifyError::OpeningCount { .. })
    ));
    // The openings of another nonce (the prover cannot choose what is opened).
    let other_nonce = [0x44u8; 32];
    assert!(
        verify_timed(&c, &terms, &commit, &other_nonce, &reveal, &K256Verifier).is_err(),
        "openings for another nonce accepted"
    );
    // Signed by another key.
    let wrong = TimedCommit {
        signature: k256_sign(
            &SigningKey::from_slice(&[9u8; 32]).unwrap(),
            &timed_message(&c, &seed, &fin),
        ),
        ..commit.clone()
    };
    assert_eq!(v(&wrong, &reveal), Err(VerifyError::BadSignature));
    // Replayed to another seed.
    let other = TimedTerms {
        seed: round_seed(&[2u8; 32], b"r", 1, &[0u8; 32]),
        ..terms
    };
    assert_eq!(
        verify_timed(&c, &other, &commit, &nonce, &reveal, &K256Verifier),
        Err(VerifyError::BadSignature),
        "replay accepted"
    );
}

#[test]
fn a_timed_commit_fits_one_packet() {
    use loopin_pocps::timed::*;
    let (c, p, key) = setup();
    let seed = [1u8; 32];
    let (_, fin) = run_chain(&p, &seed, 256);
    let commit = TimedCommit {
        final_state: fin,
        signature: k256_sign(&key, &timed_message(&c, &seed, &fin)),
    };
    // 32-byte state + 64-byte signature: what the deadline waits for, whatever R is.
    assert_eq!(commit.final_state.len() + commit.signature.len(), 96);
}

#[test]
fn every_block_is_checked_on_its_own() {
    // Blocks are independent: each decodes to its own input, the first block of a leaf too.
    let (c, p, _) = setup();
    let o = p.open(&[5u8; 32], 1).remove(0);
    for n in 0..o.blocks.len() {
        assert!(check_block(&c, &o, n));
        let mut bad = o.clone();
        bad.blocks[n] ^= 1;
        assert!(!check_block(&c, &bad, n), "block {n}");
    }
    assert!(!check_block(&c, &o, o.blocks.len()));
}
