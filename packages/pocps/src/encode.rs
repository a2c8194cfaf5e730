//! Setup: ek derivation, the Sloth encoding P = PoW(ek) of independent blocks, and recovery of ek
//! from P.

use crate::field::{P as PRIME, sloth_fast, sloth_fast_n, sloth_slow_n};
use sha2::{Digest, Sha256};

/// Most lanes a commitment may have.
pub const MAX_LANES: u32 = 1 << 24;
/// Most Sloth rounds per block: bounds the fast-direction work of checking one block.
pub const MAX_ROUNDS: u32 = 4096;
/// Most blocks in one Merkle leaf (4 KiB): bounds the work of checking one opening.
pub const MAX_BLOCKS_PER_LEAF: u32 = 256;
/// Most leaves in a tree (2^40): bounds the authentication path at 40 hashes.
pub const MAX_LEAVES: u64 = 1 << 40;

/// Encoding parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    /// Independent chains of blocks.
    pub lanes: u32,
    /// Blocks per lane.
    pub blocks_per_lane: u32,
    /// Sloth rounds per block.
    pub rounds: u32,
    /// Blocks bundled in one Merkle leaf (16 bytes each).
    pub blocks_per_leaf: u32,
}

impl Params {
    /// Small parameters for CI.
    pub const TEST: Params = Params {
        lanes: 4,
        blocks_per_lane: 256,
        rounds: 4,
        blocks_per_leaf: 64,
    };
    /// Number of leaves in the tree.
    pub fn leaves(&self) -> u64 {
        self.lanes as u64 * (self.blocks_per_lane / self.blocks_per_leaf) as u64
    }
    /// Parameters are usable, and within the caps that keep checking one opening bounded
    /// (at most [`MAX_BLOCKS_PER_LEAF`] × [`MAX_ROUNDS`] fast steps and a path of
    /// log2([`MAX_LEAVES`]) hashes), so absurd parameters cannot make verification unbounded.
    pub fn is_valid(&self) -> bool {
        self.lanes > 0
            && self.lanes <= MAX_LANES
            && self.rounds > 0
            && self.rounds <= MAX_ROUNDS
            && self.blocks_per_leaf > 0
            && self.blocks_per_leaf <= MAX_BLOCKS_PER_LEAF
            && self.blocks_per_lane >= self.blocks_per_leaf
            && self.blocks_per_lane.is_multiple_of(self.blocks_per_leaf)
            && self.leaves() <= MAX_LEAVES
    }
    /// Depth of the Merkle tree (length of every authentication path).
    pub fn depth(&self) -> usize {
        self.leaves().max(1).next_power_of_two().trailing_zeros() as usize
    }
}

fn to_field(h: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    u128::from_le_bytes(b) & ((1u128 << 126) - 1)
}

/// ek = H(fingerprint, miner, pool, randomness), as a field element.
pub fn derive_ek(fingerprint: &[u8], miner: &str, pool: &str, randomness: &[u8]) -> u128 {
    let mut h = Sha256::new();
    for part in [fingerprint, miner.as_bytes(), pool.as_bytes(), randomness] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    to_field(&h.finalize())
}

/// Version of the encoding: 2 is independent blocks (`block_input`); 1 was blocks chained along
/// lanes, whose blocks today's checks do not judge.
pub const ENCODING_VERSION: u32 = 2;

/// Input of block `i` of `lane`: ek plus the block's position (lane·2^64 + i + 1), mod p.
///
/// Blocks are independent: block (lane, i) = Sloth_slow^r(input(lane, i)), with no predecessor.
/// So one block is checked on its own by `r` fast steps (`decode_block(b) == block_input(..)`),
/// with no opening and no neighbour: a verifier checks **every** read of a timed chain, and a
/// forged read (any value but the one block the position allows) is always caught. ek in every
/// input stops two identities sharing blocks: a shift of one identity's P onto another's needs
/// ek' − ek to be one of the ~2^34 differences of positions, a 2^-92 chance per ek tried.
pub fn block_input(ek: u128, lane: u32, i: u32) -> u128 {
    let pos = ((lane as u128) << 64) | (i as u128 + 1);
    let s = ek + pos;
    if s >= PRIME { s - PRIME } else { s }
}

/// Whether `block` is block `i` of `lane` for this ek (r fast steps).
pub fn is_block(ek: u128, lane: u32, i: u32, block: u128, rounds: u32) -> bool {
    block < PRIME && decode_block(block, rounds) == block_input(ek, lane, i)
}

/// Slow: `rounds` Sloth rounds (one chain; [`encode_blocks`] interleaves several blocks).
pub fn encode_block(input: u128, rounds: u32) -> u128 {
    (0..rounds).fold(input, |x, _| sloth_slow_n([x])[0])
}

/// Fast: inverse of [`encode_block`].
pub fn decode_block(block: u128, rounds: u32) -> u128 {
    (0..rounds).fold(block, |x, _| sloth_fast(x))
}

/// Blocks the CPU encoder computes side by side on one core: their `rounds`-long chains of slow
/// rounds run interleaved (`field::sloth_slow_n`). Chosen by measurement among 2, 4, 6 and 8
/// (docs/pocps.md): 6 was the fastest, 2–6 % ahead of 4 and 1–5 % ahead of 8; 2 leaves the
/// multiplier idle a third of the time.
pub const INTERLEAVE: usize = 6;

/// Blocks in one task of [`CpuEncoder`]: a multiple of [`INTERLEAVE`], small enough to share a
/// few lanes among many threads, large enough that a task costs far more than its scheduling.
pub const TASK_BLOCKS: usize = 64 * INTERLEAVE;

/// Applies `step` `rounds` times to every value of `values`, `N` values at a time (the last,
/// partial group padded with zeros that are dropped).
#[inline]
fn rounds_n<const N: usize>(
    values: &mut [u128],
    rounds: u32,
    step: impl Fn([u128; N]) -> [u128; N],
) {
    for group in values.chunks_mut(N) {
        let mut xs = [0u128; N];
        xs[..group.len()].copy_from_slice(group);
        for _ in 0..rounds {
            xs = step(xs);
        }
        group.copy_from_slice(&xs[..group.len()]);
    }
}

/// Encodes blocks `first`, `first + 1`, … of `lane` into `out` (`out.len()` of them), `N` at a
/// time with their chains interleaved; equal to `encode_block(block_input(..), rounds)` for each.
/// Block indices past `u32::MAX` wrap (no parameters reach them: `Params::is_valid`).
pub fn encode_blocks_n<const N: usize>(
    ek: u128,
    lane: u32,
    first: u32,
    rounds: u32,
    out: &mut [u128],
) {
    for (k, x) in out.iter_mut().enumerate() {
        *x = block_input(ek, lane, first.wrapping_add(k as u32));
    }
    rounds_n::<N>(out, rounds, sloth_slow_n);
}

/// [`encode_blocks_n`] at the measured width [`INTERLEAVE`].
pub fn encode_blocks(ek: u128, lane: u32, first: u32, rounds: u32, out: &mut [u128]) {
    encode_blocks_n::<INTERLEAVE>(ek, lane, first, rounds, out);
}

/// Decodes every block of `blocks` in place (`rounds` fast steps each, four chains interleaved):
/// `decode_block` of each, for a verifier checking many blocks at once (a leaf, a transcript).
/// A value ≥ p is read mod p: check `block < p` first, as [`is_block`] does.
pub fn decode_blocks(blocks: &mut [u128], rounds: u32) {
    rounds_n::<4>(blocks, rounds, sloth_fast_n);
}

/// Blocks [`first_mismatch`] decodes together: a production leaf (64 blocks) in one batch, and a
/// bounded buffer (3 KiB on the stack) however many blocks a verifier checks.
pub const CHECK_BATCH: usize = 64;

/// The index of the first pair `(block, input)` for which `block ≥ p` or
/// `decode_block(block, rounds) != input`; `None` when every block decodes to its input.
///
/// The same answer as checking the pairs one after the other, but the blocks are decoded
/// [`CHECK_BATCH`] at a time by [`decode_blocks`] (chains interleaved). A value ≥ p is refused
/// as [`is_block`] refuses it, and never reaches the field arithmetic (0 is decoded in its
/// place). Stops after the first batch holding a mismatch.
pub fn first_mismatch(rounds: u32, pairs: impl IntoIterator<Item = (u128, u128)>) -> Option<usize> {
    let mut pairs = pairs.into_iter();
    let mut done = 0usize;
    loop {
        let mut decoded = [0u128; CHECK_BATCH];
        let mut want = [None::<u128>; CHECK_BATCH];
        let mut n = 0;
        for (block, input) in pairs.by_ref().take(CHECK_BATCH) {
            if block < PRIME {
                decoded[n] = block;
                want[n] = Some(input);
            }
            n += 1;
        }
        if n == 0 {
            return None;
        }
        decode_blocks(&mut decoded[..n], rounds);
        let bad = decoded[..n]
            .iter()
            .zip(&want[..n])
            .position(|(d, w)| *w != Some(*d));
        if let Some(k) = bad {
            return Some(done + k);
        }
        done += n;
    }
}

/// The index of the first `(block, lane, i)` whose block is not block `i` of `lane` for this ek;
/// `None` when all are. Equal to the first `k` with `!is_block(ek, lane, i, block, rounds)`,
/// checked in batches ([`first_mismatch`]).
pub fn first_non_block(
    ek: u128,
    rounds: u32,
    blocks: impl IntoIterator<Item = (u128, u32, u32)>,
) -> Option<usize> {
    let pairs = blocks
        .into_iter()
        .map(|(block, lane, i)| (block, block_input(ek, lane, i)));
    first_mismatch(rounds, pairs)
}

/// Recover ek from P (the first block of lane 0) by the fast direction: its input is ek + 1.
pub fn recover_ek(first_block: u128, rounds: u32) -> u128 {
    (decode_block(first_block, rounds) + PRIME - 1) % PRIME
}

/// An encoding backend.
pub trait Encoder {
    /// Encode all lanes; returns blocks lane-major.
    fn encode(&self, ek: u128, params: &Params) -> Vec<u128>;
}

/// Encode one lane (on the calling thread, [`INTERLEAVE`] blocks at a time).
pub fn encode_lane(ek: u128, lane: u32, params: &Params) -> Vec<u128> {
    let mut out = vec![0u128; params.blocks_per_lane as usize];
    encode_blocks(ek, lane, 0, params.rounds, &mut out);
    out
}

/// Multi-threaded CPU backend: rayon tasks of [`TASK_BLOCKS`] consecutive blocks of a lane, each
/// encoding [`INTERLEAVE`] blocks at a time ([`encode_blocks`]).
#[cfg(feature = "prover")]
pub struct CpuEncoder;

#[cfg(feature = "prover")]
impl Encoder for CpuEncoder {
    fn encode(&self, ek: u128, params: &Params) -> Vec<u128> {
        use rayon::prelude::*;
        let per_lane = params.blocks_per_lane as usize;
        if per_lane == 0 {
            return Vec::new();
        }
        let mut out = vec![0u128; (params.lanes as usize).saturating_mul(per_lane)];
        out.par_chunks_mut(per_lane)
            .enumerate()
            .for_each(|(lane, blocks)| {
                blocks
                    .par_chunks_mut(TASK_BLOCKS)
                    .enumerate()
                    .for_each(|(k, part)| {
                        let first = (k * TASK_BLOCKS) as u32;
                        encode_blocks(ek, lane as u32, first, params.rounds, part);
                    })
            });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::sloth_slow;

    /// The encoding of one block by the reference `sloth_slow`, one round after the other.
    fn reference_block(ek: u128, lane: u32, i: u32, rounds: u32) -> u128 {
        (0..rounds).fold(block_input(ek, lane, i), |x, _| sloth_slow(x))
    }

    fn check_blocks_n<const N: usize>(ek: u128) {
        // 37 blocks from block 5: groups of N and a remainder for every N tried.
        let (lane, first, rounds) = (3, 5, 3);
        let mut out = vec![0u128; 37];
        encode_blocks_n::<N>(ek, lane, first, rounds, &mut out);
        for (k, &b) in out.iter().enumerate() {
            let i = first + k as u32;
            assert_eq!(b, reference_block(ek, lane, i, rounds), "N={N} i={i}");
            assert_eq!(
                b,
                encode_block(block_input(ek, lane, i), rounds),
                "N={N} i={i}"
            );
        }
        let mut decoded = out.clone();
        decode_blocks(&mut decoded, rounds);
        for (k, (&b, &d)) in out.iter().zip(&decoded).enumerate() {
            assert_eq!(d, decode_block(b, rounds));
            assert!(is_block(ek, lane, first + k as u32, b, rounds));
        }
    }

    #[test]
    fn interleaved_encoding_matches_reference() {
        for ek in [0, 1, PRIME - 1, PRIME - 2, derive_ek(b"fp", "m", "p", b"r")] {
            check_blocks_n::<1>(ek);
            check_blocks_n::<2>(ek);
            check_blocks_n::<3>(ek);
            check_blocks_n::<4>(ek);
            check_blocks_n::<6>(ek);
            check_blocks_n::<8>(ek);
        }
    }

    #[cfg(feature = "prover")]
    #[test]
    fn cpu_encoder_matches_reference() {
        let ek = derive_ek(b"fp", "m", "p", b"cpu");
        // Lanes not a multiple of a task, nor of INTERLEAVE: partial tasks and groups.
        let params = Params {
            lanes: 3,
            blocks_per_lane: TASK_BLOCKS as u32 + 10,
            rounds: 2,
            blocks_per_leaf: 1,
        };
        let blocks = CpuEncoder.encode(ek, &params);
        assert_eq!(blocks.len(), 3 * (TASK_BLOCKS + 10));
        for (n, &b) in blocks.iter().enumerate() {
            let (lane, i) = (
                (n / (TASK_BLOCKS + 10)) as u32,
                (n % (TASK_BLOCKS + 10)) as u32,
            );
            assert_eq!(
                b,
                reference_block(ek, lane, i, params.rounds),
                "lane {lane} block {i}"
            );
        }
        assert_eq!(
            &blocks[..TASK_BLOCKS + 10],
            &encode_lane(ek, 0, &params)[..]
        );
        let empty = Params {
            blocks_per_lane: 0,
            ..params
        };
        assert!(CpuEncoder.encode(ek, &empty).is_empty());
    }

    #[test]
    fn params_caps_bound_verification() {
        assert!(Params::TEST.is_valid());
        let production = Params {
            lanes: 1 << 17,
            blocks_per_lane: 1 << 15,
            rounds: 1000,
            blocks_per_leaf: 64,
        };
        assert!(production.is_valid());
        assert_eq!(production.depth(), 26);
        assert_eq!(Params::TEST.depth(), 4);
        let over = [
            Params {
                rounds: MAX_ROUNDS + 1,
                ..production
            },
            Params {
                rounds: u32::MAX,
                ..production
            },
            Params {
                blocks_per_leaf: 512,
                blocks_per_lane: 1 << 15,
                ..production
            },
            Params {
                lanes: MAX_LANES + 1,
                ..production
            },
            Params {
                lanes: MAX_LANES,
                blocks_per_lane: 1 << 31,
                blocks_per_leaf: 1,
                ..production
            },
            Params {
                lanes: 0,
                ..production
            },
            Params {
                rounds: 0,
                ..production
            },
            Params {
                blocks_per_leaf: 0,
                ..production
            },
            Params {
                blocks_per_lane: 100,
                blocks_per_leaf: 64,
                ..production
            },
        ];
        for p in over {
            assert!(!p.is_valid(), "{p:?}");
        }
        // At the caps: still valid.
        assert!(
            Params {
                rounds: MAX_ROUNDS,
                blocks_per_leaf: MAX_BLOCKS_PER_LEAF,
                ..production
            }
            .is_valid()
        );
        assert!(
            Params {
                lanes: 1 << 16,
                blocks_per_lane: 1 << 24,
                blocks_per_leaf: 1,
                ..production
            }
            .is_valid()
        );
    }
}
