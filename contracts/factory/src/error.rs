use cosmwasm_std::{StdError, Timestamp, Uint128};
use cw_ownable::OwnershipError;
use cw_utils::PaymentError;
use loopin::factory::EmissionError;
use loopin::migrate::MigrateError;
use loopin::pool::ParamsError;
use thiserror::Error;

/// Errors of the factory.
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

    #[error("invalid parameters: {0}")]
    Params(#[from] ParamsError),

    #[error("class must be 1 to 32 characters of [a-z0-9-]")]
    InvalidClass {},

    #[error("no parameters are set for class {class}")]
    UnknownClass { class: String },

    #[error("class {class} already has a pool")]
    PoolExists { class: String },

    #[error("only registered pools and the registry may request rewards")]
    NotRewarder {},

    #[error("emission cap reached: {remaining} LOOP left this epoch, {requested} requested")]
    EmissionCapExceeded {
        requested: Uint128,
        remaining: Uint128,
    },

    #[error(
        "with class {class}'s, the classes' liquidity rewards would be {total} LOOP per emission epoch, above the factory's cap of {cap}"
    )]
    LiquidityRewardsAboveCap {
        class: String,
        total: Uint128,
        cap: Uint128,
    },

    #[error("amount must be positive")]
    ZeroAmount {},

    #[error("{0}")]
    Emission(#[from] EmissionError),

    #[error("the token and stake-certificate contracts are not instantiated yet")]
    NotWired {},

    #[error("reply {id} carries no contract address")]
    MissingContractAddress { id: u64 },

    #[error("unknown reply id {id}")]
    UnknownReply { id: u64 },

    #[error(
        "{action} can reach value already in a pool: propose it; it can be executed {min_delay} s later"
    )]
    Timelocked { action: String, min_delay: u64 },

    #[error("proposal {id} can be executed from {eta}, not at {now}")]
    TooEarly {
        id: u64,
        eta: Timestamp,
        now: Timestamp,
    },

    #[error("proposal {id} expired at {expires} (now {now}): propose it again")]
    ProposalExpired {
        id: u64,
        expires: Timestamp,
        now: Timestamp,
    },

    #[error("no pending proposal {id}")]
    UnknownProposal { id: u64 },

    #[error("min_delay {min_delay} s is above the longest, {max} s")]
    DelayTooLong { min_delay: u64, max: u64 },
}
