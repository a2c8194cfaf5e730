//! Messages of the price consumer (`contracts/price-consumer`).

use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::Timestamp;
use cw_ownable::{cw_ownable_execute, cw_ownable_query};

use super::PricePacket;
use super::settings::{self, SettingsError};

/// `max_age_seconds` when the instantiator gives none: two hours. The feed publishes once per
/// epoch (an hour on LooPIN's deployment), so a price this old means publishing or relaying has
/// stopped for more than an epoch.
pub const DEFAULT_MAX_AGE_SECONDS: u64 = 7_200;

/// Instantiates the consumer.
#[cw_serde]
pub struct InstantiateMsg {
    /// Sets the allowed connections and ports and the maximum age.
    pub owner: String,
    /// IBC connections price channels may use: the connection to the feed's chain. Required:
    /// absent, `null` or an empty list is refused (`Unpinned`). An `Option` so that a message
    /// without it parses and gets that error.
    pub allowed_connections: Option<Vec<String>>,
    /// Ports the feed's end of a channel may be: the feed's `wasm.<feed address>`. Required:
    /// absent, `null` or an empty list is refused (`Unpinned`); with the connection alone any
    /// contract on the feed's chain could open a price channel.
    pub allowed_counterparty_ports: Option<Vec<String>>,
    /// Oldest price, in seconds, `Price` and `ClassPrice` serve (positive); older ones they
    /// refuse as stale. Chosen by whoever instantiates, changed later by the owner only
    /// (`SetMaxAge`); none: [`DEFAULT_MAX_AGE_SECONDS`].
    pub max_age_seconds: Option<u64>,
}

impl InstantiateMsg {
    /// The maximum age the consumer starts with, once both allow lists are found given and
    /// non-empty (`Unpinned` otherwise: `None`, a message without the field and an empty list
    /// are refused alike; opening the consumer to any connection or port is the owner's
    /// deliberate `SetAllowed...` with `None` afterwards) and the age positive.
    pub fn validate(&self) -> Result<u64, SettingsError> {
        let unset = |list: &Option<Vec<String>>| list.as_ref().is_none_or(Vec::is_empty);
        let missing = match (
            unset(&self.allowed_connections),
            unset(&self.allowed_counterparty_ports),
        ) {
            (false, false) => None,
            (true, false) => Some("allowed_connections"),
            (false, true) => Some("allowed_counterparty_ports"),
            (true, true) => Some("allowed_connections and allowed_counterparty_ports"),
        };
        if let Some(missing) = missing {
            return Err(SettingsError::Unpinned { missing });
        }
        settings::max_age(self.max_age_seconds.unwrap_or(DEFAULT_MAX_AGE_SECONDS))
    }
}

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    /// Replaces the allowed connections (an empty list: none). Channels on a connection no
    /// longer allowed are refused at their handshake and their packets get error
    /// acknowledgements. `None` opens the consumer to any connection: only the owner may, and
    /// only deliberately (instantiation requires a list). Owner only.
    SetAllowedConnections { connections: Option<Vec<String>> },
    /// Replaces the ports the feed's end may be (an empty list: none). Channels from a port no
    /// longer allowed are refused at their handshake and their packets get error
    /// acknowledgements. `None` opens the consumer to any port, so that any contract on an
    /// allowed connection can open a price channel and have its prices stored: only the owner
    /// may, and only deliberately (instantiation requires a list). Owner only.
    SetAllowedCounterpartyPorts { ports: Option<Vec<String>> },
    /// Replaces the oldest age, in seconds, of a price `Price` and `ClassPrice` serve
    /// (positive). Owner only.
    SetMaxAge { max_age_seconds: u64 },
}

#[cw_ownable_query]
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// The settings. Anyone.
    #[returns(ConfigResponse)]
    Config {},
    /// The latest price of a pool received on a channel, if it is at most `max_age_seconds`
    /// old; `StalePrice` (with its age) if older, `PriceNotFound` if none. What a contract
    /// that acts on the price asks. Anyone.
    #[returns(PriceResponse)]
    Price { channel: String, pool: String },
    /// The same price whatever its age, with its age and whether `Price` refuses it;
    /// `PriceNotFound` if none. Anyone.
    #[returns(PriceWithAgeResponse)]
    PriceWithAge { channel: String, pool: String },
    /// The price of a resource class (`"h100"`) on a channel: that of the one pool of the
    /// class whose price is at most `max_age_seconds` old. `ClassNotFound` if no pool of the
    /// class has a price there, `StalePrice` (the youngest one's) if all are older,
    /// `AmbiguousClass` if several pools of the class have fresh prices. Anyone.
    #[returns(PriceResponse)]
    ClassPrice { channel: String, class: String },
    /// Prices of every pool of a class on a channel whatever their age, with their ages, by
    /// pool. Anyone.
    #[returns(PricesWithAgeResponse)]
    ClassPrices {
        channel: String,
        class: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// Latest prices by channel, then pool, whatever their age. Anyone.
    #[returns(PricesResponse)]
    Prices {
        start_after: Option<PriceKey>,
        limit: Option<u32>,
    },
}

/// The consumer's settings.
#[cw_serde]
pub struct ConfigResponse {
    /// `None`: any connection (the owner opened it with `SetAllowedConnections`).
    pub allowed_connections: Option<Vec<String>>,
    /// `None`: any port (the owner opened it with `SetAllowedCounterpartyPorts`, or a consumer
    /// migrated from a version without it).
    pub allowed_counterparty_ports: Option<Vec<String>>,
    /// Oldest price, in seconds, `Price` and `ClassPrice` serve.
    pub max_age_seconds: u64,
}

/// Where a price is kept: the channel it arrived on (which identifies the feed) and the pool.
#[cw_serde]
pub struct PriceKey {
    pub channel: String,
    pub pool: String,
}

/// A pool's latest price on a channel.
#[cw_serde]
pub struct PriceResponse {
    pub channel: String,
    pub packet: PricePacket,
    /// Block time on this chain when it was stored.
    pub received_at: Timestamp,
}

/// A pool's latest price on a channel with its age.
#[cw_serde]
pub struct PriceWithAgeResponse {
    pub price: PriceResponse,
    /// Seconds from the earlier of its observation (`packet.time`, the LooPIN chain's clock)
    /// and its reception (`received_at`) to this block's time: a packet relayed late is as old
    /// as its observation, and a LooPIN clock ahead of this chain's cannot make it younger
    /// than its time here.
    pub age_seconds: u64,
    /// The consumer's setting now.
    pub max_age_seconds: u64,
    /// `age_seconds > max_age_seconds`: `Price` and `ClassPrice` refuse it.
    pub stale: bool,
}

/// Latest prices, by channel then pool.
#[cw_serde]
pub struct PricesResponse {
    pub prices: Vec<PriceResponse>,
}

/// Latest prices with their ages.
#[cw_serde]
pub struct PricesWithAgeResponse {
    pub prices: Vec<PriceWithAgeResponse>,
}
