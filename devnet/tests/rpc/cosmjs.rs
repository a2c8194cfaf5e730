//! cosmjs itself against the devnet, when Node and the web app's node_modules are installed:
//! the read client the web app uses and a signed, "auto"-gas execute as its actions send them.

use loopin_chain_client::Key;
use loopin_devnet::NodeHandle;
use serde_json::{Value, json};

use crate::common::{DENOM, address, fresh_home};

const COSMJS_SCRIPT: &str = r#"
const { createRequire } = require("node:module");
const req = createRequire(process.env.WEB_DIR + "/package.json");
const { CosmWasmClient } = req("@cosmjs/cosmwasm-stargate");
(async () => {
  const client = await CosmWasmClient.connect(process.env.RPC);
  const out = {};
  out.chainId = await client.getChainId();
  out.height = await client.getHeight();
  out.balance = await client.getBalance(process.env.ALICE, "uloop");
  const account = await client.getAccount(process.env.ALICE);
  out.accountNumber = account.accountNumber;
  out.nobody = await client.getAccount(process.env.NOBODY);
  out.tokenInfo = await client.queryContractSmart(process.env.CONTRACT, { token_info: {} });
  const block = await client.getBlock();
  out.blockHeight = block.header.height;
  const tx = await client.getTx(process.env.TXHASH);
  out.txCode = tx.code;
  out.txHeight = tx.height;
  const found = await client.searchTx(
    `wasm._contract_address='${process.env.CONTRACT}' AND wasm.action='transfer'`);
  out.searched = found.map((t) => t.hash);

  // What the web app does for every action: "auto" gas (a simulation), sign, broadcast, poll.
  const { SigningCosmWasmClient } = req("@cosmjs/cosmwasm-stargate");
  const { DirectSecp256k1HdWallet } = req("@cosmjs/proto-signing");
  const { GasPrice } = req("@cosmjs/stargate");
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(process.env.MNEMONIC, { prefix: "loopin" });
  const [signer] = await wallet.getAccounts();
  const signing = await SigningCosmWasmClient.connectWithSigner(process.env.RPC, wallet, {
    gasPrice: GasPrice.fromString("0.0025uloop"),
    broadcastPollIntervalMs: 200,
  });
  const executed = await signing.execute(
    signer.address, process.env.CONTRACT,
    { transfer: { recipient: process.env.ALICE, amount: "5" } }, 1.4);
  out.executedHash = executed.transactionHash;
  out.executedGas = Number(executed.gasUsed);
  out.aliceTokens = (await client.queryContractSmart(
    process.env.CONTRACT, { balance: { address: process.env.ALICE } })).balance;
  signing.disconnect();
  console.log(JSON.stringify(out));
  client.disconnect();
})().catch((e) => { console.error(e); process.exit(1); });
"#;

pub async fn cosmjs(node: &NodeHandle, contract: &str, txhash: &str) {
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
    if !web.join("node_modules/@cosmjs/cosmwasm-stargate").exists() {
        eprintln!("skipping the cosmjs check: web/node_modules is not installed");
        return;
    }
    let script = fresh_home("cosmjs").with_extension("cjs");
    std::fs::write(&script, COSMJS_SCRIPT).unwrap();
    let output = match tokio::process::Command::new("node")
        .arg(&script)
        .env("WEB_DIR", &web)
        .env("RPC", node.rpc_url().unwrap())
        .env("ALICE", address(1))
        .env("NOBODY", address(9))
        .env("CONTRACT", contract)
        .env("TXHASH", txhash)
        .env("MNEMONIC", Key::development_mnemonic(2))
        .output()
        .await
    {
        Ok(output) => output,
        Err(e) => {
            eprintln!("skipping the cosmjs check: node did not run ({e})");
            return;
        }
    };
    let _ = std::fs::remove_file(&script);
    assert!(
        output.status.success(),
        "cosmjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out: Value = serde_json::from_slice(&output.stdout).expect("cosmjs output");
    eprintln!("cosmjs against the devnet: {out}");
    assert_eq!(out["chainId"], "loopin-devnet-1");
    assert!(out["height"].as_u64().unwrap() >= 1);
    assert_eq!(out["balance"]["denom"], DENOM);
    assert!(
        out["balance"]["amount"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap()
            > 0
    );
    assert!(out["accountNumber"].is_u64());
    assert_eq!(out["nobody"], Value::Null);
    assert_eq!(out["tokenInfo"]["symbol"], "LOOP");
    assert!(out["blockHeight"].as_u64().unwrap() >= 1);
    assert_eq!(out["txCode"], 0);
    assert_eq!(out["searched"], json!([txhash]));
    assert_eq!(out["executedHash"].as_str().unwrap().len(), 64);
    assert!(out["executedGas"].as_u64().unwrap() > 0);
    assert_eq!(out["aliceTokens"], "1239");
}
