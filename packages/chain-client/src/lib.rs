//! `loopin-chain-client`: the chain client every LooPIN service uses, over Cosmos gRPC with
//! cosmrs and tonic. It works against the devnet and against any CosmWasm chain.
//!
//! - keys from a BIP-39 mnemonic (BIP-32 path `m/44'/118'/0'/0/0` by default) or a key file;
//! - transactions signed with SIGN_MODE_DIRECT, gas simulated and multiplied by an adjustment,
//!   fees from the configured gas price;
//! - sequences tracked locally (so several transactions can be in one block) and refreshed and
//!   retried when the chain reports a mismatch;
//! - confirmation by polling `GetTx` until the transaction is in a block;
//! - typed smart queries (JSON in, `T: DeserializeOwned` out), raw queries, balances.
//!
//! The modules, each re-exported here:
//!
//! - `error`: [`ClientError`] and [`Result`].
//! - `config`: [`ChainConfig`], the `ChainArgs` flags (feature `cli`), the gRPC [`endpoint`].
//! - `key`: [`Key`], from a mnemonic, raw bytes, a key file or a development index.
//! - `querier`: [`ChainQuerier`], the read-only connection.
//! - `client`: [`ChainClient`], the signing connection: sequences, simulation, submission,
//!   confirmation, and the wasm and bank messages it sends.
//! - `tx_result`: [`TxResult`], a confirmed transaction and its events.
//! - `compression`: [`gzip`] of wasm uploads.
//! - [`devnet`]: the devnet's admin service (clock fast-forward, faucet).
//! - [`adr036`]: ADR-036 off-chain signatures.
//! - [`fee_market`]: the chain's fee-market gas price, where it has one.

pub use cosmrs;

pub mod adr036;
pub use adr036::{Adr036Error, verify_arbitrary};
pub mod devnet;
pub mod fee_market;

mod client;
mod compression;
mod config;
mod error;
mod key;
mod querier;
mod tx_result;

pub use client::ChainClient;
pub use compression::gzip;
#[cfg(feature = "cli")]
pub use config::ChainArgs;
pub use config::{CONNECT_TIMEOUT, ChainConfig, endpoint};
pub use error::{ClientError, Result};
pub use key::{DEFAULT_HD_PATH, Key};
pub use querier::{ChainQuerier, TX_SEARCH_MAX_PAGES, TX_SEARCH_PAGE};
pub use tx_result::TxResult;
