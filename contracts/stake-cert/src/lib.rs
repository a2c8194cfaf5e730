//! LooPIN stake certificates ("st-tokens"): cw721, built on cw721's storage and queries.
//!
//! One certificate per stake, minted by the protocol to the miner. Certificates are soulbound:
//! transfers, approvals and burns by the owner are refused with typed errors, so a miner cannot
//! escape a slash by moving or destroying its certificate. The minter (the factory) and the pools
//! it authorises as issuers mint, extend, expire, invalidate and burn them.

mod active;
pub mod contract;
pub mod error;
mod execute;
mod query;
pub mod state;

pub use crate::error::ContractError;
