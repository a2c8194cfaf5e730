//! Bad transactions get typed errors (a tx code and log, or a gRPC status), change nothing, and
//! the node keeps serving: the same codes and messages on the devnet and on a real wasmd node.
//! No contracts needed: bank sends only.

use cosmrs::bank::MsgSend;
use cosmrs::proto::cosmos::tx::v1beta1 as txpb;
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{Coin, Denom};
use loopin_chain_client::{ChainClient, ClientError};

use loopin_chain_tests::*;

struct Spec {
    chain_id: &'static str,
    sequence_offset: u64,
    gas: u64,
    fee: u128,
    corrupt_signature: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            chain_id: "loopin-devnet-1",
            sequence_offset: 0,
            gas: 200_000,
            fee: 1_000,
            corrupt_signature: false,
        }
    }
}

/// A bank send from key 1 to key 2, signed by hand so every field can be wrong.
async fn signed(client: &ChainClient, spec: Spec) -> Vec<u8> {
    let key = key(1);
    let (number, sequence) = client.account_of(&address(1)).await.unwrap().unwrap();
    let denom: Denom = DENOM.parse().unwrap();
    let msg = MsgSend {
        from_address: key.address.clone(),
        to_address: address(2).parse().unwrap(),
        amount: vec![Coin {
            denom: denom.clone(),
            amount: 5,
        }],
    }
    .to_any()
    .unwrap();
    let body = Body::new(vec![msg], "", 0u32);
    let signing = signing_key(1);
    let auth =
        SignerInfo::single_direct(Some(signing.public_key()), sequence + spec.sequence_offset)
            .auth_info(Fee::from_amount_and_gas(
                Coin {
                    denom,
                    amount: spec.fee,
                },
                spec.gas,
            ));
    let doc = SignDoc::new(&body, &auth, &spec.chain_id.parse().unwrap(), number).unwrap();
    let mut raw = doc.sign(&signing).unwrap();
    if spec.corrupt_signature {
        let mut proto: txpb::TxRaw = raw.into();
        proto.signatures[0][10] ^= 0x55;
        raw = proto.into();
    }
    raw.to_bytes().unwrap()
}

fn signing_key(n: u8) -> cosmrs::crypto::secp256k1::SigningKey {
    use bip32::{Language, Mnemonic, XPrv};
    let phrase = loopin_chain_client::Key::mnemonic_from_entropy([n; 32]);
    let seed = Mnemonic::new(phrase, Language::English)
        .unwrap()
        .to_seed("");
    let xprv = XPrv::derive_from_path(seed, &"m/44'/118'/0'/0/0".parse().unwrap()).unwrap();
    cosmrs::crypto::secp256k1::SigningKey::from_slice(&xprv.private_key().to_bytes()).unwrap()
}

async fn state(client: &ChainClient) -> (u128, u128, Option<(u64, u64)>) {
    (
        client.balance(&address(1), DENOM).await.unwrap(),
        client.balance(&address(2), DENOM).await.unwrap(),
        client.account_of(&address(1)).await.unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_transactions_are_refused_with_typed_errors_on_the_devnet() {
    bad_transactions_are_refused_with_typed_errors(Kind::Devnet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_transactions_are_refused_with_typed_errors_on_wasmd() {
    bad_transactions_are_refused_with_typed_errors(Kind::Wasmd { base_port: 29600 }).await;
}

async fn bad_transactions_are_refused_with_typed_errors(kind: Kind) {
    let chain = Chain::start(kind, "bad-input", &[1, 2]).await;
    let client = chain.client(1).await;
    // One good transfer first, so the account has a public key and sequence 1.
    client.bank_send(&address(2), 7).await.expect("good send");
    let before = state(&client).await;

    let cases: Vec<(&str, Vec<u8>, u32, &str)> = vec![
        (
            "wrong signature",
            signed(
                &client,
                Spec {
                    corrupt_signature: true,
                    ..Spec::default()
                },
            )
            .await,
            4,
            "signature verification failed",
        ),
        (
            "wrong sequence",
            signed(
                &client,
                Spec {
                    sequence_offset: 5,
                    ..Spec::default()
                },
            )
            .await,
            32,
            "account sequence mismatch, expected 1, got 6",
        ),
        (
            "wrong chain-id",
            signed(
                &client,
                Spec {
                    chain_id: "other-chain",
                    ..Spec::default()
                },
            )
            .await,
            4,
            "chain-id (loopin-devnet-1)",
        ),
        (
            "insufficient fee",
            signed(
                &client,
                Spec {
                    fee: 1,
                    ..Spec::default()
                },
            )
            .await,
            13,
            "insufficient fees; got: 1uloop required: 500uloop",
        ),
        (
            "insufficient gas",
            signed(
                &client,
                Spec {
                    gas: 1_000,
                    fee: 10,
                    ..Spec::default()
                },
            )
            .await,
            11,
            "out of gas",
        ),
        (
            "malformed bytes",
            b"\x0a\x05not a tx at all".to_vec(),
            2,
            "tx parse error",
        ),
    ];
    for (name, bytes, code, log) in cases {
        let response = client.broadcast_raw(bytes).await.expect(name);
        assert_eq!(response.code, code, "{name}: {}", response.raw_log);
        assert!(
            response.raw_log.contains(log),
            "{name}: {}",
            response.raw_log
        );
        assert!(!response.codespace.is_empty(), "{name}");
    }
    // No bytes at all: the tx service refuses them before CheckTx, as a gRPC status.
    let status = client.broadcast_raw(vec![]).await.unwrap_err();
    assert!(
        matches!(status, ClientError::Status(ref s)
            if s.code() == tonic::Code::InvalidArgument && s.message() == "invalid empty tx"),
        "{status}"
    );
    // Nothing changed.
    assert_eq!(state(&client).await, before);

    // Simulate with a wrong sequence: a gRPC status naming the mismatch (code Unknown, as the
    // SDK's tx service answers every failed simulation).
    let bytes = signed(
        &client,
        Spec {
            sequence_offset: 3,
            ..Spec::default()
        },
    )
    .await;
    let status = txpb::service_client::ServiceClient::new(client.channel())
        .simulate(txpb::SimulateRequest {
            #[allow(deprecated)]
            tx: None,
            tx_bytes: bytes,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unknown);
    assert!(
        status.message().contains("account sequence mismatch"),
        "{}",
        status.message()
    );

    // Unknown hash and unknown account: NotFound.
    let status = txpb::service_client::ServiceClient::new(client.channel())
        .get_tx(txpb::GetTxRequest {
            hash: "AB".repeat(32),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    assert_eq!(client.account_of(&address(9)).await.unwrap(), None);
    // A smart query on a missing contract: a status naming wasmd's error, not a crash.
    let err = client
        .query_smart::<_, serde_json::Value>(&address(9), &serde_json::json!({"config": {}}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Status(ref s) if s.code() == tonic::Code::Unknown
            && s.message().contains("codespace wasm code 22: no such contract")),
        "{err}"
    );

    // Overspending is caught by the simulation: a status naming the shortfall, nothing spent.
    let too_much = client
        .bank_send(&address(2), u128::from(FUNDS) * 2)
        .await
        .unwrap_err();
    assert!(
        matches!(too_much, ClientError::Simulation(ref s) if s.message().contains("insufficient funds")),
        "{too_much}"
    );
    assert_eq!(state(&client).await, before);

    // And the node keeps serving signed transactions.
    let (_, to_before, _) = state(&client).await;
    client
        .bank_send(&address(2), 11)
        .await
        .expect("good send after bad input");
    assert_eq!(state(&client).await.1, to_before + 11);

    // A client configured for another chain refuses to connect.
    let mut other = chain.chain_config();
    other.chain_id = "other-chain".into();
    let err = ChainClient::connect(other, key(1)).await.err().unwrap();
    assert!(matches!(err, ClientError::ChainIdMismatch { .. }), "{err}");

    chain.stop().await;
}

/// A good send pays exactly what its signer signed: the fee goes whole to the fee collector, the
/// amount whole to the recipient, and nothing else leaves the signer (the ante handler's fee
/// collection and the bank send, which issue 20 moved into their own functions).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_send_pays_exactly_its_fee_and_amount_on_the_devnet() {
    let chain = Chain::start(Kind::Devnet, "exact-fee", &[1, 2]).await;
    let client = chain.client(1).await;
    // One send first, so the account has its public key on chain.
    client.bank_send(&address(2), 7).await.expect("good send");
    let collector = loopin_devnet::address::bech32_encode(
        PREFIX,
        &loopin_devnet::address::pubkey_address(b"fee_collector"),
    )
    .unwrap();
    let (signer, recipient, _) = state(&client).await;
    let collected = client.balance(&collector, DENOM).await.unwrap();

    let bytes = signed(&client, Spec::default()).await;
    let response = client.broadcast_raw(bytes).await.unwrap();
    assert_eq!(response.code, 0, "{}", response.raw_log);
    let result = client.wait_tx(&response.txhash).await.unwrap();
    assert_eq!(result.response.code, 0, "{}", result.response.raw_log);

    let (signer_after, recipient_after, _) = state(&client).await;
    assert_eq!(
        signer - signer_after,
        1_000 + 5,
        "the fee and the amount, nothing more"
    );
    assert_eq!(recipient_after - recipient, 5);
    assert_eq!(
        client.balance(&collector, DENOM).await.unwrap() - collected,
        1_000
    );
    chain.stop().await;
}
