//! Publishing: each epoch, one price packet per pool whose epoch advanced to every subscriber,
//! its TWAP over the configured window from the observations recorded at earlier publishes.

use cosmwasm_std::{
    Addr, DepsMut, Env, Event, IbcMsg, IbcTimeout, Order, Response, StdError, StdResult, Storage,
    to_json_binary,
};
use cw_storage_plus::Bound;
use loopin::pair::{self, PoolResponse, TwapResponse};
use loopin::price_feed::PricePacket;
use loopin::price_feed::feed::PublishedResponse;
use loopin_pool_math::oracle::PriceAccumulator;

use crate::error::ContractError;
use crate::state::{CHANNELS, CONFIG, Config, OBSERVATIONS, POOLS, PUBLISHED, SUBSCRIBERS};

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

/// Sends every pool whose epoch advanced (and has no boundary due) to every subscriber, one
/// packet each; refused when there is nothing to publish.
pub(crate) fn publish(mut deps: DepsMut, env: Env) -> Result<Response, ContractError> {
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
