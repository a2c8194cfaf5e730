//! The REST answers' JSON, as the Cosmos SDK's gRPC gateway writes the protobuf responses:
//! field names in snake_case, 64-bit integers as strings, bytes base64, `Any` with `@type`.
//! Shared by the REST API and the CometBFT RPC (which writes events and bytes the same way).

use base64::Engine;
use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSendResponse;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tmpb;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasmpb;
use cosmos_sdk_proto::tendermint::abci::Event;
use prost::Message;
use serde_json::{Value, json};

pub fn coin(c: &Coin) -> Value {
    json!({ "denom": c.denom, "amount": c.amount })
}

pub fn events(events: &[Event]) -> Value {
    events
        .iter()
        .map(|e| {
            json!({
                "type": e.r#type,
                "attributes": e.attributes.iter().map(|a| json!({
                    "key": a.key,
                    "value": a.value,
                    "index": a.index,
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

pub fn node_info(r: &tmpb::GetNodeInfoResponse) -> Value {
    let info = r.default_node_info.clone().unwrap_or_default();
    let protocol = info.protocol_version.unwrap_or_default();
    let other = info.other.unwrap_or_default();
    let app = r.application_version.clone().unwrap_or_default();
    json!({
        "default_node_info": {
            "protocol_version": {
                "p2p": protocol.p2p.to_string(),
                "block": protocol.block.to_string(),
                "app": protocol.app.to_string(),
            },
            "default_node_id": info.default_node_id,
            "listen_addr": info.listen_addr,
            "network": info.network,
            "version": info.version,
            "channels": b64(&info.channels),
            "moniker": info.moniker,
            "other": { "tx_index": other.tx_index, "rpc_address": other.rpc_address },
        },
        "application_version": {
            "name": app.name,
            "app_name": app.app_name,
            "version": app.version,
            "git_commit": app.git_commit,
            "build_tags": app.build_tags,
            "go_version": app.go_version,
            "build_deps": app.build_deps.iter().map(|m| json!({
                "path": m.path, "version": m.version, "sum": m.sum,
            })).collect::<Vec<_>>(),
            "cosmos_sdk_version": app.cosmos_sdk_version,
        },
    })
}

fn public_key(any: &Any) -> Value {
    match any.type_url.as_str() {
        "/cosmos.crypto.secp256k1.PubKey" => match PubKey::decode(any.value.as_slice()) {
            Ok(key) => json!({ "@type": any.type_url, "key": b64(&key.key) }),
            Err(_) => json!({ "@type": any.type_url }),
        },
        _ => json!({ "@type": any.type_url }),
    }
}

/// `{"account": {...}}`: a `BaseAccount` (the only kind the devnet keeps).
pub fn account(any: &Any) -> Value {
    match BaseAccount::decode(any.value.as_slice()) {
        Ok(a) if any.type_url == "/cosmos.auth.v1beta1.BaseAccount" => json!({
            "account": {
                "@type": any.type_url,
                "address": a.address,
                "pub_key": a.pub_key.as_ref().map(public_key),
                "account_number": a.account_number.to_string(),
                "sequence": a.sequence.to_string(),
            }
        }),
        _ => json!({ "account": { "@type": any.type_url } }),
    }
}

/// A contract's smart query answer: the JSON document itself, as wasmd's gateway embeds it.
pub fn smart(data: &[u8]) -> Value {
    let data = serde_json::from_slice::<Value>(data).unwrap_or_else(|_| Value::String(b64(data)));
    json!({ "data": data })
}

/// A message response `Any` with the fields of the kinds the devnet executes.
fn msg_response(any: &Any) -> Value {
    let mut out = match any.type_url.as_str() {
        "/cosmwasm.wasm.v1.MsgExecuteContractResponse" => {
            wasmpb::MsgExecuteContractResponse::decode(any.value.as_slice())
                .map(|m| json!({ "data": b64(&m.data) }))
        }
        "/cosmwasm.wasm.v1.MsgMigrateContractResponse" => {
            wasmpb::MsgMigrateContractResponse::decode(any.value.as_slice())
                .map(|m| json!({ "data": b64(&m.data) }))
        }
        "/cosmwasm.wasm.v1.MsgInstantiateContractResponse" => {
            wasmpb::MsgInstantiateContractResponse::decode(any.value.as_slice())
                .map(|m| json!({ "address": m.address, "data": b64(&m.data) }))
        }
        "/cosmwasm.wasm.v1.MsgStoreCodeResponse" => {
            wasmpb::MsgStoreCodeResponse::decode(any.value.as_slice())
                .map(|m| json!({ "code_id": m.code_id.to_string(), "checksum": b64(&m.checksum) }))
        }
        "/cosmos.bank.v1beta1.MsgSendResponse" => {
            MsgSendResponse::decode(any.value.as_slice()).map(|_| json!({}))
        }
        _ => Ok(json!({})),
    }
    .unwrap_or_else(|_| json!({}));
    out["@type"] = Value::String(any.type_url.clone());
    out
}

pub fn simulate(r: &cosmos_sdk_proto::cosmos::tx::v1beta1::SimulateResponse) -> Value {
    let gas = r.gas_info.clone().unwrap_or_default();
    let result = r.result.clone().unwrap_or_default();
    #[allow(deprecated)]
    let data = b64(&result.data);
    json!({
        "gas_info": {
            "gas_wanted": gas.gas_wanted.to_string(),
            "gas_used": gas.gas_used.to_string(),
        },
        "result": {
            "data": data,
            "log": result.log,
            "events": events(&result.events),
            "msg_responses": result.msg_responses.iter().map(msg_response).collect::<Vec<_>>(),
        },
    })
}

/// `{"tx_response": {...}}` of a broadcast (CheckTx: no height, no gas, no events yet).
pub fn tx_response(r: &TxResponse) -> Value {
    json!({
        "tx_response": {
            "height": r.height.to_string(),
            "txhash": r.txhash,
            "codespace": r.codespace,
            "code": r.code,
            "data": r.data,
            "raw_log": r.raw_log,
            "logs": [],
            "info": r.info,
            "gas_wanted": r.gas_wanted.to_string(),
            "gas_used": r.gas_used.to_string(),
            "tx": null,
            "timestamp": r.timestamp,
            "events": events(&r.events),
        }
    })
}

/// Bytes as standard base64, as both HTTP APIs write them.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
