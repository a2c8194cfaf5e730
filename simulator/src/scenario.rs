//! Scenario parameters and the named presets of the CLI.

use cosmwasm_std::{Decimal, Uint128};
use loopin::pool::Incentives;
use loopin_pool_math::economics::Economics;

/// LOOP smallest units per LOOP.
pub const LOOP: u128 = 1_000_000;

/// When a miner extends its stake by one epoch before it ends (paper §4.2.2).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RenewalPolicy {
    /// Never: the stake ends after its `T` epochs.
    Never,
    /// Always, while the device works and `max_epochs` allows.
    Always,
    /// While the expected income per hour covers the miner's cost.
    Profitable,
}

/// Who may join, and when.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EntryPolicy {
    /// Every candidate stakes.
    Always,
    /// A candidate stakes only if the expected income per hour covers its cost.
    Profitable,
}

/// Miners: arrivals, modes, costs, durations, failures.
#[derive(Clone, Debug)]
pub struct MinerParams {
    /// Miners staking in epoch 0 (the first one, a provider, sets the price).
    pub initial: u32,
    /// Mean candidate arrivals per epoch (Poisson).
    pub arrivals_per_epoch: f64,
    /// Share of candidates that provide liquidity; the rest sell their hours.
    pub provider_share: f64,
    /// Stake duration `T` in epochs.
    pub epochs: u64,
    /// Longest stake, renewals included (governance `max_epochs`).
    pub max_epochs: u64,
    pub renewal: RenewalPolicy,
    pub entry: EntryPolicy,
    /// Probability a device fails in any one epoch.
    pub failure_rate: f64,
    /// A miner's cost per device-hour, uniform in `[low, high]` LOOP.
    pub cost_low: f64,
    pub cost_high: f64,
    /// Price a first provider sets, LOOP per device-hour.
    pub initial_price: f64,
}

/// Clients: the demand trace.
#[derive(Clone, Debug)]
pub struct ClientParams {
    pub count: u32,
    /// Mean device-hours demanded per epoch, all clients together.
    pub demand_per_epoch: f64,
    /// Daily swing of demand (0..1) over 24 epochs.
    pub daily_swing: f64,
    /// Uniform noise on each client's demand (0..1).
    pub noise: f64,
    /// Each client's highest acceptable price, uniform in `[low, high]` LOOP per device-hour.
    pub max_price_low: f64,
    pub max_price_high: f64,
}

/// Verifiers: random challenges of active stakes (PoCPS).
#[derive(Clone, Debug)]
pub struct VerifierParams {
    pub count: u32,
    pub checks_per_epoch: u32,
    /// Probability one check catches a failed device.
    pub detection: f64,
    /// LOOP minted per check.
    pub reward_per_check: f64,
}

/// The class's incentives beyond `gamma` and the factory's emission cap (issue 19).
#[derive(Clone, Debug, Default)]
pub struct RewardParams {
    /// Lease rewards (LOOP smallest units per leased-and-delivered device-hour, to the miner
    /// and to the client, together at most half the lease's exchange fee) and the passive
    /// liquidity reward per epoch.
    pub incentives: Incentives,
    /// The factory's cap: LOOP smallest units per emission epoch, and the emission epoch in
    /// seconds. `None`: unlimited (the model before issue 19).
    pub cap: Option<(u128, u64)>,
    /// Miners count the utilisation reward they have been earning per supplied hour in their
    /// entry and renewal decisions.
    pub miners_count_lease_rewards: bool,
}

/// Clients with jobs longer than an epoch: standing orders (a lease with renewals).
#[derive(Clone, Debug, Default)]
pub struct StandingParams {
    /// Share of the clients (rounded) running long jobs; they want their share of the mean
    /// demand every epoch of a job, without the daily swing or noise.
    pub share: f64,
    /// Epochs of a job: its first lease and `job_epochs - 1` renewals.
    pub job_epochs: u64,
}

/// One passive liquidity provider (`ProvideLiquidity`), holding to the end of the run.
#[derive(Clone, Debug, Default)]
pub struct PassiveParams {
    /// LOOP provided (0: none).
    pub amount: f64,
    /// The epoch it provides in.
    pub epoch: u64,
}

/// A full scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    pub epochs: u64,
    pub epoch_seconds: u64,
    pub exchange_fee: Decimal,
    pub economics: Economics,
    /// The fixed price of the centralised baseline, LOOP per device-hour.
    pub baseline_price: f64,
    pub miners: MinerParams,
    pub clients: ClientParams,
    pub verifiers: VerifierParams,
    pub rewards: RewardParams,
    pub standing: StandingParams,
    pub passive: PassiveParams,
}

/// Named presets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// Mixed providers and sellers entering and renewing while profitable, daily demand.
    Market,
    /// Providers only, every one renewing, no clients, no failures: the T → ∞ (DeFi) limit.
    DefiLimit,
    /// Providers only: no seller pushes the price down.
    ProvidersOnly,
    /// Idle GPUs: miners' cost near electricity only, entry while profitable.
    IdleGpus,
    /// Frequent device failures caught by verifiers.
    Failures,
    /// The market with issue 19's agents and the factory's emission cap, but a class paying no
    /// incentives: standing orders for long jobs, a passive liquidity provider.
    Orders,
    /// `orders` on a class paying the incentives ([`Scenario::with_incentives`]), miners
    /// counting the utilisation reward.
    Incentives,
}

impl Preset {
    pub fn scenario(self, seed: u64, epochs: u64) -> Scenario {
        let mut s = Scenario::market(seed, epochs);
        match self {
            Preset::Market => {}
            Preset::DefiLimit => {
                s.miners.provider_share = 1.0;
                s.miners.arrivals_per_epoch = 0.0;
                s.miners.renewal = RenewalPolicy::Always;
                s.miners.max_epochs = u64::MAX / 4;
                s.miners.failure_rate = 0.0;
                s.clients.count = 0;
            }
            Preset::ProvidersOnly => {
                s.miners.provider_share = 1.0;
            }
            Preset::IdleGpus => {
                s.miners.cost_low = 0.02;
                s.miners.cost_high = 0.10;
                s.miners.arrivals_per_epoch = 4.0;
            }
            Preset::Failures => {
                s.miners.failure_rate = 0.01;
            }
            Preset::Orders => s = Scenario::orders(seed, epochs),
            Preset::Incentives => s = Scenario::orders(seed, epochs).with_incentives(true),
        }
        s.name = format!("{self:?}").to_lowercase();
        s
    }
}

impl Scenario {
    /// The reference market: one-hour epochs, T = one week, costs around half the baseline.
    pub fn market(seed: u64, epochs: u64) -> Self {
        Scenario {
            name: "market".into(),
            seed,
            epochs,
            epoch_seconds: 3_600,
            exchange_fee: Decimal::permille(3),
            economics: Economics {
                alpha: Decimal::from_ratio(2u128, 1u128),
                beta: Decimal::percent(1),
                gamma: Decimal::percent(5),
            },
            baseline_price: 1.0,
            miners: MinerParams {
                initial: 40,
                arrivals_per_epoch: 1.0,
                provider_share: 0.5,
                epochs: 168,
                max_epochs: 24 * 90,
                renewal: RenewalPolicy::Profitable,
                entry: EntryPolicy::Profitable,
                failure_rate: 0.0005,
                cost_low: 0.2,
                cost_high: 0.8,
                initial_price: 1.0,
            },
            clients: ClientParams {
                count: 20,
                demand_per_epoch: 60.0,
                daily_swing: 0.3,
                noise: 0.2,
                max_price_low: 0.8,
                max_price_high: 2.0,
            },
            verifiers: VerifierParams {
                count: 5,
                checks_per_epoch: 4,
                detection: 0.95,
                reward_per_check: 0.01,
            },
            rewards: RewardParams::default(),
            standing: StandingParams::default(),
            passive: PassiveParams::default(),
        }
    }

    /// The market with issue 19's agents on a class without incentives: 30 % of the clients
    /// run day-long jobs as standing orders, a passive provider puts 10 LOOP in the pool on day
    /// two, and the factory mints within a cap of 100 LOOP per day (owed rewards carried).
    pub fn orders(seed: u64, epochs: u64) -> Self {
        let mut s = Scenario::market(seed, epochs);
        s.name = "orders".into();
        s.standing = StandingParams {
            share: 0.3,
            job_epochs: 24,
        };
        s.passive = PassiveParams {
            amount: 10.0,
            epoch: 24,
        };
        s.rewards.cap = Some((100 * LOOP, 86_400));
        s
    }

    /// The class's incentives: the integration tests' class (`pair_incentives.rs`), 0.004 LOOP
    /// per leased device-hour to the miner and 0.006 to the client, which at any price below
    /// 6.67 LOOP per device-hour (fee 0.3 %) exceed the bound and are scaled down together to
    /// half the exchange fee the lease burned (60 % of it to the client, 40 % to the miner), and
    /// 0.01 LOOP per epoch to passive liquidity (0.24 LOOP a day, within the cap, as the
    /// factory requires). `respond`: miners count the utilisation reward when they enter and
    /// renew.
    pub fn with_incentives(mut self, respond: bool) -> Self {
        self.rewards.incentives = Incentives {
            utilisation: Decimal::from_ratio(4_000u128, 1u128),
            client: Decimal::from_ratio(6_000u128, 1u128),
            liquidity_per_epoch: Uint128::new(LOOP / 100),
        };
        self.rewards.miners_count_lease_rewards = respond;
        self.name = format!("{}-incentives", self.name);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The incentive preset's class passes the factory's checks: lease rewards need a fee, the
    /// liquidity reward fits the cap.
    #[test]
    fn the_incentive_class_is_one_the_factory_accepts() {
        let s = Preset::Incentives.scenario(1, 10);
        let (cap, emission_seconds) = s.rewards.cap.unwrap();
        let i = s.rewards.incentives;
        i.check(s.exchange_fee).unwrap();
        i.check_within_emission(s.epoch_seconds, Uint128::new(cap), emission_seconds)
            .unwrap();
        assert!(!i.per_leased_hour().unwrap().is_zero());
    }
}
