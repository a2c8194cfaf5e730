//! The scenario's epochs: the market driven epoch by epoch (new capacity halfway, a renewal,
//! leases, beacon rounds, claims) until every cheater is caught, one row of the live table each.

use super::setup::plan;
use super::{LOOP, Market, hours_f, loop_f};
use crate::error::Result;
use crate::report::{EpochRow, print_header, print_row};
use loopin::pair::ExecuteMsg as PairMsg;
use loopin::registry::DeviceStatus;
use loopin::stake_cert::StakeMode;
use loopin_relayer::keeper::wait_advanced;
use std::time::Duration;

/// What the epochs leave for the report.
pub(super) struct Played {
    /// One row per epoch.
    pub(super) rows: Vec<EpochRow>,
    /// The epoch each miner's device was first seen invalidated, in the order of the miners.
    pub(super) invalidated_at: Vec<Option<u64>>,
    /// The epoch the new capacity joined.
    pub(super) new_stakes_at: u64,
}

impl Market {
    /// Runs `config.epochs` epochs, and more (up to `max_epochs`) while a cheater is still
    /// active, printing a row of the live table after each.
    pub(super) async fn play(&mut self, rounds_per_epoch: u64) -> Result<Played> {
        let (epochs, max_epochs) = (self.config.epochs, self.config.max_epochs);
        let new_stakes_at = epochs / 2;
        let mut rows: Vec<EpochRow> = Vec::new();
        let mut invalidated_at: Vec<Option<u64>> = vec![None; self.miners.len()];
        let mut supply = self.supply().await?;
        print_header();
        for n in 0..max_epochs {
            let cheaters_active = self
                .miners
                .iter()
                .zip(&invalidated_at)
                .any(|(mi, at)| mi.plan.cheat.is_some() && at.is_none());
            if n >= epochs && !cheaters_active {
                break;
            }
            if n == new_stakes_at {
                self.add_new_capacity().await?;
                invalidated_at.resize(self.miners.len(), None);
            }
            if n == 1 {
                self.renew_mid().await;
            }
            if n == 0 {
                self.clock
                    .align(&self.bank.client, self.genesis, self.settings.round_seconds)
                    .await?;
            }
            let leased = self.leases(n).await?;
            let dissipated = self.epoch_rounds(rounds_per_epoch).await?;
            self.claim_all().await?;
            let state = self.pool_state().await?;
            let now = self.supply().await?;
            let (active, invalidated) = self.census(state.epoch, &mut invalidated_at).await?;
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
        Ok(Played {
            rows,
            invalidated_at,
            new_stakes_at,
        })
    }

    /// New capacity: a provider at the spot price and a seller, whose hours are sold into the
    /// pool at each boundary.
    async fn add_new_capacity(&mut self) -> Result<()> {
        let base = self.config.first_port + 5;
        // It matches the spot price, whatever it has become: up to 400 LOOP.
        let mut new_lp = plan("lp-new", 16, StakeMode::LiquidityProvider, 30, None, base);
        new_lp.stake_loop = 400 * LOOP;
        self.add_miner(new_lp).await?;
        self.add_miner(plan("seller", 17, StakeMode::Seller, 30, None, base + 1))
            .await?;
        Ok(())
    }

    /// lp-mid extends its stake by an epoch, before its last epoch starts (a refusal is logged).
    async fn renew_mid(&self) {
        let mid = &self.miners[2];
        let renew = PairMsg::Renew {
            stake_id: mid.stake_id,
            epochs: None,
        };
        if let Err(e) = mid.actor.client.execute(&self.pool, &renew, &[]).await {
            tracing::warn!(error = %e, "renewal refused");
        }
    }

    /// The epoch's beacon rounds, until the clock says the epoch is over. Returns the trading
    /// epoch's unleased hours, just before they dissipate.
    async fn epoch_rounds(&mut self, rounds_per_epoch: u64) -> Result<f64> {
        let mut dissipated = 0.0;
        let start = self.pool_state().await?.clock_epoch;
        let mut rounds = 0;
        loop {
            let state = self.pool_state().await?;
            if self
                .clock
                .epoch_over(rounds, rounds_per_epoch, start, state.clock_epoch)
            {
                break;
            }
            // The trading epoch's unleased hours, just before they dissipate (read before
            // every round; the last round's reading stays).
            dissipated = hours_f(state.reserves.hours);
            self.round().await?;
            rounds += 1;
        }
        Ok(dissipated)
    }

    /// Waits for the keeper to advance the pool, then every miner claims.
    async fn claim_all(&self) -> Result<()> {
        wait_advanced(
            &self.bank.client,
            std::slice::from_ref(&self.pool),
            Duration::from_secs(60),
        )
        .await?;
        for miner in &self.miners {
            let claim = PairMsg::Claim {
                stake_id: miner.stake_id,
            };
            // Nothing to claim yet is normal.
            let _ = miner.actor.client.execute(&self.pool, &claim, &[]).await;
        }
        Ok(())
    }

    /// The devices active, and the names of the invalidated; `epoch` is recorded as the first
    /// epoch each newly invalidated device was seen.
    async fn census(
        &self,
        epoch: u64,
        invalidated_at: &mut [Option<u64>],
    ) -> Result<(usize, Vec<String>)> {
        let mut invalidated = Vec::new();
        let mut active = 0;
        for (i, miner) in self.miners.iter().enumerate() {
            match self.device_status(&miner.token_id).await? {
                DeviceStatus::Active => active += 1,
                DeviceStatus::Invalidated => {
                    invalidated.push(miner.plan.name.clone());
                    invalidated_at[i].get_or_insert(epoch);
                }
                // Its stake ended and it was pruned: neither active nor caught.
                DeviceStatus::Expired => {}
            }
        }
        Ok((active, invalidated))
    }
}
