//! The attributable check a contract uses: signature first, decode limited to named openings,
//! Merkle paths checked on their own.

use k256::ecdsa::SigningKey;
use loopin_pocps::challenge::round_seed;
use loopin_pocps::encode::{CpuEncoder, Encoder, Params, derive_ek};
use loopin_pocps::proof::*;
use loopin_pocps::sig::{K256Verifier, k256_sign};

const K: u32 = 8;

fn setup() -> (Commitment, Prover, SigningKey) {
    let params = Params::TEST;
    let ek = derive_ek(b"gpu-uuid-2", "miner2", "pool2", b"rand");
    let prover = Prover::new(CpuEncoder.encode(ek, &params), params);
    let key = SigningKey::from_slice(&[5u8; 32]).unwrap();
    let pubkey = loopin_pocps::sig::k256_pubkey(&key);
    let c = Commitment {
        params,
        root: prover.tree.root(),
        ek,
        pubkey,
    };
    (c, prover, key)
}

fn sign(c: &Commitment, key: &SigningKey, seed: &[u8; 32], openings: Vec<Opening>) -> RoundProof {
    let signature = k256_sign(key, &round_message(c, seed, &openings));
    RoundProof {
        openings,
        signature,
    }
}

#[test]
fn signed_check_matches_verify_round_and_attributes_failures() {
    let (c, p, key) = setup();
    let seed = round_seed(&[1u8; 32], b"beacon", 0, &[0u8; 32]);
    let honest = sign(&c, &key, &seed, p.open(&seed, K));
    assert_eq!(verify_round(&c, &seed, K, &honest, &K256Verifier), Ok(()));
    assert_eq!(
        verify_round_signed(&c, &seed, K, &honest, None, &K256Verifier),
        Ok(())
    );
    assert!(honest.openings.iter().all(|o| verify_opening_path(&c, o)));

    // A block changed after signing is the forger's, not the device's: signature fails first.
    let mut forged = honest.clone();
    forged.openings[3].blocks[5] ^= 1;
    assert_eq!(
        verify_round_signed(&c, &seed, K, &forged, None, &K256Verifier),
        Err(VerifyError::BadSignature)
    );
    // The same bad block signed by the device is the device's fault, found only when decoded.
    let mut bad = p.open(&seed, K);
    bad[3].blocks[5] ^= 1;
    let bad = sign(&c, &key, &seed, bad);
    assert_eq!(
        verify_round_signed(&c, &seed, K, &bad, Some(&[3]), &K256Verifier),
        Err(VerifyError::BadBlock(3))
    );
    assert_eq!(
        verify_round_signed(&c, &seed, K, &bad, Some(&[0, 1, 2, 4]), &K256Verifier),
        Ok(())
    );
    assert!(verify_round(&c, &seed, K, &bad, &K256Verifier).is_err());

    // Paths are unsigned: a wrong or over-long path fails its own check only.
    let mut path = honest.clone();
    path.openings[2].path[1][0] ^= 1;
    assert_eq!(
        verify_round_signed(&c, &seed, K, &path, None, &K256Verifier),
        Ok(())
    );
    assert!(!verify_opening_path(&c, &path.openings[2]));
    let mut long = honest.openings[2].clone();
    long.path.push([0u8; 32]);
    assert!(!verify_opening_path(&c, &long));

    // Wrong count or index, signed by the device.
    let mut short = p.open(&seed, K);
    short.pop();
    let short = sign(&c, &key, &seed, short);
    assert_eq!(
        verify_round_signed(&c, &seed, K, &short, Some(&[]), &K256Verifier),
        Err(VerifyError::OpeningCount {
            expected: 8,
            got: 7
        })
    );
    let other_seed = round_seed(&[2u8; 32], b"beacon", 0, &[0u8; 32]);
    let moved = sign(&c, &key, &seed, p.open(&other_seed, K));
    assert_eq!(
        verify_round_signed(&c, &seed, K, &moved, Some(&[]), &K256Verifier),
        Err(VerifyError::WrongIndex(0))
    );
    // Replayed to another seed: not signed for it.
    assert_eq!(
        verify_round_signed(&c, &other_seed, K, &honest, Some(&[]), &K256Verifier),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn commitment_digest_binds_every_field() {
    let (c, _, _) = setup();
    let d = c.digest();
    let mut other = c.clone();
    other.params.rounds += 1;
    assert_ne!(other.digest(), d);
    let mut other = c.clone();
    other.root[0] ^= 1;
    assert_ne!(other.digest(), d);
    let mut other = c.clone();
    other.ek ^= 1;
    assert_ne!(other.digest(), d);
    let mut other = c.clone();
    other.pubkey[1] ^= 1;
    assert_ne!(other.digest(), d);
}

#[test]
fn digest_form_and_single_blocks() {
    let (c, p, key) = setup();
    let seed = round_seed(&[3u8; 32], b"beacon", 0, &[0u8; 32]);
    let honest = sign(&c, &key, &seed, p.open(&seed, K));
    let leaves: Vec<(u64, [u8; 32])> = honest
        .openings
        .iter()
        .map(|o| (o.index, loopin_pocps::merkle::leaf_hash(&o.blocks)))
        .collect();
    assert_eq!(
        round_message_digests(&c, &seed, &leaves),
        round_message(&c, &seed, &honest.openings)
    );
    assert_eq!(
        verify_round_digests(&c, &seed, K, &leaves, &honest.signature, &K256Verifier),
        Ok(())
    );
    let mut other = leaves.clone();
    other[2].1[0] ^= 1;
    assert_eq!(
        verify_round_digests(&c, &seed, K, &other, &honest.signature, &K256Verifier),
        Err(VerifyError::BadSignature)
    );
    let other_seed = round_seed(&[4u8; 32], b"beacon", 0, &[0u8; 32]);
    assert_eq!(
        verify_round_digests(
            &c,
            &other_seed,
            K,
            &leaves,
            &honest.signature,
            &K256Verifier
        ),
        Err(VerifyError::BadSignature)
    );

    // Every block of an honest opening checks; a flipped block fails, and only it (blocks are
    // independent).
    for o in &honest.openings {
        assert!((0..o.blocks.len()).all(|n| check_block(&c, o, n)));
        assert!(!check_block(&c, o, o.blocks.len()));
    }
    let mut o = honest.openings[1].clone();
    o.blocks[10] ^= 1 << 3;
    assert!(!check_block(&c, &o, 10));
    assert!(check_block(&c, &o, 9) && check_block(&c, &o, 11));
    // A lane's first block is checked against its own input like any other.
    let first = Prover::new(p.blocks.clone(), p.params);
    let mut lane_start = first.open(&seed, 1)[0].clone();
    lane_start.index = 0;
    lane_start.blocks = p.blocks[..64].to_vec();
    assert!(check_block(&c, &lane_start, 0));
    lane_start.blocks[0] ^= 1;
    assert!(!check_block(&c, &lane_start, 0));
}
