//! Entry points of the PoCPS registry, dispatching to the modules that own each flow: `bonds`,
//! `registration`, `entropy`, `challenge`, `verdict`, `audit`, `rewards` (the reply), `expiry` and `query`.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response, to_json_binary};
use loopin::factory;
use loopin::migrate::ensure_upgrade;
use loopin::registry::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::rewards::{self, REPLY_REWARD};
use crate::settings::validate_settings;
use crate::state::{CONFIG, Config, DEVICE_COUNT, EPOCH_REWARDS, EpochRewards, NEXT_CHALLENGE};
use crate::{
    appeal, audit, bonds, challenge, entropy, expiry, key_rotation, query, registration, sweep,
    verdict,
};

/// cw2 name of this contract.
pub const CONTRACT_NAME: &str = "crates.io:loopin-pocps-registry";
/// cw2 version of this contract.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    validate_settings(&msg.settings)?;
    let factory = deps.api.addr_validate(&msg.factory)?;
    let wired: factory::ConfigResponse = deps
        .querier
        .query_wasm_smart(&factory, &factory::QueryMsg::Config {})?;
    CONFIG.save(
        deps.storage,
        &Config {
            factory: factory.clone(),
            token: wired.token,
            stake_cert: wired.stake_cert,
            genesis: env.block.time,
            settings: msg.settings,
        },
    )?;
    DEVICE_COUNT.save(deps.storage, &0)?;
    NEXT_CHALLENGE.save(deps.storage, &1)?;
    EPOCH_REWARDS.save(deps.storage, &EpochRewards::default())?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("factory", factory))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    match msg {
        ExecuteMsg::Receive(msg) => bonds::receive(deps, env, info, msg),
        ExecuteMsg::Unbond { amount } => bonds::unbond(deps, env, info, amount),
        ExecuteMsg::WithdrawUnbonded {} => bonds::withdraw(deps, env, info),
        ExecuteMsg::RotateDeviceKey {
            token_id,
            new_key,
            current_key_signature,
            new_key_signature,
        } => key_rotation::rotate_device_key(
            deps,
            env,
            info,
            token_id,
            new_key,
            current_key_signature,
            new_key_signature,
        ),
        ExecuteMsg::RegisterDevice {
            token_id,
            fingerprint,
            commitment,
            endpoint,
            ek_randomness,
        } => registration::register_device(
            deps,
            env,
            info,
            token_id,
            fingerprint,
            commitment,
            endpoint,
            ek_randomness,
        ),
        ExecuteMsg::CommitEntropy { hash } => entropy::commit_entropy(deps, env, info, hash),
        ExecuteMsg::RevealEntropy { secret } => entropy::reveal_entropy(deps, env, info, secret),
        ExecuteMsg::SetChallengeKey { pubkey, signature } => {
            challenge::set_challenge_key(deps, env, info, pubkey, signature)
        }
        ExecuteMsg::Commit { secret_hash } => challenge::commit(deps, env, info, secret_hash),
        ExecuteMsg::Assign { challenge_id } => challenge::assign(deps, env, challenge_id),
        ExecuteMsg::Submit {
            challenge_id,
            secret,
            verdict,
            attempt,
        } => verdict::submit(deps, env, info, challenge_id, (secret, attempt), verdict),
        ExecuteMsg::Defend { challenge_id, path } => {
            verdict::defend(deps, env, info, challenge_id, path)
        }
        ExecuteMsg::Finalize { challenge_id } => verdict::finalize(deps, env, challenge_id),
        ExecuteMsg::Audit {
            challenge_id,
            round,
            proof,
        } => audit::step::audit(deps, env, info, challenge_id, round, proof),
        ExecuteMsg::AnswerAudit {
            challenge_id,
            auditor,
            proof,
        } => audit::step::answer_audit(deps, env, info, challenge_id, auditor, proof),
        ExecuteMsg::AuditGemm {
            challenge_id,
            proof,
        } => audit::gemm::audit_gemm(deps, env, info, challenge_id, proof),
        ExecuteMsg::AnswerGemmAudit {
            challenge_id,
            auditor,
            row,
        } => audit::gemm::answer_gemm_audit(deps, env, challenge_id, auditor, row),
        ExecuteMsg::FinalizeAudit {
            challenge_id,
            auditor,
        } => audit::finalize_audit(deps, env, challenge_id, auditor),
        ExecuteMsg::Expire { challenge_id } => challenge::expire(deps, env, challenge_id),
        ExecuteMsg::Prune { token_id } => expiry::prune(deps, env, token_id),
        ExecuteMsg::Appeal { token_id } => appeal::appeal(deps, env, info, token_id),
        ExecuteMsg::DrawAppeal { token_id } => appeal::draw_appeal(deps, env, token_id),
        ExecuteMsg::FinalizeAccusation { token_id } => {
            appeal::finalize_accusation(deps, env, token_id)
        }
        ExecuteMsg::DrawSweep { token_id, window } => {
            sweep::draw_sweep(deps, env, token_id, window)
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, _env: Env, msg: Reply) -> Result<Response, ContractError> {
    match msg.id {
        REPLY_REWARD => rewards::reward_unpaid(deps, msg),
        id => Err(ContractError::UnknownReply { id }),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?)?,
        QueryMsg::Device { token_id } => to_json_binary(&query::device(deps, token_id)?)?,
        QueryMsg::Devices { start_after, limit } => {
            to_json_binary(&query::devices(deps, start_after, limit)?)?
        }
        QueryMsg::Verifier { address } => to_json_binary(&query::verifier(deps, address)?)?,
        QueryMsg::Challenge { challenge_id } => {
            to_json_binary(&query::challenge(deps, &env, challenge_id)?)?
        }
        QueryMsg::Assignments {
            token_id,
            start_after,
            limit,
        } => to_json_binary(&query::assignments(
            deps,
            &env,
            token_id,
            start_after,
            limit,
        )?)?,
        QueryMsg::Beacon {} => to_json_binary(&query::beacon(deps, &env)?)?,
        QueryMsg::BeaconRound { round } => {
            to_json_binary(&query::beacon_round(deps, &env, round)?)?
        }
        QueryMsg::DeviceAudits {
            token_id,
            start_after,
            limit,
        } => to_json_binary(&query::device_audits(
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
        } => to_json_binary(&query::appeal_duties(deps, verifier, start_after, limit)?)?,
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

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from = ensure_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from.to_string())
        .add_attribute("to_version", CONTRACT_VERSION))
}
