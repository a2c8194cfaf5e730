//! Timed sequential challenge: one verifier seed, then R rounds chained locally by the prover
//! (each read block is hashed into the next position), so an attacker's regeneration time adds up
//! over R rounds while the network round trip is paid once. The verifier re-hashes the chain and
//! spot-checks `s` rounds with full Merkle openings chosen from the finished transcript.

use crate::merkle::Hash;
use crate::proof::{Commitment, Opening, Prover, VerifyError, check_leaf};
use crate::sig::SigVerifier;
use sha2::{Digest, Sha256};

/// Block position read in a round.
pub fn position(state: &Hash, total_blocks: u64) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&state[..8]);
    u64::from_le_bytes(b) % total_blocks.max(1)
}

/// Next chain state after reading `block`.
pub fn next_state(state: &Hash, block: u128) -> Hash {
    Sha256::new()
        .chain_update(state)
        .chain_update(block.to_le_bytes())
        .finalize()
        .into()
}

/// A signed timed answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimedProof {
    /// The block read in each round.
    pub transcript: Vec<u128>,
    /// Full openings of the spot-checked rounds, in the order of [`spot_rounds`].
    pub openings: Vec<Opening>,
    /// Device signature over [`timed_message`].
    pub signature: Vec<u8>,
}

/// Final state of the chain over a transcript (and the positions it read).
pub fn replay(seed: &Hash, transcript: &[u128], total_blocks: u64) -> (Hash, Vec<u64>) {
    let mut s = *seed;
    let mut pos = Vec::with_capacity(transcript.len());
    for b in transcript {
        pos.push(position(&s, total_blocks));
        s = next_state(&s, *b);
    }
    (s, pos)
}

/// Rounds to spot-check, derived from the finished chain (the prover cannot choose them).
pub fn spot_rounds(final_state: &Hash, rounds: usize, s: u32) -> Vec<usize> {
    (0..s)
        .map(|j| {
            let h: Hash = Sha256::new()
                .chain_update(b"spot")
                .chain_update(final_state)
                .chain_update(j.to_le_bytes())
                .finalize()
                .into();
            let mut b = [0u8; 8];
            b.copy_from_slice(&h[..8]);
            (u64::from_le_bytes(b) % rounds.max(1) as u64) as usize
        })
        .collect()
}

/// Message signed by the device: binds the commitment root, the seed and the chain's end.
pub fn timed_message(c: &Commitment, seed: &Hash, final_state: &Hash) -> Hash {
    Sha256::new()
        .chain_update(b"loopin-pocps/timed")
        .chain_update(c.root)
        .chain_update(seed)
        .chain_update(final_state)
        .finalize()
        .into()
}

/// Honest prover: run the chain and open the spot rounds (signature left to the caller).
pub fn prove_timed(
    p: &Prover,
    seed: &Hash,
    rounds: u32,
    s: u32,
) -> (Vec<u128>, Vec<Opening>, Hash) {
    let total = p.blocks.len() as u64;
    let mut st = *seed;
    let mut tr = Vec::with_capacity(rounds as usize);
    for _ in 0..rounds {
        let b = p.blocks[position(&st, total) as usize];
        tr.push(b);
        st = next_state(&st, b);
    }
    let (_, pos) = replay(seed, &tr, total);
    let m = p.params.blocks_per_leaf as u64;
    let openings = spot_rounds(&st, tr.len(), s)
        .into_iter()
        .map(|r| {
            let leaf = pos[r] / m;
            Opening {
                index: leaf,
                blocks: p.blocks[(leaf * m) as usize..((leaf + 1) * m) as usize].to_vec(),
                path: p.tree.path(leaf as usize),
            }
        })
        .collect();
    (tr, openings, st)
}

/// Verify a timed proof of `rounds` rounds with `s` spot checks.
pub fn verify_timed(
    c: &Commitment,
    seed: &Hash,
    rounds: u32,
    s: u32,
    proof: &TimedProof,
    sig: &dyn SigVerifier,
) -> Result<(), VerifyError> {
    let p = &c.params;
    if !p.is_valid() {
        return Err(VerifyError::BadParams);
    }
    if proof.transcript.len() != rounds as usize {
        return Err(VerifyError::OpeningCount {
            expected: rounds as usize,
            got: proof.transcript.len(),
        });
    }
    let total = p.leaves() * p.blocks_per_leaf as u64;
    let (fin, pos) = replay(seed, &proof.transcript, total);
    let spots = spot_rounds(&fin, rounds as usize, s);
    if proof.openings.len() != spots.len() {
        return Err(VerifyError::OpeningCount {
            expected: spots.len(),
            got: proof.openings.len(),
        });
    }
    let m = p.blocks_per_leaf as u64;
    for (j, (o, &r)) in proof.openings.iter().zip(&spots).enumerate() {
        if o.index != pos[r] / m {
            return Err(VerifyError::WrongIndex(j));
        }
        if o.blocks.len() != m as usize {
            return Err(VerifyError::LeafSize(j));
        }
        if o.blocks[(pos[r] % m) as usize] != proof.transcript[r] {
            return Err(VerifyError::BadBlock(j));
        }
        check_leaf(c, o, j)?;
        if !crate::merkle::verify_path(
            &c.root,
            crate::merkle::leaf_hash(&o.blocks),
            o.index,
            &o.path,
        ) {
            return Err(VerifyError::BadPath(j));
        }
    }
    if !sig.verify(&timed_message(c, seed, &fin), &proof.signature, &c.pubkey) {
        return Err(VerifyError::BadSignature);
    }
    Ok(())
}
