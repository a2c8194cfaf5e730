//! The PoCPS registry: the devices behind stake certificates, bonded verifiers, an entropy beacon
//! no single party controls, challenges drawn at random, and verdicts — bad openings proven on
//! chain invalidate a certificate at once, lateness needs a quorum, refuted claims cost the
//! verifier its bond. The design and its limits are in `docs/registry.md`.

mod appeal;
mod audit;
mod bonds;
mod challenge;
pub mod contract;
mod device;
mod draw;
mod entropy;
pub mod error;
mod expiry;
mod judge;
mod key_rotation;
mod outgoing;
mod query;
mod registration;
mod rewards;
mod settings;
pub mod state;
mod sweep;
mod verdict;

pub use crate::error::ContractError;
