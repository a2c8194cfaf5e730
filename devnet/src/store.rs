//! Persistence in an embedded store (redb): the state, block headers and transaction results.
//! A block's writes, header and results are committed in one redb transaction, so a restart
//! finds the chain at its last whole block.

use std::collections::BTreeMap;
use std::path::Path;

use redb::{Database, ReadableTable, TableDefinition};

use crate::state::Write;

const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const TXS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("txs");
/// Height -> the hashes of the block's transactions, in order (JSON list), for GetTxsEvent.
const BLOCK_TXS: TableDefinition<u64, &[u8]> = TableDefinition::new("block_txs");

#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(String);

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

pub struct Store {
    db: Database,
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let db = Database::create(path).map_err(err)?;
        let tx = db.begin_write().map_err(err)?;
        tx.open_table(STATE).map_err(err)?;
        tx.open_table(BLOCKS).map_err(err)?;
        tx.open_table(TXS).map_err(err)?;
        tx.open_table(BLOCK_TXS).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Self { db })
    }

    /// The whole committed state (the devnet keeps it in memory).
    pub fn load_state(&self) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StoreError> {
        let tx = self.db.begin_read().map_err(err)?;
        let table = tx.open_table(STATE).map_err(err)?;
        let mut state = BTreeMap::new();
        for entry in table.iter().map_err(err)? {
            let (k, v) = entry.map_err(err)?;
            state.insert(k.value().to_vec(), v.value().to_vec());
        }
        Ok(state)
    }

    /// Persists one block: its state writes, its header and its transactions' results.
    pub fn commit_block(
        &self,
        writes: &BTreeMap<Vec<u8>, Write>,
        height: u64,
        header: &[u8],
        txs: &[(Vec<u8>, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(err)?;
        {
            let mut state = tx.open_table(STATE).map_err(err)?;
            for (key, value) in writes {
                match value {
                    Some(v) => {
                        state.insert(key.as_slice(), v.as_slice()).map_err(err)?;
                    }
                    None => {
                        state.remove(key.as_slice()).map_err(err)?;
                    }
                }
            }
            let mut blocks = tx.open_table(BLOCKS).map_err(err)?;
            blocks.insert(height, header).map_err(err)?;
            let mut results = tx.open_table(TXS).map_err(err)?;
            for (hash, result) in txs {
                results
                    .insert(hash.as_slice(), result.as_slice())
                    .map_err(err)?;
            }
            if !txs.is_empty() {
                let hashes: Vec<String> = txs
                    .iter()
                    .map(|(hash, _)| String::from_utf8_lossy(hash).into_owned())
                    .collect();
                let index = serde_json::to_vec(&hashes).map_err(err)?;
                let mut block_txs = tx.open_table(BLOCK_TXS).map_err(err)?;
                block_txs.insert(height, index.as_slice()).map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    pub fn block(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read().map_err(err)?;
        let table = tx.open_table(BLOCKS).map_err(err)?;
        Ok(table.get(height).map_err(err)?.map(|v| v.value().to_vec()))
    }

    /// The results of block `height`'s transactions, in order (empty for an empty block or one
    /// not committed).
    pub fn block_txs(&self, height: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read().map_err(err)?;
        let index = tx.open_table(BLOCK_TXS).map_err(err)?;
        let Some(hashes) = index.get(height).map_err(err)? else {
            return Ok(Vec::new());
        };
        let hashes: Vec<String> = serde_json::from_slice(hashes.value()).map_err(err)?;
        let results = tx.open_table(TXS).map_err(err)?;
        let mut out = Vec::with_capacity(hashes.len());
        for hash in hashes {
            if let Some(result) = results.get(hash.as_bytes()).map_err(err)? {
                out.push(result.value().to_vec());
            }
        }
        Ok(out)
    }

    pub fn tx(&self, hash: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read().map_err(err)?;
        let table = tx.open_table(TXS).map_err(err)?;
        Ok(table.get(hash).map_err(err)?.map(|v| v.value().to_vec()))
    }
}
