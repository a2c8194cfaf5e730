//! The proof data registry messages carry: commitments, signed answers, openings and
//! transcripts, with conversions from `loopin_pocps`'s types (what provers, verifiers and tests
//! send).

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Binary, HexBinary, Uint128};

/// Encoding parameters of a PoCPS commitment (`loopin_pocps::encode::Params`).
#[cw_serde]
#[derive(Copy)]
pub struct PocpsParams {
    pub lanes: u32,
    pub blocks_per_lane: u32,
    pub rounds: u32,
    pub blocks_per_leaf: u32,
}

/// A device's PoCPS commitment (`loopin_pocps::proof::Commitment`). Its digest
/// (`Commitment::digest`) is the `commitment` the stake certificate carries.
#[cw_serde]
pub struct CommitmentMsg {
    pub params: PocpsParams,
    /// Merkle root of the encoding P, 32 bytes.
    pub root: HexBinary,
    /// The encoding key: `derive_ek(fingerprint, miner, pool, ek_randomness)`.
    pub ek: Uint128,
    /// The device's secp256k1 public key (SEC1, 33 or 65 bytes).
    pub pubkey: HexBinary,
}

/// One opening of a signed answer, in digest form.
#[cw_serde]
pub struct SignedLeaf {
    pub index: u64,
    /// `leaf_hash` of the opened blocks, 32 bytes.
    pub leaf_hash: HexBinary,
}

/// The prover's signed answer to one round, in the form its signature covers: the (index, leaf
/// hash) of every opening and the 64-byte compact secp256k1 signature over
/// `round_message_digests(commitment, seed, leaves)`. Enough to prove the device answered this
/// challenge, without carrying the leaves.
#[cw_serde]
pub struct SignedAnswer {
    pub leaves: Vec<SignedLeaf>,
    pub signature: HexBinary,
}

/// One opened leaf in full (`loopin_pocps::proof::Opening`).
#[cw_serde]
pub struct OpeningMsg {
    pub index: u64,
    /// The leaf's blocks, 16 bytes little-endian each.
    pub blocks: Binary,
    /// The authentication path, 32-byte hashes from the leaf up.
    pub path: Binary,
}

/// The device-signed transcript of a timed chain (`loopin_pocps::transcript`): what a Pass
/// records so that anyone can audit a step of it later.
#[cw_serde]
pub struct TranscriptMsg {
    /// Chained reads R.
    pub rounds: u32,
    /// State after the last read, 32 bytes.
    pub final_state: HexBinary,
    /// Merkle root of the step leaves (`step_leaf`), 32 bytes.
    pub root: HexBinary,
    /// 64-byte compact secp256k1 signature of the device over
    /// `transcript_message(commitment, seed, rounds, final_state, root)`.
    pub signature: HexBinary,
}

/// The throughput part of a Pass on a device whose class asks a GEMM challenge
/// (`loopin::pool::GemmClass`, `loopin_pocps::gemm`).
#[cw_serde]
pub struct GemmPassMsg {
    /// Root over the rows of C (`loopin_pocps::gemm::row_leaf`), 32 bytes.
    pub row_root: HexBinary,
    /// 64-byte compact secp256k1 signature of the device over
    /// `gemm::message(gemm::challenge_seed(secret, randomness, gemm_try), class shape, row_root)`.
    pub signature: HexBinary,
    /// Time from the verifier's request to the root (ms): at most the class's `deadline_ms`
    /// plus one measured round trip, at most `MAX_THROUGHPUT_RTT_MS`.
    pub latency_ms: u64,
    /// The verifier's try the root answers: the prover refuses a GEMM while its card runs
    /// another verifier's, and the verifier asks again on a fresh seed
    /// (`gemm::challenge_seed(secret, randomness, gemm_try)`). Below [`MAX_GEMM_TRIES`];
    /// omitted: 0.
    #[serde(default)]
    pub gemm_try: u32,
}

/// Tries of a challenge's GEMM part (`GemmPassMsg::gemm_try`): a verifier that found the card
/// busy this many times finds the part late.
pub const MAX_GEMM_TRIES: u32 = 3;

/// The cells of C a GEMM audit names (`loopin_pocps::gemm_audit`): one row, and 1..=4 distinct
/// columns of it that the chain recomputes from the seed.
#[cw_serde]
pub struct GemmCells {
    /// Row of C, below the class's m.
    pub row: u64,
    /// Columns of that row, each below the class's n.
    pub cols: Vec<u32>,
}

/// Beacon rounds after an audit of a Pass's GEMM opens that may draw its cells: the answer is
/// due `dispute_seconds` after the last of them is final, and a draw after them does not count.
pub const GEMM_DRAW_ROUNDS: u64 = 2;

/// What an auditor holding a committed row shows at once: the cells it names and the row.
#[cw_serde]
pub struct GemmProofMsg {
    pub cells: GemmCells,
    pub row: GemmRowMsg,
}

/// One row of a Pass's C as the device committed it, with its path under the recorded root.
#[cw_serde]
pub struct GemmRowMsg {
    /// The row's n entries, i32 little-endian each (what its leaf hashes).
    pub entries: Binary,
    /// Merkle path from the row's leaf up, 32-byte hashes.
    pub path: Vec<HexBinary>,
}

impl GemmRowMsg {
    /// The message form of `row` opened under a tree with `path`.
    pub fn new(row: &[i32], path: &[[u8; 32]]) -> GemmRowMsg {
        GemmRowMsg {
            entries: Binary::from(loopin_pocps::gemm_audit::row_bytes(row)),
            path: path.iter().map(|h| HexBinary::from(h.as_slice())).collect(),
        }
    }
}

/// One opened step of a transcript (`loopin_pocps::transcript::Step`).
#[cw_serde]
pub struct StepMsg {
    /// Read number r.
    pub round: u32,
    /// State before the read, 32 bytes.
    pub state: HexBinary,
    /// The block read.
    pub block: Uint128,
    /// Path of the step's leaf to the transcript root, 32-byte hashes from the leaf up.
    pub path: Vec<HexBinary>,
}

/// Step r of an audited transcript opened: the step, and the next one unless r is the last.
#[cw_serde]
pub struct StepProofMsg {
    pub step: StepMsg,
    pub next: Option<StepMsg>,
}

impl From<&loopin_pocps::encode::Params> for PocpsParams {
    fn from(p: &loopin_pocps::encode::Params) -> Self {
        PocpsParams {
            lanes: p.lanes,
            blocks_per_lane: p.blocks_per_lane,
            rounds: p.rounds,
            blocks_per_leaf: p.blocks_per_leaf,
        }
    }
}

impl From<&loopin_pocps::proof::Commitment> for CommitmentMsg {
    fn from(c: &loopin_pocps::proof::Commitment) -> Self {
        CommitmentMsg {
            params: PocpsParams::from(&c.params),
            root: HexBinary::from(c.root),
            ek: Uint128::new(c.ek),
            pubkey: HexBinary::from(c.pubkey.clone()),
        }
    }
}

impl From<&loopin_pocps::proof::Opening> for OpeningMsg {
    fn from(o: &loopin_pocps::proof::Opening) -> Self {
        OpeningMsg {
            index: o.index,
            blocks: Binary::from(
                o.blocks
                    .iter()
                    .flat_map(|b| b.to_le_bytes())
                    .collect::<Vec<u8>>(),
            ),
            path: Binary::from(o.path.concat()),
        }
    }
}

impl SignedAnswer {
    /// The digest form of a signed round answer: (index, leaf hash) of every opening.
    pub fn from_openings(openings: &[loopin_pocps::proof::Opening], signature: &[u8]) -> Self {
        SignedAnswer {
            leaves: openings
                .iter()
                .map(|o| SignedLeaf {
                    index: o.index,
                    leaf_hash: HexBinary::from(loopin_pocps::merkle::leaf_hash(&o.blocks)),
                })
                .collect(),
            signature: HexBinary::from(signature),
        }
    }
}

impl TranscriptMsg {
    /// The signed transcript of a chain and the device's signature over it.
    pub fn new(t: &loopin_pocps::transcript::SignedTranscript, signature: &[u8]) -> Self {
        TranscriptMsg {
            rounds: t.rounds,
            final_state: HexBinary::from(t.final_state),
            root: HexBinary::from(t.root),
            signature: HexBinary::from(signature),
        }
    }
}

impl From<&loopin_pocps::transcript::Step> for StepMsg {
    fn from(s: &loopin_pocps::transcript::Step) -> Self {
        StepMsg {
            round: s.round,
            state: HexBinary::from(s.state),
            block: Uint128::new(s.block),
            path: s.path.iter().map(HexBinary::from).collect(),
        }
    }
}

impl StepProofMsg {
    /// The answer to an audit of step `round` of `t`, if the transcript has that step.
    pub fn from_transcript(t: &loopin_pocps::transcript::Transcript, round: u32) -> Option<Self> {
        let (step, next) = t.audit_answer(round)?;
        Some(StepProofMsg {
            step: StepMsg::from(&step),
            next: next.as_ref().map(StepMsg::from),
        })
    }
}
