//! The Cosmos gRPC subset, on the standard protos: tx, auth, bank, tendermint (the
//! cosmos-sdk-proto server traits) and cosmwasm.wasm.v1 Query plus the dev-only admin service
//! (served by hand over the prost types: cosmos-sdk-proto generates wasm clients only).
//! Each service is its own type; the CometBFT RPC (`crate::rpc`) and the REST API (`crate::rest`)
//! call the same services in process through [`routes`].

// tonic's service traits return `Result<_, Status>`; the helpers follow them.
#![allow(clippy::result_large_err)]

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::auth::v1beta1 as authpb;
use cosmos_sdk_proto::cosmos::bank::v1beta1 as bankpb;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1 as abcipb;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tmpb;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::tx::v1beta1 as txpb;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasmpb;
use cosmos_sdk_proto::tendermint as tm;
use prost::Message;
use tonic::codegen::{BoxFuture, http};
use tonic::server::{NamedService, UnaryService};
use tonic::service::Routes;
use tonic::transport::server::Router;
use tonic::{Request, Response, Status};

use ibc_proto::ibc::core::channel::v1 as chanpb;
use ibc_proto::ibc::core::client::v1 as clientpb;
use ibc_proto::ibc::core::connection::v1 as connpb;

use crate::address::{bech32_decode, bech32_encode};
use crate::chain::{Chain, Header};
use crate::exec::{GAS_MULTIPLIER, QueryError};
use crate::ibc::query::{ChannelQuery, ClientQuery, ConnectionQuery};
use crate::node::Node;
use crate::wasm::QUERY_GAS_LIMIT;

type Rpc<T> = Result<Response<T>, Status>;

/// Every service, routed by gRPC path: what [`router`] serves over the network and what the
/// CometBFT RPC's `abci_query` and the REST API call in process (`crate::local_grpc`).
pub fn routes(node: Arc<Node>) -> Routes {
    let mut routes = Routes::default()
        .add_service(txpb::service_server::ServiceServer::new(TxService(
            node.clone(),
        )))
        .add_service(authpb::query_server::QueryServer::new(AuthService(
            node.clone(),
        )))
        .add_service(bankpb::query_server::QueryServer::new(BankService(
            node.clone(),
        )))
        .add_service(tmpb::service_server::ServiceServer::new(TendermintService(
            node.clone(),
        )))
        .add_service(WasmQueryService(node.clone()))
        .add_service(chanpb::query_server::QueryServer::new(ChannelQuery(
            node.clone(),
        )))
        .add_service(connpb::query_server::QueryServer::new(ConnectionQuery(
            node.clone(),
        )))
        .add_service(clientpb::query_server::QueryServer::new(ClientQuery(
            node.clone(),
        )));
    if node.config.admin {
        routes = routes.add_service(AdminService(node));
    }
    routes
}

/// Every service on one router, over TLS when the config names a certificate and key.
pub fn router(node: Arc<Node>) -> anyhow::Result<Router> {
    let mut server = tonic::transport::Server::builder();
    match (&node.config.tls_cert, &node.config.tls_key) {
        (Some(cert), Some(key)) => {
            let read = |p: &std::path::PathBuf| {
                std::fs::read(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
            };
            let identity = tonic::transport::Identity::from_pem(read(cert)?, read(key)?);
            server =
                server.tls_config(tonic::transport::ServerTlsConfig::new().identity(identity))?;
        }
        (None, None) => {}
        _ => anyhow::bail!("tls_cert and tls_key go together"),
    }
    Ok(server.add_routes(routes(node)))
}

fn address(node: &Node, addr: &str) -> Result<Vec<u8>, Status> {
    bech32_decode(&node.config.prefix, addr)
        .map_err(|e| Status::invalid_argument(format!("invalid address: {e}")))
}

fn unimplemented<T>(what: &str) -> Rpc<T> {
    Err(Status::unimplemented(format!(
        "{what} is not served by the devnet"
    )))
}

// ---------------------------------------------------------------------------------------------
// tx

pub struct TxService(Arc<Node>);

/// The height of a `tx.height=N` query (cosmos-sdk 0.50's `query`, else the one condition of the
/// older `events`), the only query GetTxsEvent serves.
fn tx_height_query(query: &str, events: &[String]) -> Result<u64, Status> {
    let condition = match (query.trim(), events) {
        ("", [one]) => one.as_str(),
        ("", _) => {
            return Err(Status::invalid_argument(
                "GetTxsEvent needs the query tx.height=N",
            ));
        }
        (q, _) => q,
    };
    let compact: String = condition.chars().filter(|c| !c.is_whitespace()).collect();
    compact
        .strip_prefix("tx.height=")
        .map(|h| h.trim_matches(|c| c == '\'' || c == '"'))
        .and_then(|h| h.parse::<u64>().ok())
        .ok_or_else(|| {
            Status::invalid_argument(format!(
                "the devnet serves only the query tx.height=N, not {condition:?}"
            ))
        })
}

fn tx_bytes(tx_bytes: Vec<u8>, tx: Option<txpb::Tx>) -> Vec<u8> {
    if !tx_bytes.is_empty() {
        return tx_bytes;
    }
    tx.map(|tx| {
        txpb::TxRaw {
            body_bytes: tx.body.map(|b| b.encode_to_vec()).unwrap_or_default(),
            auth_info_bytes: tx.auth_info.map(|a| a.encode_to_vec()).unwrap_or_default(),
            signatures: tx.signatures,
        }
        .encode_to_vec()
    })
    .unwrap_or_default()
}

#[tonic::async_trait]
impl txpb::service_server::Service for TxService {
    async fn simulate(
        &self,
        request: Request<txpb::SimulateRequest>,
    ) -> Rpc<txpb::SimulateResponse> {
        let req = request.into_inner();
        #[allow(deprecated)]
        let bytes = tx_bytes(req.tx_bytes, req.tx);
        let result = self
            .0
            .with_chain(move |chain| chain.simulate(&bytes))
            .await?;
        match result {
            Ok(response) => Ok(Response::new(txpb::SimulateResponse {
                gas_info: Some(abcipb::GasInfo {
                    gas_wanted: response.gas_wanted as u64,
                    gas_used: response.gas_used as u64,
                }),
                result: Some(
                    #[allow(deprecated)]
                    abcipb::Result {
                        data: vec![],
                        log: String::new(),
                        events: response.events,
                        msg_responses: hex::decode(&response.data)
                            .ok()
                            .and_then(|d| abcipb::TxMsgData::decode(&*d).ok())
                            .map(|d| d.msg_responses)
                            .unwrap_or_default(),
                    },
                ),
            })),
            // The SDK's tx service answers every failed simulation with code Unknown.
            Err(e) => Err(Status::unknown(format!(
                "codespace {} code {}: {}",
                e.codespace, e.code, e.log
            ))),
        }
    }

    async fn get_tx(&self, request: Request<txpb::GetTxRequest>) -> Rpc<txpb::GetTxResponse> {
        let hash = request.into_inner().hash.to_uppercase();
        let stored = self
            .0
            .with_chain(move |chain| chain.store().tx(hash.as_bytes()).map(|r| (hash, r)))
            .await?
            .map_err(|e| Status::internal(e.to_string()))?;
        match stored {
            (_, Some(bytes)) => {
                let response = abcipb::TxResponse::decode(&*bytes)
                    .map_err(|e| Status::internal(e.to_string()))?;
                let tx = response
                    .tx
                    .as_ref()
                    .and_then(|any| txpb::Tx::decode(&*any.value).ok());
                Ok(Response::new(txpb::GetTxResponse {
                    tx,
                    tx_response: Some(response),
                }))
            }
            (hash, None) => Err(Status::not_found(format!("tx not found: {hash}"))),
        }
    }

    async fn broadcast_tx(
        &self,
        request: Request<txpb::BroadcastTxRequest>,
    ) -> Rpc<txpb::BroadcastTxResponse> {
        let bytes = request.into_inner().tx_bytes;
        if bytes.is_empty() {
            // As the SDK's tx service answers, before any CheckTx.
            return Err(Status::invalid_argument("invalid empty tx"));
        }
        let hash = crate::chain::tx_hash(&bytes);
        let result = self
            .0
            .with_chain(move |chain| chain.check_tx(bytes))
            .await?;
        let response = match result {
            Ok(txhash) => abcipb::TxResponse {
                txhash,
                ..Default::default()
            },
            Err(e) => abcipb::TxResponse {
                txhash: hash,
                code: e.code,
                codespace: e.codespace.to_string(),
                raw_log: e.log,
                ..Default::default()
            },
        };
        Ok(Response::new(txpb::BroadcastTxResponse {
            tx_response: Some(response),
        }))
    }

    async fn get_txs_event(
        &self,
        request: Request<txpb::GetTxsEventRequest>,
    ) -> Rpc<txpb::GetTxsEventResponse> {
        let req = request.into_inner();
        #[allow(deprecated)]
        let height = tx_height_query(&req.query, &req.events)?;
        let stored = self
            .0
            .with_chain(move |chain| chain.store().block_txs(height))
            .await?
            .map_err(|e| Status::internal(e.to_string()))?;
        let mut responses = stored
            .iter()
            .map(|bytes| abcipb::TxResponse::decode(bytes.as_slice()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Status::internal(e.to_string()))?;
        let total = responses.len() as u64;
        // As the SDK and CometBFT page: 100 by default and at most 100 per page, whatever the
        // limit asked; a page past the last is refused.
        let limit = if req.limit == 0 {
            100
        } else {
            req.limit.min(100)
        };
        let page = req.page.max(1);
        let pages = total.div_ceil(limit).max(1);
        if page > pages {
            return Err(Status::invalid_argument(format!(
                "page should be within [1, {pages}] range, given {page}"
            )));
        }
        let skip = (page - 1).saturating_mul(limit) as usize;
        responses = responses
            .into_iter()
            .skip(skip)
            .take(limit as usize)
            .collect();
        let txs = responses
            .iter()
            .map(|r| {
                r.tx.as_ref()
                    .and_then(|any| txpb::Tx::decode(&*any.value).ok())
                    .unwrap_or_default()
            })
            .collect();
        #[allow(deprecated)]
        Ok(Response::new(txpb::GetTxsEventResponse {
            txs,
            tx_responses: responses,
            pagination: None,
            total,
        }))
    }
    async fn get_block_with_txs(
        &self,
        _: Request<txpb::GetBlockWithTxsRequest>,
    ) -> Rpc<txpb::GetBlockWithTxsResponse> {
        unimplemented("GetBlockWithTxs")
    }
    async fn tx_decode(&self, _: Request<txpb::TxDecodeRequest>) -> Rpc<txpb::TxDecodeResponse> {
        unimplemented("TxDecode")
    }
    async fn tx_encode(&self, _: Request<txpb::TxEncodeRequest>) -> Rpc<txpb::TxEncodeResponse> {
        unimplemented("TxEncode")
    }
    async fn tx_encode_amino(
        &self,
        _: Request<txpb::TxEncodeAminoRequest>,
    ) -> Rpc<txpb::TxEncodeAminoResponse> {
        unimplemented("TxEncodeAmino")
    }
    async fn tx_decode_amino(
        &self,
        _: Request<txpb::TxDecodeAminoRequest>,
    ) -> Rpc<txpb::TxDecodeAminoResponse> {
        unimplemented("TxDecodeAmino")
    }
}

// ---------------------------------------------------------------------------------------------
// auth

pub struct AuthService(Arc<Node>);

#[tonic::async_trait]
impl authpb::query_server::Query for AuthService {
    async fn accounts(
        &self,
        _: Request<authpb::QueryAccountsRequest>,
    ) -> Rpc<authpb::QueryAccountsResponse> {
        unimplemented("Accounts")
    }
    async fn account(
        &self,
        request: Request<authpb::QueryAccountRequest>,
    ) -> Rpc<authpb::QueryAccountResponse> {
        let human = request.into_inner().address;
        let addr = address(&self.0, &human)?;
        let account = self.0.with_chain(move |chain| chain.account(&addr)).await?;
        match account {
            Some(account) => Ok(Response::new(authpb::QueryAccountResponse {
                account: Some(Any {
                    type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                    value: account.encode_to_vec(),
                }),
            })),
            None => Err(Status::not_found(format!("account {human} not found"))),
        }
    }
    async fn account_address_by_id(
        &self,
        _: Request<authpb::QueryAccountAddressByIdRequest>,
    ) -> Rpc<authpb::QueryAccountAddressByIdResponse> {
        unimplemented("AccountAddressByID")
    }
    async fn params(
        &self,
        _: Request<authpb::QueryParamsRequest>,
    ) -> Rpc<authpb::QueryParamsResponse> {
        Ok(Response::new(authpb::QueryParamsResponse {
            params: Some(authpb::Params {
                max_memo_characters: 256,
                tx_sig_limit: 1,
                tx_size_cost_per_byte: 10,
                sig_verify_cost_ed25519: 590,
                sig_verify_cost_secp256k1: 1000,
            }),
        }))
    }
    async fn module_accounts(
        &self,
        _: Request<authpb::QueryModuleAccountsRequest>,
    ) -> Rpc<authpb::QueryModuleAccountsResponse> {
        unimplemented("ModuleAccounts")
    }
    async fn module_account_by_name(
        &self,
        _: Request<authpb::QueryModuleAccountByNameRequest>,
    ) -> Rpc<authpb::QueryModuleAccountByNameResponse> {
        unimplemented("ModuleAccountByName")
    }
    async fn bech32_prefix(
        &self,
        _: Request<authpb::Bech32PrefixRequest>,
    ) -> Rpc<authpb::Bech32PrefixResponse> {
        Ok(Response::new(authpb::Bech32PrefixResponse {
            bech32_prefix: self.0.config.prefix.clone(),
        }))
    }
    async fn address_bytes_to_string(
        &self,
        request: Request<authpb::AddressBytesToStringRequest>,
    ) -> Rpc<authpb::AddressBytesToStringResponse> {
        let bytes = request.into_inner().address_bytes;
        bech32_encode(&self.0.config.prefix, &bytes)
            .map(|address_string| {
                Response::new(authpb::AddressBytesToStringResponse { address_string })
            })
            .map_err(Status::invalid_argument)
    }
    async fn address_string_to_bytes(
        &self,
        request: Request<authpb::AddressStringToBytesRequest>,
    ) -> Rpc<authpb::AddressStringToBytesResponse> {
        let address_bytes = address(&self.0, &request.into_inner().address_string)?;
        Ok(Response::new(authpb::AddressStringToBytesResponse {
            address_bytes,
        }))
    }
    async fn account_info(
        &self,
        request: Request<authpb::QueryAccountInfoRequest>,
    ) -> Rpc<authpb::QueryAccountInfoResponse> {
        let human = request.into_inner().address;
        let addr = address(&self.0, &human)?;
        let account = self.0.with_chain(move |chain| chain.account(&addr)).await?;
        match account {
            Some(info) => Ok(Response::new(authpb::QueryAccountInfoResponse {
                info: Some(info),
            })),
            None => Err(Status::not_found(format!("account {human} not found"))),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// bank

pub struct BankService(Arc<Node>);

#[tonic::async_trait]
impl bankpb::query_server::Query for BankService {
    async fn balance(
        &self,
        request: Request<bankpb::QueryBalanceRequest>,
    ) -> Rpc<bankpb::QueryBalanceResponse> {
        let req = request.into_inner();
        let addr = address(&self.0, &req.address)?;
        if req.denom.is_empty() {
            return Err(Status::invalid_argument("invalid denom"));
        }
        let denom = req.denom.clone();
        let amount = self
            .0
            .with_chain(move |chain| chain.balance(&addr, &denom))
            .await?;
        Ok(Response::new(bankpb::QueryBalanceResponse {
            balance: Some(Coin {
                denom: req.denom,
                amount: amount.to_string(),
            }),
        }))
    }
    async fn all_balances(
        &self,
        request: Request<bankpb::QueryAllBalancesRequest>,
    ) -> Rpc<bankpb::QueryAllBalancesResponse> {
        let addr = address(&self.0, &request.into_inner().address)?;
        let balances = self
            .0
            .with_chain(move |chain| chain.all_balances(&addr))
            .await?;
        Ok(Response::new(bankpb::QueryAllBalancesResponse {
            balances: balances
                .into_iter()
                .map(|(denom, amount)| Coin {
                    denom,
                    amount: amount.to_string(),
                })
                .collect(),
            pagination: None,
        }))
    }
    async fn spendable_balances(
        &self,
        _: Request<bankpb::QuerySpendableBalancesRequest>,
    ) -> Rpc<bankpb::QuerySpendableBalancesResponse> {
        unimplemented("SpendableBalances")
    }
    async fn spendable_balance_by_denom(
        &self,
        _: Request<bankpb::QuerySpendableBalanceByDenomRequest>,
    ) -> Rpc<bankpb::QuerySpendableBalanceByDenomResponse> {
        unimplemented("SpendableBalanceByDenom")
    }
    async fn total_supply(
        &self,
        _: Request<bankpb::QueryTotalSupplyRequest>,
    ) -> Rpc<bankpb::QueryTotalSupplyResponse> {
        unimplemented("TotalSupply")
    }
    async fn supply_of(
        &self,
        _: Request<bankpb::QuerySupplyOfRequest>,
    ) -> Rpc<bankpb::QuerySupplyOfResponse> {
        unimplemented("SupplyOf")
    }
    async fn params(
        &self,
        _: Request<bankpb::QueryParamsRequest>,
    ) -> Rpc<bankpb::QueryParamsResponse> {
        unimplemented("Params")
    }
    async fn denom_metadata(
        &self,
        _: Request<bankpb::QueryDenomMetadataRequest>,
    ) -> Rpc<bankpb::QueryDenomMetadataResponse> {
        unimplemented("DenomMetadata")
    }
    async fn denom_metadata_by_query_string(
        &self,
        _: Request<bankpb::QueryDenomMetadataByQueryStringRequest>,
    ) -> Rpc<bankpb::QueryDenomMetadataByQueryStringResponse> {
        unimplemented("DenomMetadataByQueryString")
    }
    async fn denoms_metadata(
        &self,
        _: Request<bankpb::QueryDenomsMetadataRequest>,
    ) -> Rpc<bankpb::QueryDenomsMetadataResponse> {
        unimplemented("DenomsMetadata")
    }
    async fn denom_owners(
        &self,
        _: Request<bankpb::QueryDenomOwnersRequest>,
    ) -> Rpc<bankpb::QueryDenomOwnersResponse> {
        unimplemented("DenomOwners")
    }
    async fn denom_owners_by_query(
        &self,
        _: Request<bankpb::QueryDenomOwnersByQueryRequest>,
    ) -> Rpc<bankpb::QueryDenomOwnersByQueryResponse> {
        unimplemented("DenomOwnersByQuery")
    }
    async fn send_enabled(
        &self,
        _: Request<bankpb::QuerySendEnabledRequest>,
    ) -> Rpc<bankpb::QuerySendEnabledResponse> {
        unimplemented("SendEnabled")
    }
}

// ---------------------------------------------------------------------------------------------
// tendermint

pub struct TendermintService(Arc<Node>);

fn timestamp(nanos: u64) -> tm::google::protobuf::Timestamp {
    tm::google::protobuf::Timestamp {
        seconds: (nanos / 1_000_000_000) as i64,
        nanos: (nanos % 1_000_000_000) as i32,
    }
}

fn block_id(hash: &str) -> tm::types::BlockId {
    tm::types::BlockId {
        hash: hex::decode(hash).unwrap_or_default(),
        part_set_header: Some(tm::types::PartSetHeader {
            total: 1,
            hash: hex::decode(hash).unwrap_or_default(),
        }),
    }
}

fn block_response(chain_id: &str, header: &Header) -> tmpb::GetLatestBlockResponse {
    let version = tm::version::Consensus { block: 11, app: 0 };
    let last = (!header.last_hash.is_empty()).then(|| block_id(&header.last_hash));
    let app_hash = hex::decode(&header.app_hash).unwrap_or_default();
    let tm_header = tm::types::Header {
        version: Some(version),
        chain_id: chain_id.to_string(),
        height: header.height as i64,
        time: Some(timestamp(header.time_nanos)),
        last_block_id: last.clone(),
        app_hash: app_hash.clone(),
        ..Default::default()
    };
    let sdk_header = tmpb::Header {
        version: Some(version),
        chain_id: chain_id.to_string(),
        height: header.height as i64,
        time: Some(timestamp(header.time_nanos)),
        last_block_id: last,
        app_hash,
        ..Default::default()
    };
    tmpb::GetLatestBlockResponse {
        block_id: Some(block_id(&header.hash)),
        block: Some(tm::types::Block {
            header: Some(tm_header),
            data: Some(tm::types::Data { txs: vec![] }),
            evidence: None,
            last_commit: None,
        }),
        sdk_block: Some(tmpb::Block {
            header: Some(sdk_header),
            data: Some(tm::types::Data { txs: vec![] }),
            evidence: None,
            last_commit: None,
        }),
    }
}

#[tonic::async_trait]
impl tmpb::service_server::Service for TendermintService {
    async fn get_node_info(
        &self,
        _: Request<tmpb::GetNodeInfoRequest>,
    ) -> Rpc<tmpb::GetNodeInfoResponse> {
        let config = &self.0.config;
        Ok(Response::new(tmpb::GetNodeInfoResponse {
            default_node_info: Some(tm::p2p::DefaultNodeInfo {
                protocol_version: Some(tm::p2p::ProtocolVersion {
                    p2p: 8,
                    block: 11,
                    app: 0,
                }),
                default_node_id: "0000000000000000000000000000000000000000".into(),
                listen_addr: config.grpc_addr.clone(),
                network: config.chain_id.clone(),
                version: env!("CARGO_PKG_VERSION").into(),
                channels: vec![],
                moniker: "loopin-devnet".into(),
                other: None,
            }),
            application_version: Some(tmpb::VersionInfo {
                name: "loopin-devnet".into(),
                app_name: "loopin-devnet".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                git_commit: String::new(),
                build_tags: String::new(),
                go_version: String::new(),
                build_deps: vec![],
                cosmos_sdk_version: "v0.50 (gRPC subset)".into(),
            }),
        }))
    }
    async fn get_syncing(
        &self,
        _: Request<tmpb::GetSyncingRequest>,
    ) -> Rpc<tmpb::GetSyncingResponse> {
        Ok(Response::new(tmpb::GetSyncingResponse { syncing: false }))
    }
    async fn get_latest_block(
        &self,
        _: Request<tmpb::GetLatestBlockRequest>,
    ) -> Rpc<tmpb::GetLatestBlockResponse> {
        let chain_id = self.0.config.chain_id.clone();
        let header = self.0.with_chain(|chain| chain.header().clone()).await?;
        Ok(Response::new(block_response(&chain_id, &header)))
    }
    async fn get_block_by_height(
        &self,
        request: Request<tmpb::GetBlockByHeightRequest>,
    ) -> Rpc<tmpb::GetBlockByHeightResponse> {
        let height = request.into_inner().height;
        let chain_id = self.0.config.chain_id.clone();
        let stored = self
            .0
            .with_chain(move |chain| chain.store().block(height.max(0) as u64))
            .await?
            .map_err(|e| Status::internal(e.to_string()))?;
        let header: Header = stored
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| Status::not_found(format!("no block at height {height}")))?;
        let r = block_response(&chain_id, &header);
        Ok(Response::new(tmpb::GetBlockByHeightResponse {
            block_id: r.block_id,
            block: r.block,
            sdk_block: r.sdk_block,
        }))
    }
    /// One validator: the IBC signer, whose key counterparties' clients verify proofs with.
    async fn get_latest_validator_set(
        &self,
        _: Request<tmpb::GetLatestValidatorSetRequest>,
    ) -> Rpc<tmpb::GetLatestValidatorSetResponse> {
        let prefix = format!("{}valcons", self.0.config.prefix);
        let (height, key) = self
            .0
            .with_chain(|chain| (chain.header().height, *chain.ibc_signer().verifying_key()))
            .await?;
        let compressed = key.to_encoded_point(true);
        let address = bech32_encode(
            &prefix,
            &crate::chain::pubkey_address(compressed.as_bytes()),
        )
        .map_err(Status::internal)?;
        Ok(Response::new(tmpb::GetLatestValidatorSetResponse {
            block_height: height as i64,
            validators: vec![tmpb::Validator {
                address,
                pub_key: Some(crate::ibc::proof::public_key_any(&key)),
                voting_power: 1,
                proposer_priority: 0,
            }],
            pagination: Some(
                cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse {
                    next_key: Vec::new(),
                    total: 1,
                },
            ),
        }))
    }
    async fn get_validator_set_by_height(
        &self,
        _: Request<tmpb::GetValidatorSetByHeightRequest>,
    ) -> Rpc<tmpb::GetValidatorSetByHeightResponse> {
        unimplemented("GetValidatorSetByHeight")
    }
    async fn abci_query(&self, _: Request<tmpb::AbciQueryRequest>) -> Rpc<tmpb::AbciQueryResponse> {
        unimplemented("ABCIQuery")
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-served unary services (cosmwasm.wasm.v1.Query and the admin service)

/// One unary call: decodes the request with prost and runs `F` once.
struct Once<F, Req>(Option<F>, PhantomData<fn(Req)>);

impl<F, Fut, Req, Resp> UnaryService<Req> for Once<F, Req>
where
    F: FnOnce(Req) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Resp, Status>> + Send + 'static,
    Req: Send + 'static,
    Resp: Send + 'static,
{
    type Response = Resp;
    type Future = BoxFuture<Response<Resp>, Status>;
    fn call(&mut self, request: Request<Req>) -> Self::Future {
        let f = self.0.take();
        Box::pin(async move {
            match f {
                Some(f) => f(request.into_inner()).await.map(Response::new),
                None => Err(Status::internal("unary handler reused")),
            }
        })
    }
}

type HttpResponse = http::Response<tonic::body::Body>;

fn unary<F, Fut, Req, Resp>(
    req: http::Request<tonic::body::Body>,
    f: F,
) -> BoxFuture<HttpResponse, Infallible>
where
    F: FnOnce(Req) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Resp, Status>> + Send + 'static,
    Req: Message + Default + Send + 'static,
    Resp: Message + Send + 'static,
{
    Box::pin(async move {
        let mut grpc = tonic::server::Grpc::new(tonic::codec::ProstCodec::<Resp, Req>::default());
        Ok(grpc.unary(Once(Some(f), PhantomData), req).await)
    })
}

fn unimplemented_http() -> BoxFuture<HttpResponse, Infallible> {
    Box::pin(async move {
        let mut response = http::Response::new(tonic::body::Body::default());
        let headers = response.headers_mut();
        headers.insert(
            Status::GRPC_STATUS,
            (tonic::Code::Unimplemented as i32).into(),
        );
        headers.insert(
            http::header::CONTENT_TYPE,
            tonic::metadata::GRPC_CONTENT_TYPE,
        );
        Ok(response)
    })
}

/// cosmwasm.wasm.v1.Query: smart, raw, contract info, code info and contracts by code.
#[derive(Clone)]
pub struct WasmQueryService(Arc<Node>);

impl NamedService for WasmQueryService {
    const NAME: &'static str = "cosmwasm.wasm.v1.Query";
}

fn query_status(e: QueryError) -> Status {
    match e {
        // As wasmd answers: its registered error, code Unknown.
        QueryError::NoSuchContract(addr) => Status::unknown(format!(
            "codespace wasm code 22: no such contract: address {addr}"
        )),
        QueryError::OutOfGas => Status::resource_exhausted("out of gas in query"),
        other => Status::invalid_argument(other.to_string()),
    }
}

fn smart_query(chain: &mut Chain, contract: &str, msg: &[u8]) -> Result<Vec<u8>, Status> {
    if serde_json::from_slice::<serde_json::Value>(msg).is_err() {
        return Err(Status::invalid_argument("query data must be json"));
    }
    let gas = QUERY_GAS_LIMIT * GAS_MULTIPLIER;
    let (result, _) = chain.query(|ctx, vm| vm.query_smart(ctx, contract, msg, gas, 0));
    result.map(|b| b.to_vec()).map_err(query_status)
}

impl tonic::codegen::Service<http::Request<tonic::body::Body>> for WasmQueryService {
    type Response = HttpResponse;
    type Error = Infallible;
    type Future = BoxFuture<HttpResponse, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        let node = self.0.clone();
        match req.uri().path() {
            "/cosmwasm.wasm.v1.Query/SmartContractState" => unary(
                req,
                move |r: wasmpb::QuerySmartContractStateRequest| async move {
                    let data = node
                        .with_chain(move |chain| smart_query(chain, &r.address, &r.query_data))
                        .await??;
                    Ok(wasmpb::QuerySmartContractStateResponse { data })
                },
            ),
            "/cosmwasm.wasm.v1.Query/RawContractState" => unary(
                req,
                move |r: wasmpb::QueryRawContractStateRequest| async move {
                    let data = node
                        .with_chain(move |chain| {
                            chain.query(|ctx, vm| vm.query_raw(ctx, &r.address, &r.query_data))
                        })
                        .await?
                        .map_err(query_status)?
                        .unwrap_or_default();
                    Ok(wasmpb::QueryRawContractStateResponse { data })
                },
            ),
            "/cosmwasm.wasm.v1.Query/ContractInfo" => {
                unary(req, move |r: wasmpb::QueryContractInfoRequest| async move {
                    let prefix = node.config.prefix.clone();
                    let canonical = bech32_decode(&prefix, &r.address)
                        .map_err(|e| Status::invalid_argument(format!("invalid address: {e}")))?;
                    let address = r.address.clone();
                    let (meta, port) = node
                        .with_chain(move |chain| {
                            chain.query(|ctx, vm| {
                                (
                                    vm.contract_meta(ctx, &canonical),
                                    vm.ibc_port_of(ctx, &address),
                                )
                            })
                        })
                        .await?;
                    let meta = meta.ok_or_else(|| {
                        Status::not_found(format!("no such contract: {}", r.address))
                    })?;
                    Ok(wasmpb::QueryContractInfoResponse {
                        address: r.address,
                        contract_info: Some(wasmpb::ContractInfo {
                            code_id: meta.code_id,
                            creator: meta.creator,
                            admin: meta.admin.unwrap_or_default(),
                            label: meta.label,
                            created: Some(wasmpb::AbsoluteTxPosition {
                                block_height: meta.created_height,
                                tx_index: 0,
                            }),
                            ibc_port_id: port.unwrap_or_default(),
                            extension: None,
                        }),
                    })
                })
            }
            _ => unimplemented_http(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// admin (dev only)

/// `loopin.devnet.v1.AdvanceTimeRequest`: moves the clock `seconds` forward and seals a block.
#[derive(Clone, PartialEq, Message)]
pub struct AdvanceTimeRequest {
    #[prost(uint64, tag = "1")]
    pub seconds: u64,
}

/// The block sealed after the jump.
#[derive(Clone, PartialEq, Message)]
pub struct AdvanceTimeResponse {
    #[prost(uint64, tag = "1")]
    pub height: u64,
    #[prost(uint64, tag = "2")]
    pub time_unix_nanos: u64,
}

/// `loopin.devnet.v1.FundRequest`: the faucet, minting the native denom.
#[derive(Clone, PartialEq, Message)]
pub struct FundRequest {
    #[prost(string, tag = "1")]
    pub address: String,
    #[prost(string, tag = "2")]
    pub amount: String,
}

#[derive(Clone, PartialEq, Message)]
pub struct FundResponse {}

/// loopin.devnet.v1.Admin: AdvanceTime and Fund. Served only with `admin = true`.
#[derive(Clone)]
pub struct AdminService(Arc<Node>);

impl NamedService for AdminService {
    const NAME: &'static str = "loopin.devnet.v1.Admin";
}

impl tonic::codegen::Service<http::Request<tonic::body::Body>> for AdminService {
    type Response = HttpResponse;
    type Error = Infallible;
    type Future = BoxFuture<HttpResponse, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        let node = self.0.clone();
        match req.uri().path() {
            "/loopin.devnet.v1.Admin/AdvanceTime" => {
                unary(req, move |r: AdvanceTimeRequest| async move {
                    node.with_chain(move |chain| chain.advance_time(r.seconds))
                        .await?;
                    let header = node.produce_block().await?;
                    Ok(AdvanceTimeResponse {
                        height: header.height,
                        time_unix_nanos: header.time_nanos,
                    })
                })
            }
            "/loopin.devnet.v1.Admin/Fund" => unary(req, move |r: FundRequest| async move {
                let addr = address(&node, &r.address)?;
                let amount: u128 = r
                    .amount
                    .parse()
                    .map_err(|_| Status::invalid_argument("amount must be an integer"))?;
                node.with_chain(move |chain| chain.fund(&addr, amount))
                    .await?
                    .map_err(|e| Status::invalid_argument(e.log))?;
                Ok(FundResponse {})
            }),
            _ => unimplemented_http(),
        }
    }
}
