//! `loopin-devnet`: a single-process local CosmWasm chain for LooPIN.
//!
//! It stores and runs the compiled contracts in cosmwasm-vm (gas metered, per-transaction gas
//! limits from the fee), keeps a bank module and secp256k1 accounts with sequences
//! (SIGN_MODE_DIRECT), produces blocks on a clock, persists everything in redb and serves the
//! Cosmos gRPC subset that cosmrs-based services use, and, when configured, the CometBFT
//! JSON-RPC and REST subsets that cosmjs and Keplr use. See docs/devnet.md.

pub mod address;
pub mod bank;
pub mod chain;
pub mod config;
pub mod error;
pub mod exec;
pub mod grpc;
pub mod http;
pub mod ibc;
pub mod keys;
pub mod local_grpc;
pub mod node;
pub mod proto_json;
pub mod rest;
pub mod rfc3339;
pub mod router;
pub mod rpc;
pub mod server;
pub mod state;
pub mod store;
pub mod wasm;

pub use config::{Config, GenesisAccount};
pub use error::{ChainError, StartError};
pub use node::Node;
pub use server::{NodeHandle, start};
