//! The LooPIN IBC price consumer.
//!
//! Runs on a chain that reads LooPIN pool prices. It accepts unordered `loopin-price-1` channels
//! (on the connections and from the feed ports its owner allows, or any), stores the latest
//! [`loopin::price_feed::PricePacket`] per (channel, pool) — a packet older than, or equal to,
//! what it holds is acknowledged and ignored — and serves them to other contracts and clients,
//! by pool or by resource class, refusing a price older than its maximum age unless asked for
//! it with its age. Only the feed's end may close a channel. The protocol is in
//! `docs/price-feed.md`.

pub mod contract;
pub mod error;
pub mod ibc;
mod owner;
pub mod query;
pub mod state;

pub use crate::error::ContractError;
