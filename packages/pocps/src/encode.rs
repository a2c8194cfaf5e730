//! Setup: ek derivation, the Sloth encoding P = PoW(ek) of independent blocks, and recovery of ek
//! from P.

use crate::field::{P as PRIME, sloth_fast, sloth_slow};
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

/// Slow: `rounds` Sloth rounds.
pub fn encode_block(input: u128, rounds: u32) -> u128 {
    (0..rounds).fold(input, |x, _| sloth_slow(x))
}

/// Fast: inverse of [`encode_block`].
pub fn decode_block(block: u128, rounds: u32) -> u128 {
    (0..rounds).fold(block, |x, _| sloth_fast(x))
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

/// Encode one lane.
pub fn encode_lane(ek: u128, lane: u32, params: &Params) -> Vec<u128> {
    (0..params.blocks_per_lane)
        .map(|i| encode_block(block_input(ek, lane, i), params.rounds))
        .collect()
}

/// Multi-threaded CPU backend (one rayon task per lane).
#[cfg(feature = "prover")]
pub struct CpuEncoder;

#[cfg(feature = "prover")]
impl Encoder for CpuEncoder {
    fn encode(&self, ek: u128, params: &Params) -> Vec<u128> {
        use rayon::prelude::*;
        (0..params.lanes)
            .into_par_iter()
            .flat_map_iter(|l| encode_lane(ek, l, params))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
