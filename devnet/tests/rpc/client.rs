//! The RPC tests' helpers: a small HTTP/1.1 client, JSON-RPC calls shaped as cosmjs sends them,
//! a devnet with the RPC and REST on free ports, and transactions signed with dev keys.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bip32::{Language, Mnemonic, XPrv};
use cosmos_sdk_proto::cosmos::tx::v1beta1 as txpb;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use loopin_chain_client::{DEFAULT_HD_PATH, Key};
use loopin_devnet::{Config, NodeHandle};
use prost::Message;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{self, DENOM, fresh_home};

// A small HTTP/1.1 client: every request on its own connection, so tests can also send bytes
// that are not HTTP at all.

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub async fn raw(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut out))
        .await
        .expect("answer in time")
        .expect("read");
    out
}

pub fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..line_end]).unwrap().trim(), 16)
                .expect("hex chunk size");
        body = &body[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    let answer = raw(addr, &request).await;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of head");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = answer[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn post(addr: SocketAddr, path: &str, body: &[u8]) -> Reply {
    http(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body,
    )
    .await
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    http(addr, "GET", path, &[], b"").await
}

/// A JSON-RPC call as cosmjs's `HttpClient` makes it; the whole response object.
pub async fn rpc(addr: SocketAddr, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 424242, "method": method, "params": params });
    let reply = post(addr, "/", body.to_string().as_bytes()).await;
    assert_eq!(
        reply.status,
        200,
        "{method}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    let value = reply.json();
    assert_eq!(value["jsonrpc"], "2.0");
    assert_eq!(value["id"], 424242);
    value
}

/// The `result` of a call that must succeed.
pub async fn ok(addr: SocketAddr, method: &str, params: Value) -> Value {
    let value = rpc(addr, method, params.clone()).await;
    assert!(
        value.get("error").is_none(),
        "{method} {params}: {}",
        value["error"]
    );
    value["result"].clone()
}

/// The `error` of a call that must fail.
pub async fn err(addr: SocketAddr, method: &str, params: Value) -> Value {
    let value = rpc(addr, method, params.clone()).await;
    assert!(value.get("result").is_none(), "{method} {params} succeeded");
    value["error"].clone()
}

/// `abci_query` as cosmjs's `QueryClient.queryAbci` sends it: the data hex, `prove: false`, the
/// height left out unless asked for.
pub async fn abci(addr: SocketAddr, path: &str, data: &[u8], height: Option<u64>) -> Value {
    let mut params = json!({ "path": path, "data": hex::encode(data), "prove": false });
    if let Some(h) = height {
        params["height"] = json!(h.to_string());
    }
    ok(addr, "abci_query", params).await["response"].clone()
}

pub fn value_of(response: &Value) -> Vec<u8> {
    assert_eq!(response["code"], 0, "query failed: {response}");
    B64.decode(response["value"].as_str().unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------------

pub async fn start(name: &str) -> (NodeHandle, SocketAddr, SocketAddr) {
    let config = Config {
        rpc_addr: Some("127.0.0.1:0".into()),
        rest_addr: Some("127.0.0.1:0".into()),
        ..common::config(fresh_home(name), &[1, 2])
    };
    let node = loopin_devnet::start(config).await.expect("devnet");
    let (rpc, rest) = (node.rpc_addr.unwrap(), node.rest_addr.unwrap());
    assert_eq!(node.rpc_url().unwrap(), format!("http://{rpc}"));
    (node, rpc, rest)
}

pub async fn height(addr: SocketAddr) -> u64 {
    let status = ok(addr, "status", json!({})).await;
    status["sync_info"]["latest_block_height"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

pub async fn wait_height(addr: SocketAddr, at_least: u64) {
    while height(addr).await < at_least {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Dev key `n` as a cosmrs signing key (the chain client keeps its own private).
pub fn signing_key(n: u8) -> SigningKey {
    let mnemonic = Mnemonic::new(Key::development_mnemonic(n), Language::English).unwrap();
    let xprv =
        XPrv::derive_from_path(mnemonic.to_seed(""), &DEFAULT_HD_PATH.parse().unwrap()).unwrap();
    SigningKey::from_slice(&xprv.private_key().to_bytes()).unwrap()
}

pub fn sign(
    key: &SigningKey,
    msgs: Vec<cosmrs::Any>,
    account_number: u64,
    sequence: u64,
    gas: u64,
) -> Vec<u8> {
    let fee = Fee::from_amount_and_gas(
        cosmrs::Coin {
            denom: DENOM.parse().unwrap(),
            amount: (gas as u128 * 3).div_ceil(1000).max(1),
        },
        gas,
    );
    let auth = SignerInfo::single_direct(Some(key.public_key()), sequence).auth_info(fee);
    let body = Body::new(msgs, "", 0u32);
    let doc = SignDoc::new(
        &body,
        &auth,
        &"loopin-devnet-1".parse().unwrap(),
        account_number,
    )
    .unwrap();
    doc.sign(key).unwrap().to_bytes().unwrap()
}

/// The transaction cosmjs's `simulate` builds: SIGN_MODE_UNSPECIFIED, an empty fee and an empty
/// signature.
pub fn cosmjs_simulation_tx(key: &SigningKey, msg: cosmrs::Any, sequence: u64) -> Vec<u8> {
    let pub_key = cosmrs::Any {
        type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
        value: cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey {
            key: key.public_key().to_bytes(),
        }
        .encode_to_vec(),
    };
    txpb::Tx {
        body: Some(txpb::TxBody {
            messages: vec![msg],
            ..Default::default()
        }),
        auth_info: Some(txpb::AuthInfo {
            signer_infos: vec![txpb::SignerInfo {
                public_key: Some(pub_key),
                mode_info: Some(txpb::ModeInfo {
                    sum: Some(txpb::mode_info::Sum::Single(txpb::mode_info::Single {
                        mode: 0,
                    })),
                }),
                sequence,
            }],
            fee: Some(txpb::Fee::default()),
            ..Default::default()
        }),
        signatures: vec![Vec::new()],
    }
    .encode_to_vec()
}
