//! A 2-of-3 multisig as the contracts' wasm admin, on a real wasmd network: `loopin-deploy`
//! prints the unsigned migration (the JSON wasmd's own `--generate-only` prints, its gas
//! simulated for the multisig), two members sign it with wasmd's CLI, `multisign` combines and
//! `broadcast` sends it, and the contract runs the new code; a second transaction, its gas simulated with the
//! multisig's key now on chain, hands the admin over. One member's signature is refused, and so
//! are a sender of another chain, an address with no contract, a sender that is not the
//! admin and a code the chain does not have.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use cosmrs::AccountId;
use loopin_chain_client::ChainQuerier;
use loopin_chain_tests::*;
use loopin_deploy::admin_tx::{AdminOp, UnsignedTx, unsigned_tx};

const BASE_PORT: u16 = 30800;

/// Runs wasmd's CLI; its stdout, or a panic with its stderr.
fn wasmd(args: &[&str]) -> String {
    let out = Command::new(loopin_localnet::wasmd_path())
        .args(args)
        .output()
        .expect("running wasmd");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "wasmd {args:?}: {stderr}");
    String::from_utf8(out.stdout).expect("utf-8")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multisig_admin_migrates_a_contract_from_an_unsigned_tx_on_wasmd() {
    let started = Instant::now();
    let chain = Chain::start(
        Kind::Wasmd {
            base_port: BASE_PORT,
        },
        "multisig",
        &[1],
    )
    .await;
    let keys = fresh_home("multisig-keyring");
    let home = path(&keys);
    let keyring = ["--keyring-backend", "test", "--home", home];
    for member in ["k1", "k2", "k3"] {
        wasmd(&[&["keys", "add", member, "--output", "json"][..], &keyring].concat());
    }
    wasmd(
        &[
            &[
                "keys",
                "add",
                "msig",
                "--multisig",
                "k1,k2,k3",
                "--multisig-threshold",
                "2",
            ][..],
            &keyring,
        ]
        .concat(),
    );
    let msig = wasmd(&[&["keys", "show", "msig", "-a"][..], &keyring].concat())
        .trim()
        .to_string();

    // The multisig's account, and a token it administers, stored twice for two code ids.
    let client = chain.client(1).await;
    client.bank_send(&msig, 10_000_000).await.expect("fund");
    let wasm = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/loopin_token.wasm"),
    )
    .expect("scripts/build-contracts.sh builds it");
    let (old_code, _) = client.store_code(wasm.clone()).await.expect("store");
    let (new_code, _) = client.store_code(wasm).await.expect("store again");
    let init = loopin::token::InstantiateMsg {
        name: "LooPIN".into(),
        symbol: "LOOP".into(),
        decimals: 6,
        initial_balances: vec![],
        minter: cw20::MinterResponse {
            minter: address(1),
            cap: None,
        },
        marketing: None,
    };
    let (token, _) = client
        .instantiate(old_code, &init, "LOOP", Some(&msig), &[])
        .await
        .expect("instantiate");
    let querier = ChainQuerier::connect(chain.chain_config())
        .await
        .expect("connect");
    assert_eq!(querier.contract_info(&token).await.unwrap().admin, msig);

    // Bad input: refused before anything is built, each with what is wrong.
    let migrate = |contract: &str, code_id| AdminOp::Migrate {
        contract: contract.to_string(),
        code_id,
        msg: serde_json::json!({}),
    };
    let refused = |sender: String, op: AdminOp| {
        let querier = querier.clone();
        async move {
            unsigned_tx(&querier, &sender, &op, "", None)
                .await
                .expect_err("refused")
                .to_string()
        }
    };
    let msig_id: AccountId = msig.parse().unwrap();
    let elsewhere = AccountId::new("cosmos", &msig_id.to_bytes()).unwrap();
    let err = refused(elsewhere.to_string(), migrate(&token, new_code)).await;
    assert!(
        err.contains("is not an address of this chain") && err.contains("\"cosmos\""),
        "{err}"
    );
    let err = refused(msig.clone(), migrate(&address(2), new_code)).await;
    assert!(
        err.contains(&format!("no contract {}", address(2))),
        "{err}"
    );
    let err = refused(address(1), migrate(&token, new_code)).await;
    assert!(
        err.contains(&format!("wasm admin is {msig}, not the sender")),
        "{err}"
    );
    let err = refused(msig.clone(), migrate(&token, 99)).await;
    assert!(err.contains("no code 99"), "{err}");

    // The unsigned migration: wasmd's own --generate-only prints the same bytes.
    let tx = unsigned_tx(&querier, &msig, &migrate(&token, new_code), "", None)
        .await
        .expect("unsigned tx");
    let simulated = tx.simulated_gas.expect("simulated");
    assert!(simulated > 0 && tx.gas_limit > simulated, "{tx:?}");
    let code = new_code.to_string();
    let (gas, fees) = (tx.gas_limit.to_string(), format!("{}{DENOM}", tx.fee));
    let generated = wasmd(
        &[
            &[
                "tx", "wasm", "migrate", &token, &code, "{}", "--from", "msig",
            ][..],
            &["--generate-only", "--gas", &gas, "--fees", &fees][..],
            &offline(&tx).each_ref().map(String::as_str),
            &keyring,
        ]
        .concat(),
    );
    assert_eq!(tx.json, generated.trim());

    // One signature of two: the chain refuses it and nothing changes.
    let signers = Signers {
        dir: &keys,
        keyring: &keyring,
        node: format!("tcp://127.0.0.1:{BASE_PORT}"),
    };
    let response = signers.sign_and_broadcast(&tx, &["k1"]);
    assert_ne!(response["code"], 0, "{response}");
    let log = response["raw_log"].as_str().unwrap_or_default();
    assert!(log.contains("signature verification failed"), "{response}");
    let info = querier.contract_info(&token).await.unwrap();
    assert_eq!(info.code_id, old_code);

    // Two of three: the contract runs the new code.
    let response = signers.sign_and_broadcast(&tx, &["k1", "k2"]);
    assert_eq!(response["code"], 0, "{response}");
    let included = client.wait_tx(response["txhash"].as_str().unwrap()).await;
    let used = included.expect("included").gas_used as u64;
    assert!(used <= tx.gas_limit);
    let info = querier.contract_info(&token).await.unwrap();
    assert_eq!(
        (info.code_id, info.admin.as_str()),
        (new_code, msig.as_str())
    );
    eprintln!(
        "first tx of the multisig (its key unknown to the chain): simulated {simulated} gas, limit {}, used {used}",
        tx.gas_limit
    );

    // Its key is on chain now: the next simulation counts its signatures. Another pair of
    // members hands the admin over.
    let update = AdminOp::UpdateAdmin {
        contract: token.clone(),
        new_admin: address(1),
    };
    let tx = unsigned_tx(&querier, &msig, &update, "hand over", None)
        .await
        .expect("unsigned tx");
    let response = signers.sign_and_broadcast(&tx, &["k3", "k2"]);
    assert_eq!(response["code"], 0, "{response}");
    let included = client.wait_tx(response["txhash"].as_str().unwrap()).await;
    let used = included.expect("included").gas_used as u64;
    assert!(used <= tx.gas_limit);
    assert_eq!(
        querier.contract_info(&token).await.unwrap().admin,
        address(1)
    );
    eprintln!(
        "second tx: simulated {:?} gas, limit {}, used {used}; {:?} in all",
        tx.simulated_gas,
        tx.gas_limit,
        started.elapsed()
    );
    chain.stop().await;
    let _ = std::fs::remove_dir_all(&keys);
}

/// `--offline` and the sender's account number and sequence, as signing needs them.
fn offline(tx: &UnsignedTx) -> [String; 5] {
    [
        "--offline".into(),
        "--account-number".into(),
        tx.account_number.to_string(),
        "--sequence".into(),
        tx.sequence.to_string(),
    ]
}

/// The multisig's members in wasmd's CLI keyring.
struct Signers<'a> {
    dir: &'a Path,
    keyring: &'a [&'a str],
    node: String,
}

impl Signers<'_> {
    /// `tx sign --multisig` by each of `members` offline, `tx multisign`, `tx broadcast`; the
    /// node's answer (CheckTx).
    fn sign_and_broadcast(&self, tx: &UnsignedTx, members: &[&str]) -> serde_json::Value {
        let unsigned = self.dir.join("unsigned.json");
        std::fs::write(&unsigned, &tx.json).unwrap();
        let offline = offline(tx);
        let offline = offline.each_ref().map(String::as_str);
        let chain = ["--chain-id", CHAIN_ID];
        let mut signatures = Vec::new();
        for member in members {
            let out = self.dir.join(format!("{member}.json"));
            wasmd(
                &[
                    &["tx", "sign", path(&unsigned), "--from", member][..],
                    &["--multisig", &tx.sender, "--output-document", path(&out)][..],
                    &chain,
                    &offline,
                    self.keyring,
                ]
                .concat(),
            );
            signatures.push(out);
        }
        let signed = self.dir.join("signed.json");
        let signatures: Vec<&str> = signatures.iter().map(|p| path(p)).collect();
        wasmd(
            &[
                &["tx", "multisign", path(&unsigned), "msig"][..],
                &signatures,
                &["--output-document", path(&signed)][..],
                &chain,
                &offline,
                self.keyring,
            ]
            .concat(),
        );
        let out = wasmd(
            &[
                &["tx", "broadcast", path(&signed), "--node", &self.node][..],
                &["--output", "json"][..],
                &chain,
            ]
            .concat(),
        );
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }
}
