//! Entry points of the PoCPS registry, dispatching to the modules that own each flow: `bonds`,
//! `registration`, `key_rotation`, `expiry`, `entropy`, `challenge`, `verdict`, `audit`, `appeal`,
//! `sweep`, `rewards` (the reply) and `query`. `execute` hands each message to its feature's
//! dispatch (`execute_bonds`, `execute_devices`, ...), which calls its one handler.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response, StdError};
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
        ExecuteMsg::Receive(_) | ExecuteMsg::Unbond { .. } | ExecuteMsg::WithdrawUnbonded {} => {
            execute_bonds(deps, env, info, msg)
        }
        ExecuteMsg::RegisterDevice { .. }
        | ExecuteMsg::RotateDeviceKey { .. }
        | ExecuteMsg::Prune { .. } => execute_devices(deps, env, info, msg),
        ExecuteMsg::CommitEntropy { .. } | ExecuteMsg::RevealEntropy { .. } => {
            execute_beacon(deps, env, info, msg)
        }
        ExecuteMsg::SetChallengeKey { .. }
        | ExecuteMsg::Commit { .. }
        | ExecuteMsg::Assign { .. }
        | ExecuteMsg::Submit { .. }
        | ExecuteMsg::Defend { .. }
        | ExecuteMsg::Finalize { .. }
        | ExecuteMsg::Expire { .. } => execute_challenges(deps, env, info, msg),
        ExecuteMsg::Audit { .. }
        | ExecuteMsg::AnswerAudit { .. }
        | ExecuteMsg::AuditGemm { .. }
        | ExecuteMsg::AnswerGemmAudit { .. }
        | ExecuteMsg::FinalizeAudit { .. } => execute_audits(deps, env, info, msg),
        ExecuteMsg::Appeal { .. }
        | ExecuteMsg::DrawAppeal { .. }
        | ExecuteMsg::FinalizeAccusation { .. }
        | ExecuteMsg::DrawSweep { .. } => execute_accusations(deps, env, info, msg),
    }
}

/// What `execute` dispatches to a feature's handlers is that feature's message; any other would
/// be a dispatch bug, answered with an error rather than a panic (no input reaches it).
fn misdispatched() -> ContractError {
    StdError::generic_err("execute dispatches each message to its feature").into()
}

/// Verifier bonds ([`bonds`]): bonding (a cw20 `Receive`), unbonding, withdrawing.
fn execute_bonds(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Receive(msg) => bonds::receive(deps, env, info, msg),
        ExecuteMsg::Unbond { amount } => bonds::unbond(deps, env, info, amount),
        ExecuteMsg::WithdrawUnbonded {} => bonds::withdraw(deps, env, info),
        _ => Err(misdispatched()),
    }
}

/// Devices: registration ([`registration`]), key rotation ([`key_rotation`]) and pruning an
/// ended one ([`expiry`]).
fn execute_devices(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
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
        ExecuteMsg::Prune { token_id } => expiry::prune(deps, env, token_id),
        _ => Err(misdispatched()),
    }
}

/// The entropy beacon ([`entropy`]): commits and reveals.
fn execute_beacon(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::CommitEntropy { hash } => entropy::commit_entropy(deps, env, info, hash),
        ExecuteMsg::RevealEntropy { secret } => entropy::reveal_entropy(deps, env, info, secret),
        _ => Err(misdispatched()),
    }
}

/// Challenges ([`challenge`]) and their verdicts ([`verdict`]): the challenge key, commit,
/// assignment, verdict, defence, finalization and expiry.
fn execute_challenges(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
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
        ExecuteMsg::Expire { challenge_id } => challenge::expire(deps, env, challenge_id),
        _ => Err(misdispatched()),
    }
}

/// Audits of passes ([`audit`]): a step's, a GEMM row's, their answers and finalization.
fn execute_audits(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
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
        _ => Err(misdispatched()),
    }
}

/// Accusations ([`appeal`]: the owner's appeal, its draw, the accusation's end) and the sweeps
/// that may bring them ([`sweep`]).
fn execute_accusations(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::Appeal { token_id } => appeal::appeal(deps, env, info, token_id),
        ExecuteMsg::DrawAppeal { token_id } => appeal::draw_appeal(deps, env, token_id),
        ExecuteMsg::FinalizeAccusation { token_id } => {
            appeal::finalize_accusation(deps, env, token_id)
        }
        ExecuteMsg::DrawSweep { token_id, window } => {
            sweep::draw_sweep(deps, env, token_id, window)
        }
        _ => Err(misdispatched()),
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
    query::dispatch(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from = ensure_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from.to_string())
        .add_attribute("to_version", CONTRACT_VERSION))
}
