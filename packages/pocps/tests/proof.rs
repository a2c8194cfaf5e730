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
    let pubkey = key
        .verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec();
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

fn slow(x: u128) -> u128 {
    loopin_pocps::field::sloth_slow(x)
}

#[test]
fn timed_proof_honest_tamper_replay_wrong_key() {
    use loopin_pocps::timed::*;
    let (c, p, key) = setup();
    let (r, s) = (256, 64);
    let make = |seed: &[u8; 32], key: &SigningKey| {
        let (transcript, openings, fin) = prove_timed(&p, seed, r, s);
        let signature = k256_sign(key, &timed_message(&c, seed, &fin));
        TimedProof {
            transcript,
            openings,
            signature,
        }
    };
    let seed = round_seed(&[2u8; 32], b"r", 0, &[0u8; 32]);
    let a = make(&seed, &key);
    let v = |t: &TimedProof| verify_timed(&c, &seed, r, s, t, &K256Verifier);
    assert_eq!(v(&a), Ok(()));
    let mut t = a.clone();
    t.transcript[100] ^= 1;
    assert!(v(&t).is_err());
    let mut t = a.clone();
    t.openings[0].blocks[5] ^= 1 << 70;
    assert!(v(&t).is_err());
    let mut t = a.clone();
    t.openings[3].path[2][0] ^= 1;
    assert!(v(&t).is_err());
    let mut t = a.clone();
    t.transcript.pop();
    assert!(v(&t).is_err());
    assert_eq!(
        v(&make(&seed, &SigningKey::from_slice(&[9u8; 32]).unwrap())),
        Err(VerifyError::BadSignature)
    );
    let other = round_seed(&[2u8; 32], b"r", 1, &[0u8; 32]);
    assert!(
        verify_timed(&c, &other, r, s, &a, &K256Verifier).is_err(),
        "replay accepted"
    );
}
