//! The transaction index `tx_search` reads, as CometBFT's kv indexer keeps it: every committed
//! transaction's height, position, hash and events (type, attribute key and value). Built in
//! memory from the store on the first search and extended to the latest block before each one,
//! so a transaction is searchable as soon as its block is committed.

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use prost::Message;

use super::query::{EventView, Query};
use crate::node::Node;
use crate::store::StoreError;

/// Why the index could not catch up with the chain.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The node's chain could not be reached (it is shutting down).
    #[error("{}", .0.message())]
    Node(Box<tonic::Status>),
    #[error("{0}")]
    Store(StoreError),
    #[error("stored result at height {height}: {error}")]
    Decode {
        height: u64,
        error: prost::DecodeError,
    },
}

/// Blocks read per turn of the chain's lock while catching up.
const CHUNK: u64 = 1_000;

/// One indexed transaction.
pub struct IndexedTx {
    pub height: u64,
    /// Position in its block.
    pub index: u32,
    /// Upper-case hex SHA-256 of its bytes.
    pub hash: String,
    /// Its events, with the kv indexer's own `tx.hash` and `tx.height` first.
    pub events: Vec<(String, Vec<(String, String)>)>,
}

impl IndexedTx {
    pub fn new(height: u64, index: u32, response: &TxResponse) -> Self {
        let mut events = vec![(
            "tx".to_string(),
            vec![
                ("hash".to_string(), response.txhash.clone()),
                ("height".to_string(), height.to_string()),
            ],
        )];
        events.extend(response.events.iter().map(|e| {
            (
                e.r#type.clone(),
                e.attributes
                    .iter()
                    .filter(|a| a.index)
                    .map(|a| (a.key.clone(), a.value.clone()))
                    .collect(),
            )
        }));
        Self {
            height,
            index,
            hash: response.txhash.clone(),
            events,
        }
    }

    pub fn matches(&self, query: &Query) -> bool {
        query.matches(
            self.events
                .iter()
                .map(|(ty, attributes)| EventView { ty, attributes }),
        )
    }
}

/// Every transaction up to `next_height - 1`, in chain order.
pub struct TxIndex {
    next_height: u64,
    txs: Vec<IndexedTx>,
}

impl Default for TxIndex {
    fn default() -> Self {
        Self {
            next_height: 1,
            txs: Vec::new(),
        }
    }
}

impl TxIndex {
    /// Indexes the blocks committed since the last call.
    pub async fn catch_up(&mut self, node: &Arc<Node>) -> Result<(), IndexError> {
        loop {
            let from = self.next_height;
            let (latest, blocks) = node
                .with_chain(move |chain| {
                    let latest = chain.header().height;
                    let to = latest.min(from.saturating_add(CHUNK - 1));
                    (from..=to)
                        .map(|h| chain.store().block_txs(h).map(|txs| (h, txs)))
                        .collect::<Result<Vec<_>, _>>()
                        .map(|blocks| (latest, blocks))
                })
                .await
                .map_err(|e| IndexError::Node(Box::new(e)))?
                .map_err(IndexError::Store)?;
            for (height, txs) in blocks {
                for (index, bytes) in txs.iter().enumerate() {
                    let response = TxResponse::decode(bytes.as_slice())
                        .map_err(|error| IndexError::Decode { height, error })?;
                    self.txs
                        .push(IndexedTx::new(height, index as u32, &response));
                }
                self.next_height = height + 1;
            }
            if self.next_height > latest {
                return Ok(());
            }
        }
    }

    /// The transactions `query` matches, oldest first.
    pub fn search<'a>(&'a self, query: &'a Query) -> impl Iterator<Item = &'a IndexedTx> + 'a {
        self.txs.iter().filter(move |tx| tx.matches(query))
    }
}
