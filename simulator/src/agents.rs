//! The agents: miners (provider or seller), clients with demand traces, verifiers.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::scenario::ClientParams;

/// One miner's stake and its books, in LOOP smallest units and micro-hours.
#[derive(Clone, Debug, Default)]
pub struct Miner {
    pub provider: bool,
    /// Operating cost, LOOP per device-hour.
    pub cost: f64,
    /// Micro-hours supplied to each epoch.
    pub hours: u128,
    /// Trading epochs `[start, end)`.
    pub start: u64,
    pub end: u64,
    pub shares: u128,
    pub deposit: u128,
    pub failed: bool,
    pub invalidated: bool,
    pub finished: bool,
    /// Hours leased on this device for the trading epoch and the epoch being delivered, with
    /// what clients paid for them.
    pub leased_trading: u128,
    pub paid_trading: u128,
    pub leased_current: u128,
    pub paid_current: u128,
    /// LOOP put in: staking fee, liquidity or deposit.
    pub paid_in: u128,
    /// LOOP paid back: settlement, proceeds, refunded deposit.
    pub received: u128,
    /// LOOP minted to it as rewards.
    pub rewards: u128,
    /// LOOP burned from it: staking fee and maintenance.
    pub fees: u128,
    /// Lease rewards (client's part, miner's part) of the hours leased on this device for the
    /// trading epoch and the epoch being delivered.
    pub reward_trading: (u128, u128),
    pub reward_current: (u128, u128),
    /// Utilisation rewards of delivered epochs, paid with its claim; and all it ever earned.
    pub lease_rewards_due: u128,
    pub utilisation: u128,
    /// Rewards its claim could not mint within the emission cap, minted by later claims.
    pub rewards_owed: u128,
}

impl Miner {
    /// Supplies hours to `epoch`.
    pub fn supplies(&self, epoch: u64) -> bool {
        !self.invalidated && self.start <= epoch && epoch < self.end
    }

    /// Net LOOP gained, before operating costs.
    pub fn net(&self) -> f64 {
        self.received as f64 + self.rewards as f64 - self.paid_in as f64
    }

    /// Moves the trading epoch's leases to delivery at a boundary.
    pub fn roll_leases(&mut self) {
        self.leased_current = std::mem::take(&mut self.leased_trading);
        self.paid_current = std::mem::take(&mut self.paid_trading);
        self.reward_current = std::mem::take(&mut self.reward_trading);
    }
}

/// A client with its share of the demand trace and its highest acceptable price.
#[derive(Clone, Debug)]
pub struct Client {
    pub max_price: f64,
    pub share: f64,
    /// A long-job client: it places standing orders of this many epochs (0: it buys epoch by
    /// epoch).
    pub job_epochs: u64,
    pub order: Option<Order>,
}

/// An open standing order: the same hours every epoch, renewed out of an escrowed budget at
/// most `max_price` per device-hour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Order {
    pub hours: u128,
    pub renewals_left: u64,
    pub budget: u128,
}

impl Client {
    /// Device-hours this client wants for `epoch`: base × daily swing × noise.
    pub fn demand(&self, params: &ClientParams, epoch: u64, rng: &mut ChaCha8Rng) -> f64 {
        if self.job_epochs > 0 {
            return params.demand_per_epoch * self.share;
        }
        let phase = (epoch % 24) as f64 / 24.0 * std::f64::consts::TAU;
        let daily = 1.0 + params.daily_swing * phase.sin();
        let noise = 1.0 + params.noise * (rng.r#gen::<f64>() * 2.0 - 1.0);
        (params.demand_per_epoch * self.share * daily * noise).max(0.0)
    }
}

/// Draws a Poisson count with mean `lambda` (Knuth; small means only).
pub fn poisson(lambda: f64, rng: &mut ChaCha8Rng) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    let limit = (-lambda).exp();
    let mut product = rng.r#gen::<f64>();
    let mut count = 0;
    while product > limit {
        product *= rng.r#gen::<f64>();
        count += 1;
    }
    count
}
