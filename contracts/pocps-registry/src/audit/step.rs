//! Audits of a Pass's timed chain: any bonded verifier names one step of the device-signed
//! transcript, and the chain judges it from two openings and one block check
//! ([`super::rules`] has the rules both kinds of audit share), and what an unanswered one costs.

use cosmwasm_std::{Addr, DepsMut, Env, HexBinary, MessageInfo, Response};
use loopin::registry::{StepMsg, StepProofMsg};
use loopin_pocps::encode::ENCODING_VERSION;
use loopin_pocps::transcript::{SignedTranscript, Step, StepFault, judge_step};

use super::rules::{
    Asked, Fault, answerable, auditable, decide, open_audit, shown_wrong, void_pass,
};
use crate::bonds::slash;
use crate::error::ContractError;
use crate::judge::{self, hash32};
use crate::rewards::reward;
use crate::state::{CONFIG, Challenge, Config, DEVICES, Device};

impl Fault {
    fn step(fault: &StepFault) -> Fault {
        Fault {
            outcome: "bad_step",
            text: fault.to_string(),
            whole_bond: true,
        }
    }
}

/// Longest step path accepted (a transcript of 2^32 reads).
const MAX_STEP_PATH: usize = 32;

pub(crate) fn audit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    round: u32,
    proof: Option<StepProofMsg>,
) -> Result<Response, ContractError> {
    let a = auditable(deps.storage, &env, &info.sender, id)?;
    if round >= a.record.rounds {
        return Err(ContractError::StepOutOfRange {
            round,
            rounds: a.record.rounds,
        });
    }
    // Only a step the chain can judge is asked for: nobody is voided for an answer that
    // could not be checked.
    judgeable(&a.config, &a.device, &a.target)?;
    let response = Response::new()
        .add_attribute("action", "audit")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("auditor", &info.sender)
        .add_attribute("round", round.to_string());
    let Some(proof) = proof else {
        return open_audit(
            deps.storage,
            &env,
            a,
            &info.sender,
            Asked::Step(round),
            response,
        );
    };
    // A proof of a bad step is judged whatever audits are open.
    if proof.step.round != round {
        return Err(ContractError::WrongStep {
            expected: round,
            got: proof.step.round,
        });
    }
    match judge(&a.challenge, &a.device, &proof)? {
        None => Err(ContractError::StepSound { round }),
        Some(fault) => {
            let mut challenge = a.challenge;
            let fault = Fault::step(&fault);
            shown_wrong(
                deps,
                &env,
                &a.config,
                id,
                &mut challenge,
                fault,
                &info.sender,
                response,
            )
        }
    }
}

pub(crate) fn answer_audit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    auditor: String,
    proof: StepProofMsg,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let auditor = deps.api.addr_validate(&auditor)?;
    let (mut challenge, open) = answerable(deps.storage, &env, id, &auditor)?;
    if open.gemm_after.is_some() {
        return Err(ContractError::WrongAuditKind { id, gemm: true });
    }
    if proof.step.round != open.round {
        return Err(ContractError::WrongStep {
            expected: open.round,
            got: proof.step.round,
        });
    }
    let target = challenge.target.clone().unwrap_or_default();
    let device = DEVICES.load(deps.storage, &target)?;
    judgeable(&config, &device, &target)?;
    let fault = judge(&challenge, &device, &proof)?;
    let response = Response::new()
        .add_attribute("action", "answer_audit")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("auditor", &auditor)
        .add_attribute("round", open.round.to_string());
    // Whoever answered showed the device's own bad step, or its right one.
    let parties = (&auditor, &info.sender, device.owner);
    let fault = fault.as_ref().map(Fault::step);
    decide(
        deps,
        &env,
        &config,
        (id, &mut challenge),
        parties,
        fault,
        response,
    )
}

/// Whether the chain can judge a step of the device's transcript: today's encoding (a block
/// check under it would find every block of an older one bad) and one block's check within
/// `max_recheck_steps`.
fn judgeable(config: &Config, device: &Device, target: &str) -> Result<(), ContractError> {
    if device.encoding != ENCODING_VERSION {
        return Err(ContractError::LegacyEncoding {
            token_id: target.to_string(),
            encoding: device.encoding,
            current: ENCODING_VERSION,
        });
    }
    let steps = u64::from(device.commitment.params.rounds);
    if steps > config.settings.max_recheck_steps {
        return Err(ContractError::RecheckTooCostly {
            steps,
            max: config.settings.max_recheck_steps,
        });
    }
    Ok(())
}

/// Judges the opened step against the challenge's recorded transcript, on its `device` (found
/// [`judgeable`]): `None` right, `Some(fault)` wrong; an error when the data is not the signed
/// transcript's.
fn judge(
    challenge: &Challenge,
    device: &Device,
    proof: &StepProofMsg,
) -> Result<Option<StepFault>, ContractError> {
    let record = challenge
        .pass
        .as_ref()
        .ok_or(ContractError::NotAuditable { id: 0 })?;
    let commitment = judge::commitment(&device.commitment)?;
    let signed = SignedTranscript {
        rounds: record.rounds,
        final_state: record.final_state,
        root: record.root,
    };
    let opened = step(&proof.step)?;
    let next = proof.next.as_ref().map(step).transpose()?;
    judge_step(&commitment, &record.seed, &signed, &opened, next.as_ref()).map_err(|e| {
        ContractError::BadStepProof {
            reason: e.to_string(),
        }
    })
}

fn step(s: &StepMsg) -> Result<Step, ContractError> {
    if s.path.len() > MAX_STEP_PATH {
        return Err(ContractError::BadStepProof {
            reason: format!("a path has at most {MAX_STEP_PATH} hashes"),
        });
    }
    Ok(Step {
        round: s.round,
        state: hash32("state", &s.state)?,
        block: s.block.u128(),
        path: s
            .path
            .iter()
            .map(|h: &HexBinary| hash32("path", h))
            .collect::<Result<_, _>>()?,
    })
}

/// A step audit nobody answered within its window: nobody could show the step, so the
/// verifier passed what it cannot back. The Pass is voided and its verifier slashed; the
/// device keeps its certificate (it may only have lost a lazy verifier) but not the pass; the
/// auditor is paid its reward.
pub(super) fn unanswered(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    id: u64,
    (challenge, auditor): (&mut Challenge, &Addr),
) -> Result<Response, ContractError> {
    let (attributes, mut messages) = void_pass(deps.storage, config, id, challenge)?;
    let (slashed, burn) = slash(deps.storage, config, &challenge.verifier)?;
    messages.extend(burn);
    let reward = reward(deps.storage, config, env, auditor)?;
    Ok(Response::new()
        .add_attribute("action", "finalize_audit")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("outcome", "unanswered")
        .add_attribute("slashed", slashed)
        .add_attributes(attributes)
        .add_messages(messages)
        .add_submessages(reward))
}
