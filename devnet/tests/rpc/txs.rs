//! A signed transaction through `broadcast_tx_sync`, found again by `tx` and `tx_search`; the
//! REST smart query; cosmjs itself against the devnet.

use super::*;

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
    let refused = broadcast(addr, &unsigned).await;
    assert_eq!(refused["code"], 18);
    assert_log_contains(&refused, "SIGN_MODE_DIRECT");

    // broadcastTxSync(): the tx base64, the answer's hash hex.
    let tx = sign(
        &key,
        vec![msg.clone()],
        account.account_number,
        account.sequence,
        gas_used * 2,
    );
    let expected_hash = hex::encode_upper(Sha256::digest(&tx));
    let sent = broadcast(addr, &tx).await;
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
    let refused = broadcast(addr, &stale).await;
    assert_eq!(refused["code"], 32);
    assert_eq!(refused["codespace"], "sdk");
    assert_log_contains(&refused, "account sequence mismatch");
    // Bytes that are no transaction.
    let garbage = broadcast(addr, b"garbage").await;
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

/// `broadcast_tx_sync` of `tx`: the node's answer (its `code` says whether it was taken).
async fn broadcast(addr: SocketAddr, tx: &[u8]) -> Value {
    ok(addr, "broadcast_tx_sync", json!({ "tx": B64.encode(tx) })).await
}

/// The answer's `log` names `text`.
fn assert_log_contains(answer: &Value, text: &str) {
    let log = answer["log"].as_str().unwrap_or_default();
    assert!(log.contains(text), "{text} not in {log:?}");
}
