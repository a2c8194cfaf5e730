//! `loopin-relayer`: the epoch keeper, and the packet relayer of LooPIN's IBC channels.
//! See docs/relayer.md.
//!
//! - [`config`]: the Hermes-style TOML configuration.
//! - [`state`]: persisted cursors and the pending-broadcast guard.
//! - [`chain`]: one chain's IBC queries with proofs, and guarded submission.
//! - [`events`]: packet events of committed transactions.
//! - [`relay`]: the packet relayer (recv, ack, timeout).
//! - [`handshake`]: clients, connection and channel creation.
//! - [`keeper`]: the epoch keeper.

pub mod chain;
pub mod config;
pub mod events;
pub mod handshake;
pub mod keeper;
pub mod relay;
pub mod state;
