//! Sweeps: every device of a GEMM class asked its throughput challenge at one moment, once per
//! window of the class's `sweep_seconds`, each by a verifier the beacon draws for it.
//!
//! Why: a miner may register several identities of one class on one card. Asked at moments
//! verifiers choose, their GEMMs rarely overlap and one card answers for all of them. Asked
//! together, at the window's start, a card meets one deadline, not k. So for a class with
//! sweeps, only a sweep's Pass proves an epoch; other challenges of its devices are timed
//! only. The windows' cadence is the class's challenge rate: verifiers no longer choose it.
//!
//! The GEMM's seed still comes from the drawn verifier's secret (picked when it submits, as an
//! appeal challenge's is): the beacon's value is known from its round's last reveal on, maybe
//! minutes before the round ends, so a seed taken from it would let a prover start early. Who
//! is drawn may be known that early; what is asked is not.

use cosmwasm_std::{Addr, Deps, DepsMut, Empty, Env, Order, Response, Storage, Timestamp};
use cw_storage_plus::Bound;
use loopin::pool::GemmClass;
use loopin::registry::{
    DeviceStatus, MAX_SWEEP_SCAN, SWEEP_DRAW_ROUNDS, SweepDutiesResponse, SweepDuty, SweepResponse,
};

use crate::appeal::accuse;
use crate::device::active_device;
use crate::draw::{self, Candidate, Drawn, sortition};
use crate::entropy::{current_round, randomness_round_through};
use crate::error::ContractError;
use crate::expiry::{self, CertState};
use crate::state::{CONFIG, Challenge, Config, DEVICES, Device, LATE_VOTES, SWEEPS};

/// The sweep period of a device's class, if its class sweeps.
pub(crate) fn period(device: &Device) -> Option<u64> {
    device
        .gemm
        .as_ref()
        .map(|g| g.sweep_seconds)
        .filter(|s| *s > 0)
}

/// The class's GEMM if `challenge`'s Pass on `device` carries it ([`GemmClass::asked_in`]).
pub(crate) fn gemm_asked<'a>(device: &'a Device, challenge: &Challenge) -> Option<&'a GemmClass> {
    let class = device.gemm.as_ref()?;
    class
        .asked_in(challenge.sweep.is_some(), challenge.appeal)
        .then_some(class)
}

/// The lateness "window" of a streak of missed sweeps that began in `window`: its Late
/// verdicts are recorded under it (their verifiers sit on no jury of the appeal it brings) and
/// the accusation is filed under it; apart from every window of Late votes and from audits'
/// (`audit::gemm::audit_window`).
fn streak_window(window: u64) -> u64 {
    (1 << 62) | window
}

/// Device `token_id` failed its sweep of `window`: its drawn `verifier` found it late. One more
/// missed in a row, recorded against the verifier; at its class's `max_missed_sweeps` the device
/// is accused, as a lateness quorum accuses (invalidated at once where the registry allows no
/// appeal). An upheld appeal does not penalise the verifiers that reported the streak (so
/// their word binds no bond either): one card answering for two identities is late for one of
/// them in a sweep, and found in time by an appeal that asks it alone.
pub(crate) fn missed(
    storage: &mut dyn Storage,
    config: &Config,
    now: Timestamp,
    (token_id, window, verifier): (&str, u64, &Addr),
    response: Response,
) -> Result<Response, ContractError> {
    let mut device = DEVICES.load(storage, token_id)?;
    if device.missed_sweeps == 0 {
        device.missed_from = window;
    }
    device.missed_sweeps = device.missed_sweeps.saturating_add(1);
    let missed = device.missed_sweeps;
    let streak = streak_window(device.missed_from);
    LATE_VOTES.save(storage, (token_id, streak, verifier), &Empty {})?;
    let threshold = device.gemm.as_ref().map_or(0, |g| g.max_missed_sweeps);
    // An accused device is not accused again: the streak goes on counting until it is decided.
    let accused = threshold > 0 && missed >= threshold && device.accusation.is_none();
    if accused {
        device.missed_sweeps = 0;
        device.missed_from = 0;
    }
    DEVICES.save(storage, token_id, &device)?;
    let response = response.add_attribute("missed_sweeps", missed.to_string());
    if !accused {
        return Ok(response);
    }
    Ok(
        match accuse(storage, config, now, token_id, streak, missed)? {
            Some(msg) => response
                .add_attribute("invalidated", token_id)
                .add_message(msg),
            None => response.add_attribute("accused", token_id),
        },
    )
}

/// Why a challenge that asks no GEMM was answered with one.
pub(crate) fn not_asked(device: &Device) -> ContractError {
    if device.gemm.is_some() {
        ContractError::ThroughputOnlyInSweeps {}
    } else {
        ContractError::ThroughputNotAsked {}
    }
}

/// Whether `challenge`'s Pass proves its epoch: when the class sweeps, only a sweep's does.
pub(crate) fn proves_epoch(device: &Device, challenge: &Challenge) -> bool {
    period(device).is_none() || challenge.sweep.is_some()
}

/// Refuses a class whose sweeps could overlap: a window must outlast the rounds that may draw
/// it and the response time after the last of them, or the previous window's sweep (and its
/// GEMM ticket) could still be open when the next one starts.
pub(crate) fn check_period(config: &Config, class: &GemmClass) -> Result<(), ContractError> {
    let s = &config.settings;
    let least = SWEEP_DRAW_ROUNDS
        .saturating_mul(s.round_seconds)
        .saturating_add(s.response_seconds);
    if class.sweep_seconds > 0 && class.sweep_seconds < least {
        return Err(ContractError::SweepTooShort {
            sweep_seconds: class.sweep_seconds,
            least,
        });
    }
    // Missed sweeps rest on the drawn verifiers' word: they may accuse, never invalidate.
    if class.sweep_seconds > 0 && s.appeal_seconds == 0 {
        return Err(ContractError::SweepsWithoutAppeals {});
    }
    Ok(())
}

/// Whether sweep `challenge` was drawn with less than half its response time left.
pub(crate) fn drawn_late(config: &Config, challenge: &Challenge) -> bool {
    let (Some(drawn_at), Some(assigned_at)) = (challenge.drawn_at, challenge.assigned_at) else {
        return false;
    };
    let answer_by = assigned_at.plus_seconds(config.settings.response_seconds);
    answer_by.seconds().saturating_sub(drawn_at.seconds()) < config.settings.response_seconds / 2
}

/// When a sweep's Pass counts towards its device's epoch: its window's start (whenever it was
/// drawn or answered), so each epoch holds exactly one sweep of the device. Other challenges:
/// when they were assigned.
pub(crate) fn challenged_at(
    config: &Config,
    device: &Device,
    challenge: &Challenge,
    assigned_at: Timestamp,
) -> Timestamp {
    match (challenge.sweep, period(device)) {
        (Some(window), Some(period)) => window_start(config, device, period, window),
        _ => assigned_at,
    }
}

/// A window's verifier as the beacon drew it.
struct Draw {
    verifier: Addr,
    round: u64,
    beacon: [u8; 32],
    /// The challenge counts as asked from then: the window's start, or the drawing round's end
    /// if that came later.
    opens_at: Timestamp,
}

/// When `device`'s sweep window `window` starts: its pool's epoch `window` (the class sweeps
/// once per epoch).
fn window_start(config: &Config, device: &Device, period: u64, window: u64) -> Timestamp {
    let origin = device
        .epoch_origin
        .map_or(config.genesis, Timestamp::from_seconds);
    origin.plus_seconds(period.saturating_mul(window))
}

/// The window of `device`'s class that `now` falls in.
fn window_at(config: &Config, device: &Device, period: u64, now: Timestamp) -> u64 {
    let origin = device.epoch_origin.unwrap_or(config.genesis.seconds());
    now.seconds().saturating_sub(origin) / period
}

/// The verifier the beacon drew for `device`'s sweep in `window`: `None` while no round that
/// may draw it is final. Among `candidates`, those whose chance was fixed before the drawing
/// round began, and never the device's owner.
fn drawn(
    storage: &dyn Storage,
    (config, env): (&Config, &Env),
    (token_id, device, period): (&str, &Device, u64),
    window: u64,
    candidates: &[Candidate],
) -> Result<Option<Draw>, ContractError> {
    let start = window_start(config, device, period, window);
    let rounds = &config.settings.round_seconds;
    let first = start.seconds().saturating_sub(config.genesis.seconds()) / rounds;
    let last = first.saturating_add(SWEEP_DRAW_ROUNDS - 2);
    let scan = (first.saturating_sub(2), last);
    let Some((round, beacon)) =
        randomness_round_through(storage, config, env, scan, &device.owner)?
    else {
        if current_round(config, env) > last {
            return Err(ContractError::SweepUndrawable { window });
        }
        return Ok(None);
    };
    let round_start = config.genesis.plus_seconds(round.saturating_mul(*rounds));
    let pool: Vec<_> = draw::pool(candidates, round_start, |a| *a == device.owner).collect();
    let randomness = draw::randomness(
        b"loopin-registry/sweep",
        &beacon.value,
        token_id,
        &window.to_be_bytes(),
    );
    let verifier = sortition(pool, &randomness, 1)
        .pop()
        .ok_or(ContractError::TooFewVerifiers {
            eligible: 0,
            needed: 1,
        })?;
    let final_at = round_start.plus_seconds(*rounds);
    Ok(Some(Draw {
        verifier,
        round,
        beacon: beacon.value,
        opens_at: start.max(final_at),
    }))
}

/// The device `token_id` and its class's sweep period; refused unless it is active and its
/// class sweeps.
fn swept(storage: &dyn Storage, token_id: &str) -> Result<(Device, u64), ContractError> {
    let device = active_device(storage, token_id)?;
    let period = period(&device).ok_or_else(|| ContractError::NoSweeps {
        token_id: token_id.to_string(),
    })?;
    Ok((device, period))
}

/// `DrawSweep { token_id, window }`: anyone draws a device's sweep verifier for a window that
/// has started and assigns it the challenge, as asked at the window's start.
pub(crate) fn draw_sweep(
    deps: DepsMut,
    env: Env,
    token_id: String,
    window: u64,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (device, period) = swept(deps.storage, &token_id)?;
    if let Some(challenge_id) = SWEEPS.may_load(deps.storage, (&token_id, window))? {
        return Err(ContractError::SweepDrawn { challenge_id });
    }
    let start = window_start(&config, &device, period, window);
    if env.block.time < start {
        return Err(ContractError::SweepNotOpen {
            opens_at: start.seconds(),
        });
    }
    // A certificate running when the window opened: the sweep proves an epoch of its stake.
    if let CertState::Ended(_) = expiry::cert_state(deps.as_ref(), &config, start, &token_id) {
        return Err(ContractError::DeviceNotActive { token_id });
    }
    let candidates = draw::candidates(deps.storage, &config)?;
    let draw = drawn(
        deps.storage,
        (&config, &env),
        (&token_id, &device, period),
        window,
        &candidates,
    )?
    .ok_or(ContractError::RandomnessPending {
        round: start.seconds().saturating_sub(config.genesis.seconds())
            / config.settings.round_seconds,
    })?;
    let answer_by = draw.opens_at.plus_seconds(config.settings.response_seconds);
    if env.block.time > answer_by {
        return Err(ContractError::SweepLapsed {
            until: answer_by.seconds(),
        });
    }
    let id = draw::assign(
        deps.storage,
        &draw.verifier,
        &token_id,
        (draw.round, &draw.beacon),
        draw.opens_at,
        Drawn::Sweep {
            window,
            at: env.block.time,
        },
    )?;
    SWEEPS.save(deps.storage, (&token_id, window), &id)?;
    Ok(Response::new()
        .add_attribute("action", "draw_sweep")
        .add_attribute("token_id", token_id)
        .add_attribute("window", window.to_string())
        .add_attribute("verifier", draw.verifier)
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("randomness_round", draw.round.to_string())
        .add_attribute("answer_by", answer_by.seconds().to_string()))
}

/// A draw as the queries show it: none where no round drew the window or no verifier could be
/// drawn (a query reports, it does not refuse).
fn shown(draw: Result<Option<Draw>, ContractError>) -> Result<Option<Draw>, ContractError> {
    match draw {
        Err(ContractError::SweepUndrawable { .. } | ContractError::TooFewVerifiers { .. }) => {
            Ok(None)
        }
        other => other,
    }
}

/// The `Sweep` query.
pub(crate) fn query_sweep(
    deps: Deps,
    env: &Env,
    token_id: String,
    window: u64,
) -> Result<SweepResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (device, period) = swept(deps.storage, &token_id)?;
    let candidates = draw::candidates(deps.storage, &config)?;
    let draw = shown(drawn(
        deps.storage,
        (&config, env),
        (&token_id, &device, period),
        window,
        &candidates,
    ))?;
    Ok(SweepResponse {
        opens_at: window_start(&config, &device, period, window),
        challenge_id: SWEEPS.may_load(deps.storage, (&token_id, window))?,
        answer_by: draw
            .as_ref()
            .map(|d| d.opens_at.plus_seconds(config.settings.response_seconds)),
        randomness_round: draw.as_ref().map(|d| d.round),
        verifier: draw.map(|d| d.verifier),
        token_id,
        window,
    })
}

/// The `SweepDuties` query: one page of devices, each one draw (for its class's current
/// window) over the verifiers loaded once.
pub(crate) fn query_sweep_duties(
    deps: Deps,
    env: &Env,
    verifier: String,
    (start_after, limit): (Option<String>, Option<u32>),
) -> Result<SweepDutiesResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let verifier = deps.api.addr_validate(&verifier)?;
    let candidates = draw::candidates(deps.storage, &config)?;
    let limit = limit.unwrap_or(MAX_SWEEP_SCAN).min(MAX_SWEEP_SCAN) as usize;
    let start = start_after.as_deref().map(Bound::exclusive);
    let mut duties = vec![];
    let mut last_scanned = None;
    for item in DEVICES
        .range(deps.storage, start, None, Order::Ascending)
        .take(limit)
    {
        let (token_id, device) = item?;
        last_scanned = Some(token_id.clone());
        let Some(period) = period(&device).filter(|_| device.status == DeviceStatus::Active) else {
            continue;
        };
        let window = window_at(&config, &device, period, env.block.time);
        let Some(draw) = shown(drawn(
            deps.storage,
            (&config, env),
            (&token_id, &device, period),
            window,
            &candidates,
        ))?
        else {
            continue;
        };
        if draw.verifier == verifier {
            duties.push(SweepDuty {
                window,
                challenge_id: SWEEPS.may_load(deps.storage, (&token_id, window))?,
                answer_by: draw.opens_at.plus_seconds(config.settings.response_seconds),
                token_id,
            });
        }
    }
    Ok(SweepDutiesResponse {
        verifier,
        duties,
        last_scanned,
    })
}
