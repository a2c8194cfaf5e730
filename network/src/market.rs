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

use crate::actors::{Actor, derived, loop_balance};
use crate::appeals::AppealStats;
use crate::audits::AuditStats;
use crate::cheat::Cheat;
pub use crate::clock::Clock;
use crate::miner::{AUDIT_KEY_OFFSET, Launcher, Miner, MinerPlan};
pub use crate::report::{CheaterReport, EpochRow, ProofReport, Report, SupplyAudit};
use crate::report::{chart, price_trends, print_header, print_row, proof_reports};
use crate::verifier::{Checked, VerifierAgent};
use anyhow::{Context, bail};
use cosmwasm_std::{HexBinary, Uint128};
use k256::ecdsa::SigningKey;
use loopin::pair::{ExecuteMsg as PairMsg, PoolResponse, QueryMsg as PairQuery, ReceiveMsg};
use loopin::registry::{
    ConfigResponse as RegistryConfig, DeviceResponse, DeviceStatus, QueryMsg as RegistryQuery,
};
use loopin::stake_cert::StakeMode;
use loopin::token;
use loopin_deploy::Deployment;
use loopin_pool_math::HOUR;
use loopin_pool_math::amm::Swap;
use loopin_relayer::keeper::wait_advanced;
use std::path::PathBuf;
use std::time::Duration;
use tokio::process::{Child, Command};

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

fn plan(
    name: &str,
    key: u8,
    mode: StakeMode,
    epochs: u64,
    cheat: Option<Cheat>,
    port: u16,
) -> MinerPlan {
    MinerPlan {
        name: name.into(),
        key,
        mode,
        epochs,
        cheat,
        stake_loop: 50 * LOOP,
        max_liquidity: None,
        port,
    }
}

/// How long a round waits for the devices' provers to answer the audits of their Passes.
const ANSWERS: Duration = Duration::from_secs(5);

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

impl Market {
    async fn actor(&self, name: &str, key: u8, loop_amount: u128) -> anyhow::Result<Actor> {
        let actor = Actor::connect(name, key, &self.config.launcher.chain).await?;
        self.clock.fund(&self.bank, &actor, GAS_FUNDS).await?;
        if loop_amount > 0 {
            self.bank
                .transfer_loop(&self.token, &actor.address(), loop_amount)
                .await
                .with_context(|| format!("LOOP for {name}"))?;
        }
        Ok(actor)
    }

    async fn add_miner(&mut self, plan: MinerPlan) -> anyhow::Result<()> {
        let actor = self.actor(&plan.name, plan.key, 500 * LOOP).await?;
        // Gas for the account its prover answers audits with.
        let audits = format!("{}-audits", plan.name);
        self.actor(&audits, plan.key + AUDIT_KEY_OFFSET, 0).await?;
        let miner = Miner::start(
            plan,
            actor,
            &self.config.launcher,
            &self.token,
            &self.pool,
            &self.registry,
            &self.tag,
        )
        .await?;
        self.miners.push(miner);
        Ok(())
    }

    async fn pool_state(&self) -> anyhow::Result<PoolResponse> {
        Ok(self
            .bank
            .client
            .query_smart(&self.pool, &PairQuery::Pool {})
            .await?)
    }

    async fn device_status(&self, token_id: &str) -> anyhow::Result<DeviceStatus> {
        let d: DeviceResponse = self
            .bank
            .client
            .query_smart(
                &self.registry,
                &RegistryQuery::Device {
                    token_id: token_id.to_string(),
                },
            )
            .await?;
        Ok(d.status)
    }

    async fn supply(&self) -> anyhow::Result<token::SupplyAuditResponse> {
        Ok(self
            .bank
            .client
            .query_smart(&self.token, &token::QueryMsg::SupplyAudit {})
            .await?)
    }

    /// Each client leases a quarter of a device's epoch (a quarter hour on the devnet) in the
    /// trading epoch on a live device, at most 5 % over the quote. Returns the hours leased.
    async fn leases(&self, epoch: u64) -> anyhow::Result<f64> {
        let mut leased = 0.0;
        let mut live = Vec::new();
        for m in &self.miners {
            if m.plan.mode == StakeMode::LiquidityProvider
                && self.device_status(&m.token_id).await? == DeviceStatus::Active
            {
                live.push(m.stake_id);
            }
        }
        if live.is_empty() {
            return Ok(0.0);
        }
        for (i, client) in self.clients.iter().enumerate() {
            let hours = Uint128::new(self.lease_hours);
            let quote: Swap = match client
                .client
                .query_smart(&self.pool, &PairQuery::SimulateLease { hours })
                .await
            {
                Ok(q) => q,
                Err(e) => {
                    tracing::info!(client = %client.name, error = %e, "no quote");
                    continue;
                }
            };
            let max_in = quote.offer.u128() + quote.offer.u128() / 20 + 1;
            let stake_id = live[(epoch as usize + i) % live.len()];
            let lease = ReceiveMsg::Lease {
                stake_id,
                hours,
                client_key: HexBinary::from(derived(&client.name, epoch)),
                ssh_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5".into(),
                deadline: None,
                renewals: None,
                max_renewal_price: None,
                renewer: None,
            };
            match client
                .send_loop(&self.token, &self.pool, max_in, &lease)
                .await
            {
                Ok(_) => leased += hours_f(hours),
                Err(e) => {
                    tracing::info!(client = %client.name, stake_id, error = %e, "lease refused")
                }
            }
        }
        Ok(leased)
    }

    /// One beacon round: every verifier's duties, a pause for the provers to read their
    /// assignments, every verifier's check; then the clock moves to the next round.
    async fn round(&mut self) -> anyhow::Result<()> {
        let (_, started) = self.bank.client.latest_block().await?;
        let duties = futures::future::join_all(self.verifiers.iter_mut().map(|v| v.duties())).await;
        for r in duties {
            if let Err(e) = r {
                tracing::warn!(error = %e, "verifier duties");
            }
        }
        // Owners of accused devices appeal and draw, before the provers read their assignments.
        for miner in &self.miners {
            let followed = self
                .appeals
                .follow(&miner.actor, &self.registry, &miner.token_id)
                .await;
            if let Err(e) = followed {
                tracing::warn!(miner = %miner.plan.name, error = %e, "appeal step");
            }
        }
        tokio::time::sleep(Duration::from_millis(800)).await;
        let settings = self.settings.clone();
        let checks =
            futures::future::join_all(self.verifiers.iter_mut().map(|v| v.check(&settings))).await;
        for r in checks {
            match r {
                Ok(checked) => {
                    for c in checked {
                        tracing::info!(verifier = %c.verifier, target = %c.target, outcome = ?c.outcome, appeal = c.appeal, on_chain = %c.on_chain, "verdict");
                        self.checks.push(c);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "verifier check"),
            }
        }
        let honest: Vec<String> = (self.miners.iter())
            .filter(|m| m.plan.cheat.is_none())
            .map(|m| m.token_id.clone())
            .collect();
        crate::audits::await_device_answers(&self.bank, &self.registry, &honest, ANSWERS).await;
        let genesis = self.genesis;
        let overrun = (self.clock)
            .next_round(
                &self.bank.client,
                genesis,
                self.settings.round_seconds,
                started,
            )
            .await?;
        if overrun > 0 {
            tracing::warn!(overrun, "a beacon round's work ran over into the next");
            self.rounds_overrun += overrun;
        }
        Ok(())
    }

    async fn holders_sum(&self) -> anyhow::Result<(usize, u128)> {
        let mut start_after = None;
        let (mut holders, mut sum) = (0usize, 0u128);
        loop {
            let page: cw20::AllAccountsResponse = self
                .bank
                .client
                .query_smart(
                    &self.token,
                    &token::QueryMsg::AllAccounts {
                        start_after: start_after.clone(),
                        limit: Some(30),
                    },
                )
                .await?;
            let Some(last) = page.accounts.last().cloned() else {
                return Ok((holders, sum));
            };
            for a in &page.accounts {
                holders += 1;
                sum += loop_balance(&self.bank.client, &self.token, a).await?;
            }
            start_after = Some(last);
        }
    }
}

fn spawn_keeper(config: &MarketConfig, key: u8) -> anyhow::Result<Child> {
    let log = std::fs::File::create(config.launcher.work_dir.join("keeper.log"))?;
    let chain = &config.launcher.chain;
    let mut cmd = Command::new(&config.launcher.network_bin);
    cmd.args(["--log", "info", "keeper", "--grpc"])
        .arg(&chain.grpc)
        .args(["--chain-id", &chain.chain_id])
        .args(["--prefix", &chain.prefix, "--denom", &chain.denom])
        .args(["--gas-price", &chain.gas_price.to_string()])
        .args(["--gas-adjustment", &chain.gas_adjustment.to_string()]);
    if let Some(ca) = &chain.ca_file {
        cmd.arg("--ca-file").arg(ca);
    }
    cmd.args(["--key", &key.to_string(), "--interval-ms", "200"])
        .args(config.deployment.pools.values())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .context("starting the epoch keeper")
}

/// Runs the scenario and returns its report (also written to `config.report`, with the chart).
pub async fn run(config: MarketConfig) -> anyhow::Result<Report> {
    std::fs::create_dir_all(&config.launcher.work_dir)?;
    let d = &config.deployment;
    let pool = d
        .pools
        .get(&config.class)
        .with_context(|| format!("no pool of class {} in the deployment", config.class))?
        .clone();
    let registry = d
        .registry
        .clone()
        .context("the deployment has no PoCPS registry")?;
    let bank = Actor::connect("bank", config.bank_key, &config.launcher.chain).await?;
    let clock = match config.clock {
        Some(clock) => clock,
        None => Clock::detect(&bank).await?,
    };
    clock.fund(&bank, &bank, GAS_FUNDS).await?;
    let needed = 6_000 * LOOP;
    let held = bank.loop_balance(&d.token).await?;
    if held < needed {
        bail!(
            "the bank ({}) holds {held} uLOOP, the scenario needs {needed}: deploy with --fund-loop {}={needed}",
            bank.address(),
            bank.address()
        );
    }
    let registry_config: RegistryConfig = bank
        .client
        .query_smart(&registry, &RegistryQuery::Config {})
        .await?;
    let (height, _) = bank.client.latest_block().await?;
    let epoch_seconds = {
        let c: loopin::pair::ConfigResponse = bank
            .client
            .query_smart(&pool, &PairQuery::Config {})
            .await?;
        c.params.epoch_seconds
    };
    // A device's hours in one epoch: an hour on the devnet, a fraction of one where epochs are
    // short (real time). Leases and the first provider's LOOP scale with it, so the price per
    // device-hour is the same on every chain (as is the passive provider's LOOP).
    let epoch_hours = HOUR * u128::from(epoch_seconds) / 3_600;
    let scaled = |loop_amount: u128| (loop_amount * epoch_hours / HOUR).max(1);
    let mut m = Market {
        bank,
        token: d.token.clone(),
        pool: pool.clone(),
        registry: registry.clone(),
        settings: registry_config.settings.clone(),
        miners: vec![],
        verifiers: vec![],
        clients: vec![],
        checks: vec![],
        appeals: AppealStats::default(),
        tag: format!("h{height}"),
        genesis: registry_config.genesis.seconds(),
        lease_hours: (epoch_hours / 4).min(HOUR / 4),
        clock,
        rounds_overrun: 0,
        config: config.clone(),
    };
    // The keeper pays its own fees.
    const KEEPER_KEY: u8 = 40;
    m.actor("keeper", KEEPER_KEY, 0).await?;
    let mut keeper = spawn_keeper(&config, KEEPER_KEY)?;
    let rounds_per_epoch = (epoch_seconds / m.settings.round_seconds).max(1);

    println!(
        "starting miners, verifiers and clients on pool {pool} (registry {registry}); {:?} clock, {epoch_seconds} s epochs, {} s beacon rounds",
        m.clock, m.settings.round_seconds
    );
    let p = config.first_port;
    // The first provider sets the price (10 LOOP per device-hour); the others match it. On a
    // chain where an earlier run left the pool priced, it matches that price too (capped at the
    // devnet's price it could not provide the LOOP the pool's price asks).
    let mut first = plan("lp-long", 10, StakeMode::LiquidityProvider, 30, None, p);
    if m.pool_state().await?.spot_price.is_none() {
        first.max_liquidity = Some(scaled(10 * LOOP));
    } else {
        println!("the pool is priced already (an earlier run): every provider matches its price");
    }
    for plan in [
        first,
        plan("lp-short", 11, StakeMode::LiquidityProvider, 3, None, p + 1),
        plan("lp-mid", 12, StakeMode::LiquidityProvider, 5, None, p + 2),
        plan(
            "cheat-discard",
            14,
            StakeMode::LiquidityProvider,
            30,
            Some(Cheat::Discard),
            p + 3,
        ),
        plan(
            "cheat-late",
            15,
            StakeMode::LiquidityProvider,
            30,
            Some(Cheat::Regenerate),
            p + 4,
        ),
        plan(
            "cheat-no-gpu",
            18,
            StakeMode::LiquidityProvider,
            30,
            Some(Cheat::NoGpu),
            p + 7,
        ),
    ] {
        m.add_miner(plan).await?;
    }
    // A passive liquidity provider: LOOP only, no device.
    let passive = m.actor("lp-passive", 33, 100 * LOOP).await?;
    let provide = ReceiveMsg::ProvideLiquidity {
        min_shares: Uint128::zero(),
        deadline: None,
    };
    passive
        .send_loop(&m.token, &m.pool, scaled(40 * LOOP), &provide)
        .await
        .context("passive liquidity")?;
    for i in 0..4u8 {
        let actor = m
            .actor(&format!("verifier-{i}"), 20 + i, 200 * LOOP)
            .await?;
        let key = SigningKey::from_slice(&derived("challenge-key", u64::from(i) + height as u64))
            .context("challenge key")?;
        m.verifiers
            .push(VerifierAgent::join(actor, &m.token, &registry, key).await?);
    }
    for i in 0..2u8 {
        let client = m.actor(&format!("client-{i}"), 30 + i, 200 * LOOP).await?;
        m.clients.push(client);
    }

    let new_stakes_at = config.epochs / 2;
    let mut rows: Vec<EpochRow> = Vec::new();
    let mut invalidated_at: Vec<Option<u64>> = vec![None; m.miners.len()];
    let mut supply = m.supply().await?;
    print_header();
    for n in 0..config.max_epochs {
        let cheaters_active = m
            .miners
            .iter()
            .zip(&invalidated_at)
            .any(|(mi, at)| mi.plan.cheat.is_some() && at.is_none());
        if n >= config.epochs && !cheaters_active {
            break;
        }
        if n == new_stakes_at {
            // New capacity: a provider at the spot price and a seller, whose hours are sold
            // into the pool at each boundary.
            let base = config.first_port + 5;
            // It matches the spot price, whatever it has become: up to 400 LOOP.
            let mut new_lp = plan("lp-new", 16, StakeMode::LiquidityProvider, 30, None, base);
            new_lp.stake_loop = 400 * LOOP;
            m.add_miner(new_lp).await?;
            m.add_miner(plan("seller", 17, StakeMode::Seller, 30, None, base + 1))
                .await?;
            invalidated_at.resize(m.miners.len(), None);
        }
        if n == 1 {
            // lp-mid extends its stake by an epoch, before its last epoch starts.
            let mid = &m.miners[2];
            let renew = PairMsg::Renew {
                stake_id: mid.stake_id,
                epochs: None,
            };
            if let Err(e) = mid.actor.client.execute(&m.pool, &renew, &[]).await {
                tracing::warn!(error = %e, "renewal refused");
            }
        }
        if n == 0 {
            m.clock
                .align(&m.bank.client, m.genesis, m.settings.round_seconds)
                .await?;
        }
        let leased = m.leases(n).await?;
        let mut dissipated = 0.0;
        let start = m.pool_state().await?.clock_epoch;
        let mut rounds = 0;
        loop {
            let state = m.pool_state().await?;
            if m.clock
                .epoch_over(rounds, rounds_per_epoch, start, state.clock_epoch)
            {
                break;
            }
            // The trading epoch's unleased hours, just before they dissipate (read before
            // every round; the last round's reading stays).
            dissipated = hours_f(state.reserves.hours);
            m.round().await?;
            rounds += 1;
        }
        wait_advanced(
            &m.bank.client,
            std::slice::from_ref(&m.pool),
            Duration::from_secs(60),
        )
        .await?;
        for miner in &m.miners {
            let claim = PairMsg::Claim {
                stake_id: miner.stake_id,
            };
            // Nothing to claim yet is normal.
            let _ = miner.actor.client.execute(&m.pool, &claim, &[]).await;
        }
        let state = m.pool_state().await?;
        let now = m.supply().await?;
        let mut invalidated = Vec::new();
        let mut active = 0;
        for (i, miner) in m.miners.iter().enumerate() {
            match m.device_status(&miner.token_id).await? {
                DeviceStatus::Active => active += 1,
                DeviceStatus::Invalidated => {
                    invalidated.push(miner.plan.name.clone());
                    invalidated_at[i].get_or_insert(state.epoch);
                }
                // Its stake ended and it was pruned: neither active nor caught.
                DeviceStatus::Expired => {}
            }
        }
        let row = EpochRow {
            epoch: state.epoch,
            price: state
                .spot_price
                .map(|_| loop_f(state.reserves.tokens) / hours_f(state.reserves.hours)),
            cph_reserve: hours_f(state.reserves.hours),
            loop_reserve: loop_f(state.reserves.tokens),
            capacity: hours_f(state.provider_hours + state.seller_hours),
            dissipated,
            leased,
            burned: loop_f(now.burned - supply.burned),
            minted: loop_f(now.minted - supply.minted),
            active_devices: active,
            invalidated,
        };
        supply = now;
        print_row(&row);
        rows.push(row);
    }

    let (holders, sum_of_balances) = m.holders_sum().await?;
    let audit = m.supply().await?;
    let supply = SupplyAudit {
        initial: audit.initial_supply.u128(),
        minted: audit.minted.u128(),
        burned: audit.burned.u128(),
        total_supply: audit.total_supply.u128(),
        holders,
        sum_of_balances,
        balanced: audit.initial_supply + audit.minted - audit.burned == audit.total_supply
            && sum_of_balances == audit.total_supply.u128(),
    };
    let cheaters = m
        .miners
        .iter()
        .zip(&invalidated_at)
        .filter_map(|(mi, at)| {
            mi.plan.cheat.map(|cheat| CheaterReport {
                miner: mi.plan.name.clone(),
                cheat,
                token_id: mi.token_id.clone(),
                invalidated_at_epoch: *at,
                verdicts: m
                    .checks
                    .iter()
                    .filter(|c| c.target == mi.token_id)
                    .cloned()
                    .collect(),
            })
        })
        .collect();
    let delivered = m.pool_state().await?.epoch;
    let proofs = proof_reports(&m.bank.client, &m.pool, &m.miners, delivered).await?;
    let audits = AuditStats::sum(m.verifiers.iter().map(|v| &v.audits.stats));
    println!("{}", audits.summary());
    m.appeals.count_outcomes(&m.checks);
    println!("{}", m.appeals.summary());
    let (rose, fell) = price_trends(&rows, new_stakes_at as usize);
    let report = Report {
        chain_id: d.chain_id.clone(),
        clock: m.clock,
        epoch_seconds,
        round_seconds: m.settings.round_seconds,
        rounds_overrun: m.rounds_overrun,
        pool,
        registry,
        epochs: rows,
        new_stakes_at_epoch: new_stakes_at,
        price_rose_as_capacity_dissipated: rose,
        price_fell_after_new_stakes: fell,
        cheaters,
        proofs,
        audits,
        appeals: m.appeals.clone(),
        checks: m.checks.clone(),
        supply,
    };
    for miner in &mut m.miners {
        miner.stop().await;
    }
    let _ = keeper.kill().await;
    std::fs::write(&config.report, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("writing {}", config.report.display()))?;
    chart(&report, &config.chart)?;
    Ok(report)
}
