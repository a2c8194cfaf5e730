//! Challenge derivation: verifier's secret (committed earlier) mixed with chain randomness, chained rounds.

use crate::merkle::Hash;
use sha2::{Digest, Sha256};

/// Commitment to the verifier's secret, published before the chain randomness.
pub fn commit_secret(secret: &[u8; 32]) -> Hash {
    Sha256::new()
        .chain_update(b"loopin-pocps/secret")
        .chain_update(secret)
        .finalize()
        .into()
}

/// Seed of round `round`; `prev` is the hash of the previous round's answer (zeros for round 0).
pub fn round_seed(secret: &[u8; 32], randomness: &[u8], round: u32, prev: &Hash) -> Hash {
    Sha256::new()
        .chain_update(b"loopin-pocps/round")
        .chain_update(secret)
        .chain_update((randomness.len() as u64).to_le_bytes())
        .chain_update(randomness)
        .chain_update(round.to_le_bytes())
        .chain_update(prev)
        .finalize()
        .into()
}

/// `k` leaf indices in [0, leaves) from a seed.
pub fn indices(seed: &Hash, k: u32, leaves: u64) -> Vec<u64> {
    (0..k)
        .map(|j| {
            let h: Hash = Sha256::new()
                .chain_update(seed)
                .chain_update(j.to_le_bytes())
                .finalize()
                .into();
            let mut b = [0u8; 8];
            b.copy_from_slice(&h[..8]);
            u64::from_le_bytes(b) % leaves.max(1)
        })
        .collect()
}
