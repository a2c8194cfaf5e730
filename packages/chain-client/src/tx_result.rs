//! A confirmed transaction, [`TxResult`], and the events it emitted.

use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;

use crate::{ClientError, Result};

/// A confirmed transaction.
#[derive(Debug, Clone)]
pub struct TxResult {
    pub txhash: String,
    pub height: i64,
    pub gas_wanted: i64,
    pub gas_used: i64,
    pub response: TxResponse,
}

impl TxResult {
    /// The first value of attribute `key` in an event of type `ty`.
    pub fn event_attr(&self, ty: &str, key: &str) -> Option<&str> {
        self.response
            .events
            .iter()
            .filter(|e| e.r#type == ty)
            .flat_map(|e| e.attributes.iter())
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }

    pub(crate) fn require_attr(&self, ty: &str, key: &str) -> Result<&str> {
        self.event_attr(ty, key)
            .ok_or_else(|| ClientError::MissingEvent {
                txhash: self.txhash.clone(),
                ty: ty.into(),
                key: key.into(),
            })
    }
}
