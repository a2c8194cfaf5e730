//! The client's error type, [`ClientError`], and its [`Result`].

use std::time::Duration;

/// What can go wrong talking to the chain.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("gRPC {}: {}", .0.code(), .0.message())]
    Status(Box<tonic::Status>),
    /// The chain ran the transaction in simulation and refused it (its answer): nothing was
    /// broadcast.
    #[error("simulation refused: {}", .0.message())]
    Simulation(Box<tonic::Status>),
    #[error("the endpoint serves chain {got}, expected {expected}")]
    ChainIdMismatch { expected: String, got: String },
    #[error("key: {0}")]
    Key(String),
    #[error("config: {0}")]
    Config(String),
    #[error("tx {txhash} rejected (codespace {codespace}, code {code}): {log}")]
    CheckTx {
        txhash: String,
        codespace: String,
        code: u32,
        log: String,
    },
    #[error("tx {txhash} failed at height {height} (codespace {codespace}, code {code}): {log}")]
    DeliverTx {
        txhash: String,
        height: i64,
        codespace: String,
        code: u32,
        log: String,
        gas_wanted: i64,
        gas_used: i64,
    },
    #[error("tx {txhash} not confirmed within {waited:?}")]
    Timeout { txhash: String, waited: Duration },
    #[error("account {0} not found on chain (fund it first)")]
    NoAccount(String),
    #[error("building the tx: {0}")]
    Tx(String),
    #[error("decoding: {0}")]
    Decode(String),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("event {ty}.{key} missing from tx {txhash}")]
    MissingEvent {
        txhash: String,
        ty: String,
        key: String,
    },
}

impl From<tonic::Status> for ClientError {
    fn from(status: tonic::Status) -> Self {
        Self::Status(Box::new(status))
    }
}

impl ClientError {
    /// The ABCI code of a rejected or failed transaction.
    pub fn tx_code(&self) -> Option<u32> {
        match self {
            Self::CheckTx { code, .. } | Self::DeliverTx { code, .. } => Some(*code),
            _ => None,
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

pub(crate) fn tx_err(e: impl std::fmt::Display) -> ClientError {
    ClientError::Tx(e.to_string())
}
