//! Conversions from the message types to `loopin_pocps`'s, the host signature verifier, and the
//! challenge seed.

use cosmwasm_std::{Api, HexBinary};
use loopin::registry::{
    CommitmentMsg, MAX_OPENINGS_PER_ROUND, OpeningMsg, PocpsParams, SignedAnswer,
};
use loopin_pocps::challenge::round_seed;
use loopin_pocps::encode::{MAX_BLOCKS_PER_LEAF, Params};
use loopin_pocps::merkle::Hash;
use loopin_pocps::proof::{Commitment, Opening};
use loopin_pocps::sig::SigVerifier;
use sha2::{Digest, Sha256};

use crate::error::ContractError;

/// Longest authentication path accepted in a message (the caps allow 40).
const MAX_PATH: usize = 64;

/// secp256k1 through the host's `secp256k1_verify` (the VM's native implementation).
pub struct HostVerifier<'a>(pub &'a dyn Api);

impl SigVerifier for HostVerifier<'_> {
    fn verify(&self, msg_hash: &[u8; 32], sig: &[u8], pubkey: &[u8]) -> bool {
        self.0
            .secp256k1_verify(msg_hash, sig, pubkey)
            .unwrap_or(false)
    }
}

pub fn params(p: &PocpsParams) -> Params {
    Params {
        lanes: p.lanes,
        blocks_per_lane: p.blocks_per_lane,
        rounds: p.rounds,
        blocks_per_leaf: p.blocks_per_leaf,
    }
}

/// A 32-byte field.
pub fn hash32(field: &str, bytes: &[u8]) -> Result<Hash, ContractError> {
    bytes.try_into().map_err(|_| ContractError::BadLength {
        field: field.to_string(),
        expected: 32,
    })
}

pub fn commitment(c: &CommitmentMsg) -> Result<Commitment, ContractError> {
    Ok(Commitment {
        params: params(&c.params),
        root: hash32("root", &c.root)?,
        ek: c.ek.u128(),
        pubkey: c.pubkey.to_vec(),
    })
}

fn malformed(reason: &str) -> ContractError {
    ContractError::MalformedAnswer {
        reason: reason.to_string(),
    }
}

/// (index, leaf hash) of every opening of a signed answer.
pub type SignedLeaves = Vec<(u64, Hash)>;

/// The (index, leaf hash) pairs and signature of a signed answer, bounded in size.
pub fn signed(a: &SignedAnswer) -> Result<(SignedLeaves, Vec<u8>), ContractError> {
    if a.leaves.len() > MAX_OPENINGS_PER_ROUND as usize {
        return Err(malformed("too many openings"));
    }
    let leaves = a
        .leaves
        .iter()
        .map(|l| Ok((l.index, hash32("leaf_hash", &l.leaf_hash)?)))
        .collect::<Result<_, ContractError>>()?;
    Ok((leaves, a.signature.to_vec()))
}

/// A full opening from its message: 16-byte blocks and 32-byte path hashes.
pub fn opening(o: &OpeningMsg) -> Result<Opening, ContractError> {
    if !o.blocks.len().is_multiple_of(16) || o.blocks.len() > 16 * MAX_BLOCKS_PER_LEAF as usize {
        return Err(malformed("blocks must be 16 bytes each, at most 256"));
    }
    if !o.path.len().is_multiple_of(32) || o.path.len() > 32 * MAX_PATH {
        return Err(malformed("path hashes must be 32 bytes each"));
    }
    Ok(Opening {
        index: o.index,
        blocks: o
            .blocks
            .chunks_exact(16)
            .map(|c| u128::from_le_bytes(c.try_into().unwrap_or([0u8; 16])))
            .collect(),
        path: o
            .path
            .chunks_exact(32)
            .map(|c| c.try_into().unwrap_or([0u8; 32]))
            .collect(),
    })
}

/// Randomness of a challenge: the beacon value bound to the challenge id, so no two challenges
/// share a seed.
pub fn challenge_randomness(beacon: &Hash, challenge_id: u64) -> Hash {
    Sha256::new()
        .chain_update(b"loopin-registry/challenge")
        .chain_update(beacon)
        .chain_update(challenge_id.to_be_bytes())
        .finalize()
        .into()
}

/// The seed of try `attempt` of the challenge: `round_seed(secret, randomness, attempt, 0)`.
pub fn seed(secret: &Hash, randomness: &Hash, attempt: u32) -> Hash {
    round_seed(secret, randomness, attempt, &[0u8; 32])
}

/// Draw `attempt` over `count` slots.
pub fn draw(randomness: &Hash, attempt: u32, count: u64) -> u64 {
    let h: Hash = Sha256::new()
        .chain_update(b"loopin-registry/draw")
        .chain_update(randomness)
        .chain_update(attempt.to_be_bytes())
        .finalize()
        .into();
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    u64::from_be_bytes(b) % count.max(1)
}

/// The slots an assignment looks at among `count` devices: a walk from the first draw with a
/// stride coprime to `count`, so the first `count` attempts see every slot once (an assignment
/// comparing several devices compares distinct ones). Attempt 0 is [`draw`]'s slot.
pub struct Walk {
    start: u64,
    stride: u64,
    count: u64,
}

impl Walk {
    pub fn new(randomness: &Hash, count: u64) -> Walk {
        let count = count.max(1);
        let start = draw(randomness, 0, count);
        let mut stride = 1;
        if count > 1 {
            stride += draw(randomness, u32::MAX, count - 1);
            while gcd(stride, count) != 1 {
                stride += 1;
            }
        }
        Walk {
            start,
            stride,
            count,
        }
    }

    pub fn slot(&self, attempt: u32) -> u64 {
        let offset = u128::from(attempt) * u128::from(self.stride) % u128::from(self.count);
        (self.start + offset as u64) % self.count
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Value of a beacon round's first contribution: the previous value chained with the round.
pub fn round_start(previous: &Hash, round: u64) -> Hash {
    Sha256::new()
        .chain_update(b"loopin-registry/beacon")
        .chain_update(previous)
        .chain_update(round.to_be_bytes())
        .finalize()
        .into()
}

/// A contribution mixed into a round's value.
pub fn mix(value: &Hash, contributor: &str, secret: &Hash) -> Hash {
    Sha256::new()
        .chain_update(value)
        .chain_update((contributor.len() as u64).to_be_bytes())
        .chain_update(contributor.as_bytes())
        .chain_update(secret)
        .finalize()
        .into()
}

pub fn hex(bytes: &[u8]) -> HexBinary {
    HexBinary::from(bytes)
}

#[cfg(test)]
mod tests {
    use super::Walk;

    #[test]
    fn a_walk_sees_every_slot_once_in_its_first_count_attempts() {
        for count in 1..=64u64 {
            for seed in 0..8u8 {
                let randomness = [seed; 32];
                let walk = Walk::new(&randomness, count);
                let mut seen: Vec<u64> = (0..count as u32).map(|a| walk.slot(a)).collect();
                seen.sort_unstable();
                assert_eq!(seen, (0..count).collect::<Vec<_>>(), "count {count}");
            }
        }
    }
}
