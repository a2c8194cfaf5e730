//! IBC price feed: the packet that carries a LooPIN pool's prices to another chain, its
//! acknowledgement, the channel rules both ends enforce, and the messages of the two contracts —
//! the feed (`contracts/price-feed`, on the LooPIN chain, sends) and the consumer
//! (`contracts/price-consumer`, on the other chain, stores and serves) — and the standalone JSON
//! schemas of the packet and the acknowledgement (`schema/loopin-price-feed/ibc/`). The protocol
//! is described in `docs/price-feed.md`.

use cosmwasm_schema::cw_serde;
use cosmwasm_schema::schemars::JsonSchema;
use cosmwasm_schema::schemars::r#gen::SchemaSettings;
use cosmwasm_schema::schemars::schema::{RootSchema, SchemaObject};
use cosmwasm_schema::schemars::visit::{Visitor, visit_root_schema, visit_schema_object};
use cosmwasm_std::{
    Decimal256, IbcChannel, IbcOrder, Timestamp, Uint128, from_json, to_json_binary,
};
use loopin_pool_math::amm::Reserves;
use thiserror::Error;

use crate::pool::is_valid_class;

/// Channel version of the price protocol; both ends of a channel must use exactly this.
pub const PRICE_VERSION: &str = "loopin-price-1";
/// Longest pool (pair contract address) a packet may name.
pub const MAX_POOL_LEN: usize = 128;

/// One pool's prices as of one epoch, sent by the feed to every subscribed channel.
#[cw_serde]
pub struct PricePacket {
    /// The pair contract's address on the LooPIN chain.
    pub pool: String,
    /// The pool's resource class ("h100", "rtx4090", ...).
    pub class: String,
    /// LOOP per device-hour of the trading epoch; none while a reserve is empty.
    pub spot_price: Option<Decimal256>,
    /// Time-weighted average price over the last `twap_window_seconds`; the spot price (and a
    /// zero window) on a pool's first packet.
    pub twap: Option<Decimal256>,
    /// Length of the window the TWAP covers, in seconds.
    pub twap_window_seconds: u64,
    /// The pool's reserves: unleased micro-hours of the trading epoch and LOOP.
    pub reserves: Reserves,
    /// Micro-hours staked into the trading epoch (providers' and sellers').
    pub capacity: Uint128,
    /// The pool's epoch (its last processed boundary); the prices are of the hours of
    /// `epoch + 1`, the trading epoch.
    pub epoch: u64,
    /// LooPIN block height of the observation.
    pub height: u64,
    /// LooPIN block time of the observation.
    pub time: Timestamp,
}

/// Why packet data was refused.
#[derive(Error, Debug, PartialEq)]
pub enum PacketError {
    #[error("malformed price packet: {reason}")]
    Malformed { reason: String },

    #[error("invalid pool in price packet: 1 to {MAX_POOL_LEN} printable ASCII characters")]
    InvalidPool {},

    #[error("invalid class {class} in price packet")]
    InvalidClass { class: String },
}

impl PricePacket {
    /// Decodes and validates packet data: JSON of this type (unknown fields are ignored, so a
    /// later feed may add fields without a new channel version), a plausible pool and a valid
    /// class name.
    pub fn decode(data: &[u8]) -> Result<Self, PacketError> {
        let packet: Self = from_json(data).map_err(|err| PacketError::Malformed {
            reason: err.to_string(),
        })?;
        let pool_ok = !packet.pool.is_empty()
            && packet.pool.len() <= MAX_POOL_LEN
            && packet.pool.bytes().all(|b| b.is_ascii_graphic());
        if !pool_ok {
            return Err(PacketError::InvalidPool {});
        }
        if !is_valid_class(&packet.class) {
            return Err(PacketError::InvalidClass {
                class: packet.class,
            });
        }
        Ok(packet)
    }

    /// Whether this packet supersedes `other` for the same pool: a later epoch, or the same
    /// epoch observed at a later height. An equal packet (a replay) is not newer.
    pub fn is_newer_than(&self, other: &PricePacket) -> bool {
        (self.epoch, self.height) > (other.epoch, other.height)
    }
}

/// The acknowledgement: cosmwasm-std's `StdAck`, which is the format of ICS-20 and most IBC
/// applications — `{"result":"<base64>"}` on success, `{"error":"<message>"}` on failure — with
/// its `success`/`error` constructors, `is_success`, `to_binary`, and `from_json` to parse it.
pub use cosmwasm_std::StdAck as Ack;

/// What the consumer did with a packet: the `result` of its success acknowledgement (JSON).
#[cw_serde]
pub enum Receipt {
    /// The packet is now the pool's latest price on that channel.
    Stored,
    /// The channel already holds a price as new or newer (a stale or replayed packet).
    Ignored,
}

impl Receipt {
    /// The success acknowledgement carrying this receipt.
    pub fn ack(&self) -> Ack {
        // Serialising a unit variant cannot fail.
        Ack::success(to_json_binary(self).expect("a receipt serialises"))
    }
}

/// Why a channel was refused at its handshake.
#[derive(Error, Debug, PartialEq)]
pub enum ChannelError {
    #[error("price channels must be unordered")]
    Ordered {},

    #[error("channel version must be {PRICE_VERSION}, not {version}")]
    WrongVersion { version: String },

    #[error("counterparty version must be {PRICE_VERSION}, not {version}")]
    WrongCounterpartyVersion { version: String },
}

/// The channel rules both ends share: unordered, version exactly [`PRICE_VERSION`] on this end
/// and, when the handshake step reports it, on the counterparty's.
pub fn check_channel(
    channel: &IbcChannel,
    counterparty_version: Option<&str>,
) -> Result<(), ChannelError> {
    if channel.order != IbcOrder::Unordered {
        return Err(ChannelError::Ordered {});
    }
    if channel.version != PRICE_VERSION {
        return Err(ChannelError::WrongVersion {
            version: channel.version.clone(),
        });
    }
    match counterparty_version {
        Some(version) if version != PRICE_VERSION => Err(ChannelError::WrongCounterpartyVersion {
            version: version.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Migration message of both contracts.
#[cw_serde]
pub struct MigrateMsg {}

/// Messages of the price feed (`contracts/price-feed`).
pub mod feed {
    use cosmwasm_schema::{QueryResponses, cw_serde};
    use cosmwasm_std::Addr;
    use cw_ownable::{cw_ownable_execute, cw_ownable_query};

    use super::PricePacket;

    /// Most pools one feed publishes (a publish sends pools × channels packets).
    pub const MAX_POOLS: usize = 32;
    /// Most open channels one feed serves.
    pub const MAX_SUBSCRIBERS: usize = 16;

    /// Instantiates the feed with no pools.
    #[cw_serde]
    pub struct InstantiateMsg {
        /// Adds and removes pools, changes the settings.
        pub owner: String,
        /// A packet not received this long after it was sent times out.
        pub packet_timeout_seconds: u64,
        /// Span the TWAP of a packet should cover (see `docs/price-feed.md`).
        pub twap_window_seconds: u64,
        /// IBC connections (on this chain) a subscriber's channel may use; empty: none yet (the
        /// owner adds them with `SetAllowedConnections`). There is no "any": subscriber slots
        /// are scarce, so who may take one is the owner's choice.
        pub allowed_connections: Vec<String>,
        /// Ports a subscriber's end may be (e.g. `wasm.<consumer>`); none: any port on an
        /// allowed connection.
        pub allowed_counterparty_ports: Option<Vec<String>>,
    }

    impl InstantiateMsg {
        /// Refuses a zero packet timeout.
        pub fn validate(&self) -> Result<(), super::settings::SettingsError> {
            super::settings::packet_timeout(self.packet_timeout_seconds)?;
            Ok(())
        }
    }

    #[cw_ownable_execute]
    #[cw_serde]
    pub enum ExecuteMsg {
        /// Publishes a pair's prices from the next `Publish` on. Owner only.
        AddPool { pair: String },
        /// Stops publishing a pair and forgets what was published for it. Owner only.
        RemovePool { pair: String },
        /// Changes the settings. Owner only.
        UpdateConfig {
            packet_timeout_seconds: Option<u64>,
            twap_window_seconds: Option<u64>,
        },
        /// Sends a price packet to every subscribed channel for every pool whose epoch advanced
        /// since its last publish. Anyone (the epoch keeper, after advancing the pools).
        Publish {},
        /// Replaces the connections subscribers' channels may use (checked at the handshake;
        /// channels already open stay until closed with `CloseChannel`). Owner only.
        SetAllowedConnections { connections: Vec<String> },
        /// Replaces the ports subscribers' ends may be (none: any). Owner only.
        SetAllowedCounterpartyPorts { ports: Option<Vec<String>> },
        /// Evicts a subscriber: it receives nothing more, its slot is free at once, and the
        /// channel is closed (`IbcMsg::CloseChannel`). Owner only: the only close started on
        /// the feed's end that the feed accepts (anyone else's `MsgChannelCloseInit` on its
        /// port is refused with `CloseRefused`).
        CloseChannel { channel_id: String },
    }

    #[cw_ownable_query]
    #[cw_serde]
    #[derive(QueryResponses)]
    pub enum QueryMsg {
        /// Settings and the pools published.
        #[returns(ConfigResponse)]
        Config {},
        /// Channels by id, open and closed, with their delivery counts.
        #[returns(ChannelsResponse)]
        Channels {
            start_after: Option<String>,
            limit: Option<u32>,
        },
        /// The last packet sent for a pool.
        #[returns(PublishedResponse)]
        Published { pool: String },
    }

    /// A pool the feed publishes.
    #[cw_serde]
    pub struct PoolInfo {
        /// The pair contract.
        pub pair: Addr,
        /// Its resource class, read from the pair when it was added.
        pub class: String,
    }

    /// The feed's settings.
    #[cw_serde]
    pub struct ConfigResponse {
        pub packet_timeout_seconds: u64,
        pub twap_window_seconds: u64,
        pub pools: Vec<PoolInfo>,
        /// Connections subscribers may use.
        pub allowed_connections: Vec<String>,
        /// Ports subscribers' ends may be; none: any.
        pub allowed_counterparty_ports: Option<Vec<String>>,
    }

    /// A channel that connected to the feed, and what became of the packets sent on it.
    #[cw_serde]
    pub struct ChannelInfo {
        pub channel_id: String,
        pub connection_id: String,
        pub counterparty_port: String,
        pub counterparty_channel: String,
        /// Subscribed; false once the channel closed.
        pub open: bool,
        /// Packets sent.
        pub sent: u64,
        /// Packets acknowledged with a success.
        pub delivered: u64,
        /// Packets acknowledged with an error (or an acknowledgement that did not parse).
        pub failed: u64,
        /// Packets that timed out.
        pub timed_out: u64,
    }

    /// Channels, by id.
    #[cw_serde]
    pub struct ChannelsResponse {
        pub channels: Vec<ChannelInfo>,
    }

    /// The last packet sent for a pool.
    #[cw_serde]
    pub struct PublishedResponse {
        pub packet: PricePacket,
        /// Channels it was sent to.
        pub channels: u32,
    }
}

/// Messages of the price consumer (`contracts/price-consumer`).
pub mod consumer;
pub mod settings;

/// The packet data's JSON schema (draft 07), as written to `schema/loopin-price-feed/ibc/`.
/// Unlike the contracts' message schemas, which refuse fields they do not name, it allows any,
/// at every level, as [`PricePacket::decode`] does: a later feed may add fields under the same
/// version.
pub fn packet_schema() -> RootSchema {
    let mut schema = schema_of::<PricePacket>();
    schema.schema.metadata().description = Some(format!(
        "Data of a packet on a `{PRICE_VERSION}` channel (docs/price-feed.md). Receivers ignore \
         fields they do not know, so a feed may add fields under the same version; removing or \
         changing one needs a new version."
    ));
    struct AllowMore;
    impl Visitor for AllowMore {
        fn visit_schema_object(&mut self, schema: &mut SchemaObject) {
            visit_schema_object(self, schema);
            if let Some(object) = schema.object.as_mut() {
                object.additional_properties = Some(Box::new(true.into()));
            }
        }
    }
    visit_root_schema(&mut AllowMore, &mut schema);
    schema
}

/// The acknowledgement's JSON schema (draft 07): exactly one of `result` (success, base64) and
/// `error` (the refusal's message). The feed parses it as [`Ack`] and counts an acknowledgement
/// that does not parse — one with another field too — as failed, so the envelope is closed;
/// what is open is the `result`'s content, which the feed does not read ([`Receipt`]).
pub fn acknowledgement_schema() -> RootSchema {
    let mut schema = schema_of::<Ack>();
    let metadata = schema.schema.metadata();
    metadata.title = Some("Acknowledgement".to_string());
    metadata.description = Some(format!(
        "Acknowledgement of a `{PRICE_VERSION}` packet: `{{\"result\": <base64>}}` when the \
         consumer took it, the base64 of the JSON of a receipt (`\"stored\"` or `\"ignored\"`; the \
         feed counts any result as delivered and does not read it), or `{{\"error\": <message>}}` \
         when it refused it. Exactly one of the two: the feed counts an acknowledgement that \
         does not parse as failed."
    ));
    schema
}

/// The JSON schema of a success acknowledgement's `result` once base64-decoded ([`Receipt`]).
pub fn receipt_schema() -> RootSchema {
    schema_of::<Receipt>()
}

/// A type's schema as schemars makes it (draft 07), without the closed objects `schema_for!`
/// makes of the contracts' messages.
fn schema_of<T: JsonSchema>() -> RootSchema {
    SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::IbcEndpoint;

    fn packet() -> PricePacket {
        PricePacket {
            pool: "loopin1pair".into(),
            class: "h100".into(),
            spot_price: Some(Decimal256::percent(1_250)),
            twap: Some(Decimal256::percent(1_200)),
            twap_window_seconds: 60,
            reserves: Reserves::new(4_000_000, 50_000_000),
            capacity: Uint128::new(5_000_000),
            epoch: 7,
            height: 120,
            time: Timestamp::from_seconds(1_000),
        }
    }

    #[test]
    fn ack_uses_the_ics20_json_format() {
        assert_eq!(
            Ack::success(b"ok".to_vec()).to_binary().as_slice(),
            br#"{"result":"b2s="}"#
        );
        assert_eq!(
            Ack::error("bad").to_binary().as_slice(),
            br#"{"error":"bad"}"#
        );
        assert_eq!(
            from_json::<Ack>(br#"{"result":"b2s="}"#).unwrap(),
            Ack::success(b"ok".to_vec())
        );
        assert!(from_json::<Ack>(b"\x01").is_err());
        // The result of a stored packet is the JSON string "stored", base64-encoded.
        assert_eq!(
            Receipt::Stored.ack().to_binary().as_slice(),
            br#"{"result":"InN0b3JlZCI="}"#
        );
        assert_eq!(
            Receipt::Ignored.ack().to_binary().as_slice(),
            br#"{"result":"Imlnbm9yZWQi"}"#
        );
    }

    #[test]
    fn packets_round_trip_and_bad_ones_are_refused() {
        let p = packet();
        assert_eq!(PricePacket::decode(&to_json_binary(&p).unwrap()), Ok(p));
        assert!(matches!(
            PricePacket::decode(b"{\"pool\":1}"),
            Err(PacketError::Malformed { .. })
        ));
        let mut bad = packet();
        bad.pool = String::new();
        assert_eq!(
            PricePacket::decode(&to_json_binary(&bad).unwrap()),
            Err(PacketError::InvalidPool {})
        );
        bad.pool = "pool with spaces".into();
        assert_eq!(
            PricePacket::decode(&to_json_binary(&bad).unwrap()),
            Err(PacketError::InvalidPool {})
        );
        let mut bad = packet();
        bad.class = "H100".into();
        assert_eq!(
            PricePacket::decode(&to_json_binary(&bad).unwrap()),
            Err(PacketError::InvalidClass {
                class: "H100".into()
            })
        );
    }

    #[test]
    fn newer_means_later_epoch_then_later_height() {
        let p = packet();
        let mut q = packet();
        assert!(!q.is_newer_than(&p));
        q.height = 121;
        assert!(q.is_newer_than(&p));
        q.epoch = 6;
        q.height = 1_000;
        assert!(!q.is_newer_than(&p));
        q.epoch = 8;
        q.height = 1;
        assert!(q.is_newer_than(&p));
    }

    #[test]
    fn channel_rules() {
        let endpoint = |channel: &str| IbcEndpoint {
            port_id: "wasm.x".into(),
            channel_id: channel.into(),
        };
        let channel = |order, version: &str| {
            IbcChannel::new(
                endpoint("channel-0"),
                endpoint("channel-1"),
                order,
                version,
                "connection-0",
            )
        };
        let good = channel(IbcOrder::Unordered, PRICE_VERSION);
        assert_eq!(check_channel(&good, None), Ok(()));
        assert_eq!(check_channel(&good, Some(PRICE_VERSION)), Ok(()));
        assert_eq!(
            check_channel(&good, Some("loopin-price-2")),
            Err(ChannelError::WrongCounterpartyVersion {
                version: "loopin-price-2".into()
            })
        );
        assert_eq!(
            check_channel(&channel(IbcOrder::Ordered, PRICE_VERSION), None),
            Err(ChannelError::Ordered {})
        );
        assert_eq!(
            check_channel(&channel(IbcOrder::Unordered, "ics20-1"), None),
            Err(ChannelError::WrongVersion {
                version: "ics20-1".into()
            })
        );
    }
}
