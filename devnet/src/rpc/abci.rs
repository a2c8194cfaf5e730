//! `abci_query`: the path names a gRPC method (`/cosmwasm.wasm.v1.Query/SmartContractState`,
//! `/cosmos.bank.v1beta1.Query/Balance`, `/cosmos.auth.v1beta1.Query/Account`,
//! `/cosmos.tx.v1beta1.Service/Simulate`, ...) and the data is its protobuf request, answered by
//! the same services the gRPC server runs ([`crate::local_grpc`]), as the Cosmos SDK's baseapp
//! routes ABCI queries to its gRPC query router.
//!
//! Errors come back as the SDK writes them into the ABCI response: codespace `sdk` with the code
//! its `gRPCErrorToSDKError` picks for the gRPC status (NotFound 22, InvalidArgument and
//! FailedPrecondition 18, Unauthenticated 4, anything else 6) and the log
//! `rpc error: code = NotFound desc = ...: key not found`; an error that already carries a
//! registered codespace and code (`codespace wasm code 22: ...`) keeps them.
//!
//! **No history.** The devnet keeps only its latest state, so a query at an older height is
//! refused the way the SDK refuses a pruned one (`sdk` code 18, `failed to load state at height
//! H; version does not exist (latest height: L)`), and one above the latest as the SDK does
//! (`sdk` code 26). Height 0 or the latest height reads the latest state.

use serde_json::{Value, json};
use tonic::{Code, Status};

use super::context::Rpc;
use super::jsonrpc::{Params, RpcError};
use crate::proto_json::b64;

/// Paths the devnet's services serve that are no queries: mutations go through transactions.
const REFUSED: &[&str] = &[
    "/loopin.devnet.v1.Admin/",
    "/cosmos.tx.v1beta1.Service/BroadcastTx",
];

/// An ABCI query's error: codespace, code and log.
struct QueryFailure {
    codespace: String,
    code: u32,
    log: String,
}

impl QueryFailure {
    fn sdk(code: u32, log: impl Into<String>) -> Self {
        Self {
            codespace: "sdk".into(),
            code,
            log: log.into(),
        }
    }

    fn unknown_path() -> Self {
        Self::sdk(6, "unknown query path: unknown request")
    }
}

/// `codespace X code N: log`, the form the devnet's services give an SDK error in a status.
fn registered(message: &str) -> Option<QueryFailure> {
    let rest = message.strip_prefix("codespace ")?;
    let (codespace, rest) = rest.split_once(" code ")?;
    let (code, log) = rest.split_once(": ")?;
    Some(QueryFailure {
        codespace: codespace.to_string(),
        code: code.parse().ok()?,
        log: log.to_string(),
    })
}

/// The Cosmos SDK's `gRPCErrorToSDKError`, as the ABCI response carries it.
fn from_status(status: &Status) -> QueryFailure {
    if status.code() == Code::Unimplemented && status.message().is_empty() {
        return QueryFailure::unknown_path();
    }
    if let Some(failure) = registered(status.message()) {
        return failure;
    }
    let (code, suffix) = match status.code() {
        Code::NotFound => (22, "key not found"),
        Code::InvalidArgument | Code::FailedPrecondition => (18, "invalid request"),
        Code::Unauthenticated => (4, "unauthorized"),
        _ => (6, "unknown request"),
    };
    QueryFailure::sdk(
        code,
        format!(
            "rpc error: code = {:?} desc = {}: {suffix}",
            status.code(),
            status.message()
        ),
    )
}

/// A gRPC method's full name: `/package.Service/Method`.
fn is_method_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    let mut parts = rest.split('/');
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
    };
    matches!((parts.next(), parts.next(), parts.next()), (Some(service), Some(method), None) if valid(service) && valid(method))
}

fn answer(height: u64, result: Result<Vec<u8>, QueryFailure>) -> Value {
    let (value, code, codespace, log) = match result {
        Ok(value) => (value, 0, String::new(), String::new()),
        Err(f) => (Vec::new(), f.code, f.codespace, f.log),
    };
    json!({
        "response": {
            "code": code,
            "log": log,
            "info": "",
            "index": "0",
            "key": null,
            "value": b64(&value),
            "proofOps": null,
            "height": height.to_string(),
            "codespace": codespace,
        }
    })
}

pub async fn abci_query(rpc: &Rpc, params: &Params) -> Result<Value, RpcError> {
    let path = params.string("path")?.unwrap_or_default();
    let data = params.hex_bytes("data")?.unwrap_or_default();
    let height = params.int("height")?.unwrap_or(0);
    // Proofs are for store queries, which the devnet does not serve; gRPC paths ignore it.
    params.bool("prove")?;
    let latest = rpc
        .node
        .with_chain(|chain| chain.header().height)
        .await
        .map_err(|e| RpcError::internal(e.message()))?;
    let checked = match height {
        h if h < 0 => Err(QueryFailure::sdk(
            18,
            "cannot query with height < 0; please provide a valid height: invalid request",
        )),
        0 => Ok(latest),
        h if h as u64 > latest => Err(QueryFailure::sdk(
            26,
            "cannot query with height in the future; please provide a valid height: invalid height",
        )),
        h if (h as u64) < latest => Err(QueryFailure::sdk(
            18,
            format!(
                "failed to load state at height {h}; version does not exist (latest height: \
                 {latest}): invalid request"
            ),
        )),
        h => Ok(h as u64),
    };
    let height = match checked {
        Ok(h) => h,
        Err(failure) => return Ok(answer(latest, Err(failure))),
    };
    let result = if path.is_empty() {
        Err(QueryFailure::sdk(
            6,
            "no query path provided: unknown request",
        ))
    } else if !is_method_path(&path) || REFUSED.iter().any(|p| path.starts_with(p)) {
        Err(QueryFailure::unknown_path())
    } else {
        rpc.grpc
            .call(&path, data)
            .await
            .map_err(|status| from_status(&status))
    };
    Ok(answer(height, result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_become_sdk_errors() {
        let f = from_status(&Status::not_found("account x not found"));
        assert_eq!((f.codespace.as_str(), f.code), ("sdk", 22));
        assert_eq!(
            f.log,
            "rpc error: code = NotFound desc = account x not found: key not found"
        );
        let f = from_status(&Status::invalid_argument("bad"));
        assert_eq!(f.code, 18);
        let f = from_status(&Status::unknown("codespace wasm code 22: no such contract"));
        assert_eq!(
            (f.codespace.as_str(), f.code, f.log.as_str()),
            ("wasm", 22, "no such contract")
        );
        let f = from_status(&Status::unimplemented(""));
        assert_eq!(
            (f.code, f.log.as_str()),
            (6, "unknown query path: unknown request")
        );
        let f = from_status(&Status::unimplemented(
            "Accounts is not served by the devnet",
        ));
        assert_eq!(f.code, 6);
        assert!(f.log.contains("Unimplemented desc = Accounts"));
    }

    #[test]
    fn method_paths() {
        assert!(is_method_path("/cosmos.bank.v1beta1.Query/Balance"));
        for bad in [
            "",
            "/",
            "cosmos.bank.v1beta1.Query/Balance",
            "/a",
            "/a/b/c",
            "/a//b",
            "/store/bank/key",
            "/a b/c",
        ] {
            assert!(!is_method_path(bad), "{bad}");
        }
    }
}
