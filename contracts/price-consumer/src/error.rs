use cosmwasm_std::StdError;
use cw_ownable::OwnershipError;
use cw_utils::PaymentError;
use loopin::migrate::MigrateError;
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

    #[error("connection {connection_id} is not allowed")]
    ConnectionNotAllowed { connection_id: String },

    #[error("counterparty port {port_id} is not allowed")]
    CounterpartyPortNotAllowed { port_id: String },

    #[error("channel {channel} is not connected")]
    UnknownChannel { channel: String },

    #[error("no price of pool {pool} on channel {channel}")]
    PriceNotFound { channel: String, pool: String },
}
