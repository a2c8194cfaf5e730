//! The deployment's error type, [`DeployError`]: what can stop [`crate::run`], [`crate::deploy`]
//! and the IBC applications' deployment ([`crate::ibc`]).
//!
//! A step that fails on the chain names the step (which contract, which class, which pool) and
//! keeps the chain client's error as its source, so that `{:#}` prints both.

use std::path::PathBuf;

use loopin_chain_client::ClientError;

use crate::windows::WindowError;

/// What can go wrong reading a deploy config or deploying.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A contract of [`crate::CONTRACTS`] is not in the artifacts directory.
    #[error("{} missing: run scripts/build-contracts.sh first", .path.display())]
    MissingArtifact { path: PathBuf },
    #[error("reading {}; build the contracts first with scripts/build-contracts.sh", .path.display())]
    ReadWasm {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The config is not TOML of a [`crate::DeployConfig`].
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    /// A class's parameters do not fit the registry's windows.
    #[error(transparent)]
    Window(#[from] WindowError),
    #[error("[deployer] needs mnemonic or key_file")]
    NoDeployerKey,
    #[error("[registry] needs exactly one of address and settings")]
    RegistryConfig,
    #[error("connecting to {grpc}")]
    Connect {
        grpc: String,
        #[source]
        source: Box<ClientError>,
    },
    #[error("storing {name}")]
    Store {
        name: String,
        #[source]
        source: Box<ClientError>,
    },
    /// Instantiating `contract` ("the factory", "the registry", "the price feed"...).
    #[error("instantiating {contract}")]
    Instantiate {
        contract: &'static str,
        #[source]
        source: Box<ClientError>,
    },
    #[error("setting the registry")]
    SetRegistry {
        registry: String,
        #[source]
        source: Box<ClientError>,
    },
    #[error("setting the parameters of class {class}")]
    SetClassParams {
        class: String,
        #[source]
        source: Box<ClientError>,
    },
    #[error("creating the pool of class {class}")]
    CreatePool {
        class: String,
        #[source]
        source: Box<ClientError>,
    },
    #[error("adding pool {pair} to the price feed")]
    AddPoolToFeed {
        pair: String,
        #[source]
        source: Box<ClientError>,
    },
    #[error("allowing the price consumer's port on the price feed")]
    PinConsumer {
        consumer: String,
        #[source]
        source: Box<ClientError>,
    },
    #[error("writing {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A query, a key or another chain-client call outside the named steps.
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}
