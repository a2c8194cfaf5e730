use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Empty, Timestamp};
use cw_storage_plus::{Item, Map};
use loopin::price_feed::PricePacket;

/// IBC connections price channels may use; a non-empty list at instantiation, `None` (any) only
/// if the owner opened it since (`SetAllowedConnections`).
pub const ALLOWED_CONNECTIONS: Item<Option<Vec<String>>> = Item::new("allowed_connections");
/// Ports the feed's end of a price channel may be (`wasm.<feed>`); a non-empty list at
/// instantiation, `None` (any port) only if the owner opened it since
/// (`SetAllowedCounterpartyPorts`) or, when not stored, in a consumer migrated from a version
/// without it.
pub const ALLOWED_PORTS: Item<Option<Vec<String>>> = Item::new("allowed_counterparty_ports");
/// Open channel id -> its connection and the feed's port.
pub const CHANNELS: Map<&str, ChannelEnd> = Map::new("channels");

/// What a packet's channel is checked against: its connection and the port of the feed's end.
#[cw_serde]
pub struct ChannelEnd {
    pub connection_id: String,
    pub counterparty_port: String,
}

/// (channel, pool) -> the latest packet received.
pub const PRICES: Map<(&str, &str), StoredPrice> = Map::new("prices");

/// A packet as stored.
#[cw_serde]
pub struct StoredPrice {
    pub packet: PricePacket,
    /// Block time on this chain when it was stored.
    pub received_at: Timestamp,
}

/// (channel, class, pool) -> nothing: the pools of each class a channel delivered prices of,
/// kept with `PRICES` (a stored packet puts its pool under its class). Built from `PRICES` by
/// `migrate` for a consumer of a version without it.
pub const CLASSES: Map<(&str, &str, &str), Empty> = Map::new("classes");

/// Oldest price, in seconds, `Price` and `ClassPrice` serve (not stored, as in a consumer
/// migrated from a version without it: `DEFAULT_MAX_AGE_SECONDS`).
pub const MAX_AGE: Item<u64> = Item::new("max_age_seconds");
