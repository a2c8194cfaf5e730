//! The read-only connection to a chain, [`ChainQuerier`]: accounts, blocks, balances, a
//! block's transactions, smart and raw contract queries, and broadcasts of signed bytes.

use cosmrs::proto::cosmos::auth::v1beta1 as authpb;
use cosmrs::proto::cosmos::bank::v1beta1 as bankpb;
use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tmpb;
use cosmrs::proto::cosmos::tx::v1beta1 as txpb;
use cosmrs::proto::cosmwasm::wasm::v1 as wasmpb;
use prost::Message;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::transport::Channel;

use crate::{ChainConfig, ClientError, Result, endpoint};

/// Results per tx search page: CometBFT's cap.
pub const TX_SEARCH_PAGE: u64 = 100;

/// Pages read of one block at most (1,000,000 transactions; a 21 MB block holds far fewer).
pub const TX_SEARCH_MAX_PAGES: u64 = 10_000;

/// A read-only connection to one chain: queries, no key (provers and watchers).
#[derive(Clone)]
pub struct ChainQuerier {
    pub config: ChainConfig,
    pub(crate) channel: Channel,
}

impl ChainQuerier {
    /// Connects and checks the endpoint serves `config.chain_id` (GetNodeInfo).
    pub async fn connect(config: ChainConfig) -> Result<Self> {
        let channel = endpoint(&config)?.connect().await?;
        let info = tmpb::service_client::ServiceClient::new(channel.clone())
            .get_node_info(tmpb::GetNodeInfoRequest {})
            .await?
            .into_inner();
        let network = info
            .default_node_info
            .map(|n| n.network)
            .unwrap_or_default();
        if network != config.chain_id {
            return Err(ClientError::ChainIdMismatch {
                expected: config.chain_id,
                got: network,
            });
        }
        Ok(Self { config, channel })
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// (account number, sequence) of `address`, `None` if the chain has no such account.
    /// Asks `AccountInfo` (SDK 0.47+), which answers for every account type (vesting and module
    /// accounts included); a chain without it is asked `Account`, decoded as a `BaseAccount`.
    pub async fn account_of(&self, address: &str) -> Result<Option<(u64, u64)>> {
        let mut auth = authpb::query_client::QueryClient::new(self.channel.clone());
        let answer = auth
            .account_info(authpb::QueryAccountInfoRequest {
                address: address.to_string(),
            })
            .await;
        match answer {
            Ok(r) => {
                let info = r
                    .into_inner()
                    .info
                    .ok_or_else(|| ClientError::Decode("empty account info".into()))?;
                return Ok(Some((info.account_number, info.sequence)));
            }
            Err(status) if status.code() == tonic::Code::NotFound => return Ok(None),
            Err(status) if status.code() == tonic::Code::Unimplemented => {}
            Err(status) => return Err(status.into()),
        }
        let answer = auth
            .account(authpb::QueryAccountRequest {
                address: address.to_string(),
            })
            .await;
        let any = match answer {
            Ok(r) => r.into_inner().account,
            Err(status) if status.code() == tonic::Code::NotFound => return Ok(None),
            Err(status) => return Err(status.into()),
        };
        let any = any.ok_or_else(|| ClientError::Decode("empty account".into()))?;
        let account = authpb::BaseAccount::decode(&*any.value)
            .map_err(|e| ClientError::Decode(format!("account: {e}")))?;
        Ok(Some((account.account_number, account.sequence)))
    }

    /// The latest block's height and time (Unix seconds).
    pub async fn latest_block(&self) -> Result<(i64, i64)> {
        let block = tmpb::service_client::ServiceClient::new(self.channel.clone())
            .get_latest_block(tmpb::GetLatestBlockRequest {})
            .await?
            .into_inner();
        let header = block
            .sdk_block
            .and_then(|b| b.header)
            .ok_or_else(|| ClientError::Decode("block without header".into()))?;
        Ok((header.height, header.time.map(|t| t.seconds).unwrap_or(0)))
    }

    /// Native balance of `address` in `denom`.
    pub async fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        let coin = bankpb::query_client::QueryClient::new(self.channel.clone())
            .balance(bankpb::QueryBalanceRequest {
                address: address.to_string(),
                denom: denom.to_string(),
            })
            .await?
            .into_inner()
            .balance
            .unwrap_or_default();
        coin.amount
            .parse()
            .map_err(|e| ClientError::Decode(format!("amount {}: {e}", coin.amount)))
    }

    /// Every transaction result of block `height`, in block order, read page by page: CometBFT
    /// caps a search page at 100 results whatever the limit asked, so one page of a full block
    /// would silently miss the rest.
    pub async fn txs_at(&self, height: u64) -> Result<Vec<TxResponse>> {
        let query = format!("tx.height={height}");
        let mut service = txpb::service_client::ServiceClient::new(self.channel.clone());
        let mut all: Vec<TxResponse> = Vec::new();
        for page in 1.. {
            #[allow(deprecated)]
            let request = txpb::GetTxsEventRequest {
                events: Vec::new(),
                query: query.clone(),
                page,
                limit: TX_SEARCH_PAGE,
                order_by: txpb::OrderBy::Asc as i32,
                pagination: None,
            };
            let response = service.get_txs_event(request).await?.into_inner();
            let read = response.tx_responses.len() as u64;
            all.extend(response.tx_responses);
            // A short page is the last, whatever `total` claims; a node that keeps sending full
            // pages past what any block can hold is refused rather than followed.
            if read < TX_SEARCH_PAGE || all.len() as u64 >= response.total {
                break;
            }
            if page >= TX_SEARCH_MAX_PAGES {
                return Err(ClientError::Decode(format!(
                    "block {height}: the node listed more than {} transactions",
                    TX_SEARCH_PAGE * TX_SEARCH_MAX_PAGES
                )));
            }
        }
        Ok(all)
    }

    /// Broadcasts transaction bytes signed elsewhere (BROADCAST_MODE_SYNC) and returns the CheckTx response.
    pub async fn broadcast_raw(&self, tx_bytes: Vec<u8>) -> Result<TxResponse> {
        let response = txpb::service_client::ServiceClient::new(self.channel.clone())
            .broadcast_tx(txpb::BroadcastTxRequest {
                tx_bytes,
                mode: txpb::BroadcastMode::Sync as i32,
            })
            .await?
            .into_inner()
            .tx_response
            .ok_or_else(|| ClientError::Decode("empty broadcast response".into()))?;
        Ok(response)
    }

    /// A smart query, its answer decoded as `T`.
    pub async fn query_smart<M: Serialize, T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &M,
    ) -> Result<T> {
        let data = wasmpb::query_client::QueryClient::new(self.channel.clone())
            .smart_contract_state(wasmpb::QuerySmartContractStateRequest {
                address: contract.to_string(),
                query_data: serde_json::to_vec(msg)?,
            })
            .await?
            .into_inner()
            .data;
        Ok(serde_json::from_slice(&data)?)
    }

    /// A raw storage read (empty when absent).
    pub async fn query_raw(&self, contract: &str, key: &[u8]) -> Result<Vec<u8>> {
        Ok(wasmpb::query_client::QueryClient::new(self.channel.clone())
            .raw_contract_state(wasmpb::QueryRawContractStateRequest {
                address: contract.to_string(),
                query_data: key.to_vec(),
            })
            .await?
            .into_inner()
            .data)
    }

    /// A contract's metadata (code id, creator, admin, label).
    pub async fn contract_info(&self, contract: &str) -> Result<wasmpb::ContractInfo> {
        wasmpb::query_client::QueryClient::new(self.channel.clone())
            .contract_info(wasmpb::QueryContractInfoRequest {
                address: contract.to_string(),
            })
            .await?
            .into_inner()
            .contract_info
            .ok_or_else(|| ClientError::Decode("empty contract info".into()))
    }
}
