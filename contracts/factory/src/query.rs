//! The factory's queries: one `query_*` per message.

use cosmwasm_std::{Binary, Decimal256, Deps, Env, Order, StdResult, to_json_binary};
use cw_storage_plus::Bound;
use loopin::factory::{
    ConfigResponse, EmissionResponse, PoolResponse, PoolsResponse, QueryMsg, TMinResponse,
};
use loopin::page_limit;
use loopin::pool::PoolParams;

use crate::emission::current_emission;
use crate::error::ContractError;
use crate::governance;
use crate::state::{CLASS_PARAMS, CONFIG, POOLS};
use crate::wiring::wired;

/// The factory's queries, each answer as JSON.
pub fn dispatch(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query_config(deps)?)?,
        QueryMsg::Pools { start_after, limit } => {
            to_json_binary(&query_pools(deps, start_after, limit)?)?
        }
        QueryMsg::Pool { class } => to_json_binary(&query_pool(deps, class)?)?,
        QueryMsg::ClassParams { class } => to_json_binary(&query_class_params(deps, class)?)?,
        QueryMsg::TMin { class } => to_json_binary(&query_t_min(deps, class)?)?,
        QueryMsg::Emission {} => to_json_binary(&query_emission(deps, &env)?)?,
        QueryMsg::Governance {} => to_json_binary(&governance::query_governance(deps)?)?,
        QueryMsg::Proposals { start_after, limit } => {
            to_json_binary(&governance::query_proposals(deps, start_after, limit)?)?
        }
        QueryMsg::Proposal { id } => to_json_binary(&governance::query_proposal(deps, id)?)?,
        QueryMsg::Ownership {} => to_json_binary(&cw_ownable::get_ownership(deps.storage)?)?,
    })
}

/// The factory's contracts, pair code and emission; `NotWired` before its instantiations
/// replied.
fn query_config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (token, stake_cert) = wired(&config)?;
    Ok(ConfigResponse {
        token: token.clone(),
        stake_cert: stake_cert.clone(),
        pair_code_id: config.pair_code_id,
        registry: config.registry,
        emission: config.emission,
    })
}

/// The pools, by class.
fn query_pools(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<PoolsResponse> {
    let start = start_after.as_deref().map(Bound::exclusive);
    let pools = POOLS
        .range(deps.storage, start, None, Order::Ascending)
        .take(page_limit(limit))
        .map(|item| item.map(|(class, pair)| PoolResponse { class, pair }))
        .collect::<StdResult<_>>()?;
    Ok(PoolsResponse { pools })
}

/// The pool of a class.
fn query_pool(deps: Deps, class: String) -> Result<PoolResponse, ContractError> {
    let pair =
        POOLS
            .may_load(deps.storage, &class)?
            .ok_or_else(|| ContractError::UnknownClass {
                class: class.clone(),
            })?;
    Ok(PoolResponse { class, pair })
}

/// The parameters governance set for a class.
fn query_class_params(deps: Deps, class: String) -> Result<PoolParams, ContractError> {
    CLASS_PARAMS
        .may_load(deps.storage, &class)?
        .ok_or(ContractError::UnknownClass { class })
}

/// T_min of a class, in hours and in whole epochs.
fn query_t_min(deps: Deps, class: String) -> Result<TMinResponse, ContractError> {
    let params = query_class_params(deps, class)?;
    let hours: Decimal256 = params
        .economics
        .t_min_hours()
        .map_err(loopin::pool::ParamsError::from)?;
    Ok(TMinResponse {
        hours,
        epochs: params.t_min_epochs()?,
    })
}

/// The current emission epoch's minting and what is left of its cap.
fn query_emission(deps: Deps, env: &Env) -> Result<EmissionResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let emission = current_emission(deps, env, &config)?;
    Ok(EmissionResponse {
        epoch: emission.epoch,
        minted_this_epoch: emission.minted_this_epoch,
        remaining_this_epoch: config
            .emission
            .cap_per_epoch
            .saturating_sub(emission.minted_this_epoch),
        total_minted: emission.total_minted,
    })
}
