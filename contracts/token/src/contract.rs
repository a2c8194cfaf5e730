//! Entry points of the LOOP token: cw20-base's, with the supply audit (`supply`) kept beside.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};
use cw20_base::contract::query_token_info;
use loopin::migrate::ensure_upgrade;
use loopin::token::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::{query, supply};

/// cw2 name of this contract.
pub const CONTRACT_NAME: &str = "crates.io:loopin-token";
/// cw2 version of this contract.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let base = cw20_base::msg::InstantiateMsg {
        name: msg.name,
        symbol: msg.symbol,
        decimals: msg.decimals,
        initial_balances: msg.initial_balances,
        mint: Some(msg.minter),
        marketing: msg.marketing,
    };
    let response = cw20_base::contract::instantiate(deps.branch(), env, info, base)?;
    let initial_supply = query_token_info(deps.as_ref())?.total_supply;
    supply::start(deps.storage, initial_supply)?;
    // cw20-base records its own cw2 name: ours is written last.
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(response.add_attribute("initial_supply", initial_supply))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let supply_change = supply::change(&msg);
    let response = cw20_base::contract::execute(deps.branch(), env, info, msg)?;
    if let Some(change) = supply_change {
        supply::record(deps.storage, change)?;
    }
    Ok(response)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
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
