//! The consumer's price queries: by pool or by resource class, refusing a stale price or
//! serving it with its age.

use cosmwasm_std::{Binary, Deps, Env, Order, StdResult, Storage, Timestamp, to_json_binary};
use cw_storage_plus::Bound;
use loopin::page_limit;
use loopin::price_feed::consumer::{
    ConfigResponse, DEFAULT_MAX_AGE_SECONDS, PriceKey, PriceResponse, PriceWithAgeResponse,
    PricesResponse, PricesWithAgeResponse, QueryMsg,
};

use crate::error::ContractError;
use crate::state::{ALLOWED_CONNECTIONS, ALLOWED_PORTS, CLASSES, MAX_AGE, PRICES, StoredPrice};

/// The consumer's queries, one function per message, each answer as JSON.
pub fn dispatch(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let now = env.block.time;
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query_config(deps)?)?,
        QueryMsg::Price { channel, pool } => {
            to_json_binary(&query_price(deps.storage, now, channel, pool)?)?
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
            to_json_binary(&query_prices(deps, start_after, limit)?)?
        }
        QueryMsg::Ownership {} => to_json_binary(&cw_ownable::get_ownership(deps.storage)?)?,
    })
}

/// The allowed connections and ports, and the maximum age.
fn query_config(deps: Deps) -> StdResult<ConfigResponse> {
    Ok(ConfigResponse {
        allowed_connections: ALLOWED_CONNECTIONS.load(deps.storage)?,
        allowed_counterparty_ports: ALLOWED_PORTS.may_load(deps.storage)?.flatten(),
        max_age_seconds: max_age(deps.storage)?,
    })
}

/// A channel's fresh price of a pool (`StalePrice` if it is older than the maximum).
fn query_price(
    storage: &dyn Storage,
    now: Timestamp,
    channel: String,
    pool: String,
) -> Result<PriceResponse, ContractError> {
    fresh(price_with_age(storage, now, channel, pool)?)
}

/// Every stored price, by channel and pool, whatever its age.
fn query_prices(
    deps: Deps,
    start_after: Option<PriceKey>,
    limit: Option<u32>,
) -> StdResult<PricesResponse> {
    let start = start_after
        .as_ref()
        .map(|key| Bound::exclusive((key.channel.as_str(), key.pool.as_str())));
    let prices = PRICES
        .range(deps.storage, start, None, Order::Ascending)
        .take(page_limit(limit))
        .map(|item| item.map(|((channel, _), stored)| price_response(channel, stored)))
        .collect::<StdResult<_>>()?;
    Ok(PricesResponse { prices })
}

/// The oldest age `Price` and `ClassPrice` serve.
pub fn max_age(storage: &dyn Storage) -> StdResult<u64> {
    Ok(MAX_AGE
        .may_load(storage)?
        .unwrap_or(DEFAULT_MAX_AGE_SECONDS))
}

pub fn price_response(channel: String, stored: StoredPrice) -> PriceResponse {
    PriceResponse {
        channel,
        packet: stored.packet,
        received_at: stored.received_at,
    }
}

/// Seconds from the earlier of a price's observation (the LooPIN chain's clock) and its
/// reception (this chain's) to `now`; 0 if both are later.
pub fn age(stored: &StoredPrice, now: Timestamp) -> u64 {
    let since = stored.packet.time.min(stored.received_at);
    now.seconds().saturating_sub(since.seconds())
}

fn with_age(
    channel: String,
    stored: StoredPrice,
    now: Timestamp,
    max: u64,
) -> PriceWithAgeResponse {
    let age_seconds = age(&stored, now);
    PriceWithAgeResponse {
        price: price_response(channel, stored),
        age_seconds,
        max_age_seconds: max,
        stale: age_seconds > max,
    }
}

/// The price, or `StalePrice` with its age if it is older than the maximum.
pub fn fresh(priced: PriceWithAgeResponse) -> Result<PriceResponse, ContractError> {
    if priced.stale {
        return Err(ContractError::StalePrice {
            channel: priced.price.channel,
            pool: priced.price.packet.pool,
            age_seconds: priced.age_seconds,
            max_age_seconds: priced.max_age_seconds,
        });
    }
    Ok(priced.price)
}

/// A channel's latest price of a pool with its age; `PriceNotFound` if none.
pub fn price_with_age(
    storage: &dyn Storage,
    now: Timestamp,
    channel: String,
    pool: String,
) -> Result<PriceWithAgeResponse, ContractError> {
    let stored = PRICES
        .may_load(storage, (&channel, &pool))?
        .ok_or_else(|| ContractError::PriceNotFound {
            channel: channel.clone(),
            pool,
        })?;
    Ok(with_age(channel, stored, now, max_age(storage)?))
}

/// Prices of a class's pools on a channel with their ages, by pool, from after `start_after`.
fn class_pools(
    storage: &dyn Storage,
    now: Timestamp,
    channel: &str,
    class: &str,
    start_after: Option<&str>,
    max: u64,
) -> impl Iterator<Item = StdResult<PriceWithAgeResponse>> {
    CLASSES
        .prefix((channel, class))
        .keys(
            storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .map(move |pool| {
            let pool = pool?;
            let stored = PRICES.load(storage, (channel, &pool))?;
            Ok(with_age(channel.to_string(), stored, now, max))
        })
}

/// A page of the prices of a class's pools on a channel, whatever their age.
pub fn class_prices(
    storage: &dyn Storage,
    now: Timestamp,
    channel: &str,
    class: &str,
    start_after: Option<&str>,
    limit: Option<u32>,
) -> Result<PricesWithAgeResponse, ContractError> {
    let max = max_age(storage)?;
    let prices = class_pools(storage, now, channel, class, start_after, max)
        .take(page_limit(limit))
        .collect::<Result<_, _>>()?;
    Ok(PricesWithAgeResponse { prices })
}

/// The fresh price of the one pool of a class on a channel.
pub fn class_price(
    storage: &dyn Storage,
    now: Timestamp,
    channel: &str,
    class: &str,
) -> Result<PriceResponse, ContractError> {
    let max = max_age(storage)?;
    let all =
        class_pools(storage, now, channel, class, None, max).collect::<StdResult<Vec<_>>>()?;
    let (fresh_prices, stale): (Vec<_>, Vec<_>) = all.into_iter().partition(|p| !p.stale);
    let mut fresh_prices = fresh_prices.into_iter();
    match (fresh_prices.next(), fresh_prices.next()) {
        (Some(only), None) => Ok(only.price),
        (Some(first), Some(second)) => Err(ContractError::AmbiguousClass {
            channel: channel.to_string(),
            class: class.to_string(),
            pools: [first, second]
                .into_iter()
                .chain(fresh_prices)
                .map(|p| p.price.packet.pool)
                .collect(),
        }),
        (None, _) => match stale.into_iter().min_by_key(|p| p.age_seconds) {
            Some(youngest) => fresh(youngest),
            None => Err(ContractError::ClassNotFound {
                channel: channel.to_string(),
                class: class.to_string(),
            }),
        },
    }
}
