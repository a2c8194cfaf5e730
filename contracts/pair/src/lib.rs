//! The LooPIN dissipative pair: an AMM of dated compute hours against LOOP.
//!
//! The model — dated, rolling hours; liquidity shares that claim LOOP only; leases bound to a
//! device — is in `docs/pair.md`. Pure arithmetic lives in `loopin-pool-math`.
//!
//! The pair's wasm is within a few KiB of wasmd's 800 KiB upload limit. The helpers that long
//! handlers were split into (issue 20) are `#[inline(always)]`: left to LLVM, the split grew the
//! artifact by about 3 KB; inlined, the code is the handlers' own again.

mod claim;
pub mod contract;
mod device_claim;
mod disputes;
mod epoch;
pub mod error;
mod exit;
mod holds;
mod lease_rewards;
mod leasing;
mod lifecycle;
mod liquidity;
mod liquidity_rewards;
mod outflow;
mod proofs;
mod query;
mod requests;
mod revenue;
mod slashing;
mod staking;
pub mod state;
mod unproven;
mod upgrade;
mod verification;

pub use crate::error::ContractError;
