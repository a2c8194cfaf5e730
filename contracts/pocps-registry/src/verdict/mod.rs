//! Verdicts on assigned challenges: the verifier's pass, late or bad-proof verdict (re-checked
//! on chain), the device's defence of a disputed opening, and finalization of an unanswered one.
//!
//! `Submit` loads the assigned challenge once ([`assigned`]) and hands it to its verdict's
//! handler: [`pass`], [`late`] or [`bad_proof`]; a disputed claim is settled in [`dispute`].

mod assigned;
mod bad_proof;
mod dispute;
mod late;
mod pass;

use cosmwasm_std::{DepsMut, Env, HexBinary, MessageInfo, Response};
use loopin::registry::Verdict;

use crate::error::ContractError;

pub(crate) use dispute::{defend, finalize};

/// `Submit`: the verifier of assigned challenge `id` reveals its secret and gives its verdict
/// on the answer of attempt `attempt`.
pub(crate) fn submit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    (secret, attempt): (HexBinary, u32),
    verdict: Verdict,
) -> Result<Response, ContractError> {
    let submitted = assigned::Submitted::load(deps.as_ref(), &env, &info, id, (secret, attempt))?;
    match verdict {
        Verdict::Pass {
            answer,
            latency_ms,
            transcript,
            rtt_ms,
            gemm,
        } => pass::submit_pass(
            deps,
            &env,
            submitted,
            (answer, transcript, gemm),
            (latency_ms, rtt_ms),
        ),
        Verdict::Late {
            latency_ms,
            rtt_ms,
            throughput,
        } => late::submit_late(deps, &env, submitted, (latency_ms, rtt_ms, throughput)),
        Verdict::BadProof {
            answer,
            opening,
            leaf,
            block,
        } => bad_proof::submit_bad_proof(deps, &env, submitted, (answer, opening, leaf, block)),
    }
}
