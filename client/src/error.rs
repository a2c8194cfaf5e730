//! The lease client's error type, [`LeaseError`].
//!
//! An error whose message names what was being done (`{pair} is not a LooPIN pool`, `the ssh
//! public key`) carries the cause as its `source`; one that only passes a cause on shows it as
//! it is.

use std::num::ParseIntError;
use std::path::PathBuf;

use loopin::access::SshKeyError;
use loopin_access::AccessError;
use loopin_chain_client::ClientError;

/// What can go wrong leasing, opening access details or pinning a host key.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error(transparent)]
    Chain(#[from] ClientError),
    #[error("{pair} is not a LooPIN pool")]
    NotAPool {
        pair: String,
        #[source]
        source: Box<ClientError>,
    },
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Message(#[from] cosmwasm_std::StdError),
    #[error("the lease's access key {lease_key} is not this account's (v2 {v2} or v1 {v1})")]
    ForeignAccessKey {
        lease_key: String,
        v2: String,
        v1: String,
    },
    #[error("transaction {txhash} has no {key} attribute")]
    MissingAttribute { txhash: String, key: String },
    #[error("transaction {txhash}: its {key} attribute {value:?} is not a number")]
    BadAttribute {
        txhash: String,
        key: String,
        value: String,
        #[source]
        source: ParseIntError,
    },
    #[error("that is a private key: pass the public one (the .pub file)")]
    PrivateKey,
    #[error("the ssh public key")]
    SshKey(#[source] SshKeyError),
    #[error("amount overflows (a quote of {offer} and {max_slippage_bps} bps of slippage)")]
    AmountOverflow { offer: u128, max_slippage_bps: u32 },
    #[error("lease {lease_id} is not this account's")]
    NotOurs { lease_id: u64 },
    #[error("access record is for lease {got}, not {lease_id}")]
    WrongLease { lease_id: u64, got: u64 },
    #[error("lease {lease_id} was cancelled")]
    Cancelled { lease_id: u64 },
    #[error(
        "no access details for lease {lease_id} after {waited_secs}s (its epoch {epoch} may not have started)"
    )]
    NoAccessYet {
        lease_id: u64,
        waited_secs: u64,
        epoch: u64,
    },
    #[error("lease {lease_id} is in delivery or over: nothing to cancel")]
    NothingToCancel { lease_id: u64 },
    #[error("{action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = LeaseError> = std::result::Result<T, E>;
