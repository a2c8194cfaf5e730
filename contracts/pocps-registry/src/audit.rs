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
//! In every voided case the pool is told (`pair::ExecuteMsg::DeviceProofVoided`): the pass no
//! longer counts towards its epoch.

use cosmwasm_std::{Addr, DepsMut, Env, HexBinary, MessageInfo, Response, Storage};
use loopin::pair;
use loopin::registry::{ChallengeStatus, DeviceStatus, StepMsg, StepProofMsg};
use loopin_pocps::encode::ENCODING_VERSION;
use loopin_pocps::transcript::{SignedTranscript, Step, StepFault, judge_step};

use crate::bonds::{bonded_verifier, load_verifier, pay_from_bond, slash};
use crate::challenge::{expect_status, load_challenge};
use crate::error::ContractError;
use crate::judge::{self, hash32};
use crate::outgoing::execute_msg;
use crate::registration::invalidate_device;
use crate::rewards::reward;
use crate::state::{CHALLENGES, CONFIG, Challenge, Config, DEVICES, OpenAudit, VERIFIERS};

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
    let config = CONFIG.load(deps.storage)?;
    let mut challenge = load_challenge(deps.storage, id)?;
    expect_status(&challenge, ChallengeStatus::Passed)?;
    let record = challenge
        .pass
        .clone()
        .ok_or(ContractError::NotAuditable { id })?;
    let until = record.passed_at.plus_seconds(config.settings.audit_seconds);
    if env.block.time > until {
        return Err(ContractError::AuditWindowClosed {
            id,
            until: until.seconds(),
        });
    }
    let mut auditor = bonded_verifier(deps.storage, &config, &info.sender)?;
    if round >= record.rounds {
        return Err(ContractError::StepOutOfRange {
            round,
            rounds: record.rounds,
        });
    }
    let response = Response::new()
        .add_attribute("action", "audit")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("auditor", &info.sender)
        .add_attribute("round", round.to_string());
    if let Some(proof) = proof {
        if proof.step.round != round {
            return Err(ContractError::WrongStep {
                expected: round,
                got: proof.step.round,
            });
        }
        return match judge(deps.storage, &config, &challenge, &proof)? {
            None => Err(ContractError::StepSound { round }),
            Some(fault) => {
                let voided = void_bad_step(deps.storage, &config, id, &mut challenge, fault)?;
                let reward = reward(deps.storage, &config, &env, &info.sender)?;
                Ok(response
                    .add_attributes(voided.0)
                    .add_messages(voided.1)
                    .add_submessages(reward))
            }
        };
    }
    if auditor.open_challenges >= config.settings.max_open_challenges {
        return Err(ContractError::TooManyChallenges {
            max: config.settings.max_open_challenges,
        });
    }
    // An open audit is an open challenge of the auditor's: it cannot withdraw its bond (and
    // the fee it may owe) before the audit is decided.
    auditor.open_challenges += 1;
    VERIFIERS.save(deps.storage, &info.sender, &auditor)?;
    let deadline = env.block.time.plus_seconds(config.settings.dispute_seconds);
    challenge.status = ChallengeStatus::Audited;
    challenge.audit = Some(OpenAudit {
        auditor: info.sender.clone(),
        round,
        deadline,
    });
    CHALLENGES.save(deps.storage, id, &challenge)?;
    Ok(response
        .add_attribute("outcome", "open")
        .add_attribute("deadline", deadline.seconds().to_string()))
}

pub(crate) fn answer_audit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    proof: StepProofMsg,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (mut challenge, open) = load_audited(deps.storage, id)?;
    if env.block.time > open.deadline {
        return Err(ContractError::AuditLapsed {
            deadline: open.deadline.seconds(),
        });
    }
    if proof.step.round != open.round {
        return Err(ContractError::WrongStep {
            expected: open.round,
            got: proof.step.round,
        });
    }
    let fault = judge(deps.storage, &config, &challenge, &proof)?;
    let auditor = open.auditor.clone();
    release_auditor(deps.storage, &auditor)?;
    let response = Response::new()
        .add_attribute("action", "answer_audit")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("round", open.round.to_string());
    match fault {
        None => {
            // Shown right: the pass stands, and the auditor pays for the answer.
            challenge.status = ChallengeStatus::Passed;
            challenge.audit = None;
            CHALLENGES.save(deps.storage, id, &challenge)?;
            let (fee, transfer) = pay_from_bond(
                deps.storage,
                &config,
                &auditor,
                config.settings.audit_fee_bps,
                &info.sender,
            )?;
            Ok(response
                .add_attribute("outcome", "sound")
                .add_attribute("fee", fee)
                .add_messages(transfer))
        }
        Some(fault) => {
            // Whoever answered showed the device's own bad step.
            let voided = void_bad_step(deps.storage, &config, id, &mut challenge, fault)?;
            let reward = reward(deps.storage, &config, &env, &auditor)?;
            Ok(response
                .add_attributes(voided.0)
                .add_messages(voided.1)
                .add_submessages(reward))
        }
    }
}

pub(crate) fn finalize_audit(deps: DepsMut, env: Env, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (mut challenge, open) = load_audited(deps.storage, id)?;
    if env.block.time <= open.deadline {
        return Err(ContractError::NotLapsed {});
    }
    release_auditor(deps.storage, &open.auditor)?;
    let (attributes, mut messages) = void_pass(deps.storage, id, &mut challenge)?;
    // Nobody could show the step: the verifier passed what it cannot back. The device keeps its
    // certificate (it may only have lost a lazy verifier) but not the pass.
    let (slashed, burn) = slash(deps.storage, &config, &challenge.verifier)?;
    messages.extend(burn);
    let reward = reward(deps.storage, &config, &env, &open.auditor)?;
    Ok(Response::new()
        .add_attribute("action", "finalize_audit")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("outcome", "unanswered")
        .add_attribute("slashed", slashed)
        .add_attributes(attributes)
        .add_messages(messages)
        .add_submessages(reward))
}

/// Challenge `id`, which must be under audit, and its open audit.
fn load_audited(storage: &dyn Storage, id: u64) -> Result<(Challenge, OpenAudit), ContractError> {
    let challenge = load_challenge(storage, id)?;
    expect_status(&challenge, ChallengeStatus::Audited)?;
    let open = challenge
        .audit
        .clone()
        .ok_or(ContractError::NotAuditable { id })?;
    Ok((challenge, open))
}

/// The auditor's audit is decided: one fewer open challenge.
fn release_auditor(storage: &mut dyn Storage, auditor: &Addr) -> Result<(), ContractError> {
    let mut v = load_verifier(storage, auditor)?;
    v.open_challenges = v.open_challenges.saturating_sub(1);
    VERIFIERS.save(storage, auditor, &v)?;
    Ok(())
}

/// Judges the opened step against the challenge's recorded transcript: `None` right,
/// `Some(fault)` wrong; an error when the data is not the signed transcript's.
fn judge(
    storage: &dyn Storage,
    config: &Config,
    challenge: &Challenge,
    proof: &StepProofMsg,
) -> Result<Option<StepFault>, ContractError> {
    let id_err = || ContractError::NotAuditable { id: 0 };
    let record = challenge.pass.as_ref().ok_or_else(id_err)?;
    let target = challenge.target.as_deref().ok_or_else(id_err)?;
    let device = DEVICES.load(storage, target)?;
    // A block check under today's encoding would find every block of an older one bad.
    if device.encoding != ENCODING_VERSION {
        return Err(ContractError::LegacyEncoding {
            token_id: target.to_string(),
            encoding: device.encoding,
            current: ENCODING_VERSION,
        });
    }
    let commitment = judge::commitment(&device.commitment)?;
    let steps = u64::from(commitment.params.rounds);
    if steps > config.settings.max_recheck_steps {
        return Err(ContractError::RecheckTooCostly {
            steps,
            max: config.settings.max_recheck_steps,
        });
    }
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

/// The Pass counts for nothing: status Voided, one pass fewer on the device, and the pool told.
fn void_pass(
    storage: &mut dyn Storage,
    id: u64,
    challenge: &mut Challenge,
) -> Result<(Vec<(String, String)>, Vec<cosmwasm_std::CosmosMsg>), ContractError> {
    let target = challenge
        .target
        .clone()
        .ok_or(ContractError::NotAuditable { id })?;
    let mut device = DEVICES.load(storage, &target)?;
    device.passes = device.passes.saturating_sub(1);
    DEVICES.save(storage, &target, &device)?;
    challenge.status = ChallengeStatus::Voided;
    challenge.audit = None;
    CHALLENGES.save(storage, id, challenge)?;
    let mut messages = Vec::new();
    if let Some(at) = challenge.assigned_at {
        messages.push(execute_msg(
            &device.pool,
            &pair::ExecuteMsg::DeviceProofVoided {
                token_id: target.clone(),
                challenged_at: at,
                verifier: challenge.verifier.to_string(),
            },
        )?);
    }
    Ok((
        vec![
            ("voided".to_string(), id.to_string()),
            ("target".to_string(), target),
        ],
        messages,
    ))
}

/// A step of the device's signed transcript is wrong: the Pass is voided, its verifier slashed
/// and the device invalidated (after the pool un-counts the pass, so the invalidation settles
/// the epoch as unproven).
fn void_bad_step(
    storage: &mut dyn Storage,
    config: &Config,
    id: u64,
    challenge: &mut Challenge,
    fault: StepFault,
) -> Result<(Vec<(String, String)>, Vec<cosmwasm_std::CosmosMsg>), ContractError> {
    let (mut attributes, mut messages) = void_pass(storage, id, challenge)?;
    let (slashed, burn) = slash(storage, config, &challenge.verifier)?;
    messages.extend(burn);
    attributes.push(("outcome".to_string(), "bad_step".to_string()));
    attributes.push(("fault".to_string(), fault.to_string()));
    attributes.push(("slashed".to_string(), slashed.to_string()));
    let target = challenge.target.clone().unwrap_or_default();
    if DEVICES.load(storage, &target)?.status == DeviceStatus::Active {
        messages.push(invalidate_device(
            storage,
            &target,
            &format!("pocps: {fault}"),
        )?);
        attributes.push(("invalidated".to_string(), target));
    }
    Ok((attributes, messages))
}
