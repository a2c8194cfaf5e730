//! The running node as every service sees it: the chain behind a mutex, its configuration and
//! the committed heights. Starting the services is `server.rs`'s.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use crate::chain::{Chain, Header};
use crate::config::Config;

/// Shared by every service.
pub struct Node {
    chain: Mutex<Chain>,
    pub config: Config,
    heights: watch::Sender<u64>,
}

impl Node {
    /// The node of an opened `chain`.
    pub fn new(chain: Chain, config: Config) -> Self {
        let (heights, _) = watch::channel(chain.header().height);
        Self {
            chain: Mutex::new(chain),
            config,
            heights,
        }
    }

    /// Locks the chain (a poisoned lock is still usable: every write path is transactional).
    pub fn chain(&self) -> MutexGuard<'_, Chain> {
        self.chain.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the chain on the blocking pool.
    pub async fn with_chain<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Chain) -> R + Send + 'static,
    ) -> Result<R, tonic::Status> {
        let node = self.clone();
        tokio::task::spawn_blocking(move || f(&mut node.chain()))
            .await
            .map_err(|e| tonic::Status::internal(format!("chain task failed: {e}")))
    }

    /// Produces a block now.
    pub async fn produce_block(self: &Arc<Self>) -> Result<Header, tonic::Status> {
        let header = self
            .with_chain(|chain| chain.produce_block())
            .await?
            .map_err(|e| tonic::Status::internal(format!("block: {e}")))?;
        self.heights.send_replace(header.height);
        Ok(header)
    }

    /// Subscribes to committed heights.
    pub fn heights(&self) -> watch::Receiver<u64> {
        self.heights.subscribe()
    }
}
