//! Decoding and checking a timed challenge's two answers (the commit of phase 1, the opening of
//! phase 2) with loopin-pocps.

use crate::pb;
use crate::verifier::spec::Spec;
use crate::wire::{self, WireError};
use loopin_pocps::merkle::Hash;
use loopin_pocps::proof::{Commitment, RoundProof, VerifyError, verify_round};
use loopin_pocps::sig::{K256Verifier, SigVerifier};
use loopin_pocps::timed::{TimedCommit, TimedReveal, TimedTerms, verify_timed};
use loopin_pocps::transcript::{Transcript, transcript_message};

/// What a checked answer leaves for the on-chain verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The round proof, if one was asked for.
    pub round: Option<RoundProof>,
    /// The chain's transcript, whose root the device signed: what answers an audit of the
    /// Pass.
    pub transcript: Transcript,
    /// The device's signature over `transcript_message`.
    pub transcript_signature: Vec<u8>,
}

/// Why a timed challenge's answers do not check: the reason a failed verdict records.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// An answer's bytes do not decode.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The timed proof does not verify.
    #[error("timed proof: {0}")]
    Timed(VerifyError),
    /// The signed transcript root is not the replayed transcript's.
    #[error("transcript root: not the root of the transcript sent")]
    TranscriptRoot,
    /// The transcript root's signature is not the device's.
    #[error("transcript root: bad signature")]
    TranscriptSignature,
    /// A round proof was asked for and none (or a malformed one) came.
    #[error("round proof: missing or malformed openings")]
    NoRoundProof,
    /// The round proof does not verify.
    #[error("round proof: {0}")]
    Round(VerifyError),
}

/// Decode and verify both answers of a timed challenge: the timed proof, the signed transcript
/// root (the root of the replayed transcript, signed by the device) and the round proof, if one
/// was asked for.
pub fn check_answer(
    c: &Commitment,
    seed: &Hash,
    spec: &Spec,
    commit: &pb::ChallengeCommit,
    spot_nonce: &Hash,
    opening: &pb::ChallengeOpening,
) -> Result<Checked, AnswerError> {
    let commit = TimedCommit {
        final_state: wire::hash(&commit.final_state, "final_state")?,
        signature: commit.timed_signature.clone(),
    };
    let reveal = TimedReveal {
        transcript: wire::bytes_to_blocks(&opening.transcript)?,
        openings: opening
            .timed_openings
            .iter()
            .map(wire::opening_from_pb)
            .collect::<Result<Vec<_>, _>>()?,
    };
    let terms = TimedTerms {
        seed: *seed,
        rounds: spec.chain_rounds,
        spots: spec.spots,
    };
    verify_timed(c, &terms, &commit, spot_nonce, &reveal, &K256Verifier)
        .map_err(AnswerError::Timed)?;
    let transcript = Transcript::new(seed, &reveal.transcript);
    let signed = transcript.signed();
    if opening.transcript_root.as_slice() != signed.root.as_slice() {
        return Err(AnswerError::TranscriptRoot);
    }
    let message = transcript_message(
        &c.root,
        seed,
        signed.rounds,
        &signed.final_state,
        &signed.root,
    );
    if !K256Verifier.verify(&message, &opening.transcript_signature, &c.pubkey) {
        return Err(AnswerError::TranscriptSignature);
    }
    let round = if spec.openings == 0 {
        None
    } else {
        let p = signed_round_proof(opening).ok_or(AnswerError::NoRoundProof)?;
        verify_round(c, seed, spec.openings, &p, &K256Verifier).map_err(AnswerError::Round)?;
        Some(p)
    };
    Ok(Checked {
        round,
        transcript,
        transcript_signature: opening.transcript_signature.clone(),
    })
}

/// The round openings and signature of an opening, if it has well-formed ones.
pub fn signed_round_proof(r: &pb::ChallengeOpening) -> Option<RoundProof> {
    if r.round_openings.is_empty() {
        return None;
    }
    Some(RoundProof {
        openings: r
            .round_openings
            .iter()
            .map(wire::opening_from_pb)
            .collect::<Result<Vec<_>, _>>()
            .ok()?,
        signature: r.round_signature.clone(),
    })
}
