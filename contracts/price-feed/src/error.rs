use cosmwasm_std::StdError;
use cw_ownable::OwnershipError;
use cw_utils::PaymentError;
use loopin::migrate::MigrateError;
use loopin::price_feed::ChannelError;
use loopin::price_feed::feed::{MAX_POOLS, MAX_SUBSCRIBERS};
use loopin::price_feed::settings::SettingsError;
use thiserror::Error;

/// Errors of the price feed.
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
    Settings(#[from] SettingsError),

    #[error("pool {pair} is already published")]
    PoolExists { pair: String },

    #[error("pool {pair} is not published")]
    PoolNotFound { pair: String },

    #[error("the feed publishes at most {MAX_POOLS} pools")]
    TooManyPools {},

    #[error("the feed serves at most {MAX_SUBSCRIBERS} open channels")]
    TooManySubscribers {},

    #[error("channel {channel_id} is not a subscriber")]
    NotSubscribed { channel_id: String },

    #[error("nothing has been published for pool {pool}")]
    NotPublished { pool: String },

    #[error("no pool has a new epoch to publish")]
    NothingToPublish {},

    #[error("the price feed only sends packets")]
    SendOnly {},

    #[error("channel {channel_id} is closed from the feed's end only by its owner's CloseChannel")]
    CloseRefused { channel_id: String },
}
