//! The verdict record of a challenge (JSON): its outcome, what was asked and measured, and the
//! device-signed data a contract re-checks.

use crate::wire;
use loopin_pocps::proof::RoundProof;

/// Outcome of a challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Valid and in time.
    Pass,
    /// Invalid proof (submittable on chain: bad openings invalidate the st-token).
    Fail,
    /// Valid or not, no answer by the deadline (an attestation: needs a quorum); also a prover
    /// that committed its chain and did not open it (no latency: nothing came back).
    Late,
    /// Refused or unreachable (no verdict on the prover).
    Error,
}

/// An opening in hex (for the record).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpeningHex {
    /// Leaf index.
    pub index: u64,
    /// Blocks, 16 LE bytes each, hex.
    pub blocks: String,
    /// Path, 32 bytes per level, hex.
    pub path: String,
}

/// A round proof in hex (the part a contract re-checks).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoundProofHex {
    /// Openings.
    pub openings: Vec<OpeningHex>,
    /// Device signature, hex.
    pub signature: String,
}

impl RoundProofHex {
    /// The record of a round proof.
    pub fn from(p: &RoundProof) -> Self {
        RoundProofHex {
            openings: p
                .openings
                .iter()
                .map(|o| OpeningHex {
                    index: o.index,
                    blocks: hex::encode(wire::blocks_to_bytes(&o.blocks)),
                    path: hex::encode(wire::hashes_to_bytes(&o.path)),
                })
                .collect(),
            signature: hex::encode(&p.signature),
        }
    }
}

/// Verdict of the throughput part (the GEMM challenge).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ThroughputVerdict {
    /// Outcome.
    pub outcome: Outcome,
    /// Why, when not a pass.
    pub reason: Option<String>,
    /// Shape of the product.
    pub shape: loopin_pocps::gemm::Shape,
    /// Rows of C opened.
    pub rows: Vec<u64>,
    /// Deadline the root had to arrive by (class deadline plus one round trip, at most 200 ms), ms.
    pub deadline_ms: u64,
    /// Time until the root arrived, ms.
    pub commit_ms: Option<f64>,
    /// Root over C's rows, hex.
    pub row_root: Option<String>,
    /// Device signature over `gemm::message(seed, shape, row_root)`, hex.
    pub signature: Option<String>,
    /// The try the verdict is of (`gemm::challenge_seed`'s `gemm_try`): earlier tries found the
    /// card busy.
    #[serde(default)]
    pub gemm_try: u32,
}

/// A verdict record, ready for on-chain submission.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    /// Overall outcome (fail > late > error > pass, throughput included).
    pub outcome: Outcome,
    /// Why, when not a pass.
    pub reason: Option<String>,
    /// Prover endpoint.
    pub endpoint: String,
    /// Prover commitment root, hex.
    pub prover_root: String,
    /// Prover device key, hex.
    pub device_pubkey: String,
    /// Verifier key, hex.
    pub verifier_pubkey: String,
    /// Verifier secret (revealed with the verdict), hex.
    pub secret: String,
    /// Its commitment, published before the randomness, hex.
    pub secret_commitment: String,
    /// Chain randomness, hex.
    pub randomness: String,
    /// Seed = round_seed(secret, randomness, attempt, 0), hex.
    pub seed: String,
    /// Nonce and time of the signed header.
    pub nonce: u64,
    /// Header time, ms since the epoch.
    pub issued_at_ms: u64,
    /// R, s, k.
    pub chain_rounds: u32,
    /// s.
    pub spots: u32,
    /// k.
    pub openings: u32,
    /// Deadline D, ms.
    pub deadline_ms: u64,
    /// Round trip of the challenge (send to answer), ms.
    pub rtt_ms: Option<f64>,
    /// Round trip of an Info call just before (network baseline), ms.
    pub baseline_rtt_ms: Option<f64>,
    /// Prover-reported compute time, ms.
    pub server_ms: Option<f64>,
    /// Final state of the timed chain, hex (signed by the device with root and seed).
    pub final_state: Option<String>,
    /// Device signature of the timed commit, hex.
    pub timed_signature: Option<String>,
    /// The verifier's fresh nonce that chose the spot rounds (phase 2), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot_nonce: Option<String>,
    /// Root of the timed chain's steps, signed by the device, hex: what a Pass records on chain
    /// for audits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript_root: Option<String>,
    /// Device signature over the transcript, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript_signature: Option<String>,
    /// The timed chain's transcript (kept in memory, not in the record's JSON): what the
    /// verifier answers an audit of its Pass with.
    #[serde(skip)]
    pub transcript: Option<loopin_pocps::transcript::Transcript>,
    /// The round proof (k openings), re-checkable on chain.
    pub round_proof: Option<RoundProofHex>,
    /// Throughput part.
    pub throughput: Option<ThroughputVerdict>,
}
