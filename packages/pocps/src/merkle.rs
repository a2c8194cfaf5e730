//! SHA-256 Merkle tree over leaves of bundled blocks.

use sha2::{Digest, Sha256};

/// A 32-byte digest.
pub type Hash = [u8; 32];

/// Hash of one leaf (its blocks, little-endian), domain-separated from inner nodes.
pub fn leaf_hash(blocks: &[u128]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    for b in blocks {
        h.update(b.to_le_bytes());
    }
    h.finalize().into()
}

/// Hash of an inner node.
pub fn node_hash(l: &Hash, r: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

/// A full tree (levels from leaves to root); leaves padded to a power of two with zero digests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// Build from leaf digests (non-empty). Large levels are hashed on all cores with the
    /// `prover` feature: a GEMM challenge's tree of 2^21 rows is built inside its deadline.
    pub fn new(mut leaves: Vec<Hash>) -> Tree {
        let n = leaves.len().max(1).next_power_of_two();
        leaves.resize(n, [0u8; 32]);
        let mut levels = vec![leaves];
        while levels.last().map_or(0, Vec::len) > 1 {
            let prev = levels.last().expect("non-empty");
            let pair = |c: &[Hash]| node_hash(&c[0], &c[1]);
            #[cfg(feature = "prover")]
            let next = if prev.len() >= 1 << 12 {
                use rayon::prelude::*;
                prev.par_chunks(2).map(pair).collect()
            } else {
                prev.chunks(2).map(pair).collect()
            };
            #[cfg(not(feature = "prover"))]
            let next = prev.chunks(2).map(pair).collect();
            levels.push(next);
        }
        Tree { levels }
    }
    /// The root.
    pub fn root(&self) -> Hash {
        self.levels.last().expect("non-empty")[0]
    }
    /// Authentication path of leaf `i` (siblings, bottom up).
    pub fn path(&self, mut i: usize) -> Vec<Hash> {
        let mut p = Vec::new();
        for lvl in &self.levels[..self.levels.len() - 1] {
            p.push(lvl[i ^ 1]);
            i >>= 1;
        }
        p
    }
}

/// Check that `leaf` sits at index `i` under `root`.
pub fn verify_path(root: &Hash, leaf: Hash, mut i: u64, path: &[Hash]) -> bool {
    let mut acc = leaf;
    for s in path {
        acc = if i & 1 == 0 {
            node_hash(&acc, s)
        } else {
            node_hash(s, &acc)
        };
        i >>= 1;
    }
    i == 0 && acc == *root
}
