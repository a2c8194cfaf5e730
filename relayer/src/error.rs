//! The relayer's error types, one per domain: [`ConfigError`] (the TOML file and its checks),
//! [`StateError`] (the persisted cursors), [`RelayError`] (a chain's IBC queries and
//! submissions, the handshake and packet relaying) and [`KeeperError`] (the epoch keeper).
//!
//! A message that names a cause in its own words (`reading {path}: {error}`) shows it, and does
//! not also return it as its `source`, so a chain of causes prints each once; an error passed on
//! as it is (`#[error(transparent)]`) shows its cause's own message.

use loopin_chain_client::ClientError;
use std::path::PathBuf;
use std::time::Duration;

/// A configuration the relayer cannot serve, or cannot read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {error}", path.display())]
    Parse {
        path: PathBuf,
        error: toml::de::Error,
    },
    #[error("chain {0} is listed twice")]
    ChainTwice(String),
    #[error("chain {0}: max_msg_num must be at least 1")]
    NoBatch(String),
    #[error("[keeper] chain {0} is not in [[chains]]")]
    KeeperChain(String),
    #[error(
        "[keeper] needs a key_file of its own while packets are relayed: one account signing for both races for its sequences"
    )]
    KeeperKeyMissing,
    #[error("[keeper] key_file {} is chain {chain}'s packet key: give the keeper its own", key_file.display())]
    KeeperKeyFileShared { key_file: PathBuf, chain: String },
    #[error(
        "[keeper] signs as {address}, chain {chain}'s packet account: give the keeper its own key"
    )]
    KeeperAccountShared { address: String, chain: String },
    #[error("chain {0} is not in [[chains]]")]
    UnknownChain(String),
    /// A key file that cannot be read as a key.
    #[error(transparent)]
    Key(#[from] ClientError),
}

/// The state file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("creating {}: {error}", dir.display())]
    CreateDir { dir: PathBuf, error: std::io::Error },
    #[error("{} is corrupt: {error}", path.display())]
    Corrupt {
        path: PathBuf,
        error: serde_json::Error,
    },
    #[error("reading {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("saving {}: {error}", path.display())]
    Save {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Encode(#[from] serde_json::Error),
}

/// What can go wrong reading a chain's IBC state, submitting to it, opening a channel or
/// relaying a pass.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The chain client's error (a refused or failed transaction among them: see
    /// `dead_letter::refused_on_its_own`).
    #[error(transparent)]
    Chain(#[from] ClientError),
    /// A gRPC query's answer.
    #[error(transparent)]
    Status(Box<tonic::Status>),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Encode(#[from] prost::EncodeError),
    #[error("a proof without a height")]
    ProofWithoutHeight,
    #[error("undecodable proof: {0}")]
    UndecodableProof(prost::DecodeError),
    #[error("{chain}: a block without a header")]
    NoHeader { chain: String },
    #[error("{chain}: expected one validator (the devnet's IBC signer), found {found}")]
    Validators { chain: String, found: usize },
    #[error("{chain}: the validator has no public key")]
    NoValidatorKey { chain: String },
    #[error("{chain}: the relayer's account does not exist")]
    NoAccount { chain: String },
    #[error("tx {txhash}: no {ty}.{key} event")]
    MissingEvent {
        txhash: String,
        ty: String,
        key: String,
    },
    #[error("{chain}: no connection {id}")]
    NoConnection { chain: String, id: String },
    #[error("{chain}: no channel {port}/{channel}")]
    NoChannel {
        chain: String,
        port: String,
        channel: String,
    },
}

impl From<tonic::Status> for RelayError {
    fn from(status: tonic::Status) -> Self {
        Self::Status(Box::new(status))
    }
}

/// What can stop one of the epoch keeper's rounds.
#[derive(Debug, thiserror::Error)]
pub enum KeeperError {
    #[error(transparent)]
    Chain(#[from] ClientError),
    #[error("keeper state poisoned")]
    Poisoned,
    #[error("the epoch keeper did not advance the pools within {0:?}")]
    NotAdvanced(Duration),
}
