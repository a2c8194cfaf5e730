//! `broadcast_tx_sync` (and `_async`), `tx` and `tx_search`: CheckTx into the devnet's mempool,
//! and committed transactions found by hash or by CometBFT event query.

use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use prost::Message;
use serde_json::{Value, json};

use super::blocks::raw_tx;
use super::context::{Rpc, chain_error};
use super::index::IndexedTx;
use super::jsonrpc::{Params, RpcError};
use super::query::Query;
use crate::proto_json::b64;

/// CometBFT's `tx_search` pages: 30 per page by default, at most 100.
const DEFAULT_PER_PAGE: i64 = 30;
const MAX_PER_PAGE: i64 = 100;

/// A committed transaction's result as CometBFT's `ExecTxResult`.
pub fn exec_tx_result(response: &TxResponse) -> Value {
    json!({
        "code": response.code,
        "data": b64(&hex::decode(&response.data).unwrap_or_default()),
        "log": response.raw_log,
        "info": response.info,
        "gas_wanted": response.gas_wanted.to_string(),
        "gas_used": response.gas_used.to_string(),
        // The same JSON as the REST API's (CometBFT's and the gateway's shapes agree here).
        "events": crate::proto_json::events(&response.events),
        "codespace": response.codespace,
    })
}

/// CometBFT's `ResultTx`.
fn result_tx(response: &TxResponse, index: u32) -> Value {
    json!({
        "hash": response.txhash,
        "height": response.height.to_string(),
        "index": index,
        "tx_result": exec_tx_result(response),
        "tx": b64(&raw_tx(response)),
    })
}

/// CheckTx: admitted or not, the answer carries the code; a transaction already in the mempool
/// or already committed is an RPC error, as CometBFT's mempool cache answers it.
pub async fn broadcast(rpc: &Rpc, params: &Params) -> Result<Value, RpcError> {
    let tx = params
        .base64_bytes("tx")?
        .ok_or_else(|| RpcError::invalid_params("tx is required"))?;
    let hash = crate::chain::tx_hash(&tx);
    let result = rpc
        .node
        .with_chain(move |chain| chain.check_tx(tx))
        .await
        .map_err(|e| RpcError::internal(e.message()))?;
    match result {
        Ok(hash) => Ok(json!({ "code": 0, "data": "", "log": "", "codespace": "", "hash": hash })),
        Err(e) if e.codespace == "sdk" && e.code == 19 => {
            Err(RpcError::internal("tx already exists in cache"))
        }
        Err(e) => Ok(json!({
            "code": e.code,
            "data": "",
            "log": e.log,
            "codespace": e.codespace,
            "hash": hash,
        })),
    }
}

/// The committed result stored under `hash` (upper-case hex) and its position in its block.
async fn lookup(rpc: &Rpc, hash: String) -> Result<Option<(TxResponse, u32)>, RpcError> {
    rpc.node
        .with_chain(move |chain| {
            let Some(bytes) = chain.store().tx(hash.as_bytes()).map_err(chain_error)? else {
                return Ok(None);
            };
            let response = TxResponse::decode(bytes.as_slice())
                .map_err(|e| RpcError::internal(format!("stored result: {e}")))?;
            let block = chain
                .store()
                .block_txs(response.height.max(0) as u64)
                .map_err(chain_error)?;
            let index = block
                .iter()
                .position(|b| {
                    TxResponse::decode(b.as_slice()).is_ok_and(|r| r.txhash == response.txhash)
                })
                .unwrap_or(0) as u32;
            Ok(Some((response, index)))
        })
        .await
        .map_err(|e| RpcError::internal(e.message()))?
}

pub async fn tx(rpc: &Rpc, params: &Params) -> Result<Value, RpcError> {
    let hash = params
        .base64_bytes("hash")?
        .ok_or_else(|| RpcError::invalid_params("hash is required"))?;
    params.bool("prove")?;
    let hex_hash = hex::encode_upper(&hash);
    match lookup(rpc, hex_hash.clone()).await? {
        Some((response, index)) => Ok(result_tx(&response, index)),
        None => Err(RpcError::internal(format!("tx ({hex_hash}) not found"))),
    }
}

pub async fn tx_search(rpc: &Rpc, params: &Params) -> Result<Value, RpcError> {
    let text = params.string("query")?.unwrap_or_default();
    params.bool("prove")?;
    let descending = match params.string("order_by")?.as_deref() {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            return Err(RpcError::internal(
                "expected order_by to be either `asc` or `desc` or empty",
            ));
        }
    };
    let per_page = match params.int("per_page")? {
        Some(n) if n >= 1 => n.min(MAX_PER_PAGE),
        _ => DEFAULT_PER_PAGE,
    } as usize;
    let page = params.int("page")?;
    let query = Query::parse(&text).map_err(|e| RpcError::internal(format!("query: {e}")))?;

    let mut found = matches(rpc, &query).await?;
    if descending {
        found.reverse();
    }
    let total = found.len();
    let pages = total.div_ceil(per_page).max(1);
    let page = match page {
        None => 1,
        Some(p) if p >= 1 && p as usize <= pages => p as usize,
        Some(p) => {
            return Err(RpcError::internal(format!(
                "page should be within [1, {pages}] range, given {p}"
            )));
        }
    };
    let chosen: Vec<(u32, String)> = found
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|(_, index, hash)| (index, hash))
        .collect();
    let results = load_results(rpc, chosen).await?;
    Ok(json!({ "txs": results, "total_count": total.to_string() }))
}

/// The transactions `query` matches as (height, index, hash), in chain order.
async fn matches(rpc: &Rpc, query: &Query) -> Result<Vec<(u64, u32, String)>, RpcError> {
    // Matches as (height, index, hash), in chain order. A hash condition is one lookup; any
    // other query reads the index.
    Ok(match query.equals("tx", "hash") {
        Some(hash) => match lookup(rpc, hash.to_uppercase()).await? {
            Some((response, index)) => {
                let tx = IndexedTx::new(response.height.max(0) as u64, index, &response);
                if tx.matches(query) {
                    vec![(tx.height, tx.index, tx.hash)]
                } else {
                    Vec::new()
                }
            }
            None => Vec::new(),
        },
        None => {
            let mut index = rpc.index.lock().await;
            index
                .catch_up(&rpc.node)
                .await
                .map_err(|e| RpcError::internal(e.to_string()))?;
            index
                .search(query)
                .map(|tx| (tx.height, tx.index, tx.hash.clone()))
                .collect()
        }
    })
}

/// The stored results of the chosen transactions, as `tx_search` answers them.
async fn load_results(rpc: &Rpc, chosen: Vec<(u32, String)>) -> Result<Vec<Value>, RpcError> {
    rpc.node
        .with_chain(move |chain| {
            chosen
                .into_iter()
                .map(|(index, hash)| {
                    let bytes = chain
                        .store()
                        .tx(hash.as_bytes())
                        .map_err(chain_error)?
                        .ok_or_else(|| RpcError::internal(format!("tx ({hash}) not found")))?;
                    TxResponse::decode(bytes.as_slice())
                        .map(|r| result_tx(&r, index))
                        .map_err(|e| RpcError::internal(format!("stored result: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|e| RpcError::internal(e.message()))?
}
