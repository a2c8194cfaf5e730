//! `loopin-relayer`: the epoch keeper, and the packet relayer of LooPIN's IBC channels.
//! See docs/relayer.md.
//!
//! - [`config`]: the Hermes-style TOML configuration.
//! - [`state`]: persisted cursors and the pending-broadcast guard.
//! - [`chain`]: one chain's IBC queries with proofs, and guarded submission.
//! - [`events`]: packet events of committed transactions.
//! - [`relay`]: the packet relayer (recv, ack, timeout).
//! - [`dead_letter`]: messages a chain keeps refusing, set aside so the rest flow on.
//! - [`handshake`]: clients, connection and channel creation.
//! - [`keeper`]: the epoch keeper.
//! - [`error`]: the error types, one per domain.

pub mod chain;
pub mod config;
pub mod dead_letter;
pub mod error;
pub mod events;
pub mod handshake;
pub mod keeper;
pub mod relay;
pub mod state;
