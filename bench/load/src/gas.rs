//! Gas per message kind, read back from the devnet's blocks (`GetTxsEvent` by height), so the
//! keeper's transactions are counted as well as the load's own.

use std::collections::BTreeMap;

use loopin_chain_client::ChainQuerier;

/// Sum, count and largest gas of one message kind.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    pub txs: u64,
    pub gas: u64,
    pub max: u64,
    pub failed: u64,
}

impl Tally {
    pub fn mean(&self) -> u64 {
        self.gas.checked_div(self.txs).unwrap_or(0)
    }
}

/// Gas by message kind: the contract's `action` attribute (the hook's, for a cw20 `Send`).
#[derive(Clone, Debug, Default)]
pub struct GasBook {
    pub kinds: BTreeMap<String, Tally>,
}

impl GasBook {
    /// Adds every transaction of blocks `from..=to`.
    pub async fn read_blocks(
        &mut self,
        querier: &ChainQuerier,
        from: i64,
        to: i64,
    ) -> anyhow::Result<()> {
        for height in from.max(1)..=to {
            for tx in querier.txs_at(height as u64).await? {
                let t = self.kinds.entry(kind(&tx)).or_default();
                let gas = u64::try_from(tx.gas_used).unwrap_or(0);
                t.txs += 1;
                t.gas += gas;
                t.max = t.max.max(gas);
                t.failed += u64::from(tx.code != 0);
            }
        }
        Ok(())
    }

    pub fn merge(&mut self, other: &GasBook) {
        for (k, t) in &other.kinds {
            let mine = self.kinds.entry(k.clone()).or_default();
            mine.txs += t.txs;
            mine.gas += t.gas;
            mine.max = mine.max.max(t.max);
            mine.failed += t.failed;
        }
    }

    pub fn get(&self, kind: &str) -> Tally {
        self.kinds.get(kind).copied().unwrap_or_default()
    }
}

/// The first `action` of a wasm event that is not the token's `send` (whose hook names the
/// call); `send` itself for a bare transfer, `other` for a transaction without one.
fn kind(
    tx: &loopin_chain_client::cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse,
) -> String {
    let actions: Vec<&str> = tx
        .events
        .iter()
        .filter(|e| e.r#type == "wasm")
        .flat_map(|e| e.attributes.iter())
        .filter(|a| a.key == "action")
        .map(|a| a.value.as_str())
        .collect();
    let name = actions
        .iter()
        .find(|a| **a != "send")
        .or(actions.first())
        .copied()
        .unwrap_or("other");
    if tx.code != 0 {
        format!("{name} (failed)")
    } else {
        name.to_string()
    }
}
