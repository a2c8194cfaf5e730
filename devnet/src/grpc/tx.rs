//! cosmos.tx.v1beta1.Service: simulate, broadcast, and the transactions by hash or height.

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::base::abci::v1beta1 as abcipb;
use cosmos_sdk_proto::cosmos::tx::v1beta1 as txpb;
use prost::Message;
use tonic::{Request, Response, Status};

use crate::node::Node;

use super::status::{Rpc, unimplemented};

pub struct TxService(pub(super) Arc<Node>);

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
