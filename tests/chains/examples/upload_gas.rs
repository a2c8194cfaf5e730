//! What a gzipped upload saves on wasmd: the registry (the largest contract) stored as plain wasm
//! and gzipped on a one-validator wasmd network, SDK gas and transaction bytes of each.
//!
//! `cargo run -p loopin-chain-tests --example upload_gas` (after scripts/build-contracts.sh and
//! with the wasmd of scripts/tools.sh's ensure_wasmd).

use cosmrs::tx::Msg;
use loopin_chain_tests::*;

#[tokio::main]
async fn main() {
    let chain = Chain::start(Kind::Wasmd { base_port: 30600 }, "upload-gas", &[1]).await;
    let client = chain.client(1).await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    println!("| contract | upload | bytes sent | SDK gas |");
    println!("|---|---|---:|---:|");
    for name in ["loopin_pocps_registry", "loopin_pair", "loopin_token"] {
        let wasm = std::fs::read(root.join(format!("{name}.wasm"))).expect("artifact");
        let plain = cosmrs::cosmwasm::MsgStoreCode {
            sender: key(1).address,
            wasm_byte_code: wasm.clone(),
            instantiate_permission: None,
        }
        .to_any()
        .unwrap();
        let raw = client.send(vec![plain], "").await.expect("plain upload");
        let gz = loopin_chain_client::gzip(wasm.clone()).unwrap();
        let (_, zipped) = client
            .store_code(wasm.clone())
            .await
            .expect("gzipped upload");
        println!("| {name} | plain | {} | {} |", wasm.len(), raw.gas_used);
        println!("| {name} | gzip | {} | {} |", gz.len(), zipped.gas_used);
    }
    chain.stop().await;
}
