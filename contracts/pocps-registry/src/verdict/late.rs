//! A Late verdict: the device answered past its deadline, or not at all. A sweep's counts
//! towards its class's failure threshold, an appeal challenge's towards the appeal; any other
//! is a vote, and a quorum of votes in a window accuses the device.

use cosmwasm_std::{Addr, DepsMut, Empty, Env, Response, Storage};
use loopin::registry::ChallengeStatus;

use super::assigned::Submitted;
use crate::appeal::{self, Finding, accuse, late_liability};
use crate::audit::extend_liability;
use crate::challenge::close;
use crate::error::ContractError;
use crate::state::{LATE_COUNT, LATE_ORDER, LATE_SEQ, LATE_VOTES};
use crate::sweep;

/// `Submit` with a Late verdict: refused for a throughput part the challenge does not ask, and
/// for a timed part within its deadline (unless the throughput part was late).
pub(super) fn submit_late(
    deps: DepsMut,
    env: &Env,
    s: Submitted,
    (latency_ms, rtt_ms, throughput): (Option<u64>, u64, bool),
) -> Result<Response, ContractError> {
    if throughput && sweep::gemm_asked(&s.device, &s.challenge).is_none() {
        return Err(sweep::not_asked(&s.device));
    }
    // A late throughput part is late whatever the timed part's latency.
    if let Some(latency_ms) = latency_ms
        && !throughput
        && latency_ms <= s.config.settings.deadline_for(rtt_ms)
    {
        return Err(ContractError::NotLate { latency_ms });
    }
    if let Some(window) = s.challenge.sweep {
        return late_in_sweep(deps, env, s, window);
    }
    if s.challenge.appeal {
        return late_in_appeal(deps, env, s);
    }
    late_vote(deps, env, s, latency_ms)
}

/// A sweep found late: costs the device the window's proof and counts towards its class's
/// failure threshold; no vote (module doc of `sweep`).
fn late_in_sweep(
    deps: DepsMut,
    env: &Env,
    mut s: Submitted,
    window: u64,
) -> Result<Response, ContractError> {
    close(deps.storage, s.id, &mut s.challenge, ChallengeStatus::Late)?;
    let response = s
        .response
        .add_attribute("verdict", "late")
        .add_attribute("sweep", window.to_string());
    sweep::missed(
        deps.storage,
        &s.config,
        env.block.time,
        (&s.target, window, &s.verifier),
        response,
    )
}

/// An appeal challenge found late: counts towards the appeal it was drawn for, not as a new
/// vote.
fn late_in_appeal(deps: DepsMut, env: &Env, mut s: Submitted) -> Result<Response, ContractError> {
    close(deps.storage, s.id, &mut s.challenge, ChallengeStatus::Late)?;
    let response = s.response.add_attribute("verdict", "late");
    appeal::count(
        deps.storage,
        &s.config,
        env.block.time,
        s.id,
        &s.challenge,
        Finding::Late,
        response,
    )
}

/// A late vote in the lateness window of now: the verifier stays liable while an appeal may
/// overturn it, and the window's quorum (the class's, at least the registry's) accuses the
/// device.
fn late_vote(
    deps: DepsMut,
    env: &Env,
    mut s: Submitted,
    latency_ms: Option<u64>,
) -> Result<Response, ContractError> {
    let config = &s.config;
    let window = env.block.time.seconds() / config.settings.lateness_window_seconds;
    let count = vote(deps.storage, &s.target, window, &s.verifier)?;
    close(deps.storage, s.id, &mut s.challenge, ChallengeStatus::Late)?;
    let mut response = s
        .response
        .add_attribute("verdict", "late")
        .add_attribute(
            "latency_ms",
            latency_ms.map_or("none".to_string(), |l| l.to_string()),
        )
        .add_attribute("late_votes", count.to_string());
    if config.settings.appeal_seconds > 0 {
        // A vote an appeal overturns costs the voter: it stays slashable until then.
        extend_liability(
            deps.storage,
            &s.verifier,
            late_liability(config, env.block.time),
        )?;
    }
    // A class may raise the registry's quorum, never lower it.
    let quorum = s
        .device
        .lateness_quorum
        .max(config.settings.lateness_quorum);
    if count >= quorum {
        let now = env.block.time;
        match accuse(deps.storage, config, now, &s.target, window, count)? {
            Some(msg) => {
                response = response
                    .add_attribute("invalidated", &s.target)
                    .add_message(msg);
            }
            None => response = response.add_attribute("accused", &s.target),
        }
    }
    Ok(response)
}

/// Records `verifier`'s vote on `target` in `window`, once per verifier and window (distinct,
/// independently assigned verifiers), in the order votes come: the window's count of votes.
fn vote(
    storage: &mut dyn Storage,
    target: &str,
    window: u64,
    verifier: &Addr,
) -> Result<u32, ContractError> {
    let mut count = LATE_COUNT
        .may_load(storage, (target, window))?
        .unwrap_or_default();
    if !LATE_VOTES.has(storage, (target, window, verifier)) {
        LATE_VOTES.save(storage, (target, window, verifier), &Empty {})?;
        count = count.saturating_add(1);
        LATE_COUNT.save(storage, (target, window), &count)?;
        let seq = LATE_SEQ
            .may_load(storage, (target, window))?
            .unwrap_or_default();
        LATE_SEQ.save(storage, (target, window), &(seq + 1))?;
        LATE_ORDER.save(storage, (target, window, seq), verifier)?;
    }
    Ok(count)
}
