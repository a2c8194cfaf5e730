//! The epoch keeper: advances every pool at its epoch boundary.
//!
//! It reads each pool's clock first and sends `AdvanceEpoch` only when a boundary is due, so a
//! boundary is processed once; the pair itself ignores a second advance of the same epoch, so two
//! keepers (or a retry after an unconfirmed transaction) cannot advance twice either. A failed
//! advance is retried on the next tick; a keeper that was down catches up, 16 epochs per call.
//!
//! With a price feed (`[keeper] price_feed`), the keeper also publishes each epoch: once every
//! pool of the feed is advanced and one has an epoch the feed has not sent yet, it calls the
//! feed's `Publish {}`, which sends the packets to every subscribed chain (docs/price-feed.md).

use loopin::pair::{ExecuteMsg, PoolResponse, QueryMsg};
use loopin::price_feed::feed;
use loopin_chain_client::ChainClient;
use std::time::Duration;

/// The keeper of a set of pools.
pub struct Keeper {
    client: ChainClient,
    pools: Vec<String>,
    price_feed: Option<String>,
}

impl Keeper {
    pub fn new(client: ChainClient, pools: Vec<String>) -> Keeper {
        Keeper {
            client,
            pools,
            price_feed: None,
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
    pub async fn publish_due(&self) -> anyhow::Result<bool> {
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
    pub async fn advance_due(&self) -> anyhow::Result<usize> {
        let mut advanced = 0;
        for pool in &self.pools {
            let state: PoolResponse = match self.client.query_smart(pool, &QueryMsg::Pool {}).await
            {
                Ok(state) => state,
                Err(e) => {
                    tracing::warn!(pool, error = %e, "reading the pool failed; retrying next tick");
                    continue;
                }
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

    /// Runs until the process stops: a tick every `interval`, errors logged and retried.
    pub async fn run(&self, interval: Duration) {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.advance_due().await {
                tracing::warn!(error = %e, "keeper tick failed");
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
) -> anyhow::Result<()> {
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
            anyhow::bail!("the epoch keeper did not advance the pools within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
