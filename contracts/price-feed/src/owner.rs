//! The owner's changes: the pools the feed publishes, the connections and ports subscribers may
//! use, a subscriber's eviction, the config and the ownership.

use cosmwasm_std::{DepsMut, Env, IbcMsg, MessageInfo, Order, Response, StdResult};
use loopin::pair;
use loopin::price_feed::feed::MAX_POOLS;
use loopin::price_feed::settings::{self, AllowList};

use crate::error::ContractError;
use crate::state::{
    ALLOWED_CONNECTIONS, ALLOWED_PORTS, CONFIG, Config, OBSERVATIONS, POOLS, PUBLISHED, SUBSCRIBERS,
};

/// cw-ownable's two-step transfer (or renouncement) of the feed's ownership.
pub(crate) fn update_ownership(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    action: cw_ownable::Action,
) -> Result<Response, ContractError> {
    let ownership = cw_ownable::update_ownership(deps, &env.block, &info.sender, action)?;
    Ok(Response::new().add_attributes(ownership.into_attributes()))
}

/// Sets the connections subscribers' channels may come over.
pub(crate) fn set_allowed_connections(
    deps: DepsMut,
    connections: Vec<String>,
) -> Result<Response, ContractError> {
    ALLOWED_CONNECTIONS.save(deps.storage, &connections)?;
    Ok(AllowList::Connections.replaced(Some(&connections)))
}

/// Sets the counterparty ports subscribers' channels may come from (`None`: any).
pub(crate) fn set_allowed_counterparty_ports(
    deps: DepsMut,
    ports: Option<Vec<String>>,
) -> Result<Response, ContractError> {
    ALLOWED_PORTS.save(deps.storage, &ports)?;
    Ok(AllowList::CounterpartyPorts.replaced(ports.as_deref()))
}

/// Changes the packet timeout or the TWAP window, each kept where not given.
pub(crate) fn update_config(
    deps: DepsMut,
    packet_timeout_seconds: Option<u64>,
    twap_window_seconds: Option<u64>,
) -> Result<Response, ContractError> {
    let old = CONFIG.load(deps.storage)?;
    let config = Config {
        packet_timeout_seconds: settings::packet_timeout(
            packet_timeout_seconds.unwrap_or(old.packet_timeout_seconds),
        )?,
        twap_window_seconds: twap_window_seconds.unwrap_or(old.twap_window_seconds),
    };
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "update_config")
        .add_attribute(
            "packet_timeout_seconds",
            config.packet_timeout_seconds.to_string(),
        )
        .add_attribute(
            "twap_window_seconds",
            config.twap_window_seconds.to_string(),
        ))
}

/// Frees a subscriber's slot now and closes its channel. The chain then calls
/// `ibc_channel_close` with `CloseInit` in the same transaction; it accepts the close because it
/// finds the channel connected once and unsubscribed, which only this eviction does (anyone
/// else's `CloseInit` is refused).
pub(crate) fn evict(deps: DepsMut, channel_id: String) -> Result<Response, ContractError> {
    if !SUBSCRIBERS.has(deps.storage, &channel_id) {
        return Err(ContractError::NotSubscribed { channel_id });
    }
    crate::ibc::unsubscribe(deps.storage, &channel_id)?;
    Ok(Response::new()
        .add_message(IbcMsg::CloseChannel {
            channel_id: channel_id.clone(),
        })
        .add_attribute("action", "close_channel")
        .add_attribute("channel", channel_id))
}

/// Adds a pool to publish, its class read from the pair itself.
pub(crate) fn add_pool(deps: DepsMut, pair: String) -> Result<Response, ContractError> {
    let pair = deps.api.addr_validate(&pair)?;
    if POOLS.has(deps.storage, &pair) {
        return Err(ContractError::PoolExists {
            pair: pair.into_string(),
        });
    }
    if POOLS
        .keys(deps.storage, None, None, Order::Ascending)
        .count()
        >= MAX_POOLS
    {
        return Err(ContractError::TooManyPools {});
    }
    // The class comes from the pair itself, which also shows that it is a pair.
    let config: pair::ConfigResponse = deps
        .querier
        .query_wasm_smart(&pair, &pair::QueryMsg::Config {})?;
    POOLS.save(deps.storage, &pair, &config.class)?;
    Ok(Response::new()
        .add_attribute("action", "add_pool")
        .add_attribute("pair", pair)
        .add_attribute("class", config.class))
}

/// Stops publishing a pool and forgets its last packet and observations.
pub(crate) fn remove_pool(deps: DepsMut, pair: String) -> Result<Response, ContractError> {
    let pair = deps.api.addr_validate(&pair)?;
    if !POOLS.has(deps.storage, &pair) {
        return Err(ContractError::PoolNotFound {
            pair: pair.into_string(),
        });
    }
    POOLS.remove(deps.storage, &pair);
    PUBLISHED.remove(deps.storage, &pair);
    let times = OBSERVATIONS
        .prefix(&pair)
        .keys(deps.storage, None, None, Order::Ascending)
        .collect::<StdResult<Vec<_>>>()?;
    for time in times {
        OBSERVATIONS.remove(deps.storage, (&pair, time));
    }
    Ok(Response::new()
        .add_attribute("action", "remove_pool")
        .add_attribute("pair", pair))
}
