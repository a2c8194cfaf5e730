//! The signing connection to a chain, [`ChainClient`]: its key, the account's tracked sequence,
//! signing, simulation and the gas price to pay. Submission and confirmation are in [`submit`],
//! the messages it builds in [`msgs`].

use cosmrs::proto::cosmos::tx::v1beta1 as txpb;
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use cosmrs::{AccountId, Any, Coin, Denom};
use tokio::sync::Mutex;

use crate::error::tx_err;
use crate::fee_market::{self, FeeMarket};
use crate::{ChainConfig, ChainQuerier, ClientError, Key, Result};

mod msgs;
mod submit;

/// A connection to one chain with one signing key. Queries go through its [`ChainQuerier`].
pub struct ChainClient {
    querier: ChainQuerier,
    key: Key,
    account: Mutex<Option<AccountState>>,
    fee_market: Mutex<FeeMarket>,
}

impl std::ops::Deref for ChainClient {
    type Target = ChainQuerier;
    fn deref(&self) -> &ChainQuerier {
        &self.querier
    }
}

#[derive(Clone, Copy, Debug)]
struct AccountState {
    number: u64,
    sequence: u64,
}

impl ChainClient {
    /// Connects and checks the endpoint serves `config.chain_id` (GetNodeInfo).
    pub async fn connect(config: ChainConfig, key: Key) -> Result<Self> {
        Ok(Self::with_querier(
            ChainQuerier::connect(config).await?,
            key,
        ))
    }

    /// A signer over an existing connection.
    pub fn with_querier(querier: ChainQuerier, key: Key) -> Self {
        Self {
            querier,
            key,
            account: Mutex::new(None),
            fee_market: Mutex::new(FeeMarket::Unknown),
        }
    }

    /// The signer's address.
    pub fn address(&self) -> &AccountId {
        &self.key.address
    }

    async fn fetch_account(&self) -> Result<AccountState> {
        let (number, sequence) = self
            .account_of(self.key.address.as_ref())
            .await?
            .ok_or_else(|| ClientError::NoAccount(self.key.address.to_string()))?;
        Ok(AccountState { number, sequence })
    }

    fn sign(
        &self,
        msgs: &[Any],
        memo: &str,
        account: AccountState,
        gas_limit: u64,
        fee_amount: u128,
    ) -> Result<Vec<u8>> {
        let denom: Denom = self.config.denom.parse().map_err(tx_err)?;
        let fee = Fee::from_amount_and_gas(
            Coin {
                denom,
                amount: fee_amount,
            },
            gas_limit,
        );
        let body = Body::new(msgs.to_vec(), memo, 0u32);
        let auth_info =
            SignerInfo::single_direct(Some(self.key.signing.public_key()), account.sequence)
                .auth_info(fee);
        let chain_id = self.config.chain_id.parse().map_err(tx_err)?;
        let doc = SignDoc::new(&body, &auth_info, &chain_id, account.number).map_err(tx_err)?;
        let raw = doc.sign(&self.key.signing).map_err(tx_err)?;
        raw.to_bytes().map_err(tx_err)
    }

    /// Simulates `msgs` (signed with the current sequence) and returns the gas used.
    pub async fn simulate(&self, msgs: &[Any], memo: &str) -> Result<u64> {
        let account = self.current_account().await?;
        self.simulate_at(msgs, memo, account).await
    }

    async fn current_account(&self) -> Result<AccountState> {
        let mut guard = self.account.lock().await;
        match *guard {
            Some(a) => Ok(a),
            None => {
                let a = self.fetch_account().await?;
                *guard = Some(a);
                Ok(a)
            }
        }
    }

    /// The gas price to pay now: the configured one, or the chain's fee market's current price
    /// where it is higher (asked before every transaction on a chain that has one; a chain that
    /// answers it has none is not asked again).
    pub async fn gas_price_now(&self) -> Result<f64> {
        let mut market = self.fee_market.lock().await;
        if *market == FeeMarket::Absent {
            return Ok(self.config.gas_price);
        }
        match fee_market::gas_price(self.channel(), &self.config.denom).await? {
            None => {
                *market = FeeMarket::Absent;
                Ok(self.config.gas_price)
            }
            Some(price) => {
                *market = FeeMarket::Present;
                fee_market::price_to_pay(self.config.gas_price, Some(price))
            }
        }
    }

    /// The fee for `gas_limit` at `gas_price`.
    fn fee_for(gas_limit: u64, gas_price: f64) -> u128 {
        (gas_limit as f64 * gas_price).ceil() as u128
    }

    /// Simulates with a fee of one unit of the denom, not zero: the SDK deducts a non-zero fee
    /// (two balance writes), and a simulation without it came out ~16,000 gas short on wasmd,
    /// more than the adjustment covers for a small transaction (a bank send ran out of gas).
    /// Simulation skips the minimum-gas-price check, so one unit is accepted.
    async fn simulate_at(&self, msgs: &[Any], memo: &str, account: AccountState) -> Result<u64> {
        let tx_bytes = self.sign(msgs, memo, account, 0, 1)?;
        #[allow(deprecated)]
        let response = txpb::service_client::ServiceClient::new(self.channel.clone())
            .simulate(txpb::SimulateRequest { tx: None, tx_bytes })
            .await
            .map_err(|status| match status.code() {
                // What the SDK answers for a transaction its simulation refused (any failure
                // of the ante handler or a message): Unknown, with the chain's error.
                tonic::Code::Unknown => ClientError::Simulation(Box::new(status)),
                _ => ClientError::Status(Box::new(status)),
            })?
            .into_inner();
        Ok(response.gas_info.map(|g| g.gas_used).unwrap_or(0))
    }
}
