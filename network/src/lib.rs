//! `loopin-network`: the LooPIN network running on a chain, as its participants run it.
//!
//! - [`actors`]: accounts of the scenario (development keys), cw20 helpers.
//! - [`clock`]: the devnet's fast-forwarded clock and faucet, or a real chain's block time.
//! - [`miner`]: a miner: builds P with `loopin-prover`, stakes, registers the device, serves.
//! - [`cheat`]: the two cheating provers of the scenario (discarded encoding, regeneration).
//! - [`verifier`]: a verifier agent: bond, entropy beacon, challenges, verdicts on chain.
//! - [`appeals`]: owners appeal accusations of lateness; outcomes counted.
//! - [`audits`]: the agents' audits of each other's Passes, and their answers.
//! - [`market`]: the scripted market of the main job.
//! - [`report`]: its live table, JSON report and chart.
pub mod actors;
pub mod appeals;
pub mod audits;
pub mod cheat;
pub mod clock;
pub mod error;
pub mod market;
pub mod miner;
pub mod report;
pub mod verifier;

pub use error::NetworkError;
