//! The LooPIN miner agent: delivers leased compute.
//!
//! It follows the pair for leases on the miner's devices and, for each standing order being
//! delivered, keeps a Linux account with the client's SSH key ([`accounts`]); it posts the access
//! details sealed to the client's key, and when a lease ends, is cancelled or its device is
//! invalidated, ends the sessions, removes the account and its files and records completion on
//! chain. Every pass is a pure comparison of chain and system ([`plan`]), so restarts reconcile.

pub mod accounts;
pub mod config;
pub mod confine;
pub mod follow;
pub mod plan;
pub mod service;
#[cfg(feature = "test-support")]
pub mod test_host;
#[cfg(feature = "test-support")]
pub mod test_sshd;
pub mod username;
