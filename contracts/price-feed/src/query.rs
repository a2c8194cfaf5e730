//! The feed's queries: one `query_*` per message.

use cosmwasm_std::{Binary, Deps, Env, Order, StdResult, to_json_binary};
use cw_storage_plus::Bound;
use loopin::page_limit;
use loopin::price_feed::feed::{
    ChannelsResponse, ConfigResponse, PoolInfo, PublishedResponse, QueryMsg,
};

use crate::error::ContractError;
use crate::state::{ALLOWED_CONNECTIONS, ALLOWED_PORTS, CHANNELS, CONFIG, POOLS, PUBLISHED};

/// The feed's queries, each answer as JSON.
pub fn dispatch(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query_config(deps)?)?,
        QueryMsg::Channels { start_after, limit } => {
            to_json_binary(&query_channels(deps, start_after, limit)?)?
        }
        QueryMsg::Published { pool } => to_json_binary(&query_published(deps, pool)?)?,
        QueryMsg::Ownership {} => to_json_binary(&cw_ownable::get_ownership(deps.storage)?)?,
    })
}

/// The config, the pools published and the allowed connections and ports.
fn query_config(deps: Deps) -> StdResult<ConfigResponse> {
    let config = CONFIG.load(deps.storage)?;
    let pools = POOLS
        .range(deps.storage, None, None, Order::Ascending)
        .map(|item| item.map(|(pair, class)| PoolInfo { pair, class }))
        .collect::<StdResult<_>>()?;
    Ok(ConfigResponse {
        packet_timeout_seconds: config.packet_timeout_seconds,
        twap_window_seconds: config.twap_window_seconds,
        pools,
        allowed_connections: ALLOWED_CONNECTIONS
            .may_load(deps.storage)?
            .unwrap_or_default(),
        allowed_counterparty_ports: ALLOWED_PORTS.may_load(deps.storage)?.flatten(),
    })
}

/// The channels the feed connected, with their delivery counts, by id.
fn query_channels(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<ChannelsResponse> {
    let channels = CHANNELS
        .range(
            deps.storage,
            start_after.as_deref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|item| item.map(|(_, info)| info))
        .collect::<StdResult<_>>()?;
    Ok(ChannelsResponse { channels })
}

/// A pool's last published packet.
fn query_published(deps: Deps, pool: String) -> Result<PublishedResponse, ContractError> {
    let pair = deps.api.addr_validate(&pool)?;
    PUBLISHED
        .may_load(deps.storage, &pair)?
        .ok_or(ContractError::NotPublished { pool })
}
