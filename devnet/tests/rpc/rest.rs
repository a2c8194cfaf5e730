//! The REST subset Keplr uses: node info, accounts, balances, feature probes, simulate and
//! broadcast, errors and CORS.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::json;

use crate::client::*;
use crate::common::{DENOM, FUNDS, address};

#[tokio::test]
async fn rest_subset_for_keplr() {
    let (node, _, rest) = start("rpc-rest").await;
    let alice = address(1);

    let info = get(rest, "/cosmos/base/tendermint/v1beta1/node_info").await;
    assert_eq!(info.status, 200);
    assert_eq!(
        info.json()["default_node_info"]["network"],
        "loopin-devnet-1"
    );
    assert_eq!(
        get(rest, "/cosmos/base/tendermint/v1beta1/syncing")
            .await
            .json()["syncing"],
        false
    );

    let account = get(rest, &format!("/cosmos/auth/v1beta1/accounts/{alice}")).await;
    assert_eq!(account.status, 200);
    let account = account.json();
    assert_eq!(
        account["account"]["@type"],
        "/cosmos.auth.v1beta1.BaseAccount"
    );
    assert_eq!(account["account"]["address"], alice);
    assert_eq!(account["account"]["sequence"], "0");
    assert!(account["account"]["account_number"].is_string());

    let missing = get(
        rest,
        &format!("/cosmos/auth/v1beta1/accounts/{}", address(9)),
    )
    .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["code"], 5);
    let bad = get(rest, "/cosmos/auth/v1beta1/accounts/nope").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["code"], 3);

    let balances = get(
        rest,
        &format!("/cosmos/bank/v1beta1/balances/{alice}?pagination.limit=1000"),
    )
    .await;
    assert_eq!(balances.status, 200);
    assert_eq!(
        balances.json()["balances"],
        json!([{ "denom": DENOM, "amount": FUNDS.to_string() }])
    );
    let one = get(
        rest,
        &format!("/cosmos/bank/v1beta1/balances/{alice}/by_denom?denom={DENOM}"),
    )
    .await;
    assert_eq!(one.json()["balance"]["amount"], FUNDS.to_string());

    // What Keplr probes for and the devnet does not have: 501, so Keplr falls back.
    for path in [
        "/cosmos/bank/v1beta1/spendable_balances/test",
        "/ibc/apps/transfer/v1/params",
        "/cosmos/staking/v1beta1/validators",
        "/",
    ] {
        let reply = get(rest, path).await;
        assert_eq!(reply.status, 501, "{path}");
        assert_eq!(reply.json()["code"], 12);
    }

    // Keplr's own send: simulate and broadcast over REST; garbage is refused, typed.
    let simulate = post(
        rest,
        "/cosmos/tx/v1beta1/simulate",
        br#"{"tx_bytes":"AAAA"}"#,
    )
    .await;
    assert!(simulate.status >= 400, "{}", simulate.status);
    assert!(simulate.json()["message"].as_str().is_some());
    let not_json = post(rest, "/cosmos/tx/v1beta1/txs", b"{nope").await;
    assert_eq!(not_json.status, 400);
    let no_bytes = post(
        rest,
        "/cosmos/tx/v1beta1/txs",
        br#"{"mode":"BROADCAST_MODE_SYNC"}"#,
    )
    .await;
    assert_eq!(no_bytes.status, 400);
    let broadcast = post(
        rest,
        "/cosmos/tx/v1beta1/txs",
        format!(
            r#"{{"tx_bytes":"{}","mode":"BROADCAST_MODE_SYNC"}}"#,
            B64.encode(b"garbage")
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(broadcast.status, 200);
    assert_eq!(broadcast.json()["tx_response"]["code"], 2);

    // CORS on REST too.
    let preflight = http(
        rest,
        "OPTIONS",
        "/cosmos/bank/v1beta1/balances/x",
        &[
            ("Origin", "http://localhost:5173"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "x-cosmos-block-height"),
        ],
        b"",
    )
    .await;
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));

    node.stop().await;
}
