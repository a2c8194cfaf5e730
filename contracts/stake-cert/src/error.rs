use cosmwasm_std::{StdError, Timestamp};
use cw_ownable::OwnershipError;
use cw_utils::PaymentError;
use cw721::error::Cw721ContractError;
use loopin::migrate::MigrateError;
use loopin::stake_cert::CertificateStatus;
use thiserror::Error;

/// Errors of the stake-certificate contract.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Cw721(#[from] Cw721ContractError),

    #[error("{0}")]
    Ownership(#[from] OwnershipError),

    #[error("{0}")]
    Payment(#[from] PaymentError),

    #[error("{0}")]
    Migrate(#[from] MigrateError),

    #[error("stake certificates are not transferable")]
    NonTransferable {},

    #[error("stake certificates carry no approvals")]
    ApprovalsDisabled {},

    #[error("only the protocol burns stake certificates")]
    BurnRestricted {},

    #[error("sender is neither the minter nor an issuer")]
    Unauthorized {},

    #[error("issuer {issuer} may only act on certificates of its own pool, not {pool}")]
    ForeignPool { issuer: String, pool: String },

    #[error("token id must be 1 to 64 characters of [A-Za-z0-9._:/-]")]
    InvalidTokenId {},

    #[error("token id {token_id} is already taken")]
    TokenIdTaken { token_id: String },

    #[error("device id must be 1 to 64 characters of [A-Za-z0-9._:/-]")]
    InvalidDeviceId {},

    #[error("commitment must be 32 bytes, got {len}")]
    InvalidCommitment { len: usize },

    #[error("rate must be positive")]
    ZeroRate {},

    #[error("stake cannot start at {start}, before the current block time {now}")]
    StartInPast { start: Timestamp, now: Timestamp },

    #[error("expiry {expiry} must be after start {start}")]
    EmptyPeriod { start: Timestamp, expiry: Timestamp },

    #[error("token URI must be at most 256 characters")]
    InvalidTokenUri {},

    #[error("reason must be 1 to 256 characters")]
    InvalidReason {},

    #[error("device {device_id} already backs certificate {token_id}")]
    DeviceAlreadyStaked { device_id: String, token_id: String },

    #[error("certificate {token_id} not found")]
    CertificateNotFound { token_id: String },

    #[error("certificate {token_id} is {status:?}, not active")]
    NotActive {
        token_id: String,
        status: CertificateStatus,
    },

    #[error("certificate {token_id} is already invalidated")]
    AlreadyInvalidated { token_id: String },

    #[error("new expiry {expiry} must be after the current expiry {current}")]
    ExpiryNotLater {
        expiry: Timestamp,
        current: Timestamp,
    },

    #[error(
        "new expiry {expiry} must be before the current expiry {current} and after both now ({now}) and the start {start}"
    )]
    InvalidCurtail {
        expiry: Timestamp,
        current: Timestamp,
        now: Timestamp,
        start: Timestamp,
    },

    #[error("{issuer} is already an issuer")]
    IssuerExists { issuer: String },

    #[error("{issuer} is not an issuer")]
    IssuerNotFound { issuer: String },
}
