//! Checkable transcripts: the device commits to every step of a timed chain, so that anyone can
//! later prove one bad step on chain, or make the device (or the verifier that passed it) show
//! one good step.
//!
//! In phase 2 of a timed challenge the device signs, besides its round answer, the Merkle root of
//! its transcript: leaf `r` is [`step_leaf`]`(r, state_r, block_r)`, the chain's state before read
//! `r` and the block it read. A verifier checks the root against the transcript it replayed
//! ([`Transcript::new`]) and puts the signed root in its Pass. Step `r` is right when
//! - `state_0` is the challenge's seed (round 0),
//! - `block_r` is the block at `position(state_r)` (one block's fast check, `rounds` steps), and
//! - `next_state(state_r, block_r)` is `state_{r+1}` (leaf `r + 1`), or the signed final state
//!   after the last read.
//!
//! Two openings (leaves `r` and `r + 1`) and one block check decide one step: what a contract
//! can afford, whatever R is. A transcript is only as checkable as its data is available: a
//! device that signed a root must show any step of it when asked (it can always recompute the
//! chain from the seed and P), or be treated as having signed a bad one.

use crate::encode::is_block;
use crate::merkle::{Hash, Tree, verify_path};
use crate::proof::{Commitment, position_place};
use crate::timed::{next_state, position};
use sha2::{Digest, Sha256};

/// Domain of [`transcript_message`].
pub const TRANSCRIPT_DOMAIN: &[u8] = b"loopin-pocps/transcript/v1";

/// Leaf of step `round`: the state before the read and the block read.
pub fn step_leaf(round: u32, state: &Hash, block: u128) -> Hash {
    Sha256::new()
        .chain_update(b"loopin-pocps/step")
        .chain_update(round.to_le_bytes())
        .chain_update(state)
        .chain_update(block.to_le_bytes())
        .finalize()
        .into()
}

/// Message the device signs over a transcript: the root of its commitment (P), the seed, R,
/// the final state and the transcript root.
pub fn transcript_message(
    commitment_root: &Hash,
    seed: &Hash,
    rounds: u32,
    final_state: &Hash,
    root: &Hash,
) -> Hash {
    Sha256::new()
        .chain_update(TRANSCRIPT_DOMAIN)
        .chain_update(commitment_root)
        .chain_update(seed)
        .chain_update(rounds.to_le_bytes())
        .chain_update(final_state)
        .chain_update(root)
        .finalize()
        .into()
}

/// Depth of the transcript tree of `rounds` reads: the length of every step's path.
pub fn depth(rounds: u32) -> usize {
    (rounds.max(1) as u64).next_power_of_two().trailing_zeros() as usize
}

/// One step of a transcript, opened.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Step {
    /// Read number r (0-based).
    pub round: u32,
    /// The chain's state before the read.
    pub state: Hash,
    /// The block read.
    pub block: u128,
    /// Path of [`step_leaf`] to the transcript root.
    pub path: Vec<Hash>,
}

/// What the device signed about a transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignedTranscript {
    /// Reads R.
    pub rounds: u32,
    /// State after the last read (the timed phase's signed answer).
    pub final_state: Hash,
    /// Root of the step leaves.
    pub root: Hash,
}

/// A transcript with its states and tree: what the prover keeps to open steps, and what a
/// verifier builds to check the signed root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transcript {
    states: Vec<Hash>,
    blocks: Vec<u128>,
    tree: Tree,
}

impl Transcript {
    /// Replays `blocks` (the reads of a chain from `seed` over `total_blocks`) into states and
    /// the tree of its steps. Cost: 2R SHA-256.
    pub fn new(seed: &Hash, blocks: &[u128]) -> Transcript {
        let mut states = Vec::with_capacity(blocks.len() + 1);
        let mut s = *seed;
        let mut leaves = Vec::with_capacity(blocks.len());
        for (r, b) in blocks.iter().enumerate() {
            states.push(s);
            leaves.push(step_leaf(r as u32, &s, *b));
            s = next_state(&s, *b);
        }
        states.push(s);
        Transcript {
            states,
            blocks: blocks.to_vec(),
            tree: Tree::new(leaves),
        }
    }

    /// The signed part: R, the final state and the root.
    pub fn signed(&self) -> SignedTranscript {
        SignedTranscript {
            rounds: self.blocks.len() as u32,
            final_state: *self.states.last().unwrap_or(&[0u8; 32]),
            root: self.tree.root(),
        }
    }

    /// Step `round` opened, if the transcript has it.
    pub fn step(&self, round: u32) -> Option<Step> {
        let r = round as usize;
        Some(Step {
            round,
            state: *self.states.get(r)?,
            block: *self.blocks.get(r)?,
            path: self.tree.path(r),
        })
    }

    /// What answers an audit of step `round`: the step and, unless it is the last, the next
    /// one (whose state the step must lead to).
    pub fn audit_answer(&self, round: u32) -> Option<(Step, Option<Step>)> {
        let step = self.step(round)?;
        let next = if round + 1 < self.blocks.len() as u32 {
            Some(self.step(round + 1)?)
        } else {
            None
        };
        Some((step, next))
    }
}

/// Why opened steps cannot decide anything: the data is not the signed transcript's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepDataError {
    /// A step outside the R reads.
    #[error("step {round} is outside the transcript's {rounds} reads")]
    OutOfRange { round: u32, rounds: u32 },
    /// The next step is missing, or is not the one after.
    #[error("step {round} needs the next step, {}, opened with it", round + 1)]
    NeedsNext { round: u32 },
    /// The last step was opened with a next one.
    #[error("step {round} is the last: nothing follows it")]
    NothingNext { round: u32 },
    /// A path does not lead to the signed root.
    #[error("step {round} is not in the signed transcript")]
    NotInTranscript { round: u32 },
}

/// A step the signed transcript shows to be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StepFault {
    /// The chain does not start at the challenge's seed.
    #[error("step 0 does not start from the challenge's seed")]
    WrongStart,
    /// The block read is not the block at the position the state picks.
    #[error("step {0} read a block that is not its position's")]
    WrongBlock(u32),
    /// The state after the read is not the next step's (or the signed final state).
    #[error("step {0} does not lead to the next state")]
    ChainBreak(u32),
}

/// Judges step `step.round` of the signed transcript `t` of a challenge with `seed` to the
/// device committed as `c`. `Ok(None)`: the step is right; `Ok(Some(fault))`: the device signed
/// a bad step; `Err`: the data is not the signed transcript's and proves nothing. Cost: two
/// paths of [`depth`]`(R)` hashes, two SHA-256 and one block check (`c.params.rounds` fast
/// steps).
pub fn judge_step(
    c: &Commitment,
    seed: &Hash,
    t: &SignedTranscript,
    step: &Step,
    next: Option<&Step>,
) -> Result<Option<StepFault>, StepDataError> {
    let round = step.round;
    if round >= t.rounds {
        return Err(StepDataError::OutOfRange {
            round,
            rounds: t.rounds,
        });
    }
    let last = round + 1 == t.rounds;
    let in_tree = |s: &Step| {
        s.path.len() == depth(t.rounds)
            && verify_path(
                &t.root,
                step_leaf(s.round, &s.state, s.block),
                s.round as u64,
                &s.path,
            )
    };
    if !in_tree(step) {
        return Err(StepDataError::NotInTranscript { round });
    }
    let after = match (last, next) {
        (true, None) => t.final_state,
        (true, Some(_)) => return Err(StepDataError::NothingNext { round }),
        (false, None) => return Err(StepDataError::NeedsNext { round }),
        (false, Some(n)) if n.round != round + 1 => {
            return Err(StepDataError::NeedsNext { round });
        }
        (false, Some(n)) => {
            if !in_tree(n) {
                return Err(StepDataError::NotInTranscript { round: n.round });
            }
            n.state
        }
    };
    if round == 0 && step.state != *seed {
        return Ok(Some(StepFault::WrongStart));
    }
    let p = &c.params;
    let total = p.leaves() * p.blocks_per_leaf as u64;
    let (lane, i) = position_place(p, position(&step.state, total));
    if !is_block(c.ek, lane, i, step.block, p.rounds) {
        return Ok(Some(StepFault::WrongBlock(round)));
    }
    if next_state(&step.state, step.block) != after {
        return Ok(Some(StepFault::ChainBreak(round)));
    }
    Ok(None)
}

#[cfg(all(test, feature = "prover"))]
mod tests {
    use super::*;
    use crate::encode::{CpuEncoder, Encoder, Params, derive_ek};
    use crate::proof::Prover;
    use crate::timed::run_chain;

    fn device() -> (Prover, Commitment) {
        let params = Params {
            lanes: 2,
            blocks_per_lane: 64,
            rounds: 3,
            blocks_per_leaf: 4,
        };
        let ek = derive_ek(b"fp", "miner", "pool", b"r");
        let blocks = CpuEncoder.encode(ek, &params);
        let prover = Prover::new(blocks, params);
        let c = Commitment {
            params,
            root: prover.tree.root(),
            ek,
            pubkey: vec![],
        };
        (prover, c)
    }

    #[test]
    fn every_step_of_an_honest_transcript_is_judged_right() {
        let (p, c) = device();
        let seed = [7u8; 32];
        let (blocks, fin) = run_chain(&p, &seed, 37);
        let t = Transcript::new(&seed, &blocks);
        let signed = t.signed();
        assert_eq!(signed.final_state, fin);
        assert_eq!(signed.rounds, 37);
        for r in 0..37 {
            let (step, next) = t.audit_answer(r).unwrap();
            assert_eq!(
                judge_step(&c, &seed, &signed, &step, next.as_ref()),
                Ok(None),
                "step {r}"
            );
        }
        assert!(t.audit_answer(37).is_none());
    }

    #[test]
    fn a_forged_read_is_a_wrong_block_and_a_broken_link_a_chain_break() {
        let (p, c) = device();
        let seed = [9u8; 32];
        let (mut blocks, _) = run_chain(&p, &seed, 16);
        blocks[5] ^= 1;
        // The forger builds its transcript honestly over its forged read.
        let t = Transcript::new(&seed, &blocks);
        let (step, next) = t.audit_answer(5).unwrap();
        assert_eq!(
            judge_step(&c, &seed, &t.signed(), &step, next.as_ref()),
            Ok(Some(StepFault::WrongBlock(5)))
        );
        // A final state that the last read of an honest chain does not lead to.
        let (blocks, _) = run_chain(&p, &seed, 16);
        let t = Transcript::new(&seed, &blocks);
        let mut signed = t.signed();
        signed.final_state = [0u8; 32];
        let (step, next) = t.audit_answer(15).unwrap();
        assert_eq!(
            judge_step(&c, &seed, &signed, &step, next.as_ref()),
            Ok(Some(StepFault::ChainBreak(15)))
        );
        // A transcript that does not start at the seed.
        let t = Transcript::new(&[1u8; 32], &blocks);
        let (step, next) = t.audit_answer(0).unwrap();
        assert_eq!(
            judge_step(&c, &seed, &t.signed(), &step, next.as_ref()),
            Ok(Some(StepFault::WrongStart))
        );
    }

    #[test]
    fn steps_that_are_not_the_signed_transcripts_decide_nothing() {
        let (p, c) = device();
        let seed = [3u8; 32];
        let (blocks, _) = run_chain(&p, &seed, 8);
        let t = Transcript::new(&seed, &blocks);
        let signed = t.signed();
        let (mut step, next) = t.audit_answer(2).unwrap();
        assert_eq!(
            judge_step(&c, &seed, &signed, &step, None),
            Err(StepDataError::NeedsNext { round: 2 })
        );
        step.block ^= 1;
        assert_eq!(
            judge_step(&c, &seed, &signed, &step, next.as_ref()),
            Err(StepDataError::NotInTranscript { round: 2 })
        );
        let (last, _) = t.audit_answer(7).unwrap();
        assert_eq!(
            judge_step(&c, &seed, &signed, &last, next.as_ref()),
            Err(StepDataError::NothingNext { round: 7 })
        );
        let (step, _) = t.audit_answer(1).unwrap();
        let far = t.step(5).unwrap();
        assert_eq!(
            judge_step(&c, &seed, &signed, &step, Some(&far)),
            Err(StepDataError::NeedsNext { round: 1 })
        );
        let mut out = step.clone();
        out.round = 8;
        assert_eq!(
            judge_step(&c, &seed, &signed, &out, None),
            Err(StepDataError::OutOfRange {
                round: 8,
                rounds: 8
            })
        );
    }
}
