//! Rows of measured calls and their markdown rendering.

use std::fmt::Write as _;

use cosmwasm_std::{Coin, Response};
use loopin_wasm_tests::{Gas, HarnessError, Outcome, WasmContract, read_artifact};
use serde::Serialize;

/// One measured call.
pub struct Row {
    contract: &'static str,
    call: String,
    gas: Gas,
    ok: bool,
}

#[derive(Default)]
pub struct Report {
    rows: Vec<Row>,
    notes: Vec<String>,
}

impl Report {
    pub fn record<T>(
        &mut self,
        contract: &'static str,
        call: &str,
        outcome: Outcome<T>,
    ) -> Outcome<T> {
        self.rows.push(Row {
            contract,
            call: call.to_string(),
            gas: outcome.gas,
            ok: outcome.result.is_ok(),
        });
        outcome
    }

    /// Records a call measured outside [`Report::record`], which succeeded.
    pub fn record_gas(&mut self, contract: &'static str, call: &str, gas: Gas) {
        self.rows.push(Row {
            contract,
            call: call.to_string(),
            gas,
            ok: true,
        });
    }

    /// Adds a line under the table.
    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    /// Each row's call, total VM gas and wasm part, on stderr (a scenario run alone).
    pub fn print_rows(&self) {
        for row in &self.rows {
            let host = row.gas.calls.vm_gas().min(row.gas.internal);
            eprintln!(
                "{:>14} {:>14} wasm  {} | {} | {:?}",
                row.gas.total(),
                row.gas.internal - host,
                row.contract,
                row.call,
                row.gas.calls
            );
        }
    }

    pub fn gas(&self, contract: &str, call: &str) -> Option<u64> {
        self.rows
            .iter()
            .find(|row| row.contract == contract && row.call == call)
            .map(|row| row.gas.total())
    }
}

/// Executes, records and insists on the expected outcome, so a broken scenario cannot report
/// the gas of an error path as if it were the real call.
pub fn exec<M: Serialize>(
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

/// [`exec`] with funds: `msg` is encoded here and sent with `funds`; the call must succeed.
pub fn exec_raw<M: Serialize>(
    report: &mut Report,
    contract: &mut WasmContract,
    name: &'static str,
    call: &str,
    sender: &str,
    msg: &M,
    funds: &[Coin],
) -> Result<Response, HarnessError> {
    let msg = serde_json::to_vec(msg)?;
    let outcome = report.record(name, call, contract.execute_raw(sender, &msg, funds)?);
    match outcome.result {
        Ok(response) => Ok(response),
        Err(err) => panic!("{name} {call}: unexpected outcome {err}"),
    }
}

pub fn query<M: Serialize>(
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

impl Report {
    /// Where each call's internal gas went: the host calls it made (counted by the harness's
    /// backend, `loopin_wasm_tests::host_calls`) and what the VM charged for them, and the rest,
    /// its own wasm.
    fn render_breakdown(&self, out: &mut String) {
        write!(
            out,
            "\n## Where the gas goes\n\n\
             Each call's host calls, counted by the harness's backend, and what the VM charges for\n\
             them (*host*: a flat 18,000 per call, 200,000 plus 115 per byte for each region of the\n\
             contract's memory a call reads: keys, written values, query requests; an address check\n\
             1.26M as wasmd prices it). *wasm* is the rest of the internal gas: the contract's own\n\
             code (decoding its message and the values it reads from JSON, encoding what it writes\n\
             and returns, arithmetic, hashing, signature checks' set-up). Reads and writes are\n\
             `count/bytes` (keys and values). A query's own execution (another contract's) is not\n\
             in these figures.\n\n"
        )
        .unwrap();
        writeln!(
            out,
            "| contract | call | reads | writes | removes | scans/steps | addresses | queries | host | wasm | wasm share |"
        )
        .unwrap();
        writeln!(
            out,
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        )
        .unwrap();
        for row in &self.rows {
            let calls = row.gas.calls;
            let host = calls.vm_gas().min(row.gas.internal);
            let wasm = row.gas.internal - host;
            writeln!(
                out,
                "| {} | {} | {}/{} | {}/{} | {} | {}/{} | {} | {} | {} | {} | {:.0}% |",
                row.contract,
                row.call,
                calls.reads,
                calls.read_key_bytes + calls.read_bytes,
                calls.writes,
                calls.write_bytes,
                calls.removes,
                calls.scans,
                calls.steps,
                calls.addresses,
                calls.queries,
                host,
                wasm,
                wasm as f64 / row.gas.internal.max(1) as f64 * 100.0
            )
            .unwrap();
        }
    }
}

/// Every artifact, by size.
const ARTIFACTS: [&str; 7] = [
    "cw20_baseline",
    "astroport_pair_baseline",
    "loopin_token",
    "loopin_stake_cert",
    "loopin_factory",
    "loopin_pair",
    "loopin_pocps_registry",
];

impl Report {
    pub fn render(&self) -> String {
        let baseline = self.gas("cw20-base", "Transfer").expect("baseline row");
        let mut out = String::new();
        let rustc =
            std::env::var("LOOPIN_RUSTC").unwrap_or_else(|_| "the workspace's rustc".into());
        write!(
            out,
            "# Gas report\n\
             \n\
             Generated by `scripts/gas-report.sh` from the compiled, optimised artifacts in `artifacts/`\n\
             (release profile: opt-level 3, LTO, one codegen unit; then `wasm-opt -O3` with bulk-memory\n\
             lowering), run in cosmwasm-vm 2.3.5; built with {rustc}.\n\
             \n\
             *VM gas* is CosmWasm gas metered by the VM: wasm execution and host API calls (*internal*),\n\
             plus the backend's storage and query gas, which the VM's mock backend prices nominally. About\n\
             10^12 VM gas is one second of compute. The ratio compares each call with cw20-base's own\n\
             `Transfer` ({baseline} VM gas), built and run the same way.\n\
             \n\
             *SDK gas* is what a user pays for the same call on a Cosmos SDK chain running wasmd with its\n\
             default gas settings (`tests/wasm/src/sdk_gas.rs`): the instance set-up of a contract that is\n\
             not pinned (60,000), the internal VM gas at wasmd's multiplier (140,000 VM gas per SDK gas),\n\
             every storage read, write, removal and iteration step the call made, priced as the SDK's\n\
             gas-metered store prices it (per byte of the key under wasmd's 33-byte contract prefix, and\n\
             of the value), and its events. *storage* is that storage part. Queries to other contracts,\n\
             stood in for here, would add their own set-up and execution; a transaction adds its\n\
             signature check and size, the same for every call. Figures are deterministic for a given\n\
             artifact.\n\
             \n\
             "
        )
        .unwrap();
        writeln!(
            out,
            "| contract | call | outcome | VM gas | internal | ratio to cw20-base Transfer | SDK gas | storage |"
        )
        .unwrap();
        writeln!(out, "|---|---|---|---:|---:|---:|---:|---:|").unwrap();
        for row in &self.rows {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {:.2} | {} | {} |",
                row.contract,
                row.call,
                if row.ok { "ok" } else { "refused" },
                row.gas.total(),
                row.gas.internal,
                row.gas.total() as f64 / baseline as f64,
                row.gas.sdk(),
                row.gas.storage
            )
            .unwrap();
        }
        for note in &self.notes {
            writeln!(out, "\n{note}").unwrap();
        }
        self.render_breakdown(&mut out);
        writeln!(out, "\n## Artifact sizes\n").unwrap();
        writeln!(out, "| artifact | bytes | KiB | of wasmd's 800 KiB limit |").unwrap();
        writeln!(out, "|---|---:|---:|---:|").unwrap();
        for artifact in ARTIFACTS {
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
}
