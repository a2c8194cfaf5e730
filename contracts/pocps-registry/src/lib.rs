//! The PoCPS registry: the devices behind stake certificates, bonded verifiers, an entropy beacon
//! no single party controls, challenges drawn at random, and verdicts — bad openings proven on
//! chain invalidate a certificate at once, lateness needs a quorum, refuted claims cost the
//! verifier its bond. The design and its limits are in `docs/registry.md`.

pub mod contract;
pub mod error;
mod expiry;
mod judge;
pub mod state;

pub use crate::error::ContractError;
