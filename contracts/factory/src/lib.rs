//! The LooPIN pool factory.
//!
//! It instantiates the LOOP token and the stake-certificate contract at its own instantiation, so
//! it is their only minter from the first block. Anyone creates the pool of a resource class whose
//! parameters governance has set; the factory instantiates the pair with those parameters (never
//! the caller's), authorises it as a stake-certificate issuer, and mints rewards on request of
//! registered pools and the PoCPS registry within a per-epoch emission cap. Governance changes that
//! can reach value already in a pool go through a timelock (`governance`, docs/governance.md).

pub mod contract;
mod emission;
pub mod error;
pub mod governance;
mod pools;
mod query;
pub mod state;
mod wiring;

pub use crate::error::ContractError;
