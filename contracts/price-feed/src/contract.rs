//! Entry points of the price feed other than IBC's (`ibc.rs`).

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Addr, Binary, Deps, DepsMut, Env, Event, IbcMsg, IbcTimeout, MessageInfo, Order, Response,
    StdError, StdResult, Storage, to_json_binary,
};
use cw_storage_plus::Bound;
use loopin::migrate::ensure_upgrade;
use loopin::page_limit;
use loopin::pair::{self, PoolResponse, TwapResponse};
use loopin::price_feed::MigrateMsg;
use loopin::price_feed::PricePacket;
use loopin::price_feed::feed::{
    ChannelsResponse, ConfigResponse, ExecuteMsg, InstantiateMsg, MAX_POOLS, PoolInfo,
    PublishedResponse, QueryMsg,
};
use loopin_pool_math::oracle::PriceAccumulator;

use crate::error::ContractError;
use crate::state::{
    ALLOWED_CONNECTIONS, ALLOWED_PORTS, CHANNELS, CONFIG, Config, OBSERVATIONS, POOLS, PUBLISHED,
    SUBSCRIBERS,
};

/// cw2 name of this contract.
pub const CONTRACT_NAME: &str = "crates.io:loopin-price-feed";
/// cw2 version of this contract.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

fn validated(
    packet_timeout_seconds: u64,
    twap_window_seconds: u64,
) -> Result<Config, ContractError> {
    if packet_timeout_seconds == 0 {
        return Err(ContractError::ZeroTimeout {});
    }
    Ok(Config {
        packet_timeout_seconds,
        twap_window_seconds,
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let config = validated(msg.packet_timeout_seconds, msg.twap_window_seconds)?;
    let owner = cw_ownable::initialize_owner(deps.storage, deps.api, Some(&msg.owner))?;
    CONFIG.save(deps.storage, &config)?;
    ALLOWED_CONNECTIONS.save(deps.storage, &msg.allowed_connections)?;
    ALLOWED_PORTS.save(deps.storage, &msg.allowed_counterparty_ports)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", owner.owner.map(String::from).unwrap_or_default())
        .add_attribute("allowed_connections", msg.allowed_connections.join(","))
        .add_attribute(
            "allowed_counterparty_ports",
            ports_attribute(&msg.allowed_counterparty_ports),
        ))
}

fn ports_attribute(ports: &Option<Vec<String>>) -> String {
    ports
        .as_ref()
        .map_or_else(|| "any".to_string(), |list| list.join(","))
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
        ExecuteMsg::Publish {} => publish(deps, env),
        ExecuteMsg::UpdateOwnership(action) => {
            let ownership = cw_ownable::update_ownership(deps, &env.block, &info.sender, action)?;
            Ok(Response::new().add_attributes(ownership.into_attributes()))
        }
        ExecuteMsg::AddPool { pair } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            add_pool(deps, pair)
        }
        ExecuteMsg::RemovePool { pair } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            remove_pool(deps, pair)
        }
        ExecuteMsg::SetAllowedConnections { connections } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            ALLOWED_CONNECTIONS.save(deps.storage, &connections)?;
            Ok(Response::new()
                .add_attribute("action", "set_allowed_connections")
                .add_attribute("allowed_connections", connections.join(",")))
        }
        ExecuteMsg::SetAllowedCounterpartyPorts { ports } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            ALLOWED_PORTS.save(deps.storage, &ports)?;
            Ok(Response::new()
                .add_attribute("action", "set_allowed_counterparty_ports")
                .add_attribute("allowed_counterparty_ports", ports_attribute(&ports)))
        }
        ExecuteMsg::CloseChannel { channel_id } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            evict(deps, channel_id)
        }
        ExecuteMsg::UpdateConfig {
            packet_timeout_seconds,
            twap_window_seconds,
        } => {
            cw_ownable::assert_owner(deps.storage, &info.sender)?;
            let old = CONFIG.load(deps.storage)?;
            let config = validated(
                packet_timeout_seconds.unwrap_or(old.packet_timeout_seconds),
                twap_window_seconds.unwrap_or(old.twap_window_seconds),
            )?;
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
    }
}

/// Frees a subscriber's slot now and closes its channel. The chain then calls
/// `ibc_channel_close` with `CloseInit` in the same transaction; it accepts the close because it
/// finds the channel connected once and unsubscribed, which only this eviction does (anyone
/// else's `CloseInit` is refused).
fn evict(deps: DepsMut, channel_id: String) -> Result<Response, ContractError> {
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

fn add_pool(deps: DepsMut, pair: String) -> Result<Response, ContractError> {
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

fn remove_pool(deps: DepsMut, pair: String) -> Result<Response, ContractError> {
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

/// The observation a TWAP ending at `now` starts from: the oldest one recorded within the
/// window, or, when every one is older, the latest (the previous publish). Observations older
/// than it are pruned: later windows end later, so they never start from those. `None` before
/// the pool's first publish.
fn twap_start(
    storage: &mut dyn Storage,
    pair: &Addr,
    now: u64,
    window: u64,
) -> StdResult<Option<PriceAccumulator>> {
    let cutoff = now.saturating_sub(window);
    let mut older = Vec::new();
    let mut start = None;
    for item in OBSERVATIONS.prefix(pair).range(
        storage,
        None,
        Some(Bound::exclusive(now)),
        Order::Ascending,
    ) {
        let (time, observation) = item?;
        if time >= cutoff {
            start = Some(observation);
            break;
        }
        older.push((time, observation));
    }
    if start.is_none() {
        start = older.pop().map(|(_, observation)| observation);
    }
    for (time, _) in older {
        OBSERVATIONS.remove(storage, (pair, time));
    }
    Ok(start)
}

/// Builds a pool's packet and records the observation later TWAPs start from.
fn observe(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    pair: &Addr,
    class: String,
    pool: PoolResponse,
) -> Result<PricePacket, ContractError> {
    let now = env.block.time.seconds();
    let start = twap_start(deps.storage, pair, now, config.twap_window_seconds)?;
    let twap: TwapResponse = deps
        .querier
        .query_wasm_smart(pair, &pair::QueryMsg::Twap { since: start })?;
    OBSERVATIONS.save(
        deps.storage,
        (pair, twap.accumulator.time),
        &twap.accumulator,
    )?;
    let (twap_price, twap_window_seconds) = match start {
        Some(start) => (twap.twap, now - start.time),
        None => (pool.spot_price, 0),
    };
    Ok(PricePacket {
        pool: pair.to_string(),
        class,
        spot_price: pool.spot_price,
        twap: twap_price,
        twap_window_seconds,
        reserves: pool.reserves,
        capacity: pool
            .provider_hours
            .checked_add(pool.seller_hours)
            .map_err(StdError::from)?,
        epoch: pool.epoch,
        height: env.block.height,
        time: env.block.time,
    })
}

fn optional(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// What a publish did with one pool.
enum Outcome {
    /// Its epoch was published already.
    Unchanged,
    /// Boundaries are due: its reserves are those of an epoch that is over. The keeper advances
    /// the pool first; a later publish sends it.
    Lagging,
    /// Its packet, recorded as sent to `channels` channels.
    Published(Box<PricePacket>),
}

/// Reads one pool and, when its epoch advanced and no boundary is due, builds and records its
/// packet. Kept out of line: inlined into `publish` it takes that function over the VM's limit
/// of 100 locals per function (`cosmwasm-check`).
#[inline(never)]
fn publish_pool(
    mut deps: DepsMut,
    env: &Env,
    config: &Config,
    (pair, class): (Addr, String),
    channels: u32,
) -> Result<Outcome, ContractError> {
    let pool: PoolResponse = deps
        .querier
        .query_wasm_smart(&pair, &pair::QueryMsg::Pool {})?;
    let last = PUBLISHED.may_load(deps.storage, &pair)?;
    if last.is_some_and(|last| last.packet.epoch >= pool.epoch) {
        return Ok(Outcome::Unchanged);
    }
    if pool.clock_epoch > pool.epoch {
        return Ok(Outcome::Lagging);
    }
    let packet = observe(deps.branch(), env, config, &pair, class, pool)?;
    PUBLISHED.save(
        deps.storage,
        &pair,
        &PublishedResponse {
            packet: packet.clone(),
            channels,
        },
    )?;
    Ok(Outcome::Published(Box::new(packet)))
}

/// The event a published packet is announced by.
fn price_event(packet: &PricePacket) -> Event {
    Event::new("loopin_price")
        .add_attribute("pool", &packet.pool)
        .add_attribute("class", &packet.class)
        .add_attribute("epoch", packet.epoch.to_string())
        .add_attribute("spot_price", optional(packet.spot_price))
        .add_attribute("twap", optional(packet.twap))
        .add_attribute(
            "twap_window_seconds",
            packet.twap_window_seconds.to_string(),
        )
}

fn publish(mut deps: DepsMut, env: Env) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let subscribers = SUBSCRIBERS
        .keys(deps.storage, None, None, Order::Ascending)
        .collect::<StdResult<Vec<_>>>()?;
    let pools = POOLS
        .range(deps.storage, None, None, Order::Ascending)
        .collect::<StdResult<Vec<_>>>()?;
    let timeout =
        IbcTimeout::with_timestamp(env.block.time.plus_seconds(config.packet_timeout_seconds));
    let mut response = Response::new();
    let mut published = 0u64;
    let mut lagging = Vec::new();
    for pool in pools {
        let pair = pool.0.clone();
        let packet =
            match publish_pool(deps.branch(), &env, &config, pool, subscribers.len() as u32)? {
                Outcome::Unchanged => continue,
                Outcome::Lagging => {
                    lagging.push(pair.into_string());
                    continue;
                }
                Outcome::Published(packet) => *packet,
            };
        let data = to_json_binary(&packet)?;
        response = response
            .add_messages(subscribers.iter().map(|channel| IbcMsg::SendPacket {
                channel_id: channel.clone(),
                data: data.clone(),
                timeout: timeout.clone(),
            }))
            .add_event(price_event(&packet));
        published += 1;
    }
    if published == 0 {
        return Err(ContractError::NothingToPublish {});
    }
    for channel in &subscribers {
        if let Some(mut info) = CHANNELS.may_load(deps.storage, channel)? {
            info.sent += published;
            CHANNELS.save(deps.storage, channel, &info)?;
        }
    }
    Ok(response
        .add_attribute("action", "publish")
        .add_attribute("pools", published.to_string())
        .add_attribute(
            "packets",
            (published * subscribers.len() as u64).to_string(),
        )
        .add_attribute("lagging", lagging.join(",")))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => {
            let config = CONFIG.load(deps.storage)?;
            let pools = POOLS
                .range(deps.storage, None, None, Order::Ascending)
                .map(|item| item.map(|(pair, class)| PoolInfo { pair, class }))
                .collect::<StdResult<_>>()?;
            to_json_binary(&ConfigResponse {
                packet_timeout_seconds: config.packet_timeout_seconds,
                twap_window_seconds: config.twap_window_seconds,
                pools,
                allowed_connections: ALLOWED_CONNECTIONS
                    .may_load(deps.storage)?
                    .unwrap_or_default(),
                allowed_counterparty_ports: ALLOWED_PORTS.may_load(deps.storage)?.flatten(),
            })?
        }
        QueryMsg::Channels { start_after, limit } => {
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
            to_json_binary(&ChannelsResponse { channels })?
        }
        QueryMsg::Published { pool } => {
            let pair = deps.api.addr_validate(&pool)?;
            let published = PUBLISHED
                .may_load(deps.storage, &pair)?
                .ok_or(ContractError::NotPublished { pool })?;
            to_json_binary(&published)?
        }
        QueryMsg::Ownership {} => to_json_binary(&cw_ownable::get_ownership(deps.storage)?)?,
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
