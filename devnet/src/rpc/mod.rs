//! The CometBFT JSON-RPC subset cosmjs (`CosmWasmClient`, `SigningCosmWasmClient` over
//! `Comet38Client`) and Keplr use, served over HTTP with CORS open (docs/devnet.md, "CometBFT
//! RPC and REST").
//!
//! JSON-RPC 2.0 by `POST /` (one request or a batch; named or positional params) and the URI
//! form `GET /{method}?name=value` (strings quoted, bytes `0x` hex) as CometBFT offers it. Errors
//! are CometBFT's: `{code, message, data}` with -32700 (not JSON; HTTP 500), -32600, -32601,
//! -32602 and -32603 (what a method refused, with its reason in `data`).
//!
//! | file | responsibility |
//! | --- | --- |
//! | `mod.rs` | the server, request handling and the method table |
//! | `context.rs` | what every method reads (`Rpc`) |
//! | `jsonrpc.rs` | requests, params, errors |
//! | `blocks.rs` | `status`, `health`, `abci_info`, `block`, `block_results` |
//! | `abci.rs` | `abci_query` over the gRPC services |
//! | `txs.rs` | `broadcast_tx_sync`/`_async`, `tx`, `tx_search` |
//! | `index.rs` | the transaction index `tx_search` reads |
//! | `query.rs` | CometBFT's event query language |

pub mod abci;
pub mod blocks;
pub mod context;
pub mod index;
pub mod jsonrpc;
pub mod query;
pub mod txs;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use crate::http::{MAX_BODY, json};
pub use context::Rpc;
use jsonrpc::{Params, RpcError};

/// Every method served, with its parameters' names in CometBFT's order.
const METHODS: &[(&str, &[&str])] = &[
    ("abci_info", &[]),
    ("abci_query", &["path", "data", "height", "prove"]),
    ("block", &["height"]),
    ("block_results", &["height"]),
    ("broadcast_tx_async", &["tx"]),
    ("broadcast_tx_sync", &["tx"]),
    ("health", &[]),
    ("status", &[]),
    ("tx", &["hash", "prove"]),
    (
        "tx_search",
        &["query", "prove", "page", "per_page", "order_by"],
    ),
];

fn arg_names(method: &str) -> Option<&'static [&'static str]> {
    METHODS
        .iter()
        .find(|(name, _)| *name == method)
        .map(|(_, args)| *args)
}

impl Rpc {
    /// Runs one method.
    pub async fn call(&self, method: &str, params: &Params) -> Result<Value, RpcError> {
        match method {
            "abci_info" => blocks::abci_info(self).await,
            "abci_query" => abci::abci_query(self, params).await,
            "block" => blocks::block(self, params).await,
            "block_results" => blocks::block_results(self, params).await,
            "broadcast_tx_async" | "broadcast_tx_sync" => txs::broadcast(self, params).await,
            "health" => Ok(json!({})),
            "status" => blocks::status(self).await,
            "tx" => txs::tx(self, params).await,
            "tx_search" => txs::tx_search(self, params).await,
            _ => Err(RpcError::method_not_found()),
        }
    }

    /// One JSON-RPC request object; `None` for a notification.
    async fn call_json(&self, value: Value) -> Option<Value> {
        let request = match jsonrpc::request(value) {
            Ok(request) => request,
            Err((id, e)) => return Some(jsonrpc::response(id.as_ref(), Err(e))),
        };
        let id = request.id?;
        let result = match arg_names(&request.method) {
            None => Err(RpcError::method_not_found()),
            Some(names) => match Params::from_json(request.params, names) {
                Ok(params) => self.call(&request.method, &params).await,
                Err(e) => Err(e),
            },
        };
        Some(jsonrpc::response(Some(&id), result))
    }
}

/// The RPC's HTTP routes (CORS is added by [`crate::http::spawn`]).
pub fn router(rpc: Arc<Rpc>) -> Router {
    Router::new().fallback(move |request: Request<Body>| {
        let rpc = rpc.clone();
        async move { handle(&rpc, request).await }
    })
}

async fn handle(rpc: &Rpc, request: Request<Body>) -> Response {
    let path = request.uri().path().trim_matches('/').to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let method = request.method().clone();
    if path.is_empty() {
        return match method {
            Method::POST => json_rpc(rpc, request.into_body()).await,
            Method::GET => endpoints(),
            _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
        };
    }
    if !matches!(method, Method::GET | Method::POST) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    // The URI form answers with id -1, and errors with HTTP 500, as CometBFT's does.
    let id = json!(-1);
    if arg_names(&path).is_none() {
        let body = jsonrpc::response(Some(&id), Err(RpcError::method_not_found()));
        return json(StatusCode::NOT_FOUND, &body);
    }
    let result = rpc.call(&path, &Params::from_query(&query)).await;
    let status = if result.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    json(status, &jsonrpc::response(Some(&id), result))
}

async fn json_rpc(rpc: &Rpc, body: Body) -> Response {
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let error = RpcError::invalid_request(format!("error reading request body: {e}"));
            return json(
                StatusCode::BAD_REQUEST,
                &jsonrpc::response(None, Err(error)),
            );
        }
    };
    if bytes.is_empty() {
        return endpoints();
    }
    let parse_error = |e: String| {
        let error = RpcError::parse(format!("error unmarshaling request: {e}"));
        json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &jsonrpc::response(None, Err(error)),
        )
    };
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(e) => return parse_error(e.to_string()),
    };
    let answer = match value {
        Value::Array(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                if let Some(response) = rpc.call_json(request).await {
                    responses.push(response);
                }
            }
            (!responses.is_empty()).then_some(Value::Array(responses))
        }
        object @ Value::Object(_) => rpc.call_json(object).await,
        other => return parse_error(format!("expected a request object or array, got {other}")),
    };
    match answer {
        Some(answer) => json(StatusCode::OK, &answer),
        // Only notifications: nothing to answer.
        None => StatusCode::OK.into_response(),
    }
}

/// `GET /`: the methods served, as CometBFT lists them.
fn endpoints() -> Response {
    let mut html = String::from("<html><body><br>Available endpoints:<br>");
    for (name, args) in METHODS {
        let query: Vec<String> = args.iter().map(|a| format!("{a}=_")).collect();
        let link = if query.is_empty() {
            format!("/{name}")
        } else {
            format!("/{name}?{}", query.join("&"))
        };
        html.push_str(&format!("<a href=\"{link}\">{link}</a><br>"));
    }
    html.push_str("</body></html>");
    Html(html).into_response()
}
