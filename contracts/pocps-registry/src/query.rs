//! Queries: configuration, devices, verifiers, challenges, open assignments, appeal duties and
//! the beacon.

use cosmwasm_std::{Addr, Binary, Deps, Env, Order, StdResult, to_json_binary};
use cw_storage_plus::Bound;
use loopin::page_limit;
use loopin::registry::{
    AppealDutiesResponse, AssignmentInfo, AssignmentsResponse, AuditInfo, BeaconResponse,
    BeaconRoundResponse, ChallengeResponse, ConfigResponse, DeviceAudit, DeviceAuditsResponse,
    DeviceResponse, DeviceStatus, DevicesResponse, GemmAudit, PassInfo, QueryMsg, VerifierResponse,
};

use crate::audit::gemm::{drawn_cells, recorded};
use crate::bonds::load_verifier;
use crate::challenge::load_challenge;
use crate::entropy::current_round;
use crate::error::ContractError;
use crate::judge::hex;
use crate::state::{
    APPEAL_DUTIES, AUDITS, Audit, BeaconRound, CONFIG, Challenge, DEVICE_AUDITS, DEVICE_KEYS,
    DEVICES, Device, LATEST_ROUND, OPEN_ASSIGNMENTS, ROUNDS,
};
use crate::sweep;

/// The `query` entry point's dispatch: one `query_*` per message.
pub(crate) fn dispatch(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query_config(deps)?)?,
        QueryMsg::Device { token_id } => to_json_binary(&query_device(deps, token_id)?)?,
        QueryMsg::Devices { start_after, limit } => {
            to_json_binary(&query_devices(deps, start_after, limit)?)?
        }
        QueryMsg::Verifier { address } => to_json_binary(&query_verifier(deps, address)?)?,
        QueryMsg::Challenge { challenge_id } => {
            to_json_binary(&query_challenge(deps, &env, challenge_id)?)?
        }
        QueryMsg::Assignments {
            token_id,
            start_after,
            limit,
        } => to_json_binary(&query_assignments(
            deps,
            &env,
            token_id,
            start_after,
            limit,
        )?)?,
        QueryMsg::Beacon {} => to_json_binary(&query_beacon(deps, &env)?)?,
        QueryMsg::BeaconRound { round } => to_json_binary(&query_beacon_round(deps, &env, round)?)?,
        QueryMsg::DeviceAudits {
            token_id,
            start_after,
            limit,
        } => to_json_binary(&query_device_audits(
            deps,
            &env,
            token_id,
            start_after,
            limit,
        )?)?,
        QueryMsg::AppealDuties {
            verifier,
            start_after,
            limit,
        } => to_json_binary(&query_appeal_duties(deps, verifier, start_after, limit)?)?,
        QueryMsg::Sweep { token_id, window } => {
            to_json_binary(&sweep::query_sweep(deps, &env, token_id, window)?)?
        }
        QueryMsg::SweepDuties {
            verifier,
            start_after,
            limit,
        } => to_json_binary(&sweep::query_sweep_duties(
            deps,
            &env,
            verifier,
            (start_after, limit),
        )?)?,
    })
}

fn device_response(
    storage: &dyn cosmwasm_std::Storage,
    token_id: String,
    device: Device,
) -> StdResult<DeviceResponse> {
    let rotated = DEVICE_KEYS.may_load(storage, device.fingerprint.as_slice())?;
    Ok(DeviceResponse {
        token_id,
        owner: device.owner,
        pool: device.pool,
        fingerprint: device.fingerprint,
        commitment: device.commitment,
        endpoint: device.endpoint,
        status: device.status,
        passes: device.passes,
        accusation: device.accusation,
        lateness_quorum: device.lateness_quorum,
        gemm: device.gemm,
        missed_sweeps: device.missed_sweeps,
        signing_key: rotated.as_ref().map(|r| r.key.clone()),
        key_rotations: rotated.map_or(0, |r| r.rotations),
    })
}

pub(crate) fn query_config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse {
        factory: config.factory,
        token: config.token,
        stake_cert: config.stake_cert,
        genesis: config.genesis,
        settings: config.settings,
    })
}

pub(crate) fn query_device(deps: Deps, token_id: String) -> Result<DeviceResponse, ContractError> {
    let device =
        DEVICES
            .may_load(deps.storage, &token_id)?
            .ok_or_else(|| ContractError::UnknownDevice {
                token_id: token_id.clone(),
            })?;
    Ok(device_response(deps.storage, token_id, device)?)
}

pub(crate) fn query_devices(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<DevicesResponse, ContractError> {
    let start = start_after.as_deref().map(Bound::exclusive);
    let devices = DEVICES
        .range(deps.storage, start, None, Order::Ascending)
        .filter(|item| {
            item.as_ref()
                .map_or(true, |(_, d)| d.status == DeviceStatus::Active)
        })
        .take(page_limit(limit))
        .map(|item| item.and_then(|(id, d)| device_response(deps.storage, id, d)))
        .collect::<StdResult<_>>()?;
    Ok(DevicesResponse { devices })
}

pub(crate) fn query_verifier(
    deps: Deps,
    address: String,
) -> Result<VerifierResponse, ContractError> {
    let address = deps.api.addr_validate(&address)?;
    let v = load_verifier(deps.storage, &address)?;
    Ok(VerifierResponse {
        address,
        bonded: v.bonded,
        unbonding: v.unbonding,
        release_at: v.release_at,
        slashed: v.slashed,
        open_challenges: v.open_challenges,
        valid_checks: v.valid_checks,
        lapsed_entropy: v.lapsed_entropy,
        challenge_key: v.challenge_key,
    })
}

pub(crate) fn query_challenge(
    deps: Deps,
    env: &Env,
    challenge_id: u64,
) -> Result<ChallengeResponse, ContractError> {
    let c = load_challenge(deps.storage, challenge_id)?;
    let config = CONFIG.load(deps.storage)?;
    let mut audits = vec![];
    for item in AUDITS
        .prefix(challenge_id)
        .range(deps.storage, None, None, Order::Ascending)
    {
        let (auditor, a) = item?;
        if !a.open {
            continue;
        }
        let gemm = gemm_audit(deps, env, (challenge_id, &auditor, &a), &c)?;
        audits.push(AuditInfo {
            auditor,
            round: a.round,
            deadline: a.deadline,
            gemm,
        });
    }
    Ok(ChallengeResponse {
        id: challenge_id,
        verifier: c.verifier,
        secret_hash: hex(&c.secret_hash),
        committed_round: c.committed_round,
        randomness_round: c.randomness_round,
        randomness: c.randomness.map(|r| hex(&r)),
        target: c.target,
        assigned_at: c.assigned_at,
        status: c.status,
        dispute_deadline: c.disputed.map(|d| d.deadline),
        pass: c.pass.map(|p| PassInfo {
            seed: hex(&p.seed),
            rounds: p.rounds,
            final_state: hex(&p.final_state),
            transcript_root: hex(&p.root),
            passed_at: p.passed_at,
            audit_until: p.passed_at.plus_seconds(config.settings.audit_seconds),
            gemm_root: p.gemm_root.map(|r| hex(&r)),
            gemm_seed: p.gemm_seed.map(|r| hex(&r)),
        }),
        audits,
        appeal: c.appeal,
        sweep: c.sweep,
    })
}

pub(crate) fn query_assignments(
    deps: Deps,
    env: &Env,
    token_id: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<AssignmentsResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let start = start_after.map(Bound::exclusive);
    // Lapsed ones (not yet expired by anyone) are skipped before the page is cut, so a short
    // page always means the end.
    let limit = page_limit(limit);
    let mut assignments = Vec::with_capacity(limit);
    let device = DEVICES.may_load(deps.storage, &token_id)?;
    for item in OPEN_ASSIGNMENTS
        .prefix(&token_id)
        .keys(deps.storage, start, None, Order::Ascending)
    {
        if assignments.len() == limit {
            break;
        }
        let challenge_id = item?;
        let c = load_challenge(deps.storage, challenge_id)?;
        let Some(assigned_at) = c.assigned_at else {
            continue;
        };
        let answer_by = assigned_at.plus_seconds(config.settings.response_seconds);
        let key = load_verifier(deps.storage, &c.verifier)?.challenge_key;
        if let Some(challenge_key) = key
            && env.block.time <= answer_by
        {
            // False only where the class has a GEMM this challenge does not carry.
            let gemm = device
                .as_ref()
                .and_then(|d| d.gemm.as_ref())
                .is_none_or(|g| g.asked_in(c.sweep.is_some(), c.appeal));
            assignments.push(AssignmentInfo {
                challenge_id,
                verifier: c.verifier,
                challenge_key,
                assigned_at,
                answer_by,
                gemm,
            });
        }
    }
    Ok(AssignmentsResponse { assignments })
}

pub(crate) fn query_beacon(deps: Deps, env: &Env) -> Result<BeaconResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    Ok(BeaconResponse {
        current_round: current_round(&config, env),
        latest_round: LATEST_ROUND.may_load(deps.storage)?,
    })
}

pub(crate) fn query_beacon_round(
    deps: Deps,
    env: &Env,
    round: u64,
) -> Result<BeaconRoundResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let beacon = ROUNDS
        .may_load(deps.storage, round)?
        .unwrap_or(BeaconRound {
            value: [0u8; 32],
            contributors: 0,
        });
    Ok(BeaconRoundResponse {
        round,
        value: hex(&beacon.value),
        contributors: beacon.contributors,
        is_final: round < current_round(&config, env),
    })
}

pub(crate) fn query_appeal_duties(
    deps: Deps,
    verifier: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<AppealDutiesResponse, ContractError> {
    let verifier = deps.api.addr_validate(&verifier)?;
    let duties = APPEAL_DUTIES
        .prefix(&verifier)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|item| item.map(|(_, duty)| duty))
        .collect::<StdResult<_>>()?;
    Ok(AppealDutiesResponse { verifier, duties })
}

pub(crate) fn query_device_audits(
    deps: Deps,
    env: &Env,
    token_id: String,
    start_after: Option<(u64, String)>,
    limit: Option<u32>,
) -> Result<DeviceAuditsResponse, ContractError> {
    let start_after = start_after
        .map(|(id, auditor)| deps.api.addr_validate(&auditor).map(|a| (id, a)))
        .transpose()?;
    let start = start_after
        .as_ref()
        .map(|(id, auditor)| Bound::exclusive((*id, auditor)));
    let mut audits = vec![];
    for item in DEVICE_AUDITS
        .sub_prefix(&token_id)
        .keys(deps.storage, start, None, Order::Ascending)
        .take(page_limit(limit))
    {
        let (challenge_id, auditor) = item?;
        let audit = AUDITS.load(deps.storage, (challenge_id, &auditor))?;
        let challenge = load_challenge(deps.storage, challenge_id)?;
        let gemm = gemm_audit(deps, env, (challenge_id, &auditor, &audit), &challenge)?;
        let pass = challenge
            .pass
            .ok_or(ContractError::NotAuditable { id: challenge_id })?;
        audits.push(DeviceAudit {
            challenge_id,
            auditor,
            round: audit.round,
            deadline: audit.deadline,
            seed: hex(&pass.seed),
            rounds: pass.rounds,
            final_state: hex(&pass.final_state),
            transcript_root: hex(&pass.root),
            gemm,
        });
    }
    Ok(DeviceAuditsResponse { audits })
}

/// What answering `auditor`'s audit of challenge `id` needs, when it is of the Pass's GEMM
/// (`None` for a step's audit): the cells once drawn, the seed, the shape and the signed root.
fn gemm_audit(
    deps: Deps,
    env: &Env,
    (id, auditor, audit): (u64, &Addr, &Audit),
    challenge: &Challenge,
) -> Result<Option<GemmAudit>, ContractError> {
    let Some(after) = audit.gemm_after else {
        return Ok(None);
    };
    let config = CONFIG.load(deps.storage)?;
    let target = challenge.target.clone().unwrap_or_default();
    let device = DEVICES.load(deps.storage, &target)?;
    let Ok((shape, root, seed)) = recorded(challenge, &device, id) else {
        return Ok(None);
    };
    let cells = drawn_cells(deps.storage, (&config, env), (id, auditor, after), shape)?;
    Ok(Some(GemmAudit {
        cells,
        seed: hex(&seed),
        m: shape.m,
        k: shape.k,
        n: shape.n,
        root: hex(&root),
    }))
}
