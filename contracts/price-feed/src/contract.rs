//! Entry points of the price feed other than IBC's (`ibc.rs`).

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response};
use loopin::migrate::ensure_upgrade;
use loopin::price_feed::MigrateMsg;
use loopin::price_feed::feed::{ExecuteMsg, InstantiateMsg, QueryMsg};
use loopin::price_feed::settings::{AllowList, list_attribute};

use crate::error::ContractError;
use crate::owner;
use crate::state::{ALLOWED_CONNECTIONS, ALLOWED_PORTS, CONFIG, Config};
use crate::{publish, query};

/// cw2 name of this contract.
pub const CONTRACT_NAME: &str = "crates.io:loopin-price-feed";
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
    msg.validate()?;
    let config = Config {
        packet_timeout_seconds: msg.packet_timeout_seconds,
        twap_window_seconds: msg.twap_window_seconds,
    };
    let owner = cw_ownable::initialize_owner(deps.storage, deps.api, Some(&msg.owner))?;
    CONFIG.save(deps.storage, &config)?;
    ALLOWED_CONNECTIONS.save(deps.storage, &msg.allowed_connections)?;
    ALLOWED_PORTS.save(deps.storage, &msg.allowed_counterparty_ports)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", owner.owner.map(String::from).unwrap_or_default())
        .add_attribute(
            AllowList::Connections.attribute(),
            list_attribute(Some(&msg.allowed_connections)),
        )
        .add_attribute(
            AllowList::CounterpartyPorts.attribute(),
            list_attribute(msg.allowed_counterparty_ports.as_deref()),
        ))
}

/// `Publish` is anyone's (the epoch keeper's); every other message is the owner's.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    match msg {
        ExecuteMsg::Publish {} => publish::publish(deps, env),
        ExecuteMsg::UpdateOwnership(action) => owner::update_ownership(deps, env, info, action),
        ExecuteMsg::AddPool { pair } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            owner::add_pool(deps, pair)
        }
        ExecuteMsg::RemovePool { pair } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            owner::remove_pool(deps, pair)
        }
        ExecuteMsg::SetAllowedConnections { connections } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            owner::set_allowed_connections(deps, connections)
        }
        ExecuteMsg::SetAllowedCounterpartyPorts { ports } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            owner::set_allowed_counterparty_ports(deps, ports)
        }
        ExecuteMsg::CloseChannel { channel_id } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            owner::evict(deps, channel_id)
        }
        ExecuteMsg::UpdateConfig {
            packet_timeout_seconds,
            twap_window_seconds,
        } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            owner::update_config(deps, packet_timeout_seconds, twap_window_seconds)
        }
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
