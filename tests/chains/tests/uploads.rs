//! Uploads: gzipped wasm is inflated by the chain; a gzip bomb (a small upload inflating past
//! wasmd's 800 KiB limit) and bytes that are not wasm are refused with typed errors, and no code
//! is stored.

use cosmrs::tx::Msg;
use loopin_chain_client::ClientError;
use loopin_chain_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_refused_and_store_nothing_on_the_devnet() {
    bad_uploads_are_refused_and_store_nothing(Kind::Devnet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_refused_and_store_nothing_on_wasmd() {
    bad_uploads_are_refused_and_store_nothing(Kind::Wasmd { base_port: 30000 }).await;
}

async fn upload(chain: &Chain, bytes: Vec<u8>) -> Result<(), ClientError> {
    let client = chain.client(1).await;
    let msg = cosmrs::cosmwasm::MsgStoreCode {
        sender: key(1).address,
        wasm_byte_code: bytes,
        instantiate_permission: None,
    }
    .to_any()
    .unwrap();
    client.send(vec![msg], "").await.map(|_| ())
}

async fn bad_uploads_are_refused_and_store_nothing(kind: Kind) {
    let chain = Chain::start(kind, "uploads", &[1]).await;
    // 900 KiB of zeros behind a wasm header, gzipped to about a kilobyte.
    let mut bomb = b"\0asm\x01\0\0\0".to_vec();
    bomb.resize(900 * 1024, 0);
    let bomb = loopin_chain_client::gzip(bomb).unwrap();
    assert!(bomb.len() < 4_096);
    let err = upload(&chain, bomb).await.expect_err("a gzip bomb");
    assert!(
        matches!(err, ClientError::Simulation(ref s) if s.message()
            .contains("uncompress wasm archive: max 819200 bytes: exceeds limit")),
        "{err}"
    );
    let err = upload(&chain, b"not wasm at all".to_vec())
        .await
        .expect_err("not wasm");
    assert!(
        matches!(err, ClientError::Simulation(ref s) if s.message()
            .contains("magic header not detected")),
        "{err}"
    );
    // Nothing was stored: the first good upload is code 1, as the chain's checksum of it.
    let client = chain.client(1).await;
    let token =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/cw20_baseline.wasm");
    let (id, _) = client
        .store_code(std::fs::read(token).expect("scripts/build-contracts.sh builds it"))
        .await
        .expect("a good upload");
    assert_eq!(id, 1);
    chain.stop().await;
}
