//! Audits of passed challenges: a Pass records the device-signed transcript of the timed chain
//! (`loopin_pocps::transcript`); for `audit_seconds` any bonded verifier may name one step of
//! it. A step is judged on chain from two openings and one block check:
//! - shown right: the auditor pays `audit_fee_bps` of its bond to whoever showed it;
//! - shown wrong: the device signed a bad chain, so the Pass is voided, its verifier slashed
//!   (it passed what it did not check) and the device invalidated;
//! - not shown within `dispute_seconds`: the Pass is voided and its verifier slashed (nobody
//!   could back what it passed); the device, which may only have lost a lazy verifier, keeps
//!   its certificate but not the pass, so its epoch may end unproven.
//!
//! In every voided case the pool is told (`pair::ExecuteMsg::DeviceProofAudit`, `Voided`): the
//! pass no longer counts towards its epoch. While a Pass has an open audit its epoch's pay is
//! held in the pool (`Opened`, then `Cleared`; [`pool`]): nothing is paid for a pass that can be
//! voided.
//!
//! [`rules`] holds what audits of both kinds share (opening, deciding, voiding); a step audit's
//! entry points are in [`step`], a GEMM row's in [`gemm`]; finalizing an unanswered audit of
//! either kind is here.

pub(crate) mod gemm;
mod pool;
mod rules;
pub(crate) mod step;

use cosmwasm_std::{DepsMut, Env, Response};

use crate::error::ContractError;
use crate::state::CONFIG;

pub(crate) use rules::extend_liability;

/// `FinalizeAudit`: anyone decides `auditor`'s audit of challenge `id` that nobody answered
/// within its window, as its kind has it ([`step::unanswered`], [`gemm::unanswered`]).
pub(crate) fn finalize_audit(
    deps: DepsMut,
    env: Env,
    id: u64,
    auditor: String,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let auditor = deps.api.addr_validate(&auditor)?;
    let (mut challenge, open) = rules::load_open_audit(deps.storage, id, &auditor)?;
    if env.block.time <= open.deadline {
        return Err(ContractError::NotLapsed {});
    }
    match open.gemm_after {
        Some(after) => {
            let lapsed = (&mut challenge, &auditor, after);
            gemm::unanswered(deps, &env, &config, id, lapsed)
        }
        None => step::unanswered(deps, &env, &config, id, (&mut challenge, &auditor)),
    }
}
