//! The REST (LCD) subset Keplr uses for an account and a cw20 token, served over HTTP with CORS
//! open: each route calls the same gRPC service the gRPC server runs ([`crate::local_grpc`]) and
//! writes its answer as the Cosmos SDK's gRPC gateway does (`crate::proto_json`).
//!
//! | route | gRPC method |
//! | --- | --- |
//! | `GET /cosmos/base/tendermint/v1beta1/node_info` | `cosmos.base.tendermint.v1beta1.Service/GetNodeInfo` |
//! | `GET /cosmos/base/tendermint/v1beta1/syncing` | `.../GetSyncing` |
//! | `GET /cosmos/auth/v1beta1/accounts/{address}` | `cosmos.auth.v1beta1.Query/Account` |
//! | `GET /cosmos/bank/v1beta1/balances/{address}` | `cosmos.bank.v1beta1.Query/AllBalances` |
//! | `GET /cosmos/bank/v1beta1/balances/{address}/by_denom?denom=D` | `.../Balance` |
//! | `GET /cosmwasm/wasm/v1/contract/{address}/smart/{base64 query}` | `cosmwasm.wasm.v1.Query/SmartContractState` |
//! | `POST /cosmos/tx/v1beta1/simulate` `{"tx_bytes"}` | `cosmos.tx.v1beta1.Service/Simulate` |
//! | `POST /cosmos/tx/v1beta1/txs` `{"tx_bytes", "mode"}` | `.../BroadcastTx` |
//!
//! Errors are the gateway's: `{"code": <gRPC code>, "message", "details": []}` with the HTTP
//! status it maps the code to (InvalidArgument 400, NotFound 404, Unimplemented 501, ...). Any
//! other route is 501 `Not Implemented`, which is how Keplr learns a feature is absent.

// The routes answer with the gRPC services' `Status`, as the gateway maps it.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use cosmos_sdk_proto::cosmos::auth::v1beta1 as authpb;
use cosmos_sdk_proto::cosmos::bank::v1beta1 as bankpb;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tmpb;
use cosmos_sdk_proto::cosmos::tx::v1beta1 as txpb;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasmpb;
use serde_json::{Value, json};
use tonic::{Code, Status};

use crate::http::{MAX_BODY, json};
use crate::local_grpc::LocalGrpc;
use crate::node::Node;
use crate::proto_json;

/// The REST routes (CORS is added by [`crate::http::spawn`]).
pub fn router(node: Arc<Node>) -> Router {
    let grpc = LocalGrpc::new(node);
    Router::new().fallback(move |request: Request<Body>| {
        let grpc = grpc.clone();
        async move {
            match handle(&grpc, request).await {
                Ok(value) => json(StatusCode::OK, &value),
                Err(status) => error(&status),
            }
        }
    })
}

/// The gateway's HTTP status for a gRPC code (grpc-gateway's `HTTPStatusFromCode`).
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn error(status: &Status) -> Response {
    json(
        http_status(status.code()),
        &json!({ "code": status.code() as i32, "message": status.message(), "details": [] }),
    )
}

fn not_implemented() -> Status {
    Status::unimplemented("Not Implemented")
}

/// A path segment, percent-decoded (`+` stays `+`: base64 uses it).
fn segment(raw: &str) -> Result<String, Status> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|e| Status::invalid_argument(format!("invalid path segment: {e}")))
}

/// Bytes in a path, as the gateway reads them: standard base64, else URL-safe, padded or not.
fn path_bytes(text: &str) -> Result<Vec<u8>, Status> {
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or_else(|| Status::invalid_argument(format!("query data {text:?} is not base64")))
}

fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A POST body's JSON object.
async fn body_json(body: Body) -> Result<serde_json::Map<String, Value>, Status> {
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| Status::invalid_argument(format!("reading the body: {e}")))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Status::invalid_argument("the body must be a JSON object")),
        Err(e) => Err(Status::invalid_argument(format!(
            "the body is not JSON: {e}"
        ))),
    }
}

fn tx_bytes(body: &serde_json::Map<String, Value>) -> Result<Vec<u8>, Status> {
    match body.get("tx_bytes") {
        Some(Value::String(text)) => STANDARD
            .decode(text)
            .map_err(|e| Status::invalid_argument(format!("tx_bytes is not base64: {e}"))),
        Some(_) => Err(Status::invalid_argument("tx_bytes must be a base64 string")),
        None => Err(Status::invalid_argument("tx_bytes is required")),
    }
}

fn broadcast_mode(body: &serde_json::Map<String, Value>) -> Result<i32, Status> {
    let mode = match body.get("mode") {
        None | Some(Value::Null) => return Ok(0),
        Some(Value::Number(n)) => n.as_i64().unwrap_or(-1),
        Some(Value::String(s)) => match s.as_str() {
            "BROADCAST_MODE_UNSPECIFIED" => 0,
            "BROADCAST_MODE_BLOCK" => 1,
            "BROADCAST_MODE_SYNC" => 2,
            "BROADCAST_MODE_ASYNC" => 3,
            other => other.parse().unwrap_or(-1),
        },
        Some(_) => -1,
    };
    if (0..=3).contains(&mode) {
        Ok(mode as i32)
    } else {
        Err(Status::invalid_argument("mode must be a BroadcastMode"))
    }
}

async fn handle(grpc: &LocalGrpc, request: Request<Body>) -> Result<Value, Status> {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let segments = path
        .trim_matches('/')
        .split('/')
        .map(segment)
        .collect::<Result<Vec<_>, _>>()?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (&method, segments.as_slice()) {
        (&Method::GET, ["cosmos", "base", "tendermint", "v1beta1", "node_info"]) => {
            node_info(grpc).await
        }
        (&Method::GET, ["cosmos", "base", "tendermint", "v1beta1", "syncing"]) => {
            syncing(grpc).await
        }
        (&Method::GET, ["cosmos", "auth", "v1beta1", "accounts", address]) => {
            account(grpc, address).await
        }
        (&Method::GET, ["cosmos", "bank", "v1beta1", "balances", address]) => {
            balances(grpc, address).await
        }
        (&Method::GET, ["cosmos", "bank", "v1beta1", "balances", address, "by_denom"]) => {
            let denom = query_param(&query, "denom").unwrap_or_default();
            balance(grpc, address, denom).await
        }
        (
            &Method::GET,
            [
                "cosmwasm",
                "wasm",
                "v1",
                "contract",
                address,
                "smart",
                rest @ ..,
            ],
        ) if !rest.is_empty() => smart(grpc, address, path_bytes(&rest.join("/"))?).await,
        (&Method::POST, ["cosmos", "tx", "v1beta1", "simulate"]) => {
            simulate(grpc, body_json(request.into_body()).await?).await
        }
        (&Method::POST, ["cosmos", "tx", "v1beta1", "txs"]) => {
            broadcast(grpc, body_json(request.into_body()).await?).await
        }
        _ => Err(not_implemented()),
    }
}

async fn node_info(grpc: &LocalGrpc) -> Result<Value, Status> {
    let r: tmpb::GetNodeInfoResponse = grpc
        .unary(
            "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
            &tmpb::GetNodeInfoRequest {},
        )
        .await?;
    Ok(proto_json::node_info(&r))
}

async fn syncing(grpc: &LocalGrpc) -> Result<Value, Status> {
    let r: tmpb::GetSyncingResponse = grpc
        .unary(
            "/cosmos.base.tendermint.v1beta1.Service/GetSyncing",
            &tmpb::GetSyncingRequest {},
        )
        .await?;
    Ok(json!({ "syncing": r.syncing }))
}

async fn account(grpc: &LocalGrpc, address: &str) -> Result<Value, Status> {
    let r: authpb::QueryAccountResponse = grpc
        .unary(
            "/cosmos.auth.v1beta1.Query/Account",
            &authpb::QueryAccountRequest {
                address: address.to_string(),
            },
        )
        .await?;
    let account = r
        .account
        .ok_or_else(|| Status::internal("the account service answered no account"))?;
    Ok(proto_json::account(&account))
}

async fn balances(grpc: &LocalGrpc, address: &str) -> Result<Value, Status> {
    let r: bankpb::QueryAllBalancesResponse = grpc
        .unary(
            "/cosmos.bank.v1beta1.Query/AllBalances",
            &bankpb::QueryAllBalancesRequest {
                address: address.to_string(),
                pagination: None,
                resolve_denom: false,
            },
        )
        .await?;
    Ok(json!({
        "balances": r.balances.iter().map(proto_json::coin).collect::<Vec<_>>(),
        "pagination": { "next_key": null, "total": r.balances.len().to_string() },
    }))
}

async fn balance(grpc: &LocalGrpc, address: &str, denom: String) -> Result<Value, Status> {
    let r: bankpb::QueryBalanceResponse = grpc
        .unary(
            "/cosmos.bank.v1beta1.Query/Balance",
            &bankpb::QueryBalanceRequest {
                address: address.to_string(),
                denom,
            },
        )
        .await?;
    Ok(json!({ "balance": r.balance.as_ref().map(proto_json::coin) }))
}

async fn smart(grpc: &LocalGrpc, address: &str, query_data: Vec<u8>) -> Result<Value, Status> {
    let r: wasmpb::QuerySmartContractStateResponse = grpc
        .unary(
            "/cosmwasm.wasm.v1.Query/SmartContractState",
            &wasmpb::QuerySmartContractStateRequest {
                address: address.to_string(),
                query_data,
            },
        )
        .await?;
    Ok(proto_json::smart(&r.data))
}

async fn simulate(grpc: &LocalGrpc, body: serde_json::Map<String, Value>) -> Result<Value, Status> {
    #[allow(deprecated)]
    let simulate = txpb::SimulateRequest {
        tx: None,
        tx_bytes: tx_bytes(&body)?,
    };
    let r: txpb::SimulateResponse = grpc
        .unary("/cosmos.tx.v1beta1.Service/Simulate", &simulate)
        .await?;
    Ok(proto_json::simulate(&r))
}

async fn broadcast(
    grpc: &LocalGrpc,
    body: serde_json::Map<String, Value>,
) -> Result<Value, Status> {
    let broadcast = txpb::BroadcastTxRequest {
        tx_bytes: tx_bytes(&body)?,
        mode: broadcast_mode(&body)?,
    };
    let r: txpb::BroadcastTxResponse = grpc
        .unary("/cosmos.tx.v1beta1.Service/BroadcastTx", &broadcast)
        .await?;
    Ok(proto_json::tx_response(&r.tx_response.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_statuses() {
        assert_eq!(http_status(Code::InvalidArgument), StatusCode::BAD_REQUEST);
        assert_eq!(http_status(Code::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(
            http_status(Code::Unimplemented),
            StatusCode::NOT_IMPLEMENTED
        );
        assert_eq!(
            http_status(Code::Unknown),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn path_bytes_take_either_base64() {
        assert_eq!(path_bytes("e30=").unwrap(), b"{}");
        assert_eq!(path_bytes("e30").unwrap(), b"{}");
        assert_eq!(path_bytes("-_8").unwrap(), [0xfb, 0xff]);
        assert!(path_bytes("!!").is_err());
        assert_eq!(segment("a%2Bb+c").unwrap(), "a+b+c");
    }

    #[test]
    fn broadcast_modes() {
        let mode = |v: Value| broadcast_mode(v.as_object().unwrap());
        assert_eq!(mode(json!({})).unwrap(), 0);
        assert_eq!(mode(json!({"mode": "BROADCAST_MODE_SYNC"})).unwrap(), 2);
        assert_eq!(mode(json!({"mode": 3})).unwrap(), 3);
        assert!(mode(json!({"mode": "FAST"})).is_err());
        assert!(mode(json!({"mode": 9})).is_err());
    }
}
