//! Scenario parameters and the named presets of the CLI.

use cosmwasm_std::Decimal;
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
        }
    }
}
