//! Gas report: runs every entry point of the compiled contracts in cosmwasm-vm and prints the VM
//! gas each call used, with cw20-base's own Transfer as the baseline. Writes `bench/gas.md`.
//!
//! Run: `scripts/gas-report.sh` (builds the artifacts first), or
//! `cargo run --release -p loopin-wasm-tests --bin gas-report` with `artifacts/` built.

use std::fmt::Write as _;
use std::path::PathBuf;

use cosmwasm_std::{Decimal, HexBinary, Response, Timestamp, Uint128};
use cw20::{Cw20Coin, Expiration};
use loopin::stake_cert::{self, StakeMode, StakeTerms};
use loopin::token::{self, MinterResponse};
use loopin_wasm_tests::{Gas, HarnessError, Outcome, WasmContract, read_artifact};
use serde::Serialize;

/// One measured call.
struct Row {
    contract: &'static str,
    call: String,
    gas: Gas,
    ok: bool,
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
}

impl Report {
    fn record<T>(&mut self, contract: &'static str, call: &str, outcome: Outcome<T>) -> Outcome<T> {
        self.rows.push(Row {
            contract,
            call: call.to_string(),
            gas: outcome.gas,
            ok: outcome.result.is_ok(),
        });
        outcome
    }

    fn gas(&self, contract: &str, call: &str) -> Option<u64> {
        self.rows
            .iter()
            .find(|row| row.contract == contract && row.call == call)
            .map(|row| row.gas.total())
    }
}

/// Executes, records and insists on the expected outcome, so a broken scenario cannot report
/// the gas of an error path as if it were the real call.
fn exec<M: Serialize>(
    report: &mut Report,
    contract: &mut WasmContract,
    name: &'static str,
    call: &str,
    sender: &str,
    msg: &M,
    expect_ok: bool,
) -> Result<Response, HarnessError> {
    let outcome = report.record(name, call, contract.execute(sender, msg)?);
    match (outcome.result, expect_ok) {
        (Ok(response), true) => Ok(response),
        (Err(_), false) => Ok(Response::default()),
        (result, _) => panic!("{name} {call}: unexpected outcome {result:?}"),
    }
}

fn query<M: Serialize>(
    report: &mut Report,
    contract: &mut WasmContract,
    name: &'static str,
    call: &str,
    msg: &M,
) -> Result<(), HarnessError> {
    let outcome: Outcome<serde_json::Value> = contract.query(msg)?;
    let outcome = report.record(name, call, outcome);
    if let Err(err) = outcome.result {
        panic!("{name} {call}: query failed: {err}");
    }
    Ok(())
}

/// cw20-base and LOOP run the same script; LOOP adds its own entry points.
fn cw20_scenario(
    report: &mut Report,
    artifact: &str,
    name: &'static str,
) -> Result<(), HarnessError> {
    let mut contract = WasmContract::load(artifact)?;
    let (minter, alice, bob, spender) = (
        contract.addr("minter"),
        contract.addr("alice"),
        contract.addr("bob"),
        contract.addr("spender"),
    );
    let initial_balances = vec![
        Cw20Coin {
            address: alice.clone(),
            amount: Uint128::new(1_000_000),
        },
        Cw20Coin {
            address: bob.clone(),
            amount: Uint128::new(1_000_000),
        },
    ];
    let minter_info = MinterResponse {
        minter: minter.clone(),
        cap: None,
    };
    let outcome = if name == "cw20-base" {
        contract.instantiate(
            &minter,
            &cw20_base::msg::InstantiateMsg {
                name: "Baseline".into(),
                symbol: "BASE".into(),
                decimals: 6,
                initial_balances,
                mint: Some(minter_info),
                marketing: None,
            },
        )?
    } else {
        contract.instantiate(
            &minter,
            &token::InstantiateMsg {
                name: "LooPIN".into(),
                symbol: "LOOP".into(),
                decimals: 6,
                initial_balances,
                minter: minter_info,
                marketing: None,
            },
        )?
    };
    report
        .record(name, "instantiate (2 balances)", outcome)
        .unwrap();

    let amount = Uint128::new(1_000);
    exec(
        report,
        &mut contract,
        name,
        "Transfer",
        &alice,
        &token::ExecuteMsg::Transfer {
            recipient: bob.clone(),
            amount,
        },
        true,
    )?;
    let carol = contract.addr("carol");
    exec(
        report,
        &mut contract,
        name,
        "Transfer (new recipient)",
        &alice,
        &token::ExecuteMsg::Transfer {
            recipient: carol,
            amount,
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "Transfer (insufficient funds)",
        &alice,
        &token::ExecuteMsg::Transfer {
            recipient: bob.clone(),
            amount: Uint128::new(u64::MAX.into()),
        },
        false,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "Send",
        &alice,
        &token::ExecuteMsg::Send {
            contract: bob.clone(),
            amount,
            msg: b"{}".into(),
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "Mint",
        &minter,
        &token::ExecuteMsg::Mint {
            recipient: alice.clone(),
            amount,
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "Burn",
        &alice,
        &token::ExecuteMsg::Burn { amount },
        true,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "IncreaseAllowance",
        &alice,
        &token::ExecuteMsg::IncreaseAllowance {
            spender: spender.clone(),
            amount,
            expires: Some(Expiration::Never {}),
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "TransferFrom",
        &spender,
        &token::ExecuteMsg::TransferFrom {
            owner: alice.clone(),
            recipient: bob.clone(),
            amount: Uint128::new(10),
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "BurnFrom",
        &spender,
        &token::ExecuteMsg::BurnFrom {
            owner: alice.clone(),
            amount: Uint128::new(10),
        },
        true,
    )?;

    query(
        report,
        &mut contract,
        name,
        "query Balance",
        &token::QueryMsg::Balance {
            address: alice.clone(),
        },
    )?;
    query(
        report,
        &mut contract,
        name,
        "query TokenInfo",
        &token::QueryMsg::TokenInfo {},
    )?;
    query(
        report,
        &mut contract,
        name,
        "query AllAccounts",
        &token::QueryMsg::AllAccounts {
            start_after: None,
            limit: None,
        },
    )?;
    if name != "cw20-base" {
        query(
            report,
            &mut contract,
            name,
            "query SupplyAudit",
            &token::QueryMsg::SupplyAudit {},
        )?;
        let migrated = contract.migrate(&token::MigrateMsg {})?;
        report.record(name, "migrate", migrated).unwrap();
    }
    Ok(())
}

fn mint_msg(
    contract: &WasmContract,
    id: u32,
    pool: &str,
    start: Timestamp,
    hours: u64,
) -> stake_cert::ExecuteMsg {
    stake_cert::ExecuteMsg::Mint {
        token_id: format!("h100-{id}"),
        owner: contract.addr(&format!("miner-{id}")),
        terms: StakeTerms {
            pool: pool.to_string(),
            device_id: format!("gpu-{id}"),
            mode: if id.is_multiple_of(2) {
                StakeMode::Seller
            } else {
                StakeMode::LiquidityProvider
            },
            start,
            expiry: start.plus_seconds(3_600 * hours),
            rate: Decimal::one(),
            commitment: HexBinary::from([id as u8; 32]),
        },
        token_uri: None,
    }
}

fn stake_cert_scenario(report: &mut Report) -> Result<(), HarnessError> {
    const NAME: &str = "stake-cert";
    let mut contract = WasmContract::load("loopin_stake_cert")?;
    let (factory, pool, miner) = (
        contract.addr("factory"),
        contract.addr("pool-h100"),
        contract.addr("miner-1"),
    );
    let outcome = contract.instantiate(
        &factory,
        &stake_cert::InstantiateMsg {
            name: "LooPIN stake certificates".into(),
            symbol: "stLOOP".into(),
            minter: factory.clone(),
        },
    )?;
    report.record(NAME, "instantiate", outcome).unwrap();
    exec(
        report,
        &mut contract,
        NAME,
        "AddIssuer",
        &factory,
        &stake_cert::ExecuteMsg::AddIssuer {
            issuer: pool.clone(),
        },
        true,
    )?;

    let now = contract.block().time;
    let first = mint_msg(&contract, 1, &pool, now, 24);
    exec(
        report,
        &mut contract,
        NAME,
        "Mint (issuer, first)",
        &pool,
        &first,
        true,
    )?;
    for id in 2..100 {
        contract
            .execute(
                &pool,
                &mint_msg(&contract, id, &pool, now, u64::from(id % 48) + 1),
            )?
            .unwrap();
    }
    let hundredth = mint_msg(&contract, 100, &pool, now, 24);
    exec(
        report,
        &mut contract,
        NAME,
        "Mint (issuer, 100th)",
        &pool,
        &hundredth,
        true,
    )?;
    let mut again = mint_msg(&contract, 1, &pool, now, 24);
    if let stake_cert::ExecuteMsg::Mint { token_id, .. } = &mut again {
        *token_id = "h100-again".into();
    }
    exec(
        report,
        &mut contract,
        NAME,
        "Mint (device already staked)",
        &pool,
        &again,
        false,
    )?;
    let token_id = "h100-1".to_string();
    exec(
        report,
        &mut contract,
        NAME,
        "TransferNft (refused)",
        &miner,
        &stake_cert::ExecuteMsg::TransferNft {
            recipient: factory.clone(),
            token_id: token_id.clone(),
        },
        false,
    )?;
    exec(
        report,
        &mut contract,
        NAME,
        "Burn by owner (refused)",
        &miner,
        &stake_cert::ExecuteMsg::Burn {
            token_id: token_id.clone(),
        },
        false,
    )?;
    exec(
        report,
        &mut contract,
        NAME,
        "Extend",
        &pool,
        &stake_cert::ExecuteMsg::Extend {
            token_id: token_id.clone(),
            expiry: now.plus_seconds(48 * 3_600),
        },
        true,
    )?;

    query(
        report,
        &mut contract,
        NAME,
        "query Certificate",
        &stake_cert::QueryMsg::Certificate {
            token_id: token_id.clone(),
        },
    )?;
    query(
        report,
        &mut contract,
        NAME,
        "query NftInfo",
        &stake_cert::QueryMsg::NftInfo {
            token_id: token_id.clone(),
        },
    )?;
    query(
        report,
        &mut contract,
        NAME,
        "query OwnerOf",
        &stake_cert::QueryMsg::OwnerOf {
            token_id: token_id.clone(),
            include_expired: None,
        },
    )?;
    query(
        report,
        &mut contract,
        NAME,
        "query ActiveAt (pool, page of 30 of 100)",
        &stake_cert::QueryMsg::ActiveAt {
            time: None,
            pool: Some(pool.clone()),
            start_after: None,
            limit: Some(30),
        },
    )?;
    query(
        report,
        &mut contract,
        NAME,
        "query CertificatesByPool (page of 30)",
        &stake_cert::QueryMsg::CertificatesByPool {
            pool: pool.clone(),
            start_after: None,
            limit: Some(30),
        },
    )?;
    query(
        report,
        &mut contract,
        NAME,
        "query DeviceCertificate",
        &stake_cert::QueryMsg::DeviceCertificate {
            device_id: "gpu-1".into(),
        },
    )?;

    exec(
        report,
        &mut contract,
        NAME,
        "Invalidate",
        &pool,
        &stake_cert::ExecuteMsg::Invalidate {
            token_id: "h100-2".into(),
            reason: "bad openings".into(),
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        NAME,
        "Expire",
        &pool,
        &stake_cert::ExecuteMsg::Expire {
            token_id: "h100-3".into(),
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        NAME,
        "Burn (issuer)",
        &pool,
        &stake_cert::ExecuteMsg::Burn {
            token_id: "h100-4".into(),
        },
        true,
    )?;
    let migrated = contract.migrate(&stake_cert::MigrateMsg {})?;
    report.record(NAME, "migrate", migrated).unwrap();
    Ok(())
}

fn render(report: &Report) -> String {
    let baseline = report.gas("cw20-base", "Transfer").expect("baseline row");
    let mut out = String::new();
    let rustc = std::env::var("LOOPIN_RUSTC").unwrap_or_else(|_| "the workspace's rustc".into());
    write!(
        out,
        "# Gas report

Generated by `scripts/gas-report.sh` from the compiled, optimised artifacts in `artifacts/`
(release profile: opt-level 3, LTO, one codegen unit; then `wasm-opt -O3` with bulk-memory
lowering), run in cosmwasm-vm 2.3.5; built with {rustc}.

*VM gas* is CosmWasm gas metered by the VM: wasm execution and host API calls (*internal*),
plus the backend's storage and query gas, which the VM's mock backend prices nominally. About
10^12 VM gas is one second of compute. A chain such as wasmd converts VM gas to SDK gas with its
gas multiplier and charges storage reads/writes and instance set-up separately; those charges are
not in this table. The ratio compares each call with cw20-base's own `Transfer` ({baseline} VM
gas), built and run the same way. Figures are deterministic for a given artifact.

"
    )
    .unwrap();
    writeln!(
        out,
        "| contract | call | outcome | VM gas | internal | ratio to cw20-base Transfer |"
    )
    .unwrap();
    writeln!(out, "|---|---|---|---:|---:|---:|").unwrap();
    for row in &report.rows {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.2} |",
            row.contract,
            row.call,
            if row.ok { "ok" } else { "refused" },
            row.gas.total(),
            row.gas.internal,
            row.gas.total() as f64 / baseline as f64
        )
        .unwrap();
    }
    writeln!(out, "\n## Artifact sizes\n").unwrap();
    writeln!(out, "| artifact | bytes | KiB | of wasmd's 800 KiB limit |").unwrap();
    writeln!(out, "|---|---:|---:|---:|").unwrap();
    for artifact in ["cw20_baseline", "loopin_token", "loopin_stake_cert"] {
        let bytes = read_artifact(artifact).map(|wasm| wasm.len()).unwrap_or(0);
        writeln!(
            out,
            "| {artifact}.wasm | {bytes} | {:.1} | {:.0}% |",
            bytes as f64 / 1024.0,
            bytes as f64 / (800.0 * 1024.0) * 100.0
        )
        .unwrap();
    }
    out
}

fn main() -> Result<(), HarnessError> {
    let mut report = Report::default();
    cw20_scenario(&mut report, "cw20_baseline", "cw20-base")?;
    cw20_scenario(&mut report, "loopin_token", "loopin-token")?;
    stake_cert_scenario(&mut report)?;
    let markdown = render(&report);
    print!("{markdown}");
    let out = std::env::var_os("LOOPIN_GAS_REPORT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/gas.md"));
    std::fs::write(&out, markdown).map_err(|source| HarnessError::MissingArtifact {
        path: out.display().to_string(),
        source,
    })?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
