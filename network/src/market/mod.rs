//! The scripted market of the main job.
//!
//! Against a chain where LooPIN is deployed (`loopin-deploy`'s deployment JSON), it starts the
//! epoch keeper (a separate `loopin-network keeper` process), five miners with their provers
//! (`loopin-prover serve`; the two cheaters `loopin-network cheat-prover`), four verifier
//! agents and two clients (two more miners join halfway), and drives the market epoch by epoch
//! on the chain's clock (the devnet's, fast-forwarded a beacon round at a time, or a real
//! chain's block time, [`Clock`]): liquidity-provider and seller miners stake, clients lease, a miner
//! renews, new miners stake halfway, verifiers challenge the drawn devices each beacon round,
//! miners claim. It prints a live table per epoch and writes a JSON report and a PNG chart of
//! price and CPH reserve.
//!
//! - `setup`: the bank checked, the chain's settings read, the keeper started, the cast joined.
//! - `epochs`: the market driven epoch by epoch, one row of the live table each.
//! - `round`: an epoch's leases and each beacon round's verifier duties, appeals and checks.
//! - `queries`: what the scenario reads from the chain (pool, devices, supply, holders).
//! - `summary`: the report (supply audit, cheaters, proofs, audits, appeals).

use crate::actors::Actor;
use crate::appeals::AppealStats;
pub use crate::clock::Clock;
use crate::error::{NetworkError, Result};
use crate::miner::{Launcher, Miner};
use crate::report::chart;
pub use crate::report::{CheaterReport, EpochRow, ProofReport, Report, SupplyAudit};
use crate::verifier::{Checked, VerifierAgent};
use cosmwasm_std::Uint128;
use loopin_deploy::Deployment;
use loopin_pool_math::HOUR;
use std::path::PathBuf;

mod epochs;
mod queries;
mod round;
mod setup;
mod summary;

/// LOOP has 6 decimals.
const LOOP: u128 = 1_000_000;
/// Fee tokens each actor gets (from the devnet's faucet, or the bank account).
const GAS_FUNDS: u128 = 10_000_000_000;

/// What to run.
#[derive(Clone, Debug)]
pub struct MarketConfig {
    pub launcher: Launcher,
    pub deployment: Deployment,
    /// The pool's class in the deployment.
    pub class: String,
    /// Development key of the account holding the scenario's LOOP.
    pub bank_key: u8,
    /// Epochs to run at least; more (up to `max_epochs`) while a cheater is still active.
    pub epochs: u64,
    pub max_epochs: u64,
    /// First port of the provers.
    pub first_port: u16,
    /// Whose clock: `None` asks the node ([`Clock::detect`]).
    pub clock: Option<Clock>,
    pub report: PathBuf,
    pub chart: PathBuf,
}

fn loop_f(v: Uint128) -> f64 {
    v.u128() as f64 / LOOP as f64
}

fn hours_f(v: Uint128) -> f64 {
    v.u128() as f64 / HOUR as f64
}

/// The running scenario.
struct Market {
    config: MarketConfig,
    bank: Actor,
    token: String,
    pool: String,
    registry: String,
    settings: loopin::registry::RegistrySettings,
    miners: Vec<Miner>,
    verifiers: Vec<VerifierAgent>,
    clients: Vec<Actor>,
    checks: Vec<Checked>,
    appeals: AppealStats,
    tag: String,
    /// The registry's genesis (unix seconds), from which beacon rounds count.
    genesis: u64,
    /// What each client leases per epoch, micro-hours.
    lease_hours: u128,
    clock: Clock,
    /// Beacon rounds a real chain's clock passed while a round's work ran over.
    rounds_overrun: u64,
}

/// Runs the scenario and returns its report (also written to `config.report`, with the chart).
pub async fn run(config: MarketConfig) -> Result<Report> {
    std::fs::create_dir_all(&config.launcher.work_dir)?;
    let (mut m, opened) = Market::open(&config).await?;
    // The keeper pays its own fees.
    const KEEPER_KEY: u8 = 40;
    let mut keeper = m.start_keeper(KEEPER_KEY).await?;
    let epoch_seconds = opened.epoch_seconds;
    let rounds_per_epoch = (epoch_seconds / m.settings.round_seconds).max(1);

    let (pool, registry) = (&m.pool, &m.registry);
    println!(
        "starting miners, verifiers and clients on pool {pool} (registry {registry}); {:?} clock, {epoch_seconds} s epochs, {} s beacon rounds",
        m.clock, m.settings.round_seconds
    );
    m.start_miners(&opened).await?;
    m.start_others(&opened).await?;

    let played = m.play(rounds_per_epoch).await?;
    let report = m.report(played, epoch_seconds).await?;
    for miner in &mut m.miners {
        miner.stop().await;
    }
    let _ = keeper.kill().await;
    std::fs::write(&config.report, serde_json::to_string_pretty(&report)?).map_err(|source| {
        NetworkError::Write {
            path: config.report.clone(),
            source,
        }
    })?;
    chart(&report, &config.chart)?;
    Ok(report)
}
