//! What a verifier's verdict record becomes on chain: the registry's `Submit` verdict.
//!
//! - Pass: the device-signed (index, leaf hash) of every round opening, the latency, and the
//!   device-signed transcript of the timed chain (auditable on chain).
//! - Late: the measured latency (`None` when nothing came back): an attestation for the quorum.
//! - Fail on a round opening: a bad-proof claim naming the opening and the first block whose
//!   chain check fails; when the blocks are right and the path is wrong, it names block 0 (the
//!   cheapest re-check), which passes, and the registry opens a dispute on the unsigned path.
//! - Pass of a device whose class asks a GEMM throughput part: also its device-signed row root
//!   and the time it took.
//! - The timed part passed but the throughput part did not (late, refused, unsigned, a wrong
//!   row): a lateness attestation marked `throughput`, for the same quorum.
//! - Fail outside the signed round (the timed chain, or no round proof at all): no valid
//!   answer, which the registry cannot re-check; a lateness attestation with no latency, so it
//!   counts towards the same quorum as silence.
//! - Error (refused, unreachable) is no verdict.

use crate::verifier::{OpeningHex, Outcome, Verdict, whole_ms};
use crate::wire::{self, WireError};
use loopin::registry::{self, CommitmentMsg, GemmPassMsg, OpeningMsg, SignedAnswer, TranscriptMsg};
use loopin_pocps::proof::{Commitment, Opening, check_block, verify_opening_path};

/// The commitment a registry `DeviceResponse` carries, for checking the device.
pub fn commitment_from_msg(m: &CommitmentMsg) -> Result<Commitment, WireError> {
    Ok(Commitment {
        params: loopin_pocps::encode::Params {
            lanes: m.params.lanes,
            blocks_per_lane: m.params.blocks_per_lane,
            rounds: m.params.rounds,
            blocks_per_leaf: m.params.blocks_per_leaf,
        },
        root: wire::hash(m.root.as_slice(), "root")?,
        ek: m.ek.u128(),
        pubkey: m.pubkey.to_vec(),
    })
}

/// The commitment a verifier checks a registered device's answers against: the one it
/// registered, with the key its answers are signed with now (`RotateDeviceKey`).
pub fn device_commitment(device: &registry::DeviceResponse) -> Result<Commitment, WireError> {
    let mut commitment = commitment_from_msg(&device.commitment)?;
    if let Some(key) = &device.signing_key {
        commitment.pubkey = key.to_vec();
    }
    Ok(commitment)
}

/// Why a record cannot be submitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotSubmittable {
    /// Refused or unreachable: nothing was measured about the device.
    #[error("the challenge failed before any answer: {0}")]
    NoAnswer(String),
    /// A pass without the round proof the registry re-checks.
    #[error("the record has no round proof")]
    NoRoundProof,
    /// A pass without the signed transcript a Pass records for audits.
    #[error("the record has no signed transcript")]
    NoTranscript,
    /// The round proof in the record is malformed.
    #[error("malformed round proof: {0}")]
    Malformed(String),
}

fn opening(o: &OpeningHex) -> Result<Opening, NotSubmittable> {
    let bad = |e: String| NotSubmittable::Malformed(e);
    let blocks = hex::decode(&o.blocks).map_err(|e| bad(e.to_string()))?;
    let path = hex::decode(&o.path).map_err(|e| bad(e.to_string()))?;
    Ok(Opening {
        index: o.index,
        blocks: wire::bytes_to_blocks(&blocks).map_err(|e| bad(e.to_string()))?,
        path: wire::bytes_to_hashes(&path).map_err(|e| bad(e.to_string()))?,
    })
}

/// The device-signed transcript a Pass records: R, the final state, the root and signature.
fn transcript(v: &Verdict) -> Result<TranscriptMsg, NotSubmittable> {
    let field = |f: &Option<String>| -> Result<Vec<u8>, NotSubmittable> {
        let f = f.as_deref().ok_or(NotSubmittable::NoTranscript)?;
        hex::decode(f).map_err(|e| NotSubmittable::Malformed(e.to_string()))
    };
    Ok(TranscriptMsg {
        rounds: v.chain_rounds,
        final_state: field(&v.final_state)?.into(),
        root: field(&v.transcript_root)?.into(),
        signature: field(&v.transcript_signature)?.into(),
    })
}

fn latency_ms(v: &Verdict) -> Option<u64> {
    v.rtt_ms.map(whole_ms)
}

/// The round trip the verifier measured before the timed phase, as the registry is told it.
fn probed_rtt_ms(v: &Verdict) -> u64 {
    v.baseline_rtt_ms.map_or(0, whole_ms)
}

/// The GEMM part of a Pass: the signed root and the time to it.
fn gemm_pass(v: &Verdict) -> Result<Option<GemmPassMsg>, NotSubmittable> {
    let Some(t) = &v.throughput else {
        return Ok(None);
    };
    let field = |f: &Option<String>| -> Result<Vec<u8>, NotSubmittable> {
        let f = f.as_deref().ok_or_else(|| {
            NotSubmittable::Malformed("a throughput pass without its root".into())
        })?;
        hex::decode(f).map_err(|e| NotSubmittable::Malformed(e.to_string()))
    };
    Ok(Some(GemmPassMsg {
        row_root: field(&t.row_root)?.into(),
        signature: field(&t.signature)?.into(),
        latency_ms: t.commit_ms.map_or(0, whole_ms),
        gemm_try: t.gemm_try,
    }))
}

/// The registry verdict for `v`, a record of a challenge to the device committed as `c`.
pub fn registry_verdict(v: &Verdict, c: &Commitment) -> Result<registry::Verdict, NotSubmittable> {
    // The timed part passed (the throughput part is asked only then) but the throughput part
    // did not: no valid root in time, which only the quorum judges.
    if let Some(t) = &v.throughput
        && matches!(t.outcome, Outcome::Late | Outcome::Fail)
    {
        return Ok(registry::Verdict::Late {
            latency_ms: latency_ms(v),
            rtt_ms: probed_rtt_ms(v),
            throughput: true,
        });
    }
    if v.outcome == Outcome::Late {
        return Ok(registry::Verdict::Late {
            latency_ms: latency_ms(v),
            rtt_ms: probed_rtt_ms(v),
            throughput: false,
        });
    }
    if v.outcome == Outcome::Error {
        return Err(NotSubmittable::NoAnswer(
            v.reason.clone().unwrap_or_default(),
        ));
    }
    // A failure the registry cannot re-check is still no valid answer.
    let not_answered = registry::Verdict::Late {
        latency_ms: None,
        rtt_ms: probed_rtt_ms(v),
        throughput: false,
    };
    let proof = match (&v.round_proof, v.outcome) {
        (Some(p), _) => p,
        (None, Outcome::Fail) => return Ok(not_answered),
        (None, _) => return Err(NotSubmittable::NoRoundProof),
    };
    let openings = proof
        .openings
        .iter()
        .map(opening)
        .collect::<Result<Vec<_>, _>>()?;
    let signature =
        hex::decode(&proof.signature).map_err(|e| NotSubmittable::Malformed(e.to_string()))?;
    let answer = SignedAnswer::from_openings(&openings, &signature);
    if v.outcome == Outcome::Pass {
        return Ok(registry::Verdict::Pass {
            answer,
            latency_ms: latency_ms(v).unwrap_or(0),
            transcript: transcript(v)?,
            rtt_ms: probed_rtt_ms(v),
            gemm: gemm_pass(v)?,
        });
    }
    for (j, o) in openings.iter().enumerate() {
        let bad_block = (0..o.blocks.len()).find(|&n| !check_block(c, o, n));
        if bad_block.is_none() && verify_opening_path(c, o) {
            continue;
        }
        return Ok(registry::Verdict::BadProof {
            answer,
            opening: j as u32,
            leaf: OpeningMsg::from(o),
            block: Some(bad_block.unwrap_or(0) as u32),
        });
    }
    Ok(not_answered)
}

/// What a verifier does with the record of its assigned challenge.
#[derive(Debug, Clone, PartialEq)]
pub enum Submission {
    /// The prover refused the challenge as not assigned to this verifier, for the first time:
    /// it may not have read the assignment yet (it polls the chain); ask again next round.
    Retry,
    /// Submit this verdict.
    Submit(registry::Verdict),
    /// Nothing the registry accepts (a pass without its round proof, a malformed one).
    Nothing(NotSubmittable),
}

/// Whether the prover refused the challenge as not assigned to this verifier.
pub fn refused_as_unassigned(v: &Verdict) -> bool {
    v.outcome == Outcome::Error
        && v.reason
            .as_deref()
            .is_some_and(|r| r.contains("not assigned"))
}

/// The submission for record `v` of a challenge to the device committed as `c`.
/// `refused_before`: the prover already refused this very challenge as not assigned, a round
/// ago. An honest prover reads its assignments every poll, so a second refusal is no answer, as
/// is an unreachable or refusing prover: a lateness attestation with no latency. Without this a
/// prover with no hardware answered every challenge "not assigned" and was asked again forever.
pub fn submission(v: &Verdict, c: &Commitment, refused_before: bool) -> Submission {
    // The verifier's own failure to check the GEMM rows says nothing about the device.
    if let Some(t) = &v.throughput
        && t.outcome == Outcome::Error
    {
        return Submission::Nothing(NotSubmittable::NoAnswer(
            t.reason.clone().unwrap_or_default(),
        ));
    }
    let not_answered = registry::Verdict::Late {
        latency_ms: None,
        rtt_ms: probed_rtt_ms(v),
        throughput: false,
    };
    if refused_as_unassigned(v) && !refused_before {
        return Submission::Retry;
    }
    match registry_verdict(v, c) {
        Ok(verdict) => Submission::Submit(verdict),
        Err(_) if v.outcome == Outcome::Error => Submission::Submit(not_answered),
        Err(e) => Submission::Nothing(e),
    }
}
