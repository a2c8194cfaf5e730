//! The batch block checks (`first_mismatch`, `first_non_block`, `first_bad_block`) and the
//! verifiers built on them agree with the one-block-at-a-time path they replaced: the same
//! accept/reject decision and the same error, for honest data, one corrupted block at every
//! position, values ≥ p and empty input.

use loopin_pocps::encode::{
    CHECK_BATCH, CpuEncoder, Encoder, Params, decode_block, derive_ek, first_mismatch,
    first_non_block, is_block,
};
use loopin_pocps::field::P;
use loopin_pocps::merkle::{Hash, Tree, leaf_hash, verify_path};
use loopin_pocps::proof::*;
use loopin_pocps::sig::SigVerifier;
use loopin_pocps::timed::*;

/// A toy signature, cheap enough to sign every mutation: the signature is the message itself.
/// A change after signing still fails, as with a real key.
struct Toy;

impl SigVerifier for Toy {
    fn verify(&self, msg_hash: &[u8; 32], sig: &[u8], _pubkey: &[u8]) -> bool {
        sig == msg_hash
    }
}

fn device(params: Params) -> (Commitment, Prover) {
    let ek = derive_ek(b"fp", "miner", "pool", b"batch");
    let prover = Prover::new(CpuEncoder.encode(ek, &params), params);
    let c = Commitment {
        params,
        root: prover.tree.root(),
        ek,
        pubkey: vec![],
    };
    (c, prover)
}

/// Leaves of 64 (one batch), 100 (a batch and a partial one) and 256 (the cap, four batches).
fn all_params() -> [Params; 3] {
    [
        Params::TEST,
        Params {
            lanes: 2,
            blocks_per_lane: 200,
            rounds: 3,
            blocks_per_leaf: 100,
        },
        Params {
            lanes: 2,
            blocks_per_lane: 512,
            rounds: 2,
            blocks_per_leaf: 256,
        },
    ]
}

/// Values a corrupted block takes: a neighbour, p and past it, and the honest block + p (which
/// decodes, mod p, to the honest input: only the range check refuses it).
fn corruptions(b: u128) -> [u128; 6] {
    [b ^ 1, 0, P, P + 1, u128::MAX, b + P]
}

// ---- The one-block-at-a-time path, as the verifiers ran it before the batch decode. ----

fn old_first_bad_block(c: &Commitment, o: &Opening) -> Option<usize> {
    (0..o.blocks.len()).find(|&n| !check_block(c, o, n))
}

fn old_check_leaf(c: &Commitment, o: &Opening, j: usize) -> Result<(), VerifyError> {
    match old_first_bad_block(c, o) {
        Some(_) => Err(VerifyError::BadBlock(j)),
        None => Ok(()),
    }
}

fn old_verify_round(
    c: &Commitment,
    seed: &Hash,
    k: u32,
    proof: &RoundProof,
) -> Result<(), VerifyError> {
    if !c.params.is_valid() {
        return Err(VerifyError::BadParams);
    }
    let idx = loopin_pocps::challenge::indices(seed, k, c.params.leaves());
    if proof.openings.len() != idx.len() {
        return Err(VerifyError::OpeningCount {
            expected: idx.len(),
            got: proof.openings.len(),
        });
    }
    for (j, (o, &i)) in proof.openings.iter().zip(&idx).enumerate() {
        if o.index != i {
            return Err(VerifyError::WrongIndex(j));
        }
        if o.blocks.len() != c.params.blocks_per_leaf as usize {
            return Err(VerifyError::LeafSize(j));
        }
        old_check_leaf(c, o, j)?;
        if !verify_path(&c.root, leaf_hash(&o.blocks), i, &o.path) {
            return Err(VerifyError::BadPath(j));
        }
    }
    let msg = round_message(c, seed, &proof.openings);
    if !Toy.verify(&msg, &proof.signature, &c.pubkey) {
        return Err(VerifyError::BadSignature);
    }
    Ok(())
}

fn old_verify_timed(
    c: &Commitment,
    terms: &TimedTerms,
    commit: &TimedCommit,
    nonce: &Hash,
    reveal: &TimedReveal,
) -> Result<(), VerifyError> {
    let (seed, rounds, s) = (terms.seed, terms.rounds, terms.spots);
    verify_commit(c, &seed, commit, &Toy)?;
    let p = &c.params;
    if reveal.transcript.len() != rounds as usize {
        return Err(VerifyError::OpeningCount {
            expected: rounds as usize,
            got: reveal.transcript.len(),
        });
    }
    let total = p.leaves() * p.blocks_per_leaf as u64;
    let (fin, pos) = replay(&seed, &reveal.transcript, total);
    if fin != commit.final_state {
        return Err(VerifyError::ChainMismatch);
    }
    for (r, (&b, &q)) in reveal.transcript.iter().zip(&pos).enumerate() {
        let (lane, i) = position_place(p, q);
        if !is_block(c.ek, lane, i, b, p.rounds) {
            return Err(VerifyError::BadRead(r));
        }
    }
    let spots = spot_rounds(nonce, &fin, rounds as usize, s);
    if reveal.openings.len() != spots.len() {
        return Err(VerifyError::OpeningCount {
            expected: spots.len(),
            got: reveal.openings.len(),
        });
    }
    let m = p.blocks_per_leaf as u64;
    for (j, (o, &r)) in reveal.openings.iter().zip(&spots).enumerate() {
        if o.index != pos[r] / m {
            return Err(VerifyError::WrongIndex(j));
        }
        if o.blocks.len() != m as usize {
            return Err(VerifyError::LeafSize(j));
        }
        if o.blocks[(pos[r] % m) as usize] != reveal.transcript[r] {
            return Err(VerifyError::BadBlock(j));
        }
        old_check_leaf(c, o, j)?;
        if !verify_opening_path(c, o) {
            return Err(VerifyError::BadPath(j));
        }
    }
    Ok(())
}

fn old_verify_throughput(
    seed: &Hash,
    rounds: u32,
    root: &Hash,
    batch_root: &Hash,
    spots: &[(u64, u128, Vec<Hash>)],
) -> Result<(), VerifyError> {
    for (n, (j, y, path)) in spots.iter().enumerate() {
        if *y >= P
            || decode_block(*y, rounds) != throughput_input(seed, root, *j)
            || !verify_path(batch_root, leaf_hash(&[*y]), *j, path)
        {
            return Err(VerifyError::Throughput(n));
        }
    }
    Ok(())
}

// ---- Helpers. ----

fn signed(c: &Commitment, seed: &Hash, openings: Vec<Opening>) -> RoundProof {
    let signature = round_message(c, seed, &openings).to_vec();
    RoundProof {
        openings,
        signature,
    }
}

fn assert_round_same(
    c: &Commitment,
    seed: &Hash,
    k: u32,
    proof: &RoundProof,
) -> Result<(), VerifyError> {
    let new = verify_round(c, seed, k, proof, &Toy);
    assert_eq!(new, old_verify_round(c, seed, k, proof));
    let signed_new = verify_round_signed(c, seed, k, proof, None, &Toy);
    let signed_old = verify_round_signed(c, seed, k, proof, Some(&[]), &Toy).and_then(|()| {
        let mut openings = proof.openings.iter().enumerate();
        openings.try_for_each(|(j, o)| old_check_leaf(c, o, j))
    });
    assert_eq!(signed_new, signed_old);
    new
}

// ---- Tests. ----

#[test]
fn batch_checks_agree_with_one_at_a_time_on_arbitrary_lists() {
    let ek = derive_ek(b"fp", "m", "p", b"lists");
    let rounds = 3;
    // Honest blocks of lane 1 from index 7, across batch boundaries (3 batches and a part).
    let n = 3 * CHECK_BATCH + 17;
    let honest: Vec<(u128, u32, u32)> = (0..n as u32)
        .map(|k| {
            let i = 7 + k;
            let b = loopin_pocps::encode::encode_block(
                loopin_pocps::encode::block_input(ek, 1, i),
                rounds,
            );
            (b, 1, i)
        })
        .collect();
    let old = |list: &[(u128, u32, u32)]| {
        list.iter()
            .position(|&(b, lane, i)| !is_block(ek, lane, i, b, rounds))
    };
    assert_eq!(first_non_block(ek, rounds, honest.iter().copied()), None);
    assert_eq!(old(&honest), None);
    for at in 0..n {
        for bad in corruptions(honest[at].0) {
            let mut list = honest.clone();
            list[at].0 = bad;
            let got = first_non_block(ek, rounds, list.iter().copied());
            assert_eq!(got, old(&list), "at {at} value {bad}");
            assert_eq!(got, Some(at), "at {at} value {bad}");
        }
    }
    // Two bad blocks: the first is reported, in the same batch or in different ones.
    for (a, b) in [
        (3, 9),
        (10, CHECK_BATCH + 1),
        (CHECK_BATCH - 1, CHECK_BATCH),
    ] {
        let mut list = honest.clone();
        list[b].0 = P;
        list[a].0 ^= 2;
        assert_eq!(first_non_block(ek, rounds, list.iter().copied()), Some(a));
    }
    // first_mismatch on raw pairs, values >= p included.
    let pairs: Vec<(u128, u128)> = [0, 1, 5, P - 1, P, P + 5, u128::MAX]
        .into_iter()
        .map(|y| {
            (
                y,
                if y < P {
                    decode_block(y, rounds)
                } else {
                    y % P
                },
            )
        })
        .collect();
    let old_pairs = |ps: &[(u128, u128)]| {
        ps.iter()
            .position(|&(y, x)| y >= P || decode_block(y, rounds) != x)
    };
    assert_eq!(first_mismatch(rounds, pairs.iter().copied()), Some(4));
    assert_eq!(old_pairs(&pairs), Some(4));
    assert_eq!(first_mismatch(rounds, pairs[..4].iter().copied()), None);
}

#[test]
fn empty_input_is_accepted_by_both_paths() {
    let (c, p) = device(Params::TEST);
    assert_eq!(first_mismatch(5, std::iter::empty()), None);
    assert_eq!(first_non_block(c.ek, 5, std::iter::empty()), None);
    let empty = Opening {
        index: 3,
        blocks: vec![],
        path: vec![],
    };
    assert_eq!(first_bad_block(&c, &empty), None);
    assert_eq!(old_first_bad_block(&c, &empty), None);
    // No openings asked, none given.
    let seed = [4u8; 32];
    assert_eq!(
        assert_round_same(&c, &seed, 0, &signed(&c, &seed, vec![])),
        Ok(())
    );
    // No spots of a throughput batch; a timed challenge of no reads.
    let root = [0u8; 32];
    assert_eq!(verify_throughput(&seed, 2, &c.root, &root, &[]), Ok(()));
    assert_eq!(old_verify_throughput(&seed, 2, &c.root, &root, &[]), Ok(()));
    let terms = TimedTerms {
        seed,
        rounds: 0,
        spots: 0,
    };
    let (transcript, fin) = run_chain(&p, &seed, 0);
    let commit = TimedCommit {
        final_state: fin,
        signature: timed_message(&c, &seed, &fin).to_vec(),
    };
    let reveal = TimedReveal {
        transcript,
        openings: vec![],
    };
    let nonce = [1u8; 32];
    assert_eq!(
        verify_timed(&c, &terms, &commit, &nonce, &reveal, &Toy),
        Ok(())
    );
    assert_eq!(
        old_verify_timed(&c, &terms, &commit, &nonce, &reveal),
        Ok(())
    );
}

#[test]
fn rounds_agree_with_one_corrupted_block_at_every_position() {
    for params in all_params() {
        let (c, p) = device(params);
        let seed = [8u8; 32];
        let k = 3;
        let honest = p.open(&seed, k);
        assert_eq!(
            assert_round_same(&c, &seed, k, &signed(&c, &seed, honest.clone())),
            Ok(())
        );
        for o in &honest {
            assert_eq!(first_bad_block(&c, o), None);
        }
        for j in 0..honest.len() {
            for n in 0..params.blocks_per_leaf as usize {
                for bad in corruptions(honest[j].blocks[n]) {
                    let mut openings = honest.clone();
                    openings[j].blocks[n] = bad;
                    let o = &openings[j];
                    assert_eq!(first_bad_block(&c, o), Some(n), "{params:?} {j} {n} {bad}");
                    assert_eq!(old_first_bad_block(&c, o), Some(n));
                    // Signed by the device: the bad block is found, in opening j.
                    let proof = signed(&c, &seed, openings);
                    let got = assert_round_same(&c, &seed, k, &proof);
                    assert_eq!(got, Err(VerifyError::BadBlock(j)), "{params:?} {j} {n}");
                }
            }
        }
    }
}

#[test]
fn rounds_agree_when_a_bad_block_competes_with_other_faults() {
    let (c, p) = device(Params::TEST);
    let seed = [2u8; 32];
    let k = 4;
    let honest = p.open(&seed, k);
    // A bad path before a bad block, and a bad block before a bad path.
    let mut openings = honest.clone();
    openings[1].path[0][0] ^= 1;
    openings[2].blocks[63] = P + 3;
    let got = assert_round_same(&c, &seed, k, &signed(&c, &seed, openings.clone()));
    assert_eq!(got, Err(VerifyError::BadPath(1)));
    openings[0].blocks[0] = u128::MAX;
    let got = assert_round_same(&c, &seed, k, &signed(&c, &seed, openings.clone()));
    assert_eq!(got, Err(VerifyError::BadBlock(0)));
    // A short leaf, a wrong index, a forged signature.
    let mut short = honest.clone();
    short[3].blocks.pop();
    short[1].blocks[5] ^= 1;
    let got = assert_round_same(&c, &seed, k, &signed(&c, &seed, short));
    assert_eq!(got, Err(VerifyError::BadBlock(1)));
    let mut moved = honest.clone();
    moved[2].index ^= 1;
    let got = assert_round_same(&c, &seed, k, &signed(&c, &seed, moved));
    assert_eq!(got, Err(VerifyError::WrongIndex(2)));
    let mut forged = signed(&c, &seed, honest);
    forged.openings[3].blocks[9] = P;
    let got = assert_round_same(&c, &seed, k, &forged);
    assert_eq!(got, Err(VerifyError::BadBlock(3)));
}

fn timed_case(
    c: &Commitment,
    p: &Prover,
    seed: &Hash,
    transcript: Vec<u128>,
    spots: u32,
) -> (TimedTerms, TimedCommit, TimedReveal) {
    let total = p.blocks.len() as u64;
    let (fin, _) = replay(seed, &transcript, total);
    let nonce = [6u8; 32];
    let terms = TimedTerms {
        seed: *seed,
        rounds: transcript.len() as u32,
        spots,
    };
    let commit = TimedCommit {
        final_state: fin,
        signature: timed_message(c, seed, &fin).to_vec(),
    };
    let reveal = TimedReveal {
        openings: open_spots(p, seed, &transcript, &nonce, spots),
        transcript,
    };
    (terms, commit, reveal)
}

fn timed_same(
    c: &Commitment,
    case: &(TimedTerms, TimedCommit, TimedReveal),
) -> Result<(), VerifyError> {
    let (terms, commit, reveal) = case;
    let nonce = [6u8; 32];
    let new = verify_timed(c, terms, commit, &nonce, reveal, &Toy);
    assert_eq!(new, old_verify_timed(c, terms, commit, &nonce, reveal));
    new
}

#[test]
fn timed_agrees_with_one_forged_read_at_every_round() {
    let (c, p) = device(Params::TEST);
    let seed = [5u8; 32];
    let rounds = 2 * CHECK_BATCH as u32 + 9;
    let (honest, _) = run_chain(&p, &seed, rounds);
    assert_eq!(
        timed_same(&c, &timed_case(&c, &p, &seed, honest.clone(), 8)),
        Ok(())
    );
    for r in 0..rounds as usize {
        for bad in corruptions(honest[r]) {
            // The forger replays its chain over the forged read and signs where it leads.
            let mut forged = honest.clone();
            forged[r] = bad;
            let case = timed_case(&c, &p, &seed, forged, 8);
            assert_eq!(
                timed_same(&c, &case),
                Err(VerifyError::BadRead(r)),
                "{r} {bad}"
            );
        }
    }
}

#[test]
fn timed_agrees_with_one_corrupted_block_in_every_spot_opening() {
    let (c, p) = device(Params::TEST);
    let seed = [3u8; 32];
    let case = timed_case(&c, &p, &seed, run_chain(&p, &seed, 40).0, 4);
    assert_eq!(timed_same(&c, &case), Ok(()));
    for j in 0..case.2.openings.len() {
        for n in 0..64 {
            for bad in corruptions(case.2.openings[j].blocks[n]) {
                let mut bad_case = case.clone();
                bad_case.2.openings[j].blocks[n] = bad;
                let got = timed_same(&c, &bad_case);
                assert_eq!(got, Err(VerifyError::BadBlock(j)), "{j} {n} {bad}");
            }
        }
    }
}

#[test]
fn throughput_spots_agree_with_one_bad_output_at_every_spot() {
    let (seed, root) = ([1u8; 32], [2u8; 32]);
    let rounds = 3;
    let n = CHECK_BATCH as u64 + 6;
    let outputs: Vec<u128> = (0..n)
        .map(|j| throughput_output(&seed, &root, j, rounds))
        .collect();
    let tree = Tree::new(outputs.iter().map(|y| leaf_hash(&[*y])).collect());
    let honest: Vec<(u64, u128, Vec<Hash>)> = (0..n)
        .map(|j| (j, outputs[j as usize], tree.path(j as usize)))
        .collect();
    let batch_root = tree.root();
    let both = |spots: &[(u64, u128, Vec<Hash>)]| {
        let new = verify_throughput(&seed, rounds, &root, &batch_root, spots);
        assert_eq!(
            new,
            old_verify_throughput(&seed, rounds, &root, &batch_root, spots)
        );
        new
    };
    assert_eq!(both(&honest), Ok(()));
    for at in 0..n as usize {
        for bad in corruptions(honest[at].1) {
            let mut spots = honest.clone();
            spots[at].1 = bad;
            assert_eq!(both(&spots), Err(VerifyError::Throughput(at)), "{at} {bad}");
        }
        // A bad path before a bad output, and after it.
        let mut spots = honest.clone();
        spots[at].2[0][0] ^= 1;
        if at + 1 < n as usize {
            spots[at + 1].1 = P;
        }
        assert_eq!(both(&spots), Err(VerifyError::Throughput(at)));
        let mut spots = honest.clone();
        spots[at].1 ^= 1;
        spots[(at + 1) % n as usize].2[0][0] ^= 1;
        let first = if at + 1 == n as usize { 0 } else { at };
        assert_eq!(both(&spots), Err(VerifyError::Throughput(first)));
    }
}
