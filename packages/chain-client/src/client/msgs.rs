//! The messages a [`ChainClient`] builds and sends: wasm store, instantiate and execute, bank send.

use cosmrs::tx::Msg;
use cosmrs::{AccountId, Any, Coin};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::ChainClient;
use crate::compression::gunzip;
use crate::error::tx_err;
use crate::{ClientError, Result, TxResult, gzip};

impl ChainClient {
    fn sender(&self) -> AccountId {
        self.key.address.clone()
    }

    fn coins(&self, funds: &[(u128, &str)]) -> Result<Vec<Coin>> {
        funds
            .iter()
            .map(|(amount, denom)| {
                Ok(Coin {
                    denom: denom.parse().map_err(tx_err)?,
                    amount: *amount,
                })
            })
            .collect()
    }

    /// `MsgStoreCode` of `wasm`, gzipped as wasmd expects uploads (it inflates them; the
    /// transaction is a third of the size and pays for its bytes accordingly); returns the code
    /// id. Bytes already gzipped are sent as they are.
    ///
    /// The chain's checksum of the stored code (the `code_checksum` event, SHA-256 of the
    /// inflated wasm) must be the local one: a node that stored other bytes is an error.
    pub async fn store_code(&self, wasm: Vec<u8>) -> Result<(u64, TxResult)> {
        let local = hex::encode(Sha256::digest(gunzip(&wasm)?.as_deref().unwrap_or(&wasm)));
        let msg = cosmrs::cosmwasm::MsgStoreCode {
            sender: self.sender(),
            wasm_byte_code: gzip(wasm)?,
            instantiate_permission: None,
        }
        .to_any()
        .map_err(tx_err)?;
        let result = self.send(vec![msg], "").await?;
        let id = result
            .require_attr("store_code", "code_id")?
            .parse()
            .map_err(|e| ClientError::Decode(format!("code id: {e}")))?;
        let stored = result.require_attr("store_code", "code_checksum")?;
        if !stored.eq_ignore_ascii_case(&local) {
            return Err(ClientError::Decode(format!(
                "code {id} stored with checksum {stored}, the local wasm's is {local}"
            )));
        }
        Ok((id, result))
    }

    /// The `MsgInstantiateContract` as an `Any` (to batch several in one tx).
    pub fn instantiate_msg<M: Serialize>(
        &self,
        code_id: u64,
        msg: &M,
        label: &str,
        admin: Option<&str>,
        funds: &[(u128, &str)],
    ) -> Result<Any> {
        cosmrs::cosmwasm::MsgInstantiateContract {
            sender: self.sender(),
            admin: admin.map(|a| a.parse()).transpose().map_err(tx_err)?,
            code_id,
            label: Some(label.to_string()),
            msg: serde_json::to_vec(msg)?,
            funds: self.coins(funds)?,
        }
        .to_any()
        .map_err(tx_err)
    }

    /// `MsgInstantiateContract`; returns the new contract's address.
    pub async fn instantiate<M: Serialize>(
        &self,
        code_id: u64,
        msg: &M,
        label: &str,
        admin: Option<&str>,
        funds: &[(u128, &str)],
    ) -> Result<(String, TxResult)> {
        let any = self.instantiate_msg(code_id, msg, label, admin, funds)?;
        let result = self.send(vec![any], "").await?;
        let address = result
            .require_attr("instantiate", "_contract_address")?
            .to_string();
        Ok((address, result))
    }

    /// The `MsgExecuteContract` as an `Any` (to batch several in one tx).
    pub fn execute_msg<M: Serialize>(
        &self,
        contract: &str,
        msg: &M,
        funds: &[(u128, &str)],
    ) -> Result<Any> {
        cosmrs::cosmwasm::MsgExecuteContract {
            sender: self.sender(),
            contract: contract.parse().map_err(tx_err)?,
            msg: serde_json::to_vec(msg)?,
            funds: self.coins(funds)?,
        }
        .to_any()
        .map_err(tx_err)
    }

    /// `MsgExecuteContract`, confirmed.
    pub async fn execute<M: Serialize>(
        &self,
        contract: &str,
        msg: &M,
        funds: &[(u128, &str)],
    ) -> Result<TxResult> {
        let any = self.execute_msg(contract, msg, funds)?;
        self.send(vec![any], "").await
    }

    /// Bank `MsgSend` of the fee denom.
    pub async fn bank_send(&self, to: &str, amount: u128) -> Result<TxResult> {
        let msg = cosmrs::bank::MsgSend {
            from_address: self.sender(),
            to_address: to.parse().map_err(tx_err)?,
            amount: self.coins(&[(amount, self.config.denom.as_str())])?,
        }
        .to_any()
        .map_err(tx_err)?;
        self.send(vec![msg], "").await
    }
}
