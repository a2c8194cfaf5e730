//! Challenges from a verifier's commit to their close: the challenge key, the commit, the
//! random assignment to a device, closing, and expiry of lapsed challenges.

use cosmwasm_std::{
    Addr, DepsMut, Empty, Env, HexBinary, MessageInfo, Response, Storage, Timestamp,
};
use loopin::registry::{
    CHALLENGE_KEY_LEN, ChallengeStatus, DeviceStatus, MAX_ASSIGN_TRIES, MAX_ROUND_SCAN,
};
use loopin_pocps::merkle::Hash;
use loopin_pocps::sig::{SigVerifier, challenge_key_message};

use crate::appeal::{self, Finding};
use crate::bonds::{bonded_verifier, load_verifier, penalize};
use crate::entropy::{current_round, randomness_round};
use crate::error::ContractError;
use crate::expiry;
use crate::judge::{self, HostVerifier, hash32};
use crate::state::{
    APPEAL_DUTIES, CHALLENGE_KEYS, CHALLENGES, CONFIG, Challenge, Config, DEVICE_COUNT,
    DEVICE_LIST, DEVICES, Device, LAST_ASSIGNED, NEXT_CHALLENGE, OPEN_ASSIGNMENTS, OPEN_DISPUTES,
    SECRET_HASHES, VERIFIERS, Verifier,
};

pub(crate) fn load_challenge(storage: &dyn Storage, id: u64) -> Result<Challenge, ContractError> {
    CHALLENGES
        .may_load(storage, id)?
        .ok_or(ContractError::UnknownChallenge { id })
}

pub(crate) fn expect_status(
    challenge: &Challenge,
    expected: ChallengeStatus,
) -> Result<(), ContractError> {
    if challenge.status != expected {
        return Err(ContractError::WrongStatus {
            status: format!("{:?}", challenge.status),
            expected: format!("{expected:?}"),
        });
    }
    Ok(())
}

pub(crate) fn set_challenge_key(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    pubkey: HexBinary,
    signature: HexBinary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut verifier = bonded_verifier(deps.storage, &config, &info.sender)?;
    if pubkey.len() != CHALLENGE_KEY_LEN || !matches!(pubkey[0], 2 | 3) {
        return Err(ContractError::InvalidChallengeKey {});
    }
    let message =
        challenge_key_message(env.contract.address.as_str(), info.sender.as_str(), &pubkey);
    if !HostVerifier(deps.api).verify(&message, &signature, &pubkey) {
        return Err(ContractError::ChallengeKeyNotProven {});
    }
    match CHALLENGE_KEYS.may_load(deps.storage, &pubkey)? {
        Some(owner) if owner != info.sender => return Err(ContractError::ChallengeKeyTaken {}),
        _ => {}
    }
    if let Some(old) = verifier.challenge_key.replace(pubkey.clone()) {
        CHALLENGE_KEYS.remove(deps.storage, &old);
    }
    verifier.raised_at = Some(env.block.time);
    CHALLENGE_KEYS.save(deps.storage, &pubkey, &info.sender)?;
    VERIFIERS.save(deps.storage, &info.sender, &verifier)?;
    Ok(Response::new()
        .add_attribute("action", "set_challenge_key")
        .add_attribute("verifier", info.sender)
        .add_attribute("challenge_key", pubkey.to_hex()))
}

pub(crate) fn commit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    secret_hash: HexBinary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut verifier = bonded_verifier(deps.storage, &config, &info.sender)?;
    if verifier.challenge_key.is_none() {
        return Err(ContractError::NoChallengeKey {});
    }
    if verifier.open_challenges >= config.settings.max_open_challenges {
        return Err(ContractError::TooManyChallenges {
            max: config.settings.max_open_challenges,
        });
    }
    let secret_hash = hash32("secret_hash", &secret_hash)?;
    if SECRET_HASHES.has(deps.storage, &secret_hash) {
        return Err(ContractError::SecretReused {});
    }
    let id = NEXT_CHALLENGE.load(deps.storage)?;
    NEXT_CHALLENGE.save(deps.storage, &(id + 1))?;
    SECRET_HASHES.save(deps.storage, &secret_hash, &id)?;
    let round = current_round(&config, &env);
    CHALLENGES.save(
        deps.storage,
        id,
        &Challenge {
            verifier: info.sender.clone(),
            secret_hash,
            committed_round: round,
            randomness_round: None,
            randomness: None,
            target: None,
            assigned_at: None,
            status: ChallengeStatus::Committed,
            disputed: None,
            prev_assigned: None,
            pass: None,
            audits: 0,
            open_audits: 0,
            appeal: false,
            sweep: None,
            drawn_at: None,
        },
    )?;
    verifier.open_challenges += 1;
    VERIFIERS.save(deps.storage, &info.sender, &verifier)?;
    Ok(Response::new()
        .add_attribute("action", "commit")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("verifier", info.sender)
        .add_attribute("round", round.to_string()))
}

/// `Assign { challenge_id }`: anyone assigns a committed challenge, once the first beacon round
/// after its commit is final, to a device that round draws ([`draw_target`]).
pub(crate) fn assign(mut deps: DepsMut, env: Env, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut challenge = load_challenge(deps.storage, id)?;
    expect_status(&challenge, ChallengeStatus::Committed)?;
    let (round, beacon) = randomness_round(
        deps.storage,
        &config,
        &env,
        challenge.committed_round,
        &challenge.verifier,
    )?
    .ok_or(ContractError::RandomnessPending {
        round: challenge.committed_round,
    })?;
    if current_round(&config, &env) > round.saturating_add(config.settings.assign_window_rounds) {
        return Err(ContractError::ChallengeLapsed {});
    }
    let randomness = judge::challenge_randomness(&beacon.value, id);
    let (target, pruned) = draw_target(
        deps.branch(),
        (&config, &env),
        &challenge.verifier,
        &randomness,
    )?;
    // A refusal undoes the prunes with everything else: a draw that meets only ended devices
    // is refused until they are pruned (`Prune`) or their challenges close.
    let target = target.ok_or(ContractError::NoEligibleTarget {})?;
    challenge.randomness_round = Some(round);
    challenge.randomness = Some(randomness);
    challenge.target = Some(target.clone());
    challenge.assigned_at = Some(env.block.time);
    challenge.status = ChallengeStatus::Assigned;
    challenge.prev_assigned = LAST_ASSIGNED.may_load(deps.storage, &target)?;
    LAST_ASSIGNED.save(deps.storage, &target, &env.block.time)?;
    CHALLENGES.save(deps.storage, id, &challenge)?;
    OPEN_ASSIGNMENTS.save(deps.storage, (&target, id), &Empty {})?;
    let response = Response::new()
        .add_attribute("action", "assign")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("verifier", challenge.verifier)
        .add_attribute("target", target)
        .add_attribute("randomness_round", round.to_string());
    Ok(if pruned.is_empty() {
        response
    } else {
        response.add_attribute("pruned", pruned.join(","))
    })
}

/// The device `randomness` draws for `verifier`'s challenge, if any, and the ended devices
/// pruned on the way. Up to `MAX_ASSIGN_TRIES` slots of the dense list are walked and
/// `assign_choices` eligible devices compared; the running candidate is the device assigned
/// longest ago among those compared so far (never assigned first), never one of the
/// verifier's own.
fn draw_target(
    deps: DepsMut,
    (config, env): (&Config, &Env),
    verifier: &Addr,
    randomness: &Hash,
) -> Result<(Option<String>, Vec<String>), ContractError> {
    let mut count = DEVICE_COUNT.load(deps.storage)?;
    // A device that does not beat the running candidate costs two small reads.
    let mut target: Option<(String, Option<Timestamp>)> = None;
    let mut compared = 0;
    let mut walk = judge::Walk::new(randomness, count);
    // Devices whose certificate ended, met on the way: pruned (out of the draw, fingerprint
    // free), each at the cost of its draw, so gas stays bounded by MAX_ASSIGN_TRIES queries.
    let mut pruned = vec![];
    for attempt in 0..MAX_ASSIGN_TRIES {
        if count == 0 || compared >= config.settings.assign_choices {
            break;
        }
        let token_id = DEVICE_LIST.load(deps.storage, walk.slot(attempt))?;
        let last = LAST_ASSIGNED.may_load(deps.storage, &token_id)?;
        if let Some((best, best_last)) = &target
            && (*best == token_id || last >= *best_last)
        {
            compared += 1;
            continue;
        }
        let device = DEVICES.load(deps.storage, &token_id)?;
        // Never a device of the verifier's own.
        if device.owner == *verifier {
            continue;
        }
        match expiry::cert_state(deps.as_ref(), config, env.block.time, &token_id) {
            expiry::CertState::Running { .. } => {
                compared += 1;
                target = Some((token_id, last));
            }
            expiry::CertState::Ended(status) => {
                if prune_met(deps.storage, &token_id, device, status)? {
                    count -= 1;
                    walk = judge::Walk::new(randomness, count);
                    pruned.push(token_id);
                }
            }
        }
    }
    Ok((target.map(|(token_id, _)| token_id), pruned))
}

/// Prunes an ended device the draw met: whether it was. One with a challenge still open (or
/// accused) stays until it closes; it is skipped.
fn prune_met(
    storage: &mut dyn Storage,
    token_id: &str,
    device: Device,
    status: DeviceStatus,
) -> Result<bool, ContractError> {
    match expiry::release(storage, token_id, device, status) {
        Ok(()) => Ok(true),
        Err(ContractError::DeviceChallenged { .. } | ContractError::DeviceAccused { .. }) => {
            Ok(false)
        }
        Err(err) => Err(err),
    }
}

/// Drops the challenge from its target's open assignments or disputes (no-op unless it was
/// assigned or disputed).
pub(crate) fn leave_open(storage: &mut dyn Storage, id: u64, challenge: &Challenge) {
    let Some(target) = &challenge.target else {
        return;
    };
    match challenge.status {
        ChallengeStatus::Assigned => {
            OPEN_ASSIGNMENTS.remove(storage, (target, id));
            if challenge.appeal {
                APPEAL_DUTIES.remove(storage, (&challenge.verifier, id));
            }
        }
        ChallengeStatus::Disputed => OPEN_DISPUTES.remove(storage, (target, id)),
        _ => {}
    }
}

/// Closes a challenge of the verifier: one fewer open, and saves both.
pub(crate) fn close(
    storage: &mut dyn Storage,
    id: u64,
    challenge: &mut Challenge,
    status: ChallengeStatus,
) -> Result<Verifier, ContractError> {
    leave_open(storage, id, challenge);
    challenge.status = status;
    CHALLENGES.save(storage, id, challenge)?;
    let mut verifier = load_verifier(storage, &challenge.verifier)?;
    verifier.open_challenges = verifier.open_challenges.saturating_sub(1);
    VERIFIERS.save(storage, &challenge.verifier, &verifier)?;
    Ok(verifier)
}

/// `Expire { challenge_id }`: anyone closes a challenge that lapsed, committed and never
/// assigned in time or assigned and never answered; a verifier that skipped its assigned
/// challenge pays `skip_penalty_bps` ([`skipped`]).
pub(crate) fn expire(deps: DepsMut, env: Env, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut challenge = load_challenge(deps.storage, id)?;
    if !lapsed(deps.storage, &config, &env, &challenge)? {
        return Err(ContractError::NotLapsed {});
    }
    let skipped = skipped(deps.storage, &config, &challenge)?;
    give_back_place(deps.storage, &challenge)?;
    close(deps.storage, id, &mut challenge, ChallengeStatus::Expired)?;
    let response = Response::new()
        .add_attribute("action", "expire")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("verifier", challenge.verifier.as_str());
    if !skipped {
        return Ok(response);
    }
    // A drawn verifier that skipped its appeal challenge found nothing.
    let response = appeal::count(
        deps.storage,
        &config,
        env.block.time,
        id,
        &challenge,
        Finding::Lapsed,
        response,
    )?;
    let (penalty, burn) = penalize(
        deps.storage,
        &config,
        &challenge.verifier,
        config.settings.skip_penalty_bps,
    )?;
    Ok(response
        .add_attribute("penalty", penalty.to_string())
        .add_messages(burn))
}

/// Whether `challenge` lapsed: committed, once a qualifying round exists and its assignment
/// window passed, or when no round qualified for the scan length; assigned, once its response
/// time passed. Any other status is refused.
fn lapsed(
    storage: &dyn Storage,
    config: &Config,
    env: &Env,
    challenge: &Challenge,
) -> Result<bool, ContractError> {
    Ok(match challenge.status {
        ChallengeStatus::Committed => {
            let now = current_round(config, env);
            match randomness_round(
                storage,
                config,
                env,
                challenge.committed_round,
                &challenge.verifier,
            )? {
                Some((round, _)) => {
                    now > round.saturating_add(config.settings.assign_window_rounds)
                }
                None => {
                    now > challenge
                        .committed_round
                        .saturating_add(u64::from(MAX_ROUND_SCAN))
                        .saturating_add(config.settings.assign_window_rounds)
                }
            }
        }
        ChallengeStatus::Assigned => challenge
            .assigned_at
            .is_some_and(|at| env.block.time > at.plus_seconds(config.settings.response_seconds)),
        _ => {
            return Err(ContractError::WrongStatus {
                status: format!("{:?}", challenge.status),
                expected: "Committed or Assigned".into(),
            });
        }
    })
}

/// Whether the lapsed `challenge` is work its verifier skipped: assigned to it and never
/// answered. One never assigned (no beacon round qualified), or whose device stopped being
/// active before the verifier could submit (`Submit` is refused then), is not its fault.
fn skipped(
    storage: &dyn Storage,
    config: &Config,
    challenge: &Challenge,
) -> Result<bool, ContractError> {
    let target_active = match challenge.target.as_deref() {
        Some(t) => DEVICES
            .may_load(storage, t)?
            .is_some_and(|d| d.status == DeviceStatus::Active),
        None => false,
    };
    // A sweep drawn late (someone waited, or the drawn verifier changed its bond to hand it on)
    // left too little time to be the verifier's fault.
    let drawn_late = crate::sweep::drawn_late(config, challenge);
    Ok(challenge.status == ChallengeStatus::Assigned && target_active && !drawn_late)
}

/// A lapsed assignment did not challenge its device: its place in the queue comes back
/// (unless it was assigned again since).
fn give_back_place(storage: &mut dyn Storage, challenge: &Challenge) -> Result<(), ContractError> {
    if let (Some(target), Some(at)) = (challenge.target.as_deref(), challenge.assigned_at)
        && challenge.status == ChallengeStatus::Assigned
        && !challenge.appeal
        && challenge.sweep.is_none()
        && LAST_ASSIGNED.may_load(storage, target)? == Some(at)
    {
        match challenge.prev_assigned {
            Some(prev) => LAST_ASSIGNED.save(storage, target, &prev)?,
            None => LAST_ASSIGNED.remove(storage, target),
        }
    }
    Ok(())
}
