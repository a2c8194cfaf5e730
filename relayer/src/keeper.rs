//! The epoch keeper: advances every pool at its epoch boundary.
//!
//! It reads each pool's clock first and sends `AdvanceEpoch` only when a boundary is due, so a
//! boundary is processed once; the pair itself ignores a second advance of the same epoch, so two
//! keepers (or a retry after an unconfirmed transaction) cannot advance twice either. A failed
//! advance is retried on the next tick; a keeper that was down catches up, 16 epochs per call.

use loopin::pair::{ExecuteMsg, PoolResponse, QueryMsg};
use loopin_chain_client::ChainClient;
use std::time::Duration;

/// The keeper of a set of pools.
pub struct Keeper {
    client: ChainClient,
    pools: Vec<String>,
}

impl Keeper {
    pub fn new(client: ChainClient, pools: Vec<String>) -> Keeper {
        Keeper { client, pools }
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
