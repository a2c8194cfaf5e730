use cosmwasm_schema::cw_serde;
use cosmwasm_std::Timestamp;
use cw_storage_plus::{Item, Map};
use loopin::price_feed::PricePacket;

/// IBC connections price channels may use; `None`: any.
pub const ALLOWED_CONNECTIONS: Item<Option<Vec<String>>> = Item::new("allowed_connections");
/// Open channel id -> its connection.
pub const CHANNELS: Map<&str, String> = Map::new("channels");
/// (channel, pool) -> the latest packet received.
pub const PRICES: Map<(&str, &str), StoredPrice> = Map::new("prices");

/// A packet as stored.
#[cw_serde]
pub struct StoredPrice {
    pub packet: PricePacket,
    /// Block time on this chain when it was stored.
    pub received_at: Timestamp,
}
