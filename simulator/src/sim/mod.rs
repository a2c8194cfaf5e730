//! The simulation loop: agents acting on the pair epoch by epoch, deterministic for a seed.

use cosmwasm_std::{Decimal, Uint128};
use loopin_pool_math::capacity::{EpochClock, hours_per_epoch};
use loopin_pool_math::{HOUR, MathError};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod claims;

use crate::agents::{Client, Miner, poisson};
use crate::pair::Pair;
use crate::rewards::{Ledger, Passive};
use crate::scenario::{EntryPolicy, LOOP, RenewalPolicy, Scenario};

/// Clients buy in steps of this many micro-hours (0.01 device-hour).
const LEASE_STEP: u128 = HOUR / 100;

/// One epoch of the report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpochRecord {
    pub epoch: u64,
    /// Spot price after the boundary's renewal and sale, LOOP per device-hour (0 without one).
    pub price: f64,
    pub reserve_hours: f64,
    pub reserve_loop: f64,
    /// Device-hours committed to the trading epoch.
    pub capacity: f64,
    pub demanded: f64,
    /// Device-hours the fixed-price baseline sells under the same demand.
    pub baseline_hours: f64,
    pub leased: f64,
    /// Leased over capacity.
    pub utilisation: f64,
    /// LOOP paid by clients, fees included.
    pub client_paid: f64,
    /// Device-hours withdrawn unleased at the boundary (dissipated).
    pub withdrawn: f64,
    pub burned_fees: f64,
    pub burned_staking: f64,
    pub burned_maintenance: f64,
    pub burned_slashed: f64,
    pub emission_miners: f64,
    pub emission_verifiers: f64,
    pub active_stakes: usize,
    pub failed_undetected: usize,
    pub invalidated: usize,
    /// Leased device-hours a failed device did not deliver.
    pub undelivered: f64,
    /// Exchange fees clients' leases burned (part of `burned_fees`).
    pub lease_fees: f64,
    /// Device-hours leased by standing orders (part of `leased`).
    pub standing_leased: f64,
    /// Lease and liquidity rewards earned in the epoch (delivered, or held through it).
    pub client_rewards: f64,
    pub miner_lease_rewards: f64,
    pub passive_rewards: f64,
    /// Emission to clients and passive liquidity (miners' includes their utilisation reward).
    pub emission_clients: f64,
    pub emission_passive: f64,
    /// Rewards owed once the epoch's claims were made: what the emission cap left for later.
    pub owed: f64,
}

impl EpochRecord {
    pub fn burned(&self) -> f64 {
        self.burned_fees + self.burned_staking + self.burned_maintenance + self.burned_slashed
    }

    pub fn emission(&self) -> f64 {
        self.emission_miners
            + self.emission_verifiers
            + self.emission_clients
            + self.emission_passive
    }
}

/// The whole run.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub scenario: Scenario,
    pub records: Vec<EpochRecord>,
    pub miners: Vec<Miner>,
    /// The passive liquidity provider, withdrawn after the last epoch.
    pub passive: Passive,
}

pub(crate) fn loop_f(amount: u128) -> f64 {
    amount as f64 / LOOP as f64
}

pub(crate) fn hours_f(hours: u128) -> f64 {
    hours as f64 / HOUR as f64
}

pub(crate) fn to_loop(amount: f64) -> u128 {
    (amount.max(0.0) * LOOP as f64) as u128
}

/// `per_hour` LOOP over `hours` micro-hours in smallest units, rounded down (what the contract
/// pays) or up (what it charges).
fn per_hours(per_hour: Decimal, hours: u128, up: bool) -> u128 {
    let value = per_hour * Decimal::from_ratio(hours * LOOP, HOUR);
    if up {
        value.to_uint_ceil()
    } else {
        value.to_uint_floor()
    }
    .u128()
}

pub(crate) struct Sim {
    pub(crate) s: Scenario,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) pair: Pair,
    pub(crate) miners: Vec<Miner>,
    pub(crate) clients: Vec<Client>,
    hours: u128,
    /// Moving average of clients' LOOP per supplied device-hour.
    revenue_per_hour: f64,
    /// Moving average of miners' utilisation reward per supplied device-hour.
    pub(crate) lease_reward_per_hour: f64,
    pub(crate) ledger: Ledger,
    pub(crate) passive: Passive,
    pub(crate) rec: EpochRecord,
}

impl Sim {
    fn new(s: Scenario) -> Result<Self, MathError> {
        let clock = EpochClock::new(0, s.epoch_seconds)?;
        let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
        let count = s.clients.count.max(1) as f64;
        let long_jobs = (s.standing.share * count).round() as u32;
        let clients = (0..s.clients.count)
            .map(|i| Client {
                max_price: rng.gen_range(s.clients.max_price_low..=s.clients.max_price_high),
                share: 1.0 / count,
                job_epochs: if i < long_jobs {
                    s.standing.job_epochs.max(1)
                } else {
                    0
                },
                order: None,
            })
            .collect();
        Ok(Sim {
            pair: Pair::new(clock, s.exchange_fee).with_incentives(s.rewards.incentives),
            hours: hours_per_epoch(Decimal::one(), s.epoch_seconds)?.u128(),
            revenue_per_hour: s.miners.initial_price * 0.5,
            lease_reward_per_hour: 0.0,
            ledger: Ledger::new(s.rewards.cap),
            passive: Passive::default(),
            s,
            rng,
            miners: Vec::new(),
            clients,
            rec: EpochRecord::default(),
        })
    }

    pub(crate) fn now(&self, fraction: f64) -> Result<u64, MathError> {
        let start = self.pair.clock.start_of(self.pair.epoch)?;
        Ok(start + (self.s.epoch_seconds as f64 * fraction) as u64)
    }

    /// Expected LOOP per device-hour of a stake of `epochs`, less the miner's cost.
    fn margin(&self, cost: f64, epochs: u64) -> f64 {
        let e = &self.s.economics;
        let f = |d: Decimal| d.to_string().parse::<f64>().unwrap_or(0.0);
        let hours = epochs as f64 * self.s.epoch_seconds as f64 / 3_600.0;
        let lease_rewards = if self.s.rewards.miners_count_lease_rewards {
            self.lease_reward_per_hour
        } else {
            0.0
        };
        self.revenue_per_hour + lease_rewards + f(e.gamma) - f(e.beta) - f(e.alpha) / hours - cost
    }

    fn stake(&mut self, provider: bool, cost: f64) -> Result<(), MathError> {
        let m = &self.s.miners;
        let epochs = m.epochs;
        // A provider's hours join the trading epoch; a seller's are sold from the next boundary.
        let start = self.pair.trading_epoch() + u64::from(!provider);
        let end = start + epochs;
        let alpha = (self.s.economics.alpha * Decimal::from_ratio(LOOP, 1u128))
            .to_uint_ceil()
            .u128();
        let mut miner = Miner {
            provider,
            cost,
            hours: self.hours,
            start,
            end,
            paid_in: alpha,
            fees: alpha,
            ..Miner::default()
        };
        if provider {
            let setting = to_loop(m.initial_price * hours_f(self.hours));
            let Ok((shares, taken)) = self.pair.stake_provider(self.hours, end, setting) else {
                return Ok(()); // refused (deposit too small): the candidate waits
            };
            miner.shares = shares;
            miner.paid_in += taken;
        } else {
            if self.pair.reserves.hours.is_zero() {
                return Ok(()); // no price to sell at: the candidate waits
            }
            let deposit = per_hours(
                self.s.economics.beta,
                self.hours * m.max_epochs as u128,
                true,
            );
            // Its device registers at once: its hours go in every boundary's sale until `end`.
            self.pair.hold(deposit);
            self.pair.register_seller(self.hours, end);
            miner.deposit = deposit;
            miner.paid_in += deposit;
        }
        self.rec.burned_staking += loop_f(alpha);
        self.miners.push(miner);
        Ok(())
    }

    fn arrivals(&mut self) -> Result<(), MathError> {
        let m = self.s.miners.clone();
        let count = if self.pair.epoch == 0 {
            m.initial
        } else {
            poisson(m.arrivals_per_epoch, &mut self.rng)
        };
        for i in 0..count {
            let cost = self.rng.gen_range(m.cost_low..=m.cost_high);
            let provider =
                (self.pair.epoch == 0 && i == 0) || self.rng.r#gen::<f64>() < m.provider_share;
            if m.entry == EntryPolicy::Profitable
                && self.pair.epoch > 0
                && self.margin(cost, m.epochs) < 0.0
            {
                continue;
            }
            self.stake(provider, cost)?;
        }
        Ok(())
    }

    fn renewals(&mut self) {
        let m = self.s.miners.clone();
        let last_chance = self.pair.trading_epoch() + 1;
        for i in 0..self.miners.len() {
            let miner = &self.miners[i];
            if miner.invalidated || miner.failed || miner.end != last_chance {
                continue;
            }
            if miner.end - miner.start + 1 > m.max_epochs {
                continue;
            }
            let renew = match m.renewal {
                RenewalPolicy::Never => false,
                RenewalPolicy::Always => true,
                RenewalPolicy::Profitable => self.margin(miner.cost, m.epochs) >= 0.0,
            };
            if renew {
                let miner = &mut self.miners[i];
                self.pair
                    .renew(miner.provider, miner.hours, miner.shares, miner.end);
                miner.end += 1;
            }
        }
    }

    /// Largest purchase (in steps) whose average price stays within `max_price`: `(hours
    /// received, LOOP paid, fee burned)`.
    pub(crate) fn buy(
        &mut self,
        want: u128,
        max_price: f64,
    ) -> Result<Option<(u128, u128, u128)>, MathError> {
        let available = self.pair.reserves.hours.u128();
        let cap = want.min(available.saturating_sub(1)) / LEASE_STEP;
        let budget = |q: u128| to_loop(max_price * hours_f(q * LEASE_STEP));
        let affordable = |pair: &Pair, q: u128| -> bool {
            pair.reserves
                .buy_exact_hours(Uint128::new(q * LEASE_STEP), pair.fee)
                .is_ok_and(|swap| swap.offer.u128() <= budget(q))
        };
        if cap == 0 || !affordable(&self.pair, 1) {
            return Ok(None);
        }
        let (mut lo, mut hi) = (1, cap);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if affordable(&self.pair, mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Ok(self
            .pair
            .lease(lo * LEASE_STEP, budget(lo))
            .ok()
            .flatten()
            .map(|swap| (swap.receive.u128(), swap.offer.u128(), swap.fee.u128())))
    }

    /// Books a client's lease of the trading epoch: records it, places its hours on devices
    /// with free hours, with what it paid and the rewards it will earn once delivered.
    pub(crate) fn book_lease(
        &mut self,
        hours: u128,
        paid: u128,
        fee: u128,
    ) -> Result<(), MathError> {
        let reward = self.pair.lease_reward(hours, paid)?;
        let (client, miner) = (reward.client.u128(), reward.miner.u128());
        let total = hours.max(1);
        let trading = self.pair.trading_epoch();
        let mut left = hours;
        for m in self.miners.iter_mut().filter(|m| m.supplies(trading)) {
            let take = m.hours.saturating_sub(m.leased_trading).min(left);
            if take > 0 {
                m.leased_trading += take;
                m.paid_trading += paid * take / total;
                m.reward_trading.0 += client * take / total;
                m.reward_trading.1 += miner * take / total;
                left -= take;
            }
            if left == 0 {
                break;
            }
        }
        self.rec.leased += hours_f(hours);
        self.rec.client_paid += loop_f(paid);
        self.rec.burned_fees += loop_f(fee);
        self.rec.lease_fees += loop_f(fee);
        Ok(())
    }

    fn demand(&mut self) -> Result<(), MathError> {
        let mut order: Vec<usize> = (0..self.clients.len()).collect();
        order.shuffle(&mut self.rng);
        // Keepers renew standing orders first, early in the epoch.
        let mut renewed = vec![false; self.clients.len()];
        for &i in &order {
            renewed[i] = self.renew_order(i)?;
        }
        for i in order {
            let client = self.clients[i].clone();
            if renewed[i] {
                continue;
            }
            let want = client.demand(&self.s.clients, self.pair.epoch, &mut self.rng);
            self.rec.demanded += want;
            if client.max_price >= self.s.baseline_price {
                self.rec.baseline_hours += want;
            }
            let want = (want * HOUR as f64) as u128;
            if let Some((hours, paid, fee)) = self.buy(want, client.max_price)? {
                self.book_lease(hours, paid, fee)?;
                if client.job_epochs > 0 {
                    self.open_order(i, hours)?;
                }
            }
        }
        Ok(())
    }

    fn failures_and_checks(&mut self) -> Result<(), MathError> {
        let rate = self.s.miners.failure_rate;
        let epoch = self.pair.epoch;
        for miner in self.miners.iter_mut() {
            if miner.supplies(epoch) && !miner.failed && self.rng.r#gen::<f64>() < rate {
                miner.failed = true;
            }
        }
        let v = self.s.verifiers.clone();
        let active: Vec<usize> = (0..self.miners.len())
            .filter(|&i| self.miners[i].supplies(epoch) || self.miners[i].supplies(epoch + 1))
            .collect();
        let checks = v.count * v.checks_per_epoch;
        if !active.is_empty() {
            for _ in 0..checks {
                let i = active[self.rng.gen_range(0..active.len())];
                if self.miners[i].failed
                    && !self.miners[i].invalidated
                    && self.rng.r#gen::<f64>() < v.detection
                {
                    self.invalidate(i)?;
                }
            }
            let now = self.now(0.2)?;
            let minted = self
                .ledger
                .verifiers(now, to_loop(v.reward_per_check * checks as f64));
            self.rec.emission_verifiers += loop_f(minted);
        }
        for miner in &self.miners {
            if miner.failed && miner.supplies(epoch) {
                self.rec.undelivered += hours_f(miner.leased_current);
            }
        }
        Ok(())
    }

    /// Invalidation: the position is seized, the device's clients refunded, the rest burned.
    fn invalidate(&mut self, i: usize) -> Result<(), MathError> {
        let trading = self.pair.trading_epoch();
        let miner = self.miners[i].clone();
        let pot = if miner.finished {
            0
        } else if miner.provider {
            if miner.end > trading {
                self.pair.seize_provider(
                    miner.hours,
                    miner.leased_trading,
                    miner.shares,
                    miner.end,
                )?
            } else {
                let value = self.pair.provider_payout(miner.end, miner.shares);
                self.pair.escrow -= value.min(self.pair.escrow);
                value
            }
        } else {
            let mut unpaid = miner.deposit;
            for epoch in miner.start..miner.end.min(trading + 1) {
                unpaid += self.pair.seller_payout(epoch, miner.hours);
            }
            if miner.end > trading {
                self.pair
                    .withdraw_capacity(false, miner.hours, miner.leased_trading, miner.end);
            }
            self.pair.escrow -= unpaid.min(self.pair.escrow);
            unpaid
        };
        let refunds = (miner.paid_current + miner.paid_trading).min(pot);
        self.rec.client_paid -= loop_f(refunds);
        self.rec.burned_slashed += loop_f(pot - refunds);
        self.rec.invalidated += 1;
        let m = &mut self.miners[i];
        m.invalidated = true;
        m.finished = true;
        // Its delivered leases' utilisation rewards are forfeited (its clients keep theirs).
        m.lease_rewards_due = 0;
        Ok(())
    }

    /// Claims of stakes whose last epoch has been delivered (lazy in the contract; here at once),
    /// minting the rewards within the emission cap: what was left owed by earlier claims first.
    fn claims(&mut self) -> Result<(), MathError> {
        let e = self.s.economics;
        let delivered = self.pair.epoch;
        let now = self.now(0.1)?;
        for i in 0..self.miners.len() {
            if self.miners[i].rewards_owed > 0 {
                let owed = self.miners[i].rewards_owed;
                let minted = self.ledger.mint(now, owed);
                self.miners[i].rewards_owed -= minted;
                self.miners[i].rewards += minted;
                self.rec.emission_miners += loop_f(minted);
            }
        }
        for i in 0..self.miners.len() {
            let m = &self.miners[i];
            if m.finished || m.invalidated || delivered < m.end {
                continue;
            }
            let committed = m.hours * (m.end - m.start) as u128;
            let (received, rewards, burned) = if m.provider {
                let net = e.gamma - e.beta;
                (
                    self.pair.provider_payout(m.end, m.shares),
                    per_hours(net, committed, false),
                    0,
                )
            } else {
                let mut proceeds = 0;
                for epoch in m.start..m.end {
                    proceeds += self.pair.seller_payout(epoch, m.hours);
                }
                let upkeep = per_hours(e.beta, committed, true).min(m.deposit);
                (
                    proceeds + m.deposit - upkeep,
                    per_hours(e.gamma, committed, false),
                    upkeep,
                )
            };
            let rewards = rewards + std::mem::take(&mut self.miners[i].lease_rewards_due);
            let minted = self.ledger.mint(now, rewards);
            self.pair.escrow -= received.min(self.pair.escrow);
            self.rec.burned_maintenance += loop_f(burned);
            self.rec.emission_miners += loop_f(minted);
            let m = &mut self.miners[i];
            m.received += received;
            m.rewards += minted;
            m.rewards_owed += rewards - minted;
            m.fees += burned;
            m.finished = true;
        }
        self.claim_others(now);
        Ok(())
    }

    fn epoch(&mut self) -> Result<EpochRecord, MathError> {
        let epoch = self.pair.epoch;
        self.rec = EpochRecord {
            epoch,
            ..EpochRecord::default()
        };
        let now = self.now(0.1)?;
        self.pair.observe(now)?;
        self.claims()?;
        self.failures_and_checks()?;
        // What this epoch's claims could not mint (the rewards earned at its end are claimed
        // at the next one's start).
        let owed: u128 = self.miners.iter().map(|m| m.rewards_owed).sum();
        self.rec.owed = loop_f(owed + self.ledger.owed());
        self.arrivals()?;
        self.renewals();
        self.provide_passive()?;
        let trading = self.pair.trading_epoch();
        let capacity: u128 = self
            .miners
            .iter()
            .filter(|m| m.supplies(trading))
            .map(|m| m.hours)
            .sum();
        self.pair.observe(self.now(0.5)?)?;
        self.demand()?;
        self.deliver();
        let boundary = self.pair.advance()?;
        self.liquidity_reward();
        for miner in self.miners.iter_mut() {
            miner.roll_leases();
        }
        let rec = &mut self.rec;
        rec.capacity = hours_f(capacity);
        rec.utilisation = if capacity > 0 {
            rec.leased / rec.capacity
        } else {
            0.0
        };
        rec.withdrawn = hours_f(boundary.withdrawn);
        rec.burned_fees += loop_f(boundary.fee);
        rec.price = self.pair.price().unwrap_or(0.0) / LOOP as f64;
        rec.reserve_hours = hours_f(self.pair.reserves.hours.u128());
        rec.reserve_loop = loop_f(self.pair.reserves.tokens.u128());
        rec.active_stakes = self.miners.iter().filter(|m| m.supplies(trading)).count();
        rec.failed_undetected = self
            .miners
            .iter()
            .filter(|m| m.failed && !m.invalidated && m.supplies(trading))
            .count();
        if rec.capacity > 0.0 {
            let observed = rec.client_paid / rec.capacity;
            self.revenue_per_hour = 0.9 * self.revenue_per_hour + 0.1 * observed;
            let rewarded = rec.miner_lease_rewards / rec.capacity;
            self.lease_reward_per_hour = 0.9 * self.lease_reward_per_hour + 0.1 * rewarded;
        }
        Ok(self.rec.clone())
    }
}

/// Runs a scenario to the end.
pub fn run(scenario: &Scenario) -> Result<Outcome, MathError> {
    let mut sim = Sim::new(scenario.clone())?;
    let mut records = Vec::with_capacity(scenario.epochs as usize);
    for _ in 0..scenario.epochs {
        records.push(sim.epoch()?);
    }
    sim.withdraw_passive()?;
    Ok(Outcome {
        scenario: scenario.clone(),
        records,
        miners: sim.miners,
        passive: sim.passive,
    })
}
