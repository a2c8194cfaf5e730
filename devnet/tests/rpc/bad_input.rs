//! Bad input of every kind gets a typed JSON-RPC error (or an HTTP refusal), never a crash.

use serde_json::{Value, json};

use crate::client::*;

#[tokio::test]
async fn bad_input_is_a_typed_error() {
    let (node, addr, rest) = start("rpc-bad").await;

    // Not JSON, not a request, garbage bytes: a parse error with HTTP 500, as CometBFT answers.
    for body in [&b"{nope"[..], b"42", b"\"status\"", b"\xff\xfe\x00garbage"] {
        let reply = post(addr, "/", body).await;
        assert_eq!(reply.status, 500, "{body:?}");
        let answer = reply.json();
        assert_eq!(answer["error"]["code"], -32700, "{body:?}");
        assert!(answer.get("id").is_none());
    }

    let call = |body: Value| async move { post(addr, "/", body.to_string().as_bytes()).await };
    let unknown =
        call(json!({"jsonrpc": "2.0", "id": 1, "method": "dial_seeds", "params": {}})).await;
    assert_eq!(
        unknown.json()["error"],
        json!({"code": -32601, "message": "Method not found"})
    );
    let wrong_id = call(json!({"jsonrpc": "2.0", "id": {"x": 1}, "method": "status"})).await;
    assert_eq!(wrong_id.json()["error"]["code"], -32600);
    let no_method = call(json!({"jsonrpc": "2.0", "id": 2})).await;
    assert_eq!(no_method.json()["error"]["code"], -32600);
    assert_eq!(no_method.json()["id"], 2);

    for (method, params) in [
        ("block", json!({ "height": "tall" })),
        ("block", json!({ "height": [1] })),
        ("block", json!(7)),
        ("block", json!([1, 2])),
        ("tx", json!({ "hash": "%%%" })),
        ("tx", json!({ "hash": "AAAA", "prove": "yes" })),
        ("tx", json!({})),
        ("broadcast_tx_sync", json!({ "tx": "not base64!" })),
        ("abci_query", json!({ "path": "/a/B", "data": "zz" })),
        ("abci_query", json!({ "path": 5 })),
        (
            "tx_search",
            json!({ "query": "tx.height=1", "page": "one" }),
        ),
    ] {
        let error = err(addr, method, params.clone()).await;
        assert_eq!(error["code"], -32602, "{method} {params}: {error}");
        assert_eq!(error["message"], "Invalid params");
    }
    // Positional params, as CometBFT also takes them.
    let block = ok(addr, "block", json!(["1"])).await;
    assert_eq!(block["block"]["header"]["height"], "1");

    // A batch: each answered in order; a notification (no id) is not answered.
    let batch = call(json!([
        {"jsonrpc": "2.0", "id": 1, "method": "health"},
        {"jsonrpc": "2.0", "method": "health"},
        {"jsonrpc": "2.0", "id": "two", "method": "nope"},
    ]))
    .await
    .json();
    let answers = batch.as_array().unwrap();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["result"], json!({}));
    assert_eq!(answers[1]["id"], "two");
    assert_eq!(answers[1]["error"]["code"], -32601);
    let notification = call(json!({"jsonrpc": "2.0", "method": "health"})).await;
    assert_eq!((notification.status, notification.body.len()), (200, 0));

    // An empty body or GET /: the list of methods.
    let list = post(addr, "/", b"").await;
    assert_eq!(list.status, 200);
    assert!(String::from_utf8_lossy(&list.body).contains("tx_search"));

    // The URI form's errors: HTTP 500 (bad params) and 404 (no such method).
    let reply = get(addr, "/block?height=tall").await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json()["error"]["code"], -32602);
    let reply = get(addr, "/tx?hash=0xnothex").await;
    assert_eq!(reply.json()["error"]["code"], -32602);
    let reply = get(addr, "/unsafe_flush_mempool").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["error"]["code"], -32601);
    let reply = http(addr, "DELETE", "/", &[], b"").await;
    assert_eq!(reply.status, 405);

    // Bytes that are not HTTP: the connection is refused, the servers live on.
    for server in [addr, rest] {
        let answer = raw(server, b"\x16\x03\x01\x02\x00garbage\r\n\r\n").await;
        assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 400"),
            "{answer:?}"
        );
    }
    assert_eq!(ok(addr, "health", json!({})).await, json!({}));
    assert_eq!(
        get(rest, "/cosmos/base/tendermint/v1beta1/syncing")
            .await
            .status,
        200
    );

    node.stop().await;
}
