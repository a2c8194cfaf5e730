//! Proof types, the prover (storage openings, throughput batch) and verification.

use crate::challenge::indices;
use crate::encode::{Params, first_mismatch, first_non_block, is_block};
use crate::merkle::{Hash, Tree, leaf_hash, verify_path};
use crate::sig::SigVerifier;
use sha2::{Digest, Sha256};

/// Domain of [`Commitment::digest`]; `v2` is the encoding of independent blocks, so no
/// commitment to the chained encoding of before matches one today.
pub const COMMITMENT_DOMAIN: &[u8] = b"loopin-pocps/commitment/v2";

/// Public commitment made at stake time.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Commitment {
    /// Encoding parameters.
    pub params: Params,
    /// Merkle root of P.
    pub root: Hash,
    /// ek (public: derived from fingerprint, miner, pool and randomness).
    pub ek: u128,
    /// Device public key (SEC1).
    pub pubkey: Vec<u8>,
}

impl Commitment {
    /// Digest of the commitment (parameters, root, ek, device key), the 32-byte reference a stake
    /// certificate carries.
    pub fn digest(&self) -> Hash {
        let p = &self.params;
        let mut h = Sha256::new();
        h.update(COMMITMENT_DOMAIN);
        for v in [p.lanes, p.blocks_per_lane, p.rounds, p.blocks_per_leaf] {
            h.update(v.to_le_bytes());
        }
        h.update(self.root);
        h.update(self.ek.to_le_bytes());
        h.update((self.pubkey.len() as u64).to_le_bytes());
        h.update(&self.pubkey);
        h.finalize().into()
    }
}

/// One opened leaf.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Opening {
    /// Leaf index.
    pub index: u64,
    /// The leaf's blocks.
    pub blocks: Vec<u128>,
    /// Authentication path.
    pub path: Vec<Hash>,
}

/// Answer to one challenge round.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoundProof {
    /// Openings, one per challenged index, in order.
    pub openings: Vec<Opening>,
    /// Device signature over [`round_message`].
    pub signature: Vec<u8>,
}

/// Why a proof was rejected.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Parameters are unusable.
    #[error("invalid parameters")]
    BadParams,
    /// Wrong number of openings.
    #[error("expected {expected} openings, got {got}")]
    OpeningCount { expected: usize, got: usize },
    /// Opening at the wrong index.
    #[error("opening {0} at wrong index")]
    WrongIndex(usize),
    /// Leaf has the wrong size.
    #[error("opening {0} has the wrong number of blocks")]
    LeafSize(usize),
    /// A block of an opening is not the encoding of its input.
    #[error("opening {0}: a block is not the encoding of its position")]
    BadBlock(usize),
    /// The transcript does not replay to the final state the device signed.
    #[error("the transcript does not lead to the signed final state")]
    ChainMismatch,
    /// Read `0` of a timed chain is not the block at the position the chain read.
    #[error("read {0} of the chain is not the block at its position")]
    BadRead(usize),
    /// Merkle path does not lead to the root.
    #[error("opening {0}: bad Merkle path")]
    BadPath(usize),
    /// Signature invalid.
    #[error("bad signature")]
    BadSignature,
    /// Throughput output wrong or missing.
    #[error("throughput spot-check {0} failed")]
    Throughput(usize),
}

/// Message signed by the device: binds the commitment, the challenge seed and the openings.
pub fn round_message(c: &Commitment, seed: &Hash, openings: &[Opening]) -> Hash {
    let leaves: Vec<(u64, Hash)> = openings
        .iter()
        .map(|o| (o.index, leaf_hash(&o.blocks)))
        .collect();
    round_message_digests(c, seed, &leaves)
}

/// [`round_message`] from the openings' (index, leaf hash) pairs: what the signature covers,
/// without the leaves themselves.
pub fn round_message_digests(c: &Commitment, seed: &Hash, leaves: &[(u64, Hash)]) -> Hash {
    let mut h = Sha256::new();
    h.update(b"loopin-pocps/answer");
    h.update(c.root);
    h.update(seed);
    for (index, leaf) in leaves {
        h.update(index.to_le_bytes());
        h.update(leaf);
    }
    h.finalize().into()
}

/// The signed digest of a round: the device's signature over (index, leaf hash) of every
/// opening, checked signature first, then the count and the indices the seed selects. This is
/// what proves that the device answered this seed, at the cost of one signature check and no
/// leaf data.
pub fn verify_round_digests(
    c: &Commitment,
    seed: &Hash,
    k: u32,
    leaves: &[(u64, Hash)],
    signature: &[u8],
    sig: &dyn SigVerifier,
) -> Result<(), VerifyError> {
    if !c.params.is_valid() {
        return Err(VerifyError::BadParams);
    }
    if !sig.verify(
        &round_message_digests(c, seed, leaves),
        signature,
        &c.pubkey,
    ) {
        return Err(VerifyError::BadSignature);
    }
    let idx = indices(seed, k, c.params.leaves());
    if leaves.len() != idx.len() {
        return Err(VerifyError::OpeningCount {
            expected: idx.len(),
            got: leaves.len(),
        });
    }
    for (j, ((index, _), &i)) in leaves.iter().zip(&idx).enumerate() {
        if *index != i {
            return Err(VerifyError::WrongIndex(j));
        }
    }
    Ok(())
}

/// Lane and index in its lane of block `n` of leaf `leaf`.
pub fn block_place(p: &Params, leaf: u64, n: usize) -> (u32, u32) {
    let per_lane = (p.blocks_per_lane / p.blocks_per_leaf) as u64;
    let lane = (leaf / per_lane) as u32;
    let i = ((leaf % per_lane) as u32) * p.blocks_per_leaf + n as u32;
    (lane, i)
}

/// Lane and index in its lane of the block at global position `pos` (lane-major).
pub fn position_place(p: &Params, pos: u64) -> (u32, u32) {
    let bpl = p.blocks_per_lane as u64;
    ((pos / bpl) as u32, (pos % bpl) as u32)
}

/// Whether block `n` of an opening is the encoding of its own input (`r` fast steps; blocks are
/// independent, so every block of a leaf is checked, the first one too). `false` for a block out
/// of range or not a field element.
pub fn check_block(c: &Commitment, o: &Opening, n: usize) -> bool {
    let Some(&b) = o.blocks.get(n) else {
        return false;
    };
    let (lane, i) = block_place(&c.params, o.index, n);
    is_block(c.ek, lane, i, b, c.params.rounds)
}

/// The first block of an opening that is not the encoding of its own input (a value ≥ p
/// included), or `None` when every block is: the first `n` with `!check_block(c, o, n)`, with the
/// leaf's blocks decoded together (`encode::first_non_block`, chains interleaved).
pub fn first_bad_block(c: &Commitment, o: &Opening) -> Option<usize> {
    let places = o.blocks.iter().enumerate().map(|(n, &b)| {
        let (lane, i) = block_place(&c.params, o.index, n);
        (b, lane, i)
    });
    first_non_block(c.ek, c.params.rounds, places)
}

/// Hash of an answer, folded into the next round's seed.
pub fn answer_hash(p: &RoundProof) -> Hash {
    let mut h = Sha256::new();
    for o in &p.openings {
        h.update(leaf_hash(&o.blocks));
    }
    h.update(&p.signature);
    h.finalize().into()
}

/// Prover state: P and its tree.
pub struct Prover {
    /// Blocks lane-major.
    pub blocks: Vec<u128>,
    /// Merkle tree over leaves.
    pub tree: Tree,
    /// Parameters.
    pub params: Params,
}

impl Prover {
    /// Build from encoded blocks.
    pub fn new(blocks: Vec<u128>, params: Params) -> Prover {
        let tree = Tree::new(
            blocks
                .chunks(params.blocks_per_leaf as usize)
                .map(leaf_hash)
                .collect(),
        );
        Prover {
            blocks,
            tree,
            params,
        }
    }
    /// Openings for a round seed (signature left for the caller).
    pub fn open(&self, seed: &Hash, k: u32) -> Vec<Opening> {
        let m = self.params.blocks_per_leaf as usize;
        indices(seed, k, self.params.leaves())
            .into_iter()
            .map(|i| Opening {
                index: i,
                blocks: self.blocks[i as usize * m..(i as usize + 1) * m].to_vec(),
                path: self.tree.path(i as usize),
            })
            .collect()
    }
}

/// Verify one leaf: every block decodes to its own input (the leaf's blocks decoded together,
/// [`first_bad_block`]).
pub(crate) fn check_leaf(c: &Commitment, o: &Opening, j: usize) -> Result<(), VerifyError> {
    match first_bad_block(c, o) {
        Some(_) => Err(VerifyError::BadBlock(j)),
        None => Ok(()),
    }
}

/// Verify one challenge round (fast direction plus hashing): the entry point a contract calls.
pub fn verify_round(
    c: &Commitment,
    seed: &Hash,
    k: u32,
    proof: &RoundProof,
    sig: &dyn SigVerifier,
) -> Result<(), VerifyError> {
    if !c.params.is_valid() {
        return Err(VerifyError::BadParams);
    }
    let idx = indices(seed, k, c.params.leaves());
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
        check_leaf(c, o, j)?;
        if !verify_path(&c.root, leaf_hash(&o.blocks), i, &o.path) {
            return Err(VerifyError::BadPath(j));
        }
    }
    let msg = round_message(c, seed, &proof.openings);
    if !sig.verify(&msg, &proof.signature, &c.pubkey) {
        return Err(VerifyError::BadSignature);
    }
    Ok(())
}

/// The part of one round the device's signature covers, checked **signature first**, so that any
/// later failure is attributable to the device (a judge such as the registry contract must not
/// blame a device for data someone else forged): the number of openings, their indices and leaf
/// sizes, and the block chain of the openings listed in `decode` (every opening when `None`).
/// Merkle paths are not signed; check them with [`verify_opening_path`].
///
/// With `decode: None` followed by [`verify_opening_path`] on every opening, this accepts exactly
/// what [`verify_round`] accepts; only the order of the checks differs.
pub fn verify_round_signed(
    c: &Commitment,
    seed: &Hash,
    k: u32,
    proof: &RoundProof,
    decode: Option<&[usize]>,
    sig: &dyn SigVerifier,
) -> Result<(), VerifyError> {
    if !c.params.is_valid() {
        return Err(VerifyError::BadParams);
    }
    let msg = round_message(c, seed, &proof.openings);
    if !sig.verify(&msg, &proof.signature, &c.pubkey) {
        return Err(VerifyError::BadSignature);
    }
    let idx = indices(seed, k, c.params.leaves());
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
    }
    match decode {
        None => {
            for (j, o) in proof.openings.iter().enumerate() {
                check_leaf(c, o, j)?;
            }
        }
        Some(list) => {
            for &j in list {
                if let Some(o) = proof.openings.get(j) {
                    check_leaf(c, o, j)?;
                }
            }
        }
    }
    Ok(())
}

/// Whether an opening's authentication path has the tree's depth and leads to the root.
pub fn verify_opening_path(c: &Commitment, o: &Opening) -> bool {
    o.path.len() == c.params.depth() && verify_path(&c.root, leaf_hash(&o.blocks), o.index, &o.path)
}

/// Inputs of the throughput batch: x_j = H(seed, root, j) as a field element.
pub fn throughput_input(seed: &Hash, root: &Hash, j: u64) -> u128 {
    let h: Hash = Sha256::new()
        .chain_update(b"loopin-pocps/tp")
        .chain_update(seed)
        .chain_update(root)
        .chain_update(j.to_le_bytes())
        .finalize()
        .into();
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    u128::from_le_bytes(b) & ((1u128 << 126) - 1)
}

/// Output of throughput input `j`: `rounds` slow Sloth rounds (GPU side).
pub fn throughput_output(seed: &Hash, root: &Hash, j: u64, rounds: u32) -> u128 {
    crate::encode::encode_block(throughput_input(seed, root, j), rounds)
}

/// Check spot indices `(j, y_j, path)` of a throughput batch committed by `batch_root`
/// (indices chosen by the verifier after it received `batch_root`).
pub fn verify_throughput(
    seed: &Hash,
    rounds: u32,
    root: &Hash,
    batch_root: &Hash,
    spots: &[(u64, u128, Vec<Hash>)],
) -> Result<(), VerifyError> {
    // The spots' outputs decoded together; a value outside the field is no output (and never
    // reaches the field's arithmetic). The first spot failing either check is reported.
    let pairs = spots
        .iter()
        .map(|(j, y, _)| (*y, throughput_input(seed, root, *j)));
    let bad_output = first_mismatch(rounds, pairs);
    for (n, (j, y, path)) in spots.iter().enumerate() {
        if bad_output == Some(n) || !verify_path(batch_root, leaf_hash(&[*y]), *j, path) {
            return Err(VerifyError::Throughput(n));
        }
    }
    Ok(())
}
