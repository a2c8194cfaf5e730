//! Entry points of the price consumer other than IBC's (`ibc.rs`).

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Binary, Deps, DepsMut, Empty, Env, MessageInfo, Order, Response, StdResult, to_json_binary,
};
use cw_storage_plus::Bound;
use loopin::migrate::ensure_upgrade;
use loopin::page_limit;
use loopin::price_feed::MigrateMsg;
use loopin::price_feed::consumer::{
    ConfigResponse, DEFAULT_MAX_AGE_SECONDS, ExecuteMsg, InstantiateMsg, PricesResponse, QueryMsg,
};

use crate::error::ContractError;
use crate::query::{class_price, class_prices, fresh, max_age, price_response, price_with_age};
use crate::state::{ALLOWED_CONNECTIONS, ALLOWED_PORTS, CLASSES, MAX_AGE, PRICES};

/// cw2 name of this contract.
pub const CONTRACT_NAME: &str = "crates.io:loopin-price-consumer";
/// cw2 version of this contract.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

fn validated_max_age(max_age_seconds: u64) -> Result<u64, ContractError> {
    if max_age_seconds == 0 {
        return Err(ContractError::ZeroMaxAge {});
    }
    Ok(max_age_seconds)
}

/// The consumer is pinned to its feed: both lists are given and non-empty. `None` (also a
/// message without the field) and an empty list are refused alike; opening the consumer to any
/// connection or port is the owner's deliberate `SetAllowed...` with `None` afterwards.
fn ensure_pinned(
    connections: &Option<Vec<String>>,
    ports: &Option<Vec<String>>,
) -> Result<(), ContractError> {
    let unset = |list: &Option<Vec<String>>| list.as_ref().is_none_or(Vec::is_empty);
    let missing = match (unset(connections), unset(ports)) {
        (false, false) => return Ok(()),
        (true, false) => "allowed_connections",
        (false, true) => "allowed_counterparty_ports",
        (true, true) => "allowed_connections and allowed_counterparty_ports",
    };
    Err(ContractError::Unpinned { missing })
}

fn allowed_attribute(connections: &Option<Vec<String>>) -> String {
    connections
        .as_ref()
        .map_or_else(|| "any".to_string(), |list| list.join(","))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    ensure_pinned(&msg.allowed_connections, &msg.allowed_counterparty_ports)?;
    let max_age = validated_max_age(msg.max_age_seconds.unwrap_or(DEFAULT_MAX_AGE_SECONDS))?;
    let owner = cw_ownable::initialize_owner(deps.storage, deps.api, Some(&msg.owner))?;
    ALLOWED_CONNECTIONS.save(deps.storage, &msg.allowed_connections)?;
    ALLOWED_PORTS.save(deps.storage, &msg.allowed_counterparty_ports)?;
    MAX_AGE.save(deps.storage, &max_age)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", owner.owner.map(String::from).unwrap_or_default())
        .add_attribute(
            "allowed_connections",
            allowed_attribute(&msg.allowed_connections),
        )
        .add_attribute(
            "allowed_counterparty_ports",
            allowed_attribute(&msg.allowed_counterparty_ports),
        )
        .add_attribute("max_age_seconds", max_age.to_string()))
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
        ExecuteMsg::SetAllowedConnections { connections } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            ALLOWED_CONNECTIONS.save(deps.storage, &connections)?;
            Ok(Response::new()
                .add_attribute("action", "set_allowed_connections")
                .add_attribute("allowed_connections", allowed_attribute(&connections)))
        }
        ExecuteMsg::SetAllowedCounterpartyPorts { ports } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            ALLOWED_PORTS.save(deps.storage, &ports)?;
            Ok(Response::new()
                .add_attribute("action", "set_allowed_counterparty_ports")
                .add_attribute("allowed_counterparty_ports", allowed_attribute(&ports)))
        }
        ExecuteMsg::SetMaxAge { max_age_seconds } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            MAX_AGE.save(deps.storage, &validated_max_age(max_age_seconds)?)?;
            Ok(Response::new()
                .add_attribute("action", "set_max_age")
                .add_attribute("max_age_seconds", max_age_seconds.to_string()))
        }
        ExecuteMsg::UpdateOwnership(action) => {
            let ownership = cw_ownable::update_ownership(deps, &env.block, &info.sender, action)?;
            Ok(Response::new().add_attributes(ownership.into_attributes()))
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let now = env.block.time;
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&ConfigResponse {
            allowed_connections: ALLOWED_CONNECTIONS.load(deps.storage)?,
            allowed_counterparty_ports: ALLOWED_PORTS.may_load(deps.storage)?.flatten(),
            max_age_seconds: max_age(deps.storage)?,
        })?,
        QueryMsg::Price { channel, pool } => {
            to_json_binary(&fresh(price_with_age(deps.storage, now, channel, pool)?)?)?
        }
        QueryMsg::PriceWithAge { channel, pool } => {
            to_json_binary(&price_with_age(deps.storage, now, channel, pool)?)?
        }
        QueryMsg::ClassPrice { channel, class } => {
            to_json_binary(&class_price(deps.storage, now, &channel, &class)?)?
        }
        QueryMsg::ClassPrices {
            channel,
            class,
            start_after,
            limit,
        } => to_json_binary(&class_prices(
            deps.storage,
            now,
            &channel,
            &class,
            start_after.as_deref(),
            limit,
        )?)?,
        QueryMsg::Prices { start_after, limit } => {
            let start = start_after
                .as_ref()
                .map(|key| Bound::exclusive((key.channel.as_str(), key.pool.as_str())));
            let prices = PRICES
                .range(deps.storage, start, None, Order::Ascending)
                .take(page_limit(limit))
                .map(|item| item.map(|((channel, _), stored)| price_response(channel, stored)))
                .collect::<StdResult<_>>()?;
            to_json_binary(&PricesResponse { prices })?
        }
        QueryMsg::Ownership {} => to_json_binary(&cw_ownable::get_ownership(deps.storage)?)?,
    })
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
