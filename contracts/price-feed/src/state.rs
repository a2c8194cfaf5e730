use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Empty};
use cw_storage_plus::{Item, Map};
use loopin::price_feed::feed::{ChannelInfo, PublishedResponse};
use loopin_pool_math::oracle::PriceAccumulator;

/// The feed's settings.
#[cw_serde]
pub struct Config {
    pub packet_timeout_seconds: u64,
    pub twap_window_seconds: u64,
}

pub const CONFIG: Item<Config> = Item::new("config");
/// Connections a subscriber's channel may use (none stored, as in a feed migrated from a version
/// without it: none).
pub const ALLOWED_CONNECTIONS: Item<Vec<String>> = Item::new("allowed_connections");
/// Ports a subscriber's end may be; `None`: any port on an allowed connection.
pub const ALLOWED_PORTS: Item<Option<Vec<String>>> = Item::new("allowed_counterparty_ports");
/// Pair -> its resource class: the pools published.
pub const POOLS: Map<&Addr, String> = Map::new("pools");
/// (pair, block time) -> the pair's price accumulator observed by a publish: the starting points
/// of later TWAPs. Entries older than the one a TWAP starts from are pruned.
pub const OBSERVATIONS: Map<(&Addr, u64), PriceAccumulator> = Map::new("observations");
/// Pair -> the last packet sent for it.
pub const PUBLISHED: Map<&Addr, PublishedResponse> = Map::new("published");
/// Channel id -> every channel that connected, open or closed, with its delivery counts.
pub const CHANNELS: Map<&str, ChannelInfo> = Map::new("channels");
/// Open channels: the subscribers a publish sends to.
pub const SUBSCRIBERS: Map<&str, Empty> = Map::new("subscribers");
