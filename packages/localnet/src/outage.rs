//! A planned validator outage: one node killed (SIGKILL, as a crash) while the others go on,
//! then restarted on its state and followed until it has caught up, with what happened
//! recorded (heights, times) for the run's report.

use crate::Network;
use crate::error::{NetError, Result};
use loopin_chain_client::ChainQuerier;
use serde::Serialize;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// Kill validator `node` `after` the network is up, restart it `down` later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outage {
    pub node: usize,
    pub after: Duration,
    pub down: Duration,
}

/// An outage that is not `NODE@AFTER+DOWN`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?}: expected NODE@AFTER+DOWN (seconds), e.g. 3@240+90")]
pub struct OutageSyntax(pub String);

impl FromStr for Outage {
    type Err = OutageSyntax;

    /// `NODE@AFTER+DOWN`, seconds: `3@240+90` kills validator 3 four minutes after the start
    /// and restarts it 90 s later.
    fn from_str(s: &str) -> Result<Self, OutageSyntax> {
        let bad = || OutageSyntax(s.to_string());
        let (node, times) = s.split_once('@').ok_or_else(bad)?;
        let (after, down) = times.split_once('+').ok_or_else(bad)?;
        let secs = |v: &str| v.trim().parse::<u64>().map_err(|_| bad());
        Ok(Outage {
            node: node.trim().parse().map_err(|_| bad())?,
            after: Duration::from_secs(secs(after)?),
            down: Duration::from_secs(secs(down)?),
        })
    }
}

/// What an outage did to the network.
#[derive(Clone, Debug, Serialize)]
pub struct OutageRecord {
    pub node: usize,
    pub validators: usize,
    /// The network's height and block time (unix seconds) when the node was killed.
    pub killed_at_height: i64,
    pub killed_at_time: i64,
    /// The others' height when it was restarted: blocks made without it.
    pub restarted_at_height: i64,
    pub blocks_while_down: i64,
    /// The restarted node's own height once it reached the others' (at its restart).
    pub caught_up_height: i64,
    /// Seconds from its restart until it served that height.
    pub caught_up_after_s: f64,
}

/// How long a restarted node may take to catch up.
const CATCH_UP: Duration = Duration::from_secs(180);

impl Outage {
    /// Runs the outage on `network` (which must have more than `node` validators; blocks go on
    /// only while more than two thirds of the power runs). Fails when no block is made while the
    /// node is down, or when it does not catch up.
    pub async fn run(&self, network: &mut Network) -> Result<OutageRecord> {
        let validators = network.spec.validators;
        if self.node >= validators {
            return Err(NetError::Spec(format!(
                "outage of validator {} in a network of {validators}",
                self.node
            )));
        }
        tokio::time::sleep(self.after).await;
        let (killed_at_height, killed_at_time) = network.height(Duration::from_secs(30)).await?;
        network.kill_node(self.node).await;
        tracing::warn!(
            node = self.node,
            height = killed_at_height,
            "validator killed (SIGKILL)"
        );
        tokio::time::sleep(self.down).await;
        let (restarted_at_height, _) = network.height(Duration::from_secs(30)).await?;
        if restarted_at_height <= killed_at_height {
            return Err(NetError::NoBlocks {
                height: killed_at_height + 1,
                seen: restarted_at_height,
                waited: self.down,
            });
        }
        network.start_node(self.node)?;
        let restarted = Instant::now();
        tracing::warn!(
            node = self.node,
            height = restarted_at_height,
            blocks_while_down = restarted_at_height - killed_at_height,
            "validator restarted"
        );
        let config = network.spec.chain_config(self.node, "loopin");
        let caught_up_height = loop {
            if let Ok(querier) = ChainQuerier::connect(config.clone()).await
                && let Ok((h, _)) = querier.latest_block().await
                && h >= restarted_at_height
            {
                break h;
            }
            if restarted.elapsed() > CATCH_UP {
                return Err(NetError::NoBlocks {
                    height: restarted_at_height,
                    seen: 0,
                    waited: CATCH_UP,
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        let record = OutageRecord {
            node: self.node,
            validators,
            killed_at_height,
            killed_at_time,
            restarted_at_height,
            blocks_while_down: restarted_at_height - killed_at_height,
            caught_up_height,
            caught_up_after_s: restarted.elapsed().as_secs_f64(),
        };
        tracing::warn!(
            node = self.node,
            height = caught_up_height,
            after_s = record.caught_up_after_s,
            "validator caught up"
        );
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_reads_node_at_after_plus_down() {
        assert_eq!(
            "3@240+90".parse::<Outage>(),
            Ok(Outage {
                node: 3,
                after: Duration::from_secs(240),
                down: Duration::from_secs(90)
            })
        );
        for bad in ["3", "3@240", "x@1+2", "3@1+", "3@-1+2"] {
            assert!(bad.parse::<Outage>().is_err(), "{bad}");
        }
    }
}
