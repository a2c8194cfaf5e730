use cosmwasm_std::{OverflowError, StdError};
use cw_utils::PaymentError;
use loopin::migrate::MigrateError;
use thiserror::Error;

/// Errors of the LOOP token: cw20-base's own, plus LooPIN's additions.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Overflow(#[from] OverflowError),

    #[error("{0}")]
    Cw20(#[from] cw20_base::ContractError),

    #[error("{0}")]
    Payment(#[from] PaymentError),

    #[error("{0}")]
    Migrate(#[from] MigrateError),
}
