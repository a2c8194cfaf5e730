//! Timed sequential challenge, in two phases.
//!
//! 1. **Timed.** The verifier sends a seed; the prover runs R reads chained locally (each read
//!    block is hashed into the state that picks the next position) and answers only with the
//!    signed final state ([`TimedCommit`], about 100 bytes: one packet). The deadline is on this
//!    answer alone, so the network costs one round trip whatever R is.
//! 2. **Opening, untimed.** Only after the commit has arrived does the verifier draw a fresh
//!    nonce; the prover sends the whole transcript and opens the `s` spot rounds the nonce picks
//!    ([`TimedReveal`]). The verifier replays the transcript to the signed final state, checks
//!    **every** read by the fast direction (blocks are independent, so each read has exactly one
//!    right value, see `encode::block_input`), and checks the spot openings against the
//!    committed root.
//!
//! Nothing the prover controls chooses what is checked: the spots come from the verifier's
//! nonce, drawn after the final state is fixed, and every read is checked anyway. A prover
//! missing a block must regenerate it (r slow rounds on the chain's critical path, which the
//! deadline prices) or forge it, and a forged read is always rejected, however the forged value
//! was chosen (so steering later reads into kept blocks buys nothing).

use crate::encode::first_non_block;
use crate::merkle::Hash;
use crate::proof::{
    Commitment, Opening, Prover, VerifyError, check_leaf, position_place, verify_opening_path,
};
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

/// What a verifier asks of a timed challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedTerms {
    /// Challenge seed (the verifier's committed secret mixed with chain randomness).
    pub seed: Hash,
    /// Chained reads R.
    pub rounds: u32,
    /// Spot rounds s opened in phase 2.
    pub spots: u32,
}

/// Phase 1's answer: the chain's final state, signed by the device. All that is timed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimedCommit {
    /// State after the last read.
    pub final_state: Hash,
    /// Device signature over [`timed_message`].
    pub signature: Vec<u8>,
}

/// Phase 2's answer: the reads and the openings of the spot rounds the verifier's nonce chose.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimedReveal {
    /// The block read in each round.
    pub transcript: Vec<u128>,
    /// Openings of the spot rounds, in the order of [`spot_rounds`].
    pub openings: Vec<Opening>,
}

/// Final state of the chain over a transcript, and the positions it read.
pub fn replay(seed: &Hash, transcript: &[u128], total_blocks: u64) -> (Hash, Vec<u64>) {
    let mut s = *seed;
    let mut pos = Vec::with_capacity(transcript.len());
    for b in transcript {
        pos.push(position(&s, total_blocks));
        s = next_state(&s, *b);
    }
    (s, pos)
}

/// Rounds to open, from the verifier's `nonce` (fresh randomness drawn after the commit) and the
/// committed final state.
pub fn spot_rounds(nonce: &Hash, final_state: &Hash, rounds: usize, s: u32) -> Vec<usize> {
    (0..s)
        .map(|j| {
            let h: Hash = Sha256::new()
                .chain_update(b"loopin-pocps/spot")
                .chain_update(nonce)
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
        .chain_update(b"loopin-pocps/timed/v2")
        .chain_update(c.root)
        .chain_update(seed)
        .chain_update(final_state)
        .finalize()
        .into()
}

/// Phase 1 over any source of blocks: `rounds` chained reads of `read(position)` over
/// `total_blocks`; the transcript and the final state, or `None` as soon as `read` gives up
/// (a cancelled prover). Every prover and attacker model runs its chain through this.
pub fn chain(
    seed: &Hash,
    rounds: u32,
    total_blocks: u64,
    mut read: impl FnMut(u64) -> Option<u128>,
) -> Option<(Vec<u128>, Hash)> {
    let mut st = *seed;
    let mut tr = Vec::with_capacity(rounds as usize);
    for _ in 0..rounds {
        let b = read(position(&st, total_blocks))?;
        tr.push(b);
        st = next_state(&st, b);
    }
    Some((tr, st))
}

/// Leaves to open in phase 2: the leaf of each spot round the verifier's `nonce` picks, in order.
pub fn spot_leaves(
    seed: &Hash,
    transcript: &[u128],
    nonce: &Hash,
    s: u32,
    total_blocks: u64,
    blocks_per_leaf: u32,
) -> Vec<u64> {
    let (fin, pos) = replay(seed, transcript, total_blocks);
    spot_rounds(nonce, &fin, transcript.len(), s)
        .into_iter()
        .map(|r| pos[r] / blocks_per_leaf.max(1) as u64)
        .collect()
}

/// Honest prover, phase 1: run the chain; returns the transcript (kept for phase 2) and the
/// final state (signature left to the caller).
pub fn run_chain(p: &Prover, seed: &Hash, rounds: u32) -> (Vec<u128>, Hash) {
    chain(seed, rounds, p.blocks.len() as u64, |q| {
        p.blocks.get(q as usize).copied()
    })
    .unwrap_or_default()
}

/// Honest prover, phase 2: open the spot rounds the verifier's nonce picks.
pub fn open_spots(
    p: &Prover,
    seed: &Hash,
    transcript: &[u128],
    nonce: &Hash,
    s: u32,
) -> Vec<Opening> {
    let m = p.params.blocks_per_leaf;
    spot_leaves(seed, transcript, nonce, s, p.blocks.len() as u64, m)
        .into_iter()
        .map(|leaf| {
            let (a, b) = (leaf * m as u64, (leaf + 1) * m as u64);
            Opening {
                index: leaf,
                blocks: p.blocks[a as usize..b as usize].to_vec(),
                path: p.tree.path(leaf as usize),
            }
        })
        .collect()
}

/// Phase 1 checked alone: the device signed this final state for this seed. Checked first, so
/// every later failure is the device's (a judge must not blame it for data someone else forged).
pub fn verify_commit(
    c: &Commitment,
    seed: &Hash,
    commit: &TimedCommit,
    sig: &dyn SigVerifier,
) -> Result<(), VerifyError> {
    if !c.params.is_valid() {
        return Err(VerifyError::BadParams);
    }
    if !sig.verify(
        &timed_message(c, seed, &commit.final_state),
        &commit.signature,
        &c.pubkey,
    ) {
        return Err(VerifyError::BadSignature);
    }
    Ok(())
}

/// Verify a timed challenge: the signed commit, then the reveal for the verifier's `nonce`.
/// Cost: R SHA-256 and R·r fast steps for the reads, s leaf checks and paths for the openings.
pub fn verify_timed(
    c: &Commitment,
    terms: &TimedTerms,
    commit: &TimedCommit,
    nonce: &Hash,
    reveal: &TimedReveal,
    sig: &dyn SigVerifier,
) -> Result<(), VerifyError> {
    let TimedTerms {
        seed,
        rounds,
        spots: s,
    } = *terms;
    verify_commit(c, &seed, commit, sig)?;
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
    // Every read against the block at its position, decoded in batches: the first bad read.
    let reads = reveal.transcript.iter().zip(&pos).map(|(&b, &q)| {
        let (lane, i) = position_place(p, q);
        (b, lane, i)
    });
    if let Some(r) = first_non_block(c.ek, p.rounds, reads) {
        return Err(VerifyError::BadRead(r));
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
        check_leaf(c, o, j)?;
        if !verify_opening_path(c, o) {
            return Err(VerifyError::BadPath(j));
        }
    }
    Ok(())
}
