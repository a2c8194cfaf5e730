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

/// The token contract stored and instantiated by key 1 (gRPC), with a balance for key 2.
async fn token(node: &NodeHandle) -> (ChainClient, String) {
    let client = common::client(node, 1).await;
    let wasm = std::fs::read(
        loopin_deploy::repository_artifacts()
            .expect("artifacts")
            .join("loopin_token.wasm"),
    )
    .expect("token artifact");
    let (code_id, _) = client.store_code(wasm).await.expect("store");
    let init = token::InstantiateMsg {
        name: "Loop".into(),
        symbol: "LOOP".into(),
        decimals: 6,
        initial_balances: vec![Cw20Coin {
            address: address(2),
            amount: Uint128::new(1_000_000),
        }],
        minter: MinterResponse {
            minter: address(1),
            cap: None,
        },
        marketing: None,
    };
    let (contract, _) = client
        .instantiate(code_id, &init, "loop", None, &[])
        .await
        .expect("instantiate");
    (client, contract)
}

fn smart_request(contract: &str, msg: &Value) -> Vec<u8> {
    wasmpb::QuerySmartContractStateRequest {
        address: contract.into(),
        query_data: msg.to_string().into_bytes(),
    }
    .encode_to_vec()
}

async fn smart(addr: SocketAddr, contract: &str, msg: Value) -> Value {
    let response = abci(
        addr,
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        &smart_request(contract, &msg),
        None,
    )
    .await;
    let data = wasmpb::QuerySmartContractStateResponse::decode(value_of(&response).as_slice())
        .unwrap()
        .data;
    serde_json::from_slice(&data).unwrap()
}

#[tokio::test]
async fn signed_tx_broadcast_found_by_tx_and_tx_search() {
    let (node, addr, rest) = start("rpc-tx").await;
    let (_client, contract) = token(&node).await;
    let bob = address(2);

    // queryContractSmart().
    let info = smart(addr, &contract, json!({ "token_info": {} })).await;
    assert_eq!(info["symbol"], "LOOP");
    let balance = smart(addr, &contract, json!({ "balance": { "address": bob } })).await;
    assert_eq!(balance["balance"], "1000000");
    // A contract that is not there, and a query the contract refuses: errors, no answer.
    let missing = abci(
        addr,
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        &smart_request(&address(9), &json!({ "token_info": {} })),
        None,
    )
    .await;
    assert_ne!(missing["code"], 0);
    let refused = abci(
        addr,
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        &smart_request(&contract, &json!({ "no_such_query": {} })),
        None,
    )
    .await;
    assert_ne!(refused["code"], 0);

    // Bob's account for signing, through the RPC.
    let request = authpb::QueryAccountRequest {
        address: bob.clone(),
    };
    let account = authpb::QueryAccountResponse::decode(
        value_of(
            &abci(
                addr,
                "/cosmos.auth.v1beta1.Query/Account",
                &request.encode_to_vec(),
                None,
            )
            .await,
        )
        .as_slice(),
    )
    .unwrap()
    .account
    .unwrap();
    let account = authpb::BaseAccount::decode(account.value.as_slice()).unwrap();

    // A cw20 transfer, signed here (SIGN_MODE_DIRECT).
    let key = signing_key(2);
    let transfer = cosmrs::cosmwasm::MsgExecuteContract {
        sender: bob.parse().unwrap(),
        contract: contract.parse().unwrap(),
        msg: serde_json::to_vec(&token::ExecuteMsg::Transfer {
            recipient: address(1),
            amount: Uint128::new(1_234),
        })
        .unwrap(),
        funds: vec![],
    };
    let msg = cosmrs::tx::Msg::to_any(&transfer).unwrap();

    // simulate(): /cosmos.tx.v1beta1.Service/Simulate with the tx bytes.
    let probe = sign(
        &key,
        vec![msg.clone()],
        account.account_number,
        account.sequence,
        1,
    );
    #[allow(deprecated)]
    let request = txpb::SimulateRequest {
        tx: None,
        tx_bytes: probe,
    };
    let response = abci(
        addr,
        "/cosmos.tx.v1beta1.Service/Simulate",
        &request.encode_to_vec(),
        None,
    )
    .await;
    let simulated = txpb::SimulateResponse::decode(value_of(&response).as_slice()).unwrap();
    let gas_used = simulated.gas_info.unwrap().gas_used;
    assert!(gas_used > 0);
    assert!(
        simulated
            .result
            .unwrap()
            .events
            .iter()
            .any(|e| e.r#type == "wasm"),
        "the simulation's events"
    );

    // The simulation cosmjs's SigningCosmWasmClient sends for "auto" gas: unsigned, which only a
    // simulation takes.
    let unsigned = cosmjs_simulation_tx(&key, msg.clone(), account.sequence);
    #[allow(deprecated)]
    let request = txpb::SimulateRequest {
        tx: None,
        tx_bytes: unsigned.clone(),
    };
    let response = abci(
        addr,
        "/cosmos.tx.v1beta1.Service/Simulate",
        &request.encode_to_vec(),
        None,
    )
    .await;
    let cosmjs_gas = txpb::SimulateResponse::decode(value_of(&response).as_slice())
        .unwrap()
        .gas_info
        .unwrap()
        .gas_used;
    assert!(cosmjs_gas > 0);
    let refused = ok(
        addr,
        "broadcast_tx_sync",
        json!({ "tx": B64.encode(&unsigned) }),
    )
    .await;
    assert_eq!(refused["code"], 18);
    assert!(
        refused["log"]
            .as_str()
            .unwrap()
            .contains("SIGN_MODE_DIRECT")
    );

    // broadcastTxSync(): the tx base64, the answer's hash hex.
    let tx = sign(
        &key,
        vec![msg.clone()],
        account.account_number,
        account.sequence,
        gas_used * 2,
    );
    let expected_hash = hex::encode_upper(Sha256::digest(&tx));
    let sent = ok(addr, "broadcast_tx_sync", json!({ "tx": B64.encode(&tx) })).await;
    assert_eq!(sent["code"], 0, "{sent}");
    assert_eq!(sent["hash"], expected_hash);

    // The same bytes again: refused by the mempool cache, as CometBFT does.
    let again = err(addr, "broadcast_tx_sync", json!({ "tx": B64.encode(&tx) })).await;
    assert_eq!(again["code"], -32603);
    assert_eq!(again["data"], "tx already exists in cache");

    // `tx` by hash (base64 in the params) until its block is committed.
    let hash_param = B64.encode(hex::decode(&expected_hash).unwrap());
    let found = loop {
        let answer = rpc(addr, "tx", json!({ "hash": hash_param, "prove": false })).await;
        if let Some(result) = answer.get("result") {
            break result.clone();
        }
        assert_eq!(answer["error"]["code"], -32603);
        assert_eq!(
            answer["error"]["data"],
            format!("tx ({expected_hash}) not found")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(found["hash"], expected_hash);
    assert_eq!(B64.decode(found["tx"].as_str().unwrap()).unwrap(), tx);
    assert_eq!(found["index"], 0);
    let tx_height: u64 = found["height"].as_str().unwrap().parse().unwrap();
    let result = &found["tx_result"];
    assert_eq!(result["code"], 0);
    assert!(result["gas_used"].as_str().unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(result["gas_wanted"], (gas_used * 2).to_string());
    let wasm = result["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "wasm")
        .expect("wasm event");
    let attr = |key: &str| {
        wasm["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| a["value"].clone())
    };
    assert_eq!(attr("_contract_address"), Some(json!(contract)));
    assert_eq!(attr("action"), Some(json!("transfer")));
    // data: the TxMsgData, base64, with the execute's response.
    let data = B64.decode(result["data"].as_str().unwrap()).unwrap();
    let msg_data =
        cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData::decode(data.as_slice()).unwrap();
    assert_eq!(
        msg_data.msg_responses[0].type_url,
        "/cosmwasm.wasm.v1.MsgExecuteContractResponse"
    );

    // getTx(): tx_search on tx.hash, as cosmjs polls after broadcastTx.
    let by_hash = ok(
        addr,
        "tx_search",
        json!({ "query": format!("tx.hash='{expected_hash}'"), "page": "1" }),
    )
    .await;
    assert_eq!(by_hash["total_count"], "1");
    assert_eq!(by_hash["txs"][0]["hash"], expected_hash);
    assert_eq!(by_hash["txs"][0]["tx"], found["tx"]);

    // searchTx() on the wasm event, as the web app's history does.
    let query = format!("wasm._contract_address='{contract}' AND wasm.action='transfer'");
    let by_event = ok(addr, "tx_search", json!({ "query": query, "page": "1" })).await;
    assert_eq!(by_event["total_count"], "1");
    assert_eq!(by_event["txs"][0]["hash"], expected_hash);
    assert_eq!(by_event["txs"][0]["height"], tx_height.to_string());
    for (query, count) in [
        (
            format!("wasm._contract_address='{contract}' AND wasm.action='mint'"),
            "0",
        ),
        (
            format!(
                "wasm._contract_address='{}' AND wasm.action='transfer'",
                address(9)
            ),
            "0",
        ),
        (format!("tx.height={tx_height}"), "1"),
        (format!("message.sender='{bob}'"), "1"),
        ("wasm.action EXISTS".to_string(), "1"),
        // Store and instantiate, by key 1.
        (format!("message.sender='{}'", address(1)), "2"),
        ("message.module='wasm'".to_string(), "3"),
    ] {
        let answer = ok(addr, "tx_search", json!({ "query": query, "page": "1" })).await;
        assert_eq!(answer["total_count"], count, "{query}");
    }

    // Pages, order and their limits.
    let page = |page: &str, per_page: &str, order: &str| {
        json!({
            "query": "message.module='wasm'",
            "prove": false,
            "page": page,
            "per_page": per_page,
            "order_by": order,
        })
    };
    let asc = ok(addr, "tx_search", page("1", "2", "asc")).await;
    assert_eq!(asc["total_count"], "3");
    assert_eq!(asc["txs"].as_array().unwrap().len(), 2);
    let last = ok(addr, "tx_search", page("2", "2", "asc")).await;
    assert_eq!(last["txs"].as_array().unwrap().len(), 1);
    assert_eq!(last["txs"][0]["hash"], expected_hash);
    let desc = ok(addr, "tx_search", page("1", "1", "desc")).await;
    assert_eq!(desc["txs"][0]["hash"], expected_hash);
    let beyond = err(addr, "tx_search", page("3", "2", "asc")).await;
    assert_eq!(beyond["code"], -32603);
    assert!(
        beyond["data"]
            .as_str()
            .unwrap()
            .contains("page should be within [1, 2] range")
    );
    let order = err(addr, "tx_search", page("1", "2", "sideways")).await;
    assert!(order["data"].as_str().unwrap().contains("order_by"));
    let bad_query = err(addr, "tx_search", json!({ "query": "wasm.action = lease" })).await;
    assert_eq!(bad_query["code"], -32603);

    // The block carries the transaction, its data hash over it.
    let block = ok(addr, "block", json!({ "height": tx_height.to_string() })).await;
    assert_eq!(block["block"]["data"]["txs"], json!([found["tx"]]));
    assert_ne!(
        block["block"]["header"]["data_hash"],
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
    );
    let results = ok(
        addr,
        "block_results",
        json!({ "height": tx_height.to_string() }),
    )
    .await;
    assert_eq!(results["txs_results"][0]["code"], 0);

    // A stale sequence: CheckTx's code comes back in the result, not as an RPC error.
    let stale = sign(
        &key,
        vec![msg],
        account.account_number,
        account.sequence,
        gas_used * 2 + 1,
    );
    let refused = ok(
        addr,
        "broadcast_tx_sync",
        json!({ "tx": B64.encode(&stale) }),
    )
    .await;
    assert_eq!(refused["code"], 32);
    assert_eq!(refused["codespace"], "sdk");
    assert!(
        refused["log"]
            .as_str()
            .unwrap()
            .contains("account sequence mismatch")
    );
    // Bytes that are no transaction.
    let garbage = ok(
        addr,
        "broadcast_tx_sync",
        json!({ "tx": B64.encode(b"garbage") }),
    )
    .await;
    assert_eq!(garbage["code"], 2);

    // Keplr's cw20 balance: the REST smart query (base64 in the path), and its feature probe.
    let query = B64.encode(json!({ "balance": { "address": address(1) } }).to_string());
    let reply = get(
        rest,
        &format!("/cosmwasm/wasm/v1/contract/{contract}/smart/{query}"),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["data"]["balance"], "1234");
    let probe = get(rest, "/cosmwasm/wasm/v1/contract/test/smart/test").await;
    assert_eq!(probe.status, 400, "Keplr's wasmd_0.24+ probe expects 400");

    cosmjs(&node, &contract, &expected_hash).await;
    node.stop().await;
}
