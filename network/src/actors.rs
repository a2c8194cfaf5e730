//! The scenario's accounts: deterministic development keys (never for real funds), funded with
//! with the fee denom (`crate::clock`) and with LOOP by a bank account.

use crate::error::{NetworkError, Result};
use cosmwasm_std::{Uint128, to_json_binary};
use loopin::token;
use loopin_chain_client::{ChainClient, ChainConfig, Key, TxResult};
use serde::Serialize;

/// A development key from fixed entropy `n` (the same as `loopin-deploy dev-key n`).
pub fn dev_key(n: u8, prefix: &str) -> Result<Key> {
    Ok(Key::development(n, prefix)?)
}

/// A named account with its own connection.
pub struct Actor {
    pub name: String,
    pub client: ChainClient,
}

impl Actor {
    /// Connects development key `n` as `name`.
    pub async fn connect(name: &str, n: u8, chain: &ChainConfig) -> Result<Actor> {
        let key = dev_key(n, &chain.prefix)?;
        let client = ChainClient::connect(chain.clone(), key)
            .await
            .map_err(|source| NetworkError::Connect {
                name: name.to_string(),
                source: Box::new(source),
            })?;
        Ok(Actor {
            name: name.to_string(),
            client,
        })
    }

    pub fn address(&self) -> String {
        self.client.address().to_string()
    }

    /// LOOP balance of this account.
    pub async fn loop_balance(&self, token: &str) -> Result<u128> {
        loop_balance(&self.client, token, &self.address()).await
    }

    /// cw20 `Send` of `amount` LOOP to `contract` with the hook `msg`.
    pub async fn send_loop<M: Serialize>(
        &self,
        token: &str,
        contract: &str,
        amount: u128,
        msg: &M,
    ) -> Result<TxResult> {
        let send = token::ExecuteMsg::Send {
            contract: contract.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(msg)?,
        };
        Ok(self.client.execute(token, &send, &[]).await?)
    }

    /// cw20 `Transfer`.
    pub async fn transfer_loop(&self, token: &str, to: &str, amount: u128) -> Result<()> {
        let msg = token::ExecuteMsg::Transfer {
            recipient: to.to_string(),
            amount: Uint128::new(amount),
        };
        self.client.execute(token, &msg, &[]).await?;
        Ok(())
    }
}

/// LOOP balance of `address`.
pub async fn loop_balance(client: &ChainClient, token: &str, address: &str) -> Result<u128> {
    let answer: cw20::BalanceResponse = client
        .query_smart(
            token,
            &token::QueryMsg::Balance {
                address: address.to_string(),
            },
        )
        .await?;
    Ok(answer.balance.u128())
}

/// An attribute of the `wasm` event of a transaction.
pub fn wasm_attr(tx: &TxResult, key: &str) -> Result<String> {
    tx.event_attr("wasm", key)
        .map(str::to_string)
        .ok_or_else(|| NetworkError::NoWasmAttr {
            key: key.to_string(),
            txhash: tx.txhash.clone(),
        })
}

/// A 32-byte value derived from a label and a counter (scenario secrets, reproducible).
pub fn derived(label: &str, n: u64) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::new()
        .chain_update(label.as_bytes())
        .chain_update(n.to_le_bytes())
        .finalize()
        .into()
}
