//! Agent-based simulator of LooPIN's dissipative compute-hour pools (paper §4-5).
//!
//! It runs the dated, rolling pair of `docs/pair.md` on the same `loopin-pool-math` functions as
//! the contract, with miners, clients and verifiers as agents, deterministically for a seed.

pub mod agents;
pub mod emission;
pub mod experiments;
pub mod figures;
mod orders;
pub mod pair;
pub mod report;
pub mod rewards;
pub mod scenario;
pub mod sim;
