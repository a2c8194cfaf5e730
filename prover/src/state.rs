//! The prover's proving state: where blocks come from, the Merkle tree, the commitment and the device
//! key, and the proofs built from them.

use crate::backend::Cancelled;
use k256::ecdsa::SigningKey;
use loopin_pocps::challenge::indices;
use loopin_pocps::encode::{Params, block_input, encode_block};
use loopin_pocps::merkle::{Hash, Tree};
use loopin_pocps::proof::{Commitment, Opening, RoundProof, round_message};
use loopin_pocps::sig::k256_sign;
use loopin_pocps::timed::{TimedCommit, chain, spot_leaves, timed_message};
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Where the prover reads blocks of P from.
pub trait BlockSource: Send + Sync {
    /// Short name for logs and Info.
    fn name(&self) -> &'static str;
    /// Block at global position `pos` (< lanes · blocks_per_lane).
    fn block(&self, pos: u64) -> u128;
    /// Number of blocks.
    fn len(&self) -> u64;
    /// No blocks.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// P resident in memory (the honest prover).
pub struct Resident(pub Vec<u128>);

impl BlockSource for Resident {
    fn name(&self) -> &'static str {
        "resident"
    }
    fn block(&self, pos: u64) -> u128 {
        self.0.get(pos as usize).copied().unwrap_or(0)
    }
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
}

/// Keeps only ek and regenerates every block from its input when asked (outsourcing /
/// regeneration on demand). Used to show that such a prover is late.
pub struct Regenerate {
    /// ek.
    pub ek: u128,
    /// Parameters.
    pub params: Params,
}

impl BlockSource for Regenerate {
    fn name(&self) -> &'static str {
        "regenerate-on-demand"
    }
    fn block(&self, pos: u64) -> u128 {
        let bpl = self.params.blocks_per_lane as u64;
        let (lane, i) = ((pos / bpl) as u32, (pos % bpl) as u32);
        encode_block(block_input(self.ek, lane, i), self.params.rounds)
    }
    fn len(&self) -> u64 {
        self.params.lanes as u64 * self.params.blocks_per_lane as u64
    }
}

/// Everything needed to answer challenges.
pub struct ProverState {
    /// Public commitment (params, root, ek, device pubkey).
    pub commitment: Commitment,
    /// Merkle tree of P.
    pub tree: Tree,
    /// Block source.
    pub source: Box<dyn BlockSource>,
    /// The key answers are signed with: the device key, or the key a rotation moved to (it can
    /// change while serving: [`ProverState::set_signer`]).
    key: RwLock<SigningKey>,
}

impl ProverState {
    /// Assemble a state; the commitment is derived from the tree, ek and the device key.
    pub fn new(
        params: Params,
        ek: u128,
        tree: Tree,
        source: Box<dyn BlockSource>,
        key: SigningKey,
    ) -> ProverState {
        let commitment = Commitment {
            params,
            root: tree.root(),
            ek,
            pubkey: crate::auth::pubkey_bytes(&key),
        };
        ProverState {
            commitment,
            tree,
            source,
            key: RwLock::new(key),
        }
    }

    /// From P loaded from disk (resident).
    pub fn from_loaded(l: crate::storage::Loaded, key: SigningKey) -> ProverState {
        let loopin_pocps::proof::Prover {
            blocks,
            tree,
            params,
        } = l.prover;
        ProverState::new(params, l.ek, tree, Box::new(Resident(blocks)), key)
    }

    /// The same state answering with `signer` (a rotated key, `storage::signing_key`); the
    /// commitment keeps the device key, its identity.
    pub fn with_signer(self, signer: SigningKey) -> ProverState {
        self.set_signer(signer);
        self
    }

    /// Answers signed from now on are signed with `signer` (a rotation the registry accepted
    /// while this state serves).
    pub fn set_signer(&self, signer: SigningKey) {
        *self.key.write().unwrap_or_else(|e| e.into_inner()) = signer;
    }

    /// The public key (SEC1 compressed) answers are signed with now.
    pub fn signing_pubkey(&self) -> Vec<u8> {
        crate::auth::pubkey_bytes(&self.key.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Root of P.
    pub fn root(&self) -> Hash {
        self.commitment.root
    }

    /// Sign a 32-byte message hash with the key answers are signed with now.
    pub fn sign(&self, msg: &Hash) -> Vec<u8> {
        k256_sign(&self.key.read().unwrap_or_else(|e| e.into_inner()), msg)
    }

    fn leaf(&self, i: u64) -> Opening {
        let m = self.commitment.params.blocks_per_leaf as u64;
        Opening {
            index: i,
            blocks: (i * m..(i + 1) * m).map(|p| self.source.block(p)).collect(),
            path: self.tree.path(i as usize),
        }
    }

    /// Timed challenge, phase 1: `rounds` locally chained reads; the transcript (kept for phase
    /// 2) and the signed commit to the final state. Checks `cancel` between reads.
    pub fn run_chain(
        &self,
        seed: &Hash,
        rounds: u32,
        cancel: &AtomicBool,
    ) -> Result<(Vec<u128>, TimedCommit), Cancelled> {
        let (transcript, st) = chain(seed, rounds, self.source.len(), |q| {
            (!cancel.load(Ordering::Relaxed)).then(|| self.source.block(q))
        })
        .ok_or(Cancelled)?;
        let signature = self.sign(&timed_message(&self.commitment, seed, &st));
        Ok((
            transcript,
            TimedCommit {
                final_state: st,
                signature,
            },
        ))
    }

    /// Timed challenge, phase 2: the openings of the spot rounds the verifier's `nonce` picks.
    pub fn open_spots(
        &self,
        seed: &Hash,
        transcript: &[u128],
        nonce: &Hash,
        spots: u32,
        cancel: &AtomicBool,
    ) -> Result<Vec<Opening>, Cancelled> {
        let m = self.commitment.params.blocks_per_leaf;
        spot_leaves(seed, transcript, nonce, spots, self.source.len(), m)
            .into_iter()
            .map(|leaf| {
                (!cancel.load(Ordering::Relaxed))
                    .then(|| self.leaf(leaf))
                    .ok_or(Cancelled)
            })
            .collect()
    }

    /// Round proof: `k` openings for `seed`, signed.
    pub fn prove_round(
        &self,
        seed: &Hash,
        k: u32,
        cancel: &AtomicBool,
    ) -> Result<RoundProof, Cancelled> {
        let mut openings = Vec::with_capacity(k as usize);
        for i in indices(seed, k, self.commitment.params.leaves()) {
            if cancel.load(Ordering::Relaxed) {
                return Err(Cancelled);
            }
            openings.push(self.leaf(i));
        }
        let signature = self.sign(&round_message(&self.commitment, seed, &openings));
        Ok(RoundProof {
            openings,
            signature,
        })
    }
}
