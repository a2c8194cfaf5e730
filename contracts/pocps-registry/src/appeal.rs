//! Accusations and appeals. A lateness quorum no longer invalidates at once (when the settings
//! allow appeals): it accuses the device, and its owner may appeal. The first final beacon round
//! after the appeal draws `appeal_draw` verifiers weighted by bond, none of them the owner or a
//! verifier that attested the lateness, and assigns each a challenge on the device. Their
//! verdicts decide: `appeal_passes` Passes uphold it (the accusers pay `overturned_late_bps`),
//! enough Late verdicts to rule that out lose it (the device is invalidated).
//!
//! Why: a Late vote carries no evidence, so a few colluding verifiers assigned the device could
//! invalidate an honest one. They cannot choose who decides the appeal: the beacon draws it from
//! the whole bonded set, after the appeal is filed.

use cosmwasm_std::{
    Addr, CosmosMsg, DepsMut, Empty, Env, MessageInfo, Order, Response, Storage, Timestamp, Uint128,
};
use loopin::registry::{
    Accusation, Appeal, AppealDuty, ChallengeStatus, DeviceStatus, MAX_APPEALS,
    MAX_PENALISED_VOTERS,
};
use sha2::{Digest, Sha256};

use crate::bonds::penalize;
use crate::entropy::{current_round, randomness_round};
use crate::error::ContractError;
use crate::judge;
use crate::registration::invalidate_device;
use crate::state::{
    APPEAL_DUTIES, CHALLENGES, CONFIG, Challenge, Config, DEVICES, Device, LATE_COUNT, LATE_VOTES,
    NEXT_CHALLENGE, OPEN_ASSIGNMENTS, VERIFIERS,
};

/// What an appeal challenge's verifier found, or that it found nothing in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Finding {
    Pass,
    Late,
    Lapsed,
}

/// How long a late voter stays liable for the penalty of an overturned vote: the rest of its
/// window (the quorum may come at its end), then every appeal the accusation may draw, each
/// filed, drawn and answered.
pub(crate) fn late_liability(config: &Config, now: Timestamp) -> Timestamp {
    let s = &config.settings;
    let one_appeal = s
        .appeal_seconds
        .saturating_add(s.assign_window_rounds.saturating_mul(s.round_seconds))
        .saturating_add(s.response_seconds);
    now.plus_seconds(
        s.lateness_window_seconds
            .saturating_add(u64::from(MAX_APPEALS).saturating_mul(one_appeal)),
    )
}

/// The lateness quorum of `window` was reached on `token_id`: the device is accused (the
/// invalidation message if the settings allow no appeal). An accused device is not accused
/// again.
pub(crate) fn accuse(
    storage: &mut dyn Storage,
    config: &Config,
    now: Timestamp,
    token_id: &str,
    window: u64,
    votes: u32,
) -> Result<Option<CosmosMsg>, ContractError> {
    if config.settings.appeal_seconds == 0 {
        let reason = format!("pocps: late, attested by {votes} verifiers");
        return invalidate_device(storage, token_id, &reason).map(Some);
    }
    let mut device = DEVICES.load(storage, token_id)?;
    if device.accusation.is_none() {
        device.accusation = Some(Accusation {
            window,
            votes,
            appeal_by: now.plus_seconds(config.settings.appeal_seconds),
            appeals: 0,
            appeal: None,
        });
        DEVICES.save(storage, token_id, &device)?;
    }
    Ok(None)
}

/// The active, accused device `token_id` and its accusation.
fn accused(storage: &dyn Storage, token_id: &str) -> Result<(Device, Accusation), ContractError> {
    let device =
        DEVICES
            .may_load(storage, token_id)?
            .ok_or_else(|| ContractError::UnknownDevice {
                token_id: token_id.to_string(),
            })?;
    if device.status != DeviceStatus::Active {
        return Err(ContractError::DeviceNotActive {
            token_id: token_id.to_string(),
        });
    }
    let accusation = device
        .accusation
        .clone()
        .ok_or_else(|| ContractError::NotAccused {
            token_id: token_id.to_string(),
        })?;
    Ok((device, accusation))
}

/// Time to draw an appeal filed by `appeal_by`: the assignment window after it.
fn draw_by(config: &Config, accusation: &Accusation) -> Timestamp {
    let s = &config.settings;
    accusation
        .appeal_by
        .plus_seconds(s.assign_window_rounds.saturating_mul(s.round_seconds))
}

/// `Appeal { token_id }`: the device's owner files an appeal.
pub(crate) fn appeal(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (mut device, mut accusation) = accused(deps.storage, &token_id)?;
    if device.owner != info.sender {
        return Err(ContractError::NotDeviceOwner {});
    }
    if accusation.appeal.is_some() {
        return Err(ContractError::AppealPending { token_id });
    }
    if env.block.time > accusation.appeal_by {
        return Err(ContractError::AppealLapsed {
            until: accusation.appeal_by.seconds(),
        });
    }
    if accusation.appeals >= MAX_APPEALS {
        return Err(ContractError::TooManyAppeals { max: MAX_APPEALS });
    }
    let filed_round = current_round(&config, &env);
    accusation.appeals += 1;
    accusation.appeal = Some(Appeal {
        filed_round,
        challenges: vec![],
        passes: 0,
        lates: 0,
        lapsed: 0,
    });
    let appeals = accusation.appeals;
    device.accusation = Some(accusation);
    DEVICES.save(deps.storage, &token_id, &device)?;
    Ok(Response::new()
        .add_attribute("action", "appeal")
        .add_attribute("token_id", token_id)
        .add_attribute("filed_round", filed_round.to_string())
        .add_attribute("appeal", appeals.to_string()))
}

/// Randomness of an appeal's draw: the beacon value bound to the device and the appeal.
fn appeal_randomness(beacon: &[u8; 32], token_id: &str, appeal: u32) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"loopin-registry/appeal")
        .chain_update(beacon)
        .chain_update((token_id.len() as u64).to_be_bytes())
        .chain_update(token_id)
        .chain_update(appeal.to_be_bytes())
        .finalize()
        .into()
}

/// Bonded verifiers an appeal of `device` may draw, with their bonds: not slashed, at least the
/// minimum bond, a challenge key to sign with, neither the owner nor a voter of the window.
fn eligible(
    storage: &dyn Storage,
    config: &Config,
    token_id: &str,
    device: &Device,
    window: u64,
) -> Result<Vec<(Addr, Uint128)>, ContractError> {
    let mut out = vec![];
    for item in VERIFIERS.range(storage, None, None, Order::Ascending) {
        let (address, v) = item?;
        if v.slashed
            || v.bonded < config.settings.min_bond
            || v.challenge_key.is_none()
            || address == device.owner
            || LATE_VOTES.has(storage, (token_id, window, &address))
        {
            continue;
        }
        out.push((address, v.bonded));
    }
    Ok(out)
}

/// Draws `n` of `pool` without replacement, each with probability proportional to its bond.
fn draw_weighted(mut pool: Vec<(Addr, Uint128)>, randomness: &[u8; 32], n: usize) -> Vec<Addr> {
    let mut drawn = vec![];
    for i in 0..n {
        let total: u128 = pool.iter().map(|(_, b)| b.u128()).sum();
        if total == 0 {
            break;
        }
        let h: [u8; 32] = Sha256::new()
            .chain_update(randomness)
            .chain_update((i as u32).to_be_bytes())
            .finalize()
            .into();
        let mut x = u128::from_be_bytes(h[..16].try_into().unwrap_or_default()) % total;
        let mut pick = pool.len() - 1;
        for (j, (_, bond)) in pool.iter().enumerate() {
            if x < bond.u128() {
                pick = j;
                break;
            }
            x -= bond.u128();
        }
        drawn.push(pool.remove(pick).0);
    }
    drawn
}

/// `DrawAppeal { token_id }`: anyone draws a filed appeal's verifiers and assigns their
/// challenges.
pub(crate) fn draw_appeal(
    deps: DepsMut,
    env: Env,
    token_id: String,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (mut device, mut accusation) = accused(deps.storage, &token_id)?;
    let until = draw_by(&config, &accusation);
    let Some(appeal) = accusation.appeal.as_mut() else {
        return Err(ContractError::NoAppeal { token_id });
    };
    if !appeal.challenges.is_empty() {
        return Err(ContractError::AppealPending { token_id });
    }
    if env.block.time > until {
        return Err(ContractError::AppealLapsed {
            until: until.seconds(),
        });
    }
    let (round, beacon) = randomness_round(
        deps.storage,
        &config,
        &env,
        appeal.filed_round,
        &device.owner,
    )?
    .ok_or(ContractError::RandomnessPending {
        round: appeal.filed_round,
    })?;
    let pool = eligible(deps.storage, &config, &token_id, &device, accusation.window)?;
    let needed = config.settings.appeal_passes;
    if (pool.len() as u64) < u64::from(needed) {
        return Err(ContractError::TooFewVerifiers {
            eligible: pool.len() as u32,
            needed,
        });
    }
    let randomness = appeal_randomness(&beacon.value, &token_id, accusation.appeals);
    let drawn = draw_weighted(pool, &randomness, config.settings.appeal_draw as usize);
    let answer_by = env
        .block
        .time
        .plus_seconds(config.settings.response_seconds);
    let mut response = Response::new()
        .add_attribute("action", "draw_appeal")
        .add_attribute("token_id", &token_id)
        .add_attribute("randomness_round", round.to_string());
    for verifier in drawn {
        let id = NEXT_CHALLENGE.load(deps.storage)?;
        NEXT_CHALLENGE.save(deps.storage, &(id + 1))?;
        let challenge = Challenge {
            verifier: verifier.clone(),
            secret_hash: [0; 32],
            committed_round: appeal.filed_round,
            randomness_round: Some(round),
            randomness: Some(judge::challenge_randomness(&beacon.value, id)),
            target: Some(token_id.clone()),
            assigned_at: Some(env.block.time),
            status: ChallengeStatus::Assigned,
            disputed: None,
            prev_assigned: None,
            pass: None,
            audits: 0,
            open_audits: 0,
            appeal: true,
        };
        CHALLENGES.save(deps.storage, id, &challenge)?;
        OPEN_ASSIGNMENTS.save(deps.storage, (&token_id, id), &Empty {})?;
        APPEAL_DUTIES.save(
            deps.storage,
            (&verifier, id),
            &AppealDuty {
                challenge_id: id,
                token_id: token_id.clone(),
                answer_by,
            },
        )?;
        VERIFIERS.update(deps.storage, &verifier, |v| {
            let mut v = v.unwrap_or_default();
            v.open_challenges += 1;
            Ok::<_, ContractError>(v)
        })?;
        appeal.challenges.push(id);
        response = response.add_attribute("drawn", format!("{verifier}:{id}"));
    }
    device.accusation = Some(accusation);
    DEVICES.save(deps.storage, &token_id, &device)?;
    Ok(response)
}

/// `FinalizeAccusation { token_id }`: anyone invalidates an accused device whose time to appeal
/// (or to have its appeal drawn) is over.
pub(crate) fn finalize_accusation(
    deps: DepsMut,
    env: Env,
    token_id: String,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (_, accusation) = accused(deps.storage, &token_id)?;
    let until = match &accusation.appeal {
        None => accusation.appeal_by,
        Some(appeal) if appeal.challenges.is_empty() => draw_by(&config, &accusation),
        // Drawn: its verdicts (or their lapse) decide.
        Some(_) => return Err(ContractError::AppealPending { token_id }),
    };
    if env.block.time <= until {
        return Err(ContractError::AppealWindowOpen {
            until: until.seconds(),
        });
    }
    let reason = format!(
        "pocps: late, attested by {} verifiers, not appealed",
        accusation.votes
    );
    let msg = invalidate_device(deps.storage, &token_id, &reason)?;
    Ok(Response::new()
        .add_attribute("action", "finalize_accusation")
        .add_attribute("invalidated", token_id)
        .add_message(msg))
}

/// Counts what appeal challenge `id` found on its device and decides the appeal when it can:
/// the messages (penalties, an invalidation) and the outcome, if decided. A challenge of an
/// appeal that is no longer in progress (decided, or its device invalidated) counts for
/// nothing.
pub(crate) fn record(
    storage: &mut dyn Storage,
    config: &Config,
    now: Timestamp,
    id: u64,
    token_id: &str,
    finding: Finding,
) -> Result<(Vec<CosmosMsg>, Option<&'static str>), ContractError> {
    let mut device = DEVICES.load(storage, token_id)?;
    let Some(mut accusation) = device.accusation.clone() else {
        return Ok((vec![], None));
    };
    let Some(appeal) = accusation
        .appeal
        .as_mut()
        .filter(|a| a.challenges.contains(&id))
    else {
        return Ok((vec![], None));
    };
    if device.status != DeviceStatus::Active {
        return Ok((vec![], None));
    }
    match finding {
        Finding::Pass => appeal.passes += 1,
        Finding::Late => appeal.lates += 1,
        Finding::Lapsed => appeal.lapsed += 1,
    }
    let drawn = appeal.challenges.len() as u32;
    let needed = config.settings.appeal_passes;
    if appeal.passes >= needed {
        device.accusation = None;
        DEVICES.save(storage, token_id, &device)?;
        let msgs = overturn(storage, config, token_id, accusation.window)?;
        return Ok((msgs, Some("upheld")));
    }
    let open = drawn - appeal.passes - appeal.lates - appeal.lapsed;
    let lost = appeal.passes + open < needed && appeal.lates > 0;
    let exhausted = appeal.passes + open < needed && accusation.appeals >= MAX_APPEALS;
    if lost || exhausted {
        device.accusation = None;
        DEVICES.save(storage, token_id, &device)?;
        let reason = format!(
            "pocps: late, attested by {} verifiers, appeal lost",
            accusation.votes
        );
        return Ok((
            vec![invalidate_device(storage, token_id, &reason)?],
            Some("lost"),
        ));
    }
    let outcome = if open == 0 {
        // Undecided: the drawn verifiers let it lapse. It may be filed again.
        accusation.appeal = None;
        accusation.appeal_by = accusation
            .appeal_by
            .max(now.plus_seconds(config.settings.appeal_seconds));
        Some("undecided")
    } else {
        None
    };
    device.accusation = Some(accusation);
    DEVICES.save(storage, token_id, &device)?;
    Ok((vec![], outcome))
}

/// An upheld appeal: the window's count starts again (its voters stay recorded, so they cannot
/// vote again in it) and each voter pays `overturned_late_bps` of its bond.
fn overturn(
    storage: &mut dyn Storage,
    config: &Config,
    token_id: &str,
    window: u64,
) -> Result<Vec<CosmosMsg>, ContractError> {
    LATE_COUNT.remove(storage, (token_id, window));
    let voters: Vec<Addr> = LATE_VOTES
        .prefix((token_id, window))
        .keys(storage, None, None, Order::Ascending)
        .take(MAX_PENALISED_VOTERS as usize)
        .collect::<Result<_, _>>()?;
    let mut msgs = vec![];
    for voter in voters {
        let (_, burn) = penalize(storage, config, &voter, config.settings.overturned_late_bps)?;
        msgs.extend(burn);
    }
    Ok(msgs)
}
