//! The devnet's error types: [`ChainError`], opening the chain and committing its blocks, and
//! [`StartError`], starting a node's servers around it.

use std::path::PathBuf;

use cosmwasm_vm::VmError;

use crate::address::AddressError;
use crate::exec::ExecError;
use crate::ibc::proof::ProofError;
use crate::store::StoreError;

/// What can go wrong opening the chain's store, applying genesis or committing a block.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The home directory could not be created.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("wasm cache: {0}")]
    WasmCache(VmError),
    /// The config's `ibc_signer_hex` is not a key.
    #[error(transparent)]
    IbcSigner(#[from] ProofError),
    /// A stored header that does not parse, or a header that does not serialize.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error("the store at {} belongs to chain {stored}, not {configured}", .home.display())]
    OtherChain {
        home: PathBuf,
        stored: String,
        configured: String,
    },
    #[error("genesis account: {error}")]
    GenesisAccount {
        address: String,
        error: AddressError,
    },
    #[error("genesis: {error}")]
    Genesis { address: String, error: ExecError },
}

/// What can go wrong starting a node ([`crate::start`]).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The task that opened the chain panicked or was cancelled.
    #[error(transparent)]
    Join(#[from] tokio::task::JoinError),
    /// `what` ("gRPC", "the CometBFT RPC", "the REST API") could not bind `addr`.
    #[error("binding {what} on {addr}")]
    Bind {
        what: String,
        addr: String,
        #[source]
        source: std::io::Error,
    },
    /// A bound listener without a local address.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The config's TLS certificate or key could not be read.
    #[error("{}: {error}", .path.display())]
    TlsFile {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("tls_cert and tls_key go together")]
    TlsHalf,
    #[error(transparent)]
    Tls(#[from] tonic::transport::Error),
}
