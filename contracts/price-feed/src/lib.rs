//! The LooPIN IBC price feed.
//!
//! Runs on the LooPIN chain. The owner lists the pairs it publishes and the connections (and,
//! optionally, counterparty ports) subscribers may use; a chain on one of them opens an
//! unordered `loopin-price-1` channel to it to subscribe, and the owner may evict a subscriber
//! (the only close started on the feed's end it accepts). Each epoch, `Publish` (called by the
//! epoch keeper after it advanced the pools) sends one [`loopin::price_feed::PricePacket`] per
//! pool whose epoch advanced to every open channel; acknowledgements and timeouts are counted
//! per channel. The protocol is in `docs/price-feed.md`.

pub mod contract;
pub mod error;
pub mod ibc;
mod owner;
mod publish;
mod query;
pub mod state;

pub use crate::error::ContractError;
