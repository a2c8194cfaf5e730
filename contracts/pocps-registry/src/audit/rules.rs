//! The rules audits of both kinds share: who may open one, opening it, deciding it from what
//! its answer showed (right: the auditor pays; wrong: the Pass is voided and the device
//! invalidated), closing it, and voiding a Pass. The entry points are in [`super::step`] and
//! [`super::gemm`].

use cosmwasm_std::{Addr, CosmosMsg, DepsMut, Empty, Env, Order, Response, Storage, Timestamp};
use loopin::pair::AuditEvent;
use loopin::registry::{ChallengeStatus, DeviceStatus, GEMM_DRAW_ROUNDS};

use super::pool;
use crate::bonds::{bonded_verifier, load_verifier, pay_from_bond, penalize, slash};
use crate::challenge::{expect_status, load_challenge};
use crate::device::invalidate_device;
use crate::error::ContractError;
use crate::rewards::reward;
use crate::state::{
    AUDITS, Audit, CHALLENGES, CONFIG, Challenge, Config, DEVICE_AUDITS, DEVICES, Device,
    GEMM_AUDITS, PassRecord, VERIFIERS, Verifier,
};

/// What the device signed and an audit showed wrong: the `outcome` attribute, the fault, and
/// what the Pass's verifier loses: its whole bond when it could have seen the fault (it replayed
/// every step), else `skip_penalty_bps` (it checks a GEMM on sampled rows only).
pub(crate) struct Fault {
    pub outcome: &'static str,
    pub text: String,
    pub whole_bond: bool,
}

/// What voiding a Pass adds to the response: attributes and messages.
type Voided = (Vec<(String, String)>, Vec<CosmosMsg>);

/// Audits one Pass may have open at a time, and ever: bounds what a void walks, and what a
/// group of auditors can make the answerer do.
pub const MAX_OPEN_AUDITS: u32 = 4;
pub const MAX_AUDITS_PER_PASS: u32 = 16;

/// Decides `auditor`'s audit of challenge `id` from what its answer showed: right, the Pass
/// stands and the auditor pays ([`shown_right`]: to `answerer` if it is the Pass's verifier,
/// else to `owner`); wrong, the device's fault ([`shown_wrong`]).
pub(crate) fn decide(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    (id, challenge): (u64, &mut Challenge),
    (auditor, answerer, owner): (&Addr, &Addr, Addr),
    fault: Option<Fault>,
    response: Response,
) -> Result<Response, ContractError> {
    match fault {
        None => shown_right(
            deps.storage,
            config,
            id,
            challenge,
            auditor,
            answerer,
            owner,
            response,
        ),
        Some(fault) => shown_wrong(deps, env, config, id, challenge, fault, auditor, response),
    }
}

/// A Pass `sender` may audit now, with what judging it needs.
pub(crate) struct Auditable {
    pub id: u64,
    pub config: Config,
    pub challenge: Challenge,
    pub record: PassRecord,
    pub device: Device,
    pub target: String,
    auditor: Verifier,
}

/// Challenge `id` as `sender` may audit it: passed, within `audit_seconds` of the Pass, and
/// `sender` a bonded verifier that is neither the Pass's verifier nor the device's owner.
pub(crate) fn auditable(
    storage: &dyn Storage,
    env: &Env,
    sender: &Addr,
    id: u64,
) -> Result<Auditable, ContractError> {
    let config = CONFIG.load(storage)?;
    let challenge = load_challenge(storage, id)?;
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
    // The Pass's own verifier and the device's owner answer audits; they do not open them (an
    // audit they answer themselves would move bond to them, or hold the Pass's audits).
    let target = challenge.target.clone().unwrap_or_default();
    let device = DEVICES.load(storage, &target)?;
    if *sender == challenge.verifier || *sender == device.owner {
        return Err(ContractError::OwnAudit {});
    }
    let auditor = bonded_verifier(storage, &config, sender)?;
    Ok(Auditable {
        id,
        config,
        challenge,
        record,
        device,
        target,
        auditor,
    })
}

/// What an audit asks for.
pub(crate) enum Asked {
    /// Step `round` of the Pass's transcript.
    Step(u32),
    /// A row of the Pass's GEMM, its cells drawn by the first beacon round after `after`.
    Gemm { after: u64 },
}

/// Opens `sender`'s audit of the Pass: one per auditor and Pass, within the open and total
/// limits of its kind; the auditor and the Pass's verifier stay bound until it is decided. A
/// GEMM audit's answer is due `dispute_seconds` after the last round that may draw its cells
/// is final.
pub(crate) fn open_audit(
    storage: &mut dyn Storage,
    env: &Env,
    a: Auditable,
    sender: &Addr,
    asked: Asked,
    response: Response,
) -> Result<Response, ContractError> {
    let Auditable {
        id,
        config,
        mut challenge,
        mut auditor,
        device,
        target,
        ..
    } = a;
    if AUDITS.has(storage, (id, sender)) {
        return Err(ContractError::AlreadyAudited { id });
    }
    let hold = pool::held_if_first(storage, &config, (&device, &target), id, &challenge)?;
    let (total, open) = match asked {
        Asked::Step(_) => (challenge.audits, challenge.open_audits),
        Asked::Gemm { .. } => GEMM_AUDITS.may_load(storage, id)?.unwrap_or_default(),
    };
    if open >= MAX_OPEN_AUDITS || total >= MAX_AUDITS_PER_PASS {
        return Err(ContractError::TooManyAudits {
            open: MAX_OPEN_AUDITS,
            total: MAX_AUDITS_PER_PASS,
        });
    }
    if auditor.open_challenges >= config.settings.max_open_challenges {
        return Err(ContractError::TooManyChallenges {
            max: config.settings.max_open_challenges,
        });
    }
    // An open audit is an open challenge of the auditor's: it cannot withdraw its bond (and
    // the fee it may owe) before the audit is decided.
    auditor.open_challenges += 1;
    VERIFIERS.save(storage, sender, &auditor)?;
    let s = &config.settings;
    let (round, gemm_after, deadline) = match asked {
        Asked::Step(round) => (round, None, env.block.time.plus_seconds(s.dispute_seconds)),
        // `dispute_seconds` after the last round that may draw the cells is final.
        Asked::Gemm { after } => {
            let drawn_by = after.saturating_add(GEMM_DRAW_ROUNDS).saturating_add(1);
            let at = drawn_by
                .saturating_mul(s.round_seconds)
                .saturating_add(s.dispute_seconds);
            (0, Some(after), config.genesis.plus_seconds(at))
        }
    };
    AUDITS.save(
        storage,
        (id, sender),
        &Audit {
            round,
            deadline,
            open: true,
            gemm_after,
        },
    )?;
    if let Some(target) = &challenge.target {
        DEVICE_AUDITS.save(storage, (target, id, sender), &Empty {})?;
    }
    if gemm_after.is_some() {
        GEMM_AUDITS.save(storage, id, &(total + 1, open + 1))?;
    } else {
        challenge.audits += 1;
        challenge.open_audits += 1;
        CHALLENGES.save(storage, id, &challenge)?;
    }
    // The Pass's verifier stays liable while the audit is open.
    extend_liability(storage, &challenge.verifier, deadline)?;
    Ok(response
        .add_messages(hold)
        .add_attribute("outcome", "open")
        .add_attribute("deadline", deadline.seconds().to_string()))
}

/// The answer to `auditor`'s audit was right: the Pass stands, and the auditor pays for the
/// answer, to the Pass's verifier if it answered, else to the device's owner (not to whoever
/// copies the answer first).
#[allow(clippy::too_many_arguments)]
pub(crate) fn shown_right(
    storage: &mut dyn Storage,
    config: &Config,
    id: u64,
    challenge: &mut Challenge,
    auditor: &Addr,
    answerer: &Addr,
    owner: Addr,
    response: Response,
) -> Result<Response, ContractError> {
    close_audit(storage, id, challenge, auditor)?;
    CHALLENGES.save(storage, id, challenge)?;
    let release = pool::released_if_last(storage, config, id, challenge)?;
    let payee = if *answerer == challenge.verifier {
        answerer.clone()
    } else {
        owner
    };
    let (fee, transfer) = pay_from_bond(
        storage,
        config,
        auditor,
        config.settings.audit_fee_bps,
        &payee,
    )?;
    Ok(response
        .add_attribute("outcome", "sound")
        .add_attribute("fee", fee)
        .add_attribute("paid_to", payee)
        .add_messages(transfer)
        .add_messages(release))
}

/// What the device signed is shown wrong (a step, or an entry of C): the Pass is voided, its
/// verifier slashed, the device invalidated, and `rewarded` (the auditor) paid its reward.
#[allow(clippy::too_many_arguments)]
pub(crate) fn shown_wrong(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    id: u64,
    challenge: &mut Challenge,
    fault: Fault,
    rewarded: &Addr,
    response: Response,
) -> Result<Response, ContractError> {
    let whole_bond = fault.whole_bond;
    let (voided, invalidated) = void_bad(deps.storage, config, id, challenge, fault)?;
    // A GEMM fault of a device past its certificate costs nobody anything: nor does it pay.
    let reward = if whole_bond || invalidated {
        reward(deps.storage, config, env, rewarded)?
    } else {
        None
    };
    Ok(response
        .add_attributes(voided.0)
        .add_messages(voided.1)
        .add_submessages(reward))
}

/// Challenge `id` and `auditor`'s open audit of it, still within its answer window.
pub(crate) fn answerable(
    storage: &dyn Storage,
    env: &Env,
    id: u64,
    auditor: &Addr,
) -> Result<(Challenge, Audit), ContractError> {
    let (challenge, open) = load_open_audit(storage, id, auditor)?;
    if env.block.time > open.deadline {
        return Err(ContractError::AuditLapsed {
            deadline: open.deadline.seconds(),
        });
    }
    Ok((challenge, open))
}

/// Challenge `id`, which must be passed, and `auditor`'s open audit of it.
pub(super) fn load_open_audit(
    storage: &dyn Storage,
    id: u64,
    auditor: &Addr,
) -> Result<(Challenge, Audit), ContractError> {
    let challenge = load_challenge(storage, id)?;
    expect_status(&challenge, ChallengeStatus::Passed)?;
    let open = AUDITS
        .may_load(storage, (id, auditor))?
        .filter(|a| a.open)
        .ok_or(ContractError::NoOpenAudit {
            id,
            auditor: auditor.to_string(),
        })?;
    Ok((challenge, open))
}

/// `auditor`'s audit of challenge `id` is decided: closed, one fewer open on the auditor and on
/// the challenge (which the caller saves).
fn close_audit(
    storage: &mut dyn Storage,
    id: u64,
    challenge: &mut Challenge,
    auditor: &Addr,
) -> Result<(), ContractError> {
    let closed = AUDITS.update(storage, (id, auditor), |a| {
        a.map(|a| Audit { open: false, ..a })
            .ok_or(ContractError::NotAuditable { id })
    })?;
    if let Some(target) = &challenge.target {
        DEVICE_AUDITS.remove(storage, (target, id, auditor));
    }
    if closed.gemm_after.is_some() {
        let (total, open) = GEMM_AUDITS.may_load(storage, id)?.unwrap_or_default();
        GEMM_AUDITS.save(storage, id, &(total, open.saturating_sub(1)))?;
    } else {
        challenge.open_audits = challenge.open_audits.saturating_sub(1);
    }
    let mut v = load_verifier(storage, auditor)?;
    v.open_challenges = v.open_challenges.saturating_sub(1);
    VERIFIERS.save(storage, auditor, &v)?;
    Ok(())
}

/// `auditor`'s audit of challenge `id` closes without effect (its cells were never drawn): its
/// record goes, so the auditor may audit the Pass again. The pool's release of the Pass's
/// epoch when it was the last open audit.
pub(crate) fn close_undrawn(
    storage: &mut dyn Storage,
    config: &Config,
    id: u64,
    challenge: &mut Challenge,
    auditor: &Addr,
) -> Result<Option<CosmosMsg>, ContractError> {
    close_audit(storage, id, challenge, auditor)?;
    AUDITS.remove(storage, (id, auditor));
    let (total, open) = GEMM_AUDITS.may_load(storage, id)?.unwrap_or_default();
    GEMM_AUDITS.save(storage, id, &(total.saturating_sub(1), open))?;
    pool::released_if_last(storage, config, id, challenge)
}

/// `verifier` stays liable (cannot withdraw what it unbonded) until at least `until`.
pub(crate) fn extend_liability(
    storage: &mut dyn Storage,
    verifier: &Addr,
    until: Timestamp,
) -> Result<(), ContractError> {
    let mut v = load_verifier(storage, verifier)?;
    if v.liable_until.is_none_or(|t| t < until) {
        v.liable_until = Some(until);
        VERIFIERS.save(storage, verifier, &v)?;
    }
    Ok(())
}

/// The Pass counts for nothing: status Voided, one pass fewer on the device, and the pool told.
pub(crate) fn void_pass(
    storage: &mut dyn Storage,
    config: &Config,
    id: u64,
    challenge: &mut Challenge,
) -> Result<Voided, ContractError> {
    let target = challenge
        .target
        .clone()
        .ok_or(ContractError::NotAuditable { id })?;
    let mut device = DEVICES.load(storage, &target)?;
    device.passes = device.passes.saturating_sub(1);
    DEVICES.save(storage, &target, &device)?;
    // Every open audit of the Pass is decided with it: its auditor is free again.
    let open: Vec<Addr> = AUDITS
        .prefix(id)
        .range(storage, None, None, Order::Ascending)
        .filter_map(|r| r.ok())
        .filter(|(_, a)| a.open)
        .map(|(auditor, _)| auditor)
        .collect();
    for auditor in &open {
        close_audit(storage, id, challenge, auditor)?;
    }
    challenge.status = ChallengeStatus::Voided;
    CHALLENGES.save(storage, id, challenge)?;
    // The pool's hold for its open audits ends (a Pass voided by a step shown at once had
    // none), and the pass no longer counts.
    let on = (&device, target.as_str());
    let released = match open.is_empty() {
        true => None,
        false => pool::report(config, on, challenge, AuditEvent::Cleared)?,
    };
    let voided = pool::report(config, on, challenge, AuditEvent::Voided)?;
    let messages: Vec<CosmosMsg> = released.into_iter().chain(voided).collect();
    Ok((
        vec![
            ("voided".to_string(), id.to_string()),
            ("target".to_string(), target),
        ],
        messages,
    ))
}

/// What the device signed is wrong (a step of its transcript, an entry of its GEMM): the Pass
/// is voided, its verifier slashed and the device invalidated (after the pool un-counts the
/// pass, so the invalidation settles the epoch as unproven); whether it was (it was active).
fn void_bad(
    storage: &mut dyn Storage,
    config: &Config,
    id: u64,
    challenge: &mut Challenge,
    fault: Fault,
) -> Result<(Voided, bool), ContractError> {
    let (mut attributes, mut messages) = void_pass(storage, config, id, challenge)?;
    let target = challenge.target.clone().unwrap_or_default();
    let active = DEVICES.load(storage, &target)?.status == DeviceStatus::Active;
    // A sampled check's miss costs the verifier only when the device pays too: a device past
    // its certificate could otherwise hand an accomplice the verifier's penalty for nothing.
    let bps = if active {
        config.settings.skip_penalty_bps
    } else {
        0
    };
    let (taken, burn) = if fault.whole_bond {
        slash(storage, config, &challenge.verifier)?
    } else {
        penalize(storage, config, &challenge.verifier, bps)?
    };
    messages.extend(burn);
    attributes.push(("outcome".to_string(), fault.outcome.to_string()));
    attributes.push(("fault".to_string(), fault.text.clone()));
    let taken_key = if fault.whole_bond {
        "slashed"
    } else {
        "penalty"
    };
    attributes.push((taken_key.to_string(), taken.to_string()));
    if active {
        messages.push(invalidate_device(
            storage,
            &target,
            &format!("pocps: {}", fault.text),
        )?);
        attributes.push(("invalidated".to_string(), target));
    }
    Ok(((attributes, messages), active))
}
