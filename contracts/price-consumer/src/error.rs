use cosmwasm_std::StdError;
use cw_ownable::OwnershipError;
use cw_utils::PaymentError;
use loopin::migrate::MigrateError;
use loopin::price_feed::settings::SettingsError;
use loopin::price_feed::{ChannelError, PacketError};
use thiserror::Error;

/// Errors of the price consumer. Those of a received packet go back in its error
/// acknowledgement.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Ownership(#[from] OwnershipError),

    #[error("{0}")]
    Payment(#[from] PaymentError),

    #[error("{0}")]
    Migrate(#[from] MigrateError),

    #[error("{0}")]
    Channel(#[from] ChannelError),

    #[error("{0}")]
    Packet(#[from] PacketError),

    #[error("channel {channel} is not connected")]
    UnknownChannel { channel: String },

    #[error("no price of pool {pool} on channel {channel}")]
    PriceNotFound { channel: String, pool: String },

    #[error("channel {channel_id} cannot be closed from the consumer's end, only from the feed's")]
    CloseRefused { channel_id: String },

    #[error("{0}")]
    Settings(#[from] SettingsError),

    #[error(
        "the price of pool {pool} on channel {channel} is {age_seconds} s old, older than the {max_age_seconds} s allowed"
    )]
    StalePrice {
        channel: String,
        pool: String,
        age_seconds: u64,
        max_age_seconds: u64,
    },

    #[error("no price of class {class} on channel {channel}")]
    ClassNotFound { channel: String, class: String },

    #[error(
        "pools {} of class {class} all have fresh prices on channel {channel}: ask for one by pool",
        .pools.join(", ")
    )]
    AmbiguousClass {
        channel: String,
        class: String,
        pools: Vec<String>,
    },
}
