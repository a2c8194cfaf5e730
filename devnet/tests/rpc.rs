//! The CometBFT JSON-RPC and REST subsets (docs/devnet.md, "CometBFT RPC and REST"), driven
//! over real HTTP with the exact request shapes cosmjs 0.38 (`Comet38Client`'s adaptor) and
//! Keplr send: status, blocks, ABCI queries routed to the gRPC services, a signed transaction
//! through `broadcast_tx_sync` found again by `tx` and `tx_search`, CORS, and typed errors for
//! bad input. When Node and web/node_modules are present, cosmjs itself runs against the devnet.

mod common;

#[path = "rpc/bad_input.rs"]
mod bad_input;
#[path = "rpc/client.rs"]
mod client;
#[path = "rpc/cosmjs.rs"]
mod cosmjs;
#[path = "rpc/rest.rs"]
mod rest;
#[path = "rpc/txs.rs"]
mod txs;

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cosmos_sdk_proto::cosmos::auth::v1beta1 as authpb;
use cosmos_sdk_proto::cosmos::bank::v1beta1 as bankpb;
use cosmos_sdk_proto::cosmos::tx::v1beta1 as txpb;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasmpb;
use cosmwasm_std::Uint128;
use cw20::{Cw20Coin, MinterResponse};
use loopin::token;
use loopin_chain_client::ChainClient;
use loopin_devnet::NodeHandle;
use prost::Message;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use client::*;
use common::*;
use cosmjs::cosmjs;

#[tokio::test]
async fn status_blocks_and_cors() {
    let (node, addr, _) = start("rpc-status").await;

    // connect(): Tendermint37Client's status, then Comet38Client's (picked by the version).
    let status = ok(addr, "status", json!({})).await;
    let info = &status["node_info"];
    assert_eq!(info["network"], "loopin-devnet-1");
    assert!(info["version"].as_str().unwrap().starts_with("0.38."));
    assert_eq!(info["protocol_version"]["block"], "11");
    assert_eq!(info["other"]["tx_index"], "on");
    assert_eq!(info["id"].as_str().unwrap().len(), 40);
    let sync = &status["sync_info"];
    assert_eq!(sync["catching_up"], false);
    assert_eq!(sync["earliest_block_height"], "1");
    assert_eq!(sync["latest_block_hash"].as_str().unwrap().len(), 64);
    assert!(sync["latest_block_time"].as_str().unwrap().ends_with('Z'));
    let validator = &status["validator_info"];
    assert_eq!(validator["pub_key"]["type"], "tendermint/PubKeySecp256k1");
    assert_eq!(
        B64.decode(validator["pub_key"]["value"].as_str().unwrap())
            .unwrap()
            .len(),
        33
    );
    assert_eq!(validator["voting_power"], "1");

    // The URI form Keplr uses (`GET /status`), id -1.
    let reply = get(addr, "/status").await;
    assert_eq!(reply.status, 200);
    let uri = reply.json();
    assert_eq!(uri["id"], -1);
    assert_eq!(uri["result"]["node_info"]["network"], "loopin-devnet-1");

    assert_eq!(ok(addr, "health", json!({})).await, json!({}));
    let abci_info = ok(addr, "abci_info", json!({})).await;
    assert!(
        abci_info["response"]["last_block_height"]
            .as_str()
            .is_some()
    );

    // getBlock(): the latest, then by height (as a string, as cosmjs sends it, and a number).
    wait_height(addr, 3).await;
    let latest = ok(addr, "block", json!({})).await;
    let header = &latest["block"]["header"];
    assert_eq!(header["chain_id"], "loopin-devnet-1");
    assert_eq!(header["version"]["block"], "11");
    assert_eq!(latest["block_id"]["parts"]["total"], 1);
    assert_eq!(latest["block"]["data"]["txs"], json!([]));
    assert!(!header["proposer_address"].as_str().unwrap().is_empty());
    let h: u64 = header["height"].as_str().unwrap().parse().unwrap();
    assert!(h >= 3);
    let block2 = ok(addr, "block", json!({ "height": "2" })).await;
    assert_eq!(block2["block"]["header"]["height"], "2");
    let block1 = ok(addr, "block", json!({ "height": 1 })).await;
    assert_eq!(
        block2["block"]["header"]["last_block_id"]["hash"],
        block1["block_id"]["hash"]
    );
    assert_eq!(block2["block"]["last_commit"]["height"], "1");
    assert_eq!(block1["block"]["header"]["last_block_id"]["hash"], "");
    assert_eq!(
        block1["block"]["header"]["data_hash"],
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
    );
    let results = ok(addr, "block_results", json!({ "height": "2" })).await;
    assert_eq!(results["height"], "2");
    assert_eq!(results["txs_results"], json!([]));

    // Heights CometBFT refuses, with its words.
    let future = err(addr, "block", json!({ "height": "999999" })).await;
    assert_eq!(future["code"], -32603);
    assert_eq!(future["message"], "Internal error");
    assert!(
        future["data"]
            .as_str()
            .unwrap()
            .contains("must be less than or equal to the current blockchain height")
    );
    let negative = err(addr, "block", json!({ "height": "-1" })).await;
    assert!(
        negative["data"]
            .as_str()
            .unwrap()
            .contains("greater than 0")
    );

    // CORS: a browser's preflight for a JSON POST, then the POST itself.
    let preflight = http(
        addr,
        "OPTIONS",
        "/",
        &[
            ("Origin", "http://localhost:5173"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        b"",
    )
    .await;
    assert!(
        preflight.status == 200 || preflight.status == 204,
        "{}",
        preflight.status
    );
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert!(
        preflight
            .header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    assert!(
        preflight
            .header("access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase()
            .contains("content-type")
    );
    let cross = http(
        addr,
        "POST",
        "/",
        &[
            ("Origin", "http://localhost:5173"),
            ("Content-Type", "application/json"),
        ],
        br#"{"jsonrpc":"2.0","id":1,"method":"health","params":{}}"#,
    )
    .await;
    assert_eq!(cross.status, 200);
    assert_eq!(cross.header("access-control-allow-origin"), Some("*"));
    assert_eq!(cross.header("content-type"), Some("application/json"));

    node.stop().await;
}

#[tokio::test]
async fn abci_queries_use_the_grpc_services() {
    let (node, addr, _) = start("rpc-abci").await;
    let alice = address(1);

    // getBalance(): /cosmos.bank.v1beta1.Query/Balance.
    let request = bankpb::QueryBalanceRequest {
        address: alice.clone(),
        denom: DENOM.into(),
    };
    let response = abci(
        addr,
        "/cosmos.bank.v1beta1.Query/Balance",
        &request.encode_to_vec(),
        None,
    )
    .await;
    assert!(response["height"].as_str().unwrap().parse::<u64>().unwrap() >= 1);
    let balance = bankpb::QueryBalanceResponse::decode(value_of(&response).as_slice()).unwrap();
    assert_eq!(balance.balance.unwrap().amount, FUNDS.to_string());

    // getAccount(): /cosmos.auth.v1beta1.Query/Account, a BaseAccount.
    let request = authpb::QueryAccountRequest {
        address: alice.clone(),
    };
    let response = abci(
        addr,
        "/cosmos.auth.v1beta1.Query/Account",
        &request.encode_to_vec(),
        None,
    )
    .await;
    let account = authpb::QueryAccountResponse::decode(value_of(&response).as_slice())
        .unwrap()
        .account
        .unwrap();
    assert_eq!(account.type_url, "/cosmos.auth.v1beta1.BaseAccount");
    let base = authpb::BaseAccount::decode(account.value.as_slice()).unwrap();
    assert_eq!(base.address, alice);

    // An unknown account: what cosmjs's getAccount turns into `null` (`rpc error: code =
    // NotFound`), with the SDK's code.
    let nobody = address(9);
    let request = authpb::QueryAccountRequest { address: nobody };
    let response = abci(
        addr,
        "/cosmos.auth.v1beta1.Query/Account",
        &request.encode_to_vec(),
        None,
    )
    .await;
    assert_eq!(response["code"], 22);
    assert_eq!(response["codespace"], "sdk");
    assert!(
        response["log"]
            .as_str()
            .unwrap()
            .starts_with("rpc error: code = NotFound desc = ")
    );

    // A bad address: InvalidArgument, sdk 18.
    let request = bankpb::QueryBalanceRequest {
        address: "nope".into(),
        denom: DENOM.into(),
    };
    let response = abci(
        addr,
        "/cosmos.bank.v1beta1.Query/Balance",
        &request.encode_to_vec(),
        None,
    )
    .await;
    assert_eq!(response["code"], 18);

    // Garbage protobuf: refused by the service, not a crash.
    let response = abci(
        addr,
        "/cosmos.bank.v1beta1.Query/Balance",
        &[0xff, 0xff, 0xff],
        None,
    )
    .await;
    assert_ne!(response["code"], 0);

    // Heights: the latest is served; older ones are pruned, newer ones in the future.
    wait_height(addr, 3).await;
    let latest = height(addr).await;
    let request = bankpb::QueryAllBalancesRequest {
        address: alice.clone(),
        pagination: None,
        resolve_denom: false,
    };
    let response = abci(
        addr,
        "/cosmos.bank.v1beta1.Query/AllBalances",
        &request.encode_to_vec(),
        Some(latest),
    )
    .await;
    // A block may have been sealed meanwhile: then this height is history.
    if response["code"] == 0 {
        assert_eq!(response["height"], latest.to_string());
    } else {
        assert_eq!(response["code"], 18);
    }
    let response = abci(
        addr,
        "/cosmos.bank.v1beta1.Query/AllBalances",
        &request.encode_to_vec(),
        Some(1),
    )
    .await;
    assert_eq!(response["code"], 18);
    assert_eq!(response["codespace"], "sdk");
    assert!(
        response["log"]
            .as_str()
            .unwrap()
            .contains("version does not exist")
    );
    let response = abci(
        addr,
        "/cosmos.bank.v1beta1.Query/AllBalances",
        &request.encode_to_vec(),
        Some(latest + 1000),
    )
    .await;
    assert_eq!(response["code"], 26);

    // Paths no service serves, and the ones that are no queries.
    for path in [
        "/cosmos.staking.v1beta1.Query/Validators",
        "/store/bank/key",
        "/loopin.devnet.v1.Admin/Fund",
        "/cosmos.tx.v1beta1.Service/BroadcastTx",
    ] {
        let response = abci(addr, path, b"", None).await;
        assert_eq!(response["code"], 6, "{path}");
        assert_eq!(response["log"], "unknown query path: unknown request");
    }
    // A method of a served service the devnet leaves out.
    let response = abci(addr, "/cosmos.bank.v1beta1.Query/TotalSupply", b"", None).await;
    assert_eq!(response["code"], 6);
    assert!(response["log"].as_str().unwrap().contains("Unimplemented"));

    // The URI form: data as 0x hex, the path quoted.
    let request = bankpb::QueryBalanceRequest {
        address: alice,
        denom: DENOM.into(),
    };
    let reply = get(
        addr,
        &format!(
            "/abci_query?path=%22/cosmos.bank.v1beta1.Query/Balance%22&data=0x{}",
            hex::encode(request.encode_to_vec())
        ),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["result"]["response"]["code"], 0);

    node.stop().await;
}
