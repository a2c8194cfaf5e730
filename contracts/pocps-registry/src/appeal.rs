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
    Addr, CosmosMsg, DepsMut, Env, MessageInfo, Order, Response, Storage, Timestamp, Uint128,
};
use loopin::registry::{
    Accusation, Appeal, AppealDuty, ChallengeStatus, DeviceStatus, MAX_APPEALS,
    MAX_PENALISED_VOTERS,
};

use crate::bonds::penalize;
use crate::device::{active_device, invalidate_device};
use crate::draw::{self, Drawn, sortition};
use crate::entropy::{current_round, randomness_round};
use crate::error::ContractError;
use crate::state::{
    APPEAL_DUTIES, CHALLENGES, CONFIG, Challenge, Config, DEVICES, Device, LATE_COUNT, LATE_ORDER,
    LATE_VOTES,
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
/// filed, drawn and answered, and one more for the slack of expiring lapsed ones late.
pub(crate) fn late_liability(config: &Config, now: Timestamp) -> Timestamp {
    let s = &config.settings;
    let one_appeal = s
        .appeal_seconds
        .saturating_add(s.assign_window_rounds.saturating_mul(s.round_seconds))
        .saturating_add(s.response_seconds);
    now.plus_seconds(
        s.lateness_window_seconds
            .saturating_add(u64::from(MAX_APPEALS + 1).saturating_mul(one_appeal)),
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
    let device = active_device(storage, token_id)?;
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
        filed_at: env.block.time,
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

/// Bonded verifiers an appeal of `device` filed at `filed_at` may draw, with their bonds
/// ([`draw::pool`]): neither the owner nor a voter of the window.
fn eligible(
    storage: &dyn Storage,
    config: &Config,
    token_id: &str,
    device: &Device,
    window: u64,
    filed_at: Timestamp,
) -> Result<Vec<(Addr, Uint128)>, ContractError> {
    let candidates = draw::candidates(storage, config)?;
    Ok(draw::pool(&candidates, filed_at, |address| {
        *address == device.owner || LATE_VOTES.has(storage, (token_id, window, address))
    })
    .collect())
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
    let pool = eligible(
        deps.storage,
        &config,
        &token_id,
        &device,
        accusation.window,
        appeal.filed_at,
    )?;
    let needed = config.settings.appeal_passes;
    if (pool.len() as u64) < u64::from(needed) {
        return Err(ContractError::TooFewVerifiers {
            eligible: pool.len() as u32,
            needed,
        });
    }
    let randomness = draw::randomness(
        b"loopin-registry/appeal",
        &beacon.value,
        &token_id,
        &accusation.appeals.to_be_bytes(),
    );
    let drawn = sortition(pool, &randomness, config.settings.appeal_draw as usize);
    let answer_by = env
        .block
        .time
        .plus_seconds(config.settings.response_seconds);
    let response = Response::new()
        .add_attribute("action", "draw_appeal")
        .add_attribute("token_id", &token_id)
        .add_attribute("randomness_round", round.to_string());
    let response = assign_drawn(
        deps.storage,
        (&token_id, appeal),
        drawn,
        (round, &beacon.value),
        (env.block.time, answer_by),
        response,
    )?;
    device.accusation = Some(accusation);
    DEVICES.save(deps.storage, &token_id, &device)?;
    Ok(response)
}

/// Assigns each `drawn` verifier a challenge on the device `token_id` for its `appeal`, asked
/// at `now` and due by `answer_by`: an appeal duty of the verifier's, one challenge more of
/// the appeal's, and a `drawn` attribute each.
fn assign_drawn(
    storage: &mut dyn Storage,
    (token_id, appeal): (&str, &mut Appeal),
    drawn: Vec<Addr>,
    (round, beacon): (u64, &[u8; 32]),
    (now, answer_by): (Timestamp, Timestamp),
    mut response: Response,
) -> Result<Response, ContractError> {
    for verifier in drawn {
        let id = draw::assign(
            storage,
            &verifier,
            token_id,
            (round, beacon),
            now,
            Drawn::Appeal,
        )?;
        APPEAL_DUTIES.save(
            storage,
            (&verifier, id),
            &AppealDuty {
                challenge_id: id,
                token_id: token_id.to_string(),
                answer_by,
            },
        )?;
        appeal.challenges.push(id);
        response = response.add_attribute("drawn", format!("{verifier}:{id}"));
    }
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

/// Counts what `challenge` (id `id`) found towards the appeal it was drawn for and adds what
/// the decision brings (penalties, an invalidation, the outcome) to `response`. A challenge
/// that is not an appeal's adds nothing: every path that closes a challenge may call it.
pub(crate) fn count(
    storage: &mut dyn Storage,
    config: &Config,
    now: Timestamp,
    id: u64,
    challenge: &Challenge,
    finding: Finding,
    response: Response,
) -> Result<Response, ContractError> {
    let Some(target) = challenge.target.as_deref().filter(|_| challenge.appeal) else {
        return Ok(response);
    };
    let (msgs, outcome) = record(storage, config, now, id, target, finding)?;
    let response = response.add_messages(msgs);
    Ok(match outcome {
        Some(outcome) => response.add_attribute("appeal", outcome),
        None => response,
    })
}

/// Counts what appeal challenge `id` found on its device and decides the appeal when it can:
/// the messages (penalties, an invalidation) and the outcome, if decided. A challenge of an
/// appeal that is no longer in progress (decided, or its device invalidated) counts for
/// nothing.
fn record(
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
        // What it missed before is judged: the streak starts again.
        device.missed_sweeps = 0;
        device.missed_from = 0;
        DEVICES.save(storage, token_id, &device)?;
        let msgs = overturn(storage, config, token_id, accusation.window, appeal)?;
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
/// vote again in it) and each voter, in the order the votes came (the first
/// [`MAX_PENALISED_VOTERS`], which include every vote of the quorum), and each drawn verifier
/// that found the device late, pays `overturned_late_bps` of its bond.
fn overturn(
    storage: &mut dyn Storage,
    config: &Config,
    token_id: &str,
    window: u64,
    appeal: &Appeal,
) -> Result<Vec<CosmosMsg>, ContractError> {
    LATE_COUNT.remove(storage, (token_id, window));
    let voters: Vec<(u32, Addr)> = LATE_ORDER
        .prefix((token_id, window))
        .range(storage, None, None, Order::Ascending)
        .take(MAX_PENALISED_VOTERS as usize)
        .collect::<Result<_, _>>()?;
    let mut penalised = vec![];
    for (seq, voter) in voters {
        LATE_ORDER.remove(storage, (token_id, window, seq));
        penalised.push(voter);
    }
    for id in &appeal.challenges {
        let c = CHALLENGES.load(storage, *id)?;
        if c.status == ChallengeStatus::Late {
            penalised.push(c.verifier);
        }
    }
    let mut msgs = vec![];
    for verifier in penalised {
        let bps = config.settings.overturned_late_bps;
        let (_, burn) = penalize(storage, config, &verifier, bps)?;
        msgs.extend(burn);
    }
    Ok(msgs)
}
