//! The LooPIN IBC price consumer.
//!
//! Runs on a chain that reads LooPIN pool prices. It accepts unordered `loopin-price-1` channels
//! (on the connections and from the feed ports its owner allows, or any), stores the latest
//! [`loopin::price_feed::PricePacket`] per (channel, pool) — a packet older than, or equal to,
//! what it holds is acknowledged and ignored — and serves them to other contracts and clients.
//! The protocol is in `docs/price-feed.md`.

pub mod contract;
pub mod error;
pub mod ibc;
pub mod state;

pub use crate::error::ContractError;
