//! Entry points of the price consumer other than IBC's (`ibc.rs`).

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Empty, Env, MessageInfo, Order, Response, StdResult};
use loopin::migrate::ensure_upgrade;
use loopin::price_feed::MigrateMsg;
use loopin::price_feed::consumer::{ExecuteMsg, InstantiateMsg, QueryMsg};
use loopin::price_feed::settings::{AllowList, list_attribute};

use crate::error::ContractError;
use crate::owner;
use crate::query;
use crate::state::{ALLOWED_CONNECTIONS, ALLOWED_PORTS, CLASSES, MAX_AGE, PRICES};

/// cw2 name of this contract.
pub const CONTRACT_NAME: &str = "crates.io:loopin-price-consumer";
/// cw2 version of this contract.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let max_age = msg.validate()?;
    let owner = cw_ownable::initialize_owner(deps.storage, deps.api, Some(&msg.owner))?;
    ALLOWED_CONNECTIONS.save(deps.storage, &msg.allowed_connections)?;
    ALLOWED_PORTS.save(deps.storage, &msg.allowed_counterparty_ports)?;
    MAX_AGE.save(deps.storage, &max_age)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", owner.owner.map(String::from).unwrap_or_default())
        .add_attribute(
            AllowList::Connections.attribute(),
            list_attribute(msg.allowed_connections.as_deref()),
        )
        .add_attribute(
            AllowList::CounterpartyPorts.attribute(),
            list_attribute(msg.allowed_counterparty_ports.as_deref()),
        )
        .add_attribute("max_age_seconds", max_age.to_string()))
}

/// The owner's messages (`owner`); `UpdateOwnership` is cw-ownable's.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    match msg {
        ExecuteMsg::SetAllowedConnections { connections } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            owner::set_allowed_connections(deps, connections)
        }
        ExecuteMsg::SetAllowedCounterpartyPorts { ports } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            owner::set_allowed_counterparty_ports(deps, ports)
        }
        ExecuteMsg::SetMaxAge { max_age_seconds } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            owner::set_max_age(deps, max_age_seconds)
        }
        ExecuteMsg::UpdateOwnership(action) => owner::update_ownership(deps, env, info, action),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    query::dispatch(deps, env, msg)
}

/// Also puts every stored price's pool under its class (`CLASSES`), which a consumer of a
/// version without the index lacks; a consumer without a stored maximum age gets the default.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from = ensure_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let indexed = PRICES
        .range(deps.storage, None, None, Order::Ascending)
        .map(|item| item.map(|((channel, pool), stored)| (channel, stored.packet.class, pool)))
        .collect::<StdResult<Vec<_>>>()?;
    for (channel, class, pool) in indexed {
        CLASSES.save(deps.storage, (&channel, &class, &pool), &Empty {})?;
    }
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from.to_string())
        .add_attribute("to_version", CONTRACT_VERSION))
}
