//! The scenario's set-up: the bank checked and the chain's settings read, the epoch keeper
//! started, and the cast joined (miners with their provers, a passive provider, verifiers,
//! clients).

use super::{GAS_FUNDS, LOOP, Market, MarketConfig};
use crate::actors::{Actor, derived};
use crate::appeals::AppealStats;
use crate::cheat::Cheat;
use crate::clock::Clock;
use crate::error::{NetworkError, Result};
use crate::miner::{AUDIT_KEY_OFFSET, Miner, MinerPlan};
use crate::verifier::VerifierAgent;
use cosmwasm_std::Uint128;
use k256::ecdsa::SigningKey;
use loopin::pair::{QueryMsg as PairQuery, ReceiveMsg};
use loopin::registry::{ConfigResponse as RegistryConfig, QueryMsg as RegistryQuery};
use loopin::stake_cert::StakeMode;
use loopin_pool_math::HOUR;
use tokio::process::{Child, Command};

/// What [`Market::open`] read of the chain that the rest of the set-up needs.
pub(super) struct Opened {
    /// The pool's epoch length, seconds.
    pub(super) epoch_seconds: u64,
    /// The chain's height when the scenario started.
    pub(super) height: i64,
    /// A device's hours in one epoch, micro-hours.
    pub(super) epoch_hours: u128,
}

impl Opened {
    /// `loop_amount` scaled to the epoch's length (at least 1).
    fn scaled(&self, loop_amount: u128) -> u128 {
        (loop_amount * self.epoch_hours / HOUR).max(1)
    }
}

pub(super) fn plan(
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

fn spawn_keeper(config: &MarketConfig, key: u8) -> Result<Child> {
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
        .map_err(|source| NetworkError::Spawn {
            what: "the epoch keeper".to_string(),
            source,
        })
}

impl Market {
    pub(super) async fn actor(&self, name: &str, key: u8, loop_amount: u128) -> Result<Actor> {
        let actor = Actor::connect(name, key, &self.config.launcher.chain).await?;
        self.clock.fund(&self.bank, &actor, GAS_FUNDS).await?;
        if loop_amount > 0 {
            self.bank
                .transfer_loop(&self.token, &actor.address(), loop_amount)
                .await
                .map_err(|source| NetworkError::Loop {
                    name: name.to_string(),
                    source: Box::new(source),
                })?;
        }
        Ok(actor)
    }

    pub(super) async fn add_miner(&mut self, plan: MinerPlan) -> Result<()> {
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

    /// The epoch keeper: its account funded (it pays its own fees), then its process started
    /// (killed when dropped).
    pub(super) async fn start_keeper(&self, key: u8) -> Result<Child> {
        self.actor("keeper", key, 0).await?;
        spawn_keeper(&self.config, key)
    }

    /// Connects the bank, checks it holds the scenario's LOOP, and reads the pool's and the
    /// registry's settings.
    pub(super) async fn open(config: &MarketConfig) -> Result<(Market, Opened)> {
        let d = &config.deployment;
        let pool = d
            .pools
            .get(&config.class)
            .ok_or_else(|| NetworkError::NoPool {
                class: config.class.clone(),
            })?
            .clone();
        let registry = d.registry.clone().ok_or(NetworkError::NoRegistry)?;
        let bank = Actor::connect("bank", config.bank_key, &config.launcher.chain).await?;
        let clock = match config.clock {
            Some(clock) => clock,
            None => Clock::detect(&bank).await?,
        };
        clock.fund(&bank, &bank, GAS_FUNDS).await?;
        let needed = 6_000 * LOOP;
        let held = bank.loop_balance(&d.token).await?;
        if held < needed {
            return Err(NetworkError::BankShort {
                bank: bank.address(),
                held,
                needed,
            });
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
        // A device's hours in one epoch: an hour on the devnet, a fraction of one where epochs
        // are short (real time). Leases and the first provider's LOOP scale with it, so the
        // price per device-hour is the same on every chain (as is the passive provider's LOOP).
        let epoch_hours = HOUR * u128::from(epoch_seconds) / 3_600;
        let m = Market {
            bank,
            token: d.token.clone(),
            pool,
            registry,
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
        let opened = Opened {
            epoch_seconds,
            height,
            epoch_hours,
        };
        Ok((m, opened))
    }

    /// The miners of the first half: three providers and the three cheaters.
    pub(super) async fn start_miners(&mut self, opened: &Opened) -> Result<()> {
        let p = self.config.first_port;
        // The first provider sets the price (10 LOOP per device-hour); the others match it. On a
        // chain where an earlier run left the pool priced, it matches that price too (capped at
        // the devnet's price it could not provide the LOOP the pool's price asks).
        let mut first = plan("lp-long", 10, StakeMode::LiquidityProvider, 30, None, p);
        if self.pool_state().await?.spot_price.is_none() {
            first.max_liquidity = Some(opened.scaled(10 * LOOP));
        } else {
            println!(
                "the pool is priced already (an earlier run): every provider matches its price"
            );
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
            self.add_miner(plan).await?;
        }
        Ok(())
    }

    /// A passive liquidity provider (LOOP only, no device), the four verifiers and the two
    /// clients.
    pub(super) async fn start_others(&mut self, opened: &Opened) -> Result<()> {
        // A passive liquidity provider: LOOP only, no device.
        let passive = self.actor("lp-passive", 33, 100 * LOOP).await?;
        let provide = ReceiveMsg::ProvideLiquidity {
            min_shares: Uint128::zero(),
            deadline: None,
        };
        passive
            .send_loop(&self.token, &self.pool, opened.scaled(40 * LOOP), &provide)
            .await
            .map_err(|source| NetworkError::PassiveLiquidity(Box::new(source)))?;
        for i in 0..4u8 {
            let actor = self
                .actor(&format!("verifier-{i}"), 20 + i, 200 * LOOP)
                .await?;
            let key = SigningKey::from_slice(&derived(
                "challenge-key",
                u64::from(i) + opened.height as u64,
            ))
            .map_err(NetworkError::ChallengeKeyBytes)?;
            self.verifiers
                .push(VerifierAgent::join(actor, &self.token, &self.registry, key).await?);
        }
        for i in 0..2u8 {
            let client = self
                .actor(&format!("client-{i}"), 30 + i, 200 * LOOP)
                .await?;
            self.clients.push(client);
        }
        Ok(())
    }
}
