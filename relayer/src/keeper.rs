//! The epoch keeper: advances every pool at its epoch boundary.
//!
//! It reads each pool's clock first and sends `AdvanceEpoch` only when a boundary is due, so a
//! boundary is processed once; the pair itself ignores a second advance of the same epoch, so two
//! keepers (or a retry after an unconfirmed transaction) cannot advance twice either. A failed
//! advance is retried on the next tick; a keeper that was down catches up, 16 epochs per call.
//!
//! It renews the stakes whose owners left a standing instruction (`SetAutoRenew`) as their end
//! comes near, within the instruction: a miner's stake rolls on without a signature each epoch.
//!
//! It also settles every stake's unproven epochs as they end (`SettleUnproven`, docs/pair.md
//! "Proven epochs"), so a client of a device that proved nothing is refunded without asking.
//!
//! With a price feed (`[keeper] price_feed`), the keeper also publishes each epoch: once every
//! pool of the feed is advanced and one has an epoch the feed has not sent yet, it calls the
//! feed's `Publish {}`, which sends the packets to every subscribed chain (docs/price-feed.md).

use crate::error::KeeperError;
use loopin::pair::{
    AUTO_RENEW_AHEAD, AutoRenewalsResponse, EpochProofResponse, ExecuteMsg, MAX_RENEW_EPOCHS,
    PoolResponse, QueryMsg, StakeResponse,
};
use loopin::price_feed::feed;
use loopin_chain_client::ChainClient;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Standing renewal instructions read per query.
const RENEWALS_PAGE: u32 = 30;

/// The keeper of a set of pools.
pub struct Keeper {
    client: ChainClient,
    pools: Vec<String>,
    price_feed: Option<String>,
    /// Per pool, the epochs before this one have been looked at for unproven ones to settle.
    settled_before: Mutex<HashMap<String, u64>>,
}

impl Keeper {
    pub fn new(client: ChainClient, pools: Vec<String>) -> Keeper {
        Keeper {
            client,
            pools,
            price_feed: None,
            settled_before: Mutex::new(HashMap::new()),
        }
    }

    /// Also publishes `feed`'s prices each epoch (see [`Keeper::publish_due`]).
    pub fn with_price_feed(mut self, feed: String) -> Keeper {
        self.price_feed = Some(feed);
        self
    }

    /// Calls the price feed's `Publish {}` when it has something to send: every pool of the
    /// feed has processed its due boundaries and at least one has an epoch not yet published.
    /// Returns whether it published. Without a feed, does nothing.
    pub async fn publish_due(&self) -> Result<bool, KeeperError> {
        let Some(feed_addr) = &self.price_feed else {
            return Ok(false);
        };
        let config: feed::ConfigResponse = self
            .client
            .query_smart(feed_addr, &feed::QueryMsg::Config {})
            .await?;
        let mut due = false;
        for pool in &config.pools {
            let pair = pool.pair.to_string();
            let state: PoolResponse = self.client.query_smart(&pair, &QueryMsg::Pool {}).await?;
            if state.clock_epoch > state.epoch {
                return Ok(false);
            }
            let published = self
                .client
                .query_smart::<_, feed::PublishedResponse>(
                    feed_addr,
                    &feed::QueryMsg::Published { pool: pair },
                )
                .await
                .ok();
            due |= published.is_none_or(|p| p.packet.epoch < state.epoch);
        }
        if !due {
            return Ok(false);
        }
        self.client
            .execute(feed_addr, &feed::ExecuteMsg::Publish {}, &[])
            .await?;
        tracing::info!(feed = feed_addr, "published prices");
        Ok(true)
    }

    /// Advances every pool whose boundary is due; returns the pools advanced. A pool that cannot
    /// be read (not a pair, a node error) is logged and skipped: the others still advance.
    pub async fn advance_due(&self) -> Result<usize, KeeperError> {
        let mut advanced = 0;
        for pool in &self.pools {
            let Some(state) = self.pool_state(pool).await else {
                continue;
            };
            if state.clock_epoch <= state.epoch {
                continue;
            }
            match self
                .client
                .execute(pool, &ExecuteMsg::AdvanceEpoch { max_epochs: None }, &[])
                .await
            {
                Ok(_) => {
                    advanced += 1;
                    tracing::info!(
                        pool,
                        from = state.epoch,
                        clock = state.clock_epoch,
                        "advanced"
                    );
                }
                Err(e) => tracing::warn!(pool, error = %e, "advance failed; retrying next tick"),
            }
        }
        Ok(advanced)
    }

    /// Settles the unproven epochs that ended since the last call, on every stake of every
    /// pool: whoever would otherwise have to ask (a client, a provider that paid for an idle
    /// seller's hours) is made whole as the epoch ends. Returns the epochs settled. A settlement
    /// refused (the stake's own claim settled it first, its pay was released) is logged and
    /// skipped; a pool that cannot be read is retried on the next tick.
    pub async fn settle_due(&self) -> Result<usize, KeeperError> {
        let mut settled = 0;
        for pool in &self.pools {
            let Some(state) = self.pool_state(pool).await else {
                continue;
            };
            // Epochs before the one in delivery have ended.
            let ended = state.epoch;
            let from = self.cursor(pool);
            if from >= ended {
                continue;
            }
            // The cursor moves only past final epochs: one still in its pass grace (a pass may
            // yet prove it) is looked at again on a later tick.
            let mut stop = ended;
            for stake_id in 1.. {
                // Stake ids run from 1 without gaps: the first one not found is the end. Any
                // other error leaves the cursor where it was, to be retried.
                let stake: StakeResponse = match self
                    .client
                    .query_smart(pool, &QueryMsg::Stake { stake_id })
                    .await
                {
                    Ok(stake) => stake,
                    Err(e)
                        if e.to_string()
                            .contains(&format!("stake {stake_id} not found")) =>
                    {
                        break;
                    }
                    Err(e) => return Err(e.into()),
                };
                let Some(registered) = stake.verified_from else {
                    continue;
                };
                if stake.finished {
                    continue;
                }
                let first = from.max(registered).max(stake.start_epoch);
                for epoch in first..ended.min(stake.end_epoch) {
                    let proof: EpochProofResponse = self
                        .client
                        .query_smart(pool, &QueryMsg::EpochProof { stake_id, epoch })
                        .await?;
                    if !proof.is_final {
                        stop = stop.min(epoch);
                        continue;
                    }
                    if proof.proven || proof.settled {
                        continue;
                    }
                    let msg = ExecuteMsg::SettleUnproven { stake_id, epoch };
                    match self.client.execute(pool, &msg, &[]).await {
                        Ok(_) => {
                            settled += 1;
                            tracing::info!(pool, stake_id, epoch, "settled an unproven epoch");
                        }
                        Err(e) => {
                            tracing::warn!(pool, stake_id, epoch, error = %e, "settlement refused")
                        }
                    }
                }
            }
            self.settled_before
                .lock()
                .map_err(|_| KeeperError::Poisoned)?
                .insert(pool.clone(), stop);
        }
        Ok(settled)
    }

    /// Renews, within its owner's standing instruction (`SetAutoRenew`), every stake whose end
    /// is near: to the instruction's end, never more than `AUTO_RENEW_AHEAD` epochs after the
    /// trading epoch (the pair's own bound), so the stake rolls on without its miner signing
    /// each epoch. Returns the stakes renewed. A renewal refused (a seller's deposit too low
    /// for the longer stake, its last epoch already traded) is logged and left to its owner; a
    /// pool that cannot be read is retried on the next tick.
    pub async fn renew_due(&self) -> Result<usize, KeeperError> {
        let mut renewed = 0;
        for pool in &self.pools {
            let Some(state) = self.pool_state(pool).await else {
                continue;
            };
            let ahead = state.trading_epoch + AUTO_RENEW_AHEAD;
            let mut start_after = None;
            loop {
                let page: AutoRenewalsResponse = self
                    .client
                    .query_smart(
                        pool,
                        &QueryMsg::AutoRenewals {
                            start_after,
                            limit: Some(RENEWALS_PAGE),
                        },
                    )
                    .await?;
                let Some(last) = page.renewals.last() else {
                    break;
                };
                start_after = Some(last.stake_id);
                for due in &page.renewals {
                    let target = due.until_epoch.min(ahead);
                    if !due.renewable
                        || due.end_epoch <= state.trading_epoch
                        || target <= due.end_epoch
                    {
                        continue;
                    }
                    let epochs = u32::try_from(target - due.end_epoch).unwrap_or(u32::MAX);
                    let msg = ExecuteMsg::Renew {
                        stake_id: due.stake_id,
                        epochs: Some(epochs.min(MAX_RENEW_EPOCHS)),
                    };
                    match self.client.execute(pool, &msg, &[]).await {
                        Ok(_) => {
                            renewed += 1;
                            tracing::info!(
                                pool,
                                stake_id = due.stake_id,
                                to = target,
                                "renewed a stake"
                            );
                        }
                        Err(e) => {
                            tracing::warn!(pool, stake_id = due.stake_id, error = %e, "renewal refused")
                        }
                    }
                }
                if page.renewals.len() < RENEWALS_PAGE as usize {
                    break;
                }
            }
        }
        Ok(renewed)
    }

    /// The pool's state, or `None` (logged) when it cannot be read: retried on the next tick.
    async fn pool_state(&self, pool: &str) -> Option<PoolResponse> {
        match self.client.query_smart(pool, &QueryMsg::Pool {}).await {
            Ok(state) => Some(state),
            Err(e) => {
                tracing::warn!(pool, error = %e, "reading the pool failed; retrying next tick");
                None
            }
        }
    }

    fn cursor(&self, pool: &str) -> u64 {
        self.settled_before
            .lock()
            .map(|m| m.get(pool).copied().unwrap_or_default())
            .unwrap_or_default()
    }

    /// Runs until the process stops: a tick every `interval`, errors logged and retried.
    pub async fn run(&self, interval: Duration) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.advance_due().await {
                tracing::warn!(error = %e, "keeper tick failed");
            }
            if let Err(e) = self.renew_due().await {
                tracing::warn!(error = %e, "renewing stakes failed; retrying next tick");
            }
            if let Err(e) = self.settle_due().await {
                tracing::warn!(error = %e, "settling unproven epochs failed; retrying next tick");
            }
            if let Err(e) = self.publish_due().await {
                tracing::warn!(error = %e, "publishing prices failed; retrying next tick");
            }
        }
    }
}

/// Waits until every pool has processed its due boundaries (a keeper is running), up to
/// `timeout`.
pub async fn wait_advanced(
    client: &ChainClient,
    pools: &[String],
    timeout: Duration,
) -> Result<(), KeeperError> {
    let start = std::time::Instant::now();
    loop {
        let mut due = false;
        for pool in pools {
            let state: PoolResponse = client.query_smart(pool, &QueryMsg::Pool {}).await?;
            due |= state.clock_epoch > state.epoch;
        }
        if !due {
            return Ok(());
        }
        if start.elapsed() > timeout {
            return Err(KeeperError::NotAdvanced(timeout));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
