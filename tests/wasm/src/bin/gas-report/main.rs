//! Gas report: runs every entry point of the compiled contracts in cosmwasm-vm and prints the VM
//! gas each call used, with cw20-base's own Transfer as the baseline. Writes `bench/gas.md`.
//!
//! Run: `scripts/gas-report.sh` (builds the artifacts first), or
//! `cargo run --release -p loopin-wasm-tests --bin gas-report` with `artifacts/` built.

mod astroport;
mod cw20;
mod pair;
mod registry;
mod registry_appeals;
mod registry_setup;
mod report;
mod scaling;
mod scaling_registry;
mod scaling_setup;
mod scaling_stake_cert;
mod scaling_table;
mod stake_cert;

use std::path::PathBuf;

use loopin_wasm_tests::HarnessError;

use crate::report::Report;

fn main() -> Result<(), HarnessError> {
    let mut report = Report::default();
    // `LOOPIN_GAS_ONLY=registry` (or `pair`, `stake-cert`): that scenario alone, printed to
    // stderr, no report written.
    match std::env::var("LOOPIN_GAS_ONLY").as_deref() {
        Ok("registry") => {
            registry::scenario(&mut report)?;
            registry_appeals::scenario(&mut report)?;
            report.print_rows();
            return Ok(());
        }
        // The pair against 10, 1,000 and 100,000 stakes, leases and positions: bench/scaling.md.
        Ok("scaling") => return scaling::scenario(),
        Ok("pair") => {
            astroport::scenario(&mut report)?;
            pair::scenario(&mut report)?;
            report.print_rows();
            return Ok(());
        }
        Ok("stake-cert") => {
            stake_cert::scenario(&mut report)?;
            report.print_rows();
            return Ok(());
        }
        _ => {}
    }
    cw20::scenario(&mut report, "cw20_baseline", "cw20-base")?;
    cw20::scenario(&mut report, "loopin_token", "loopin-token")?;
    stake_cert::scenario(&mut report)?;
    astroport::scenario(&mut report)?;
    pair::scenario(&mut report)?;
    registry::scenario(&mut report)?;
    registry_appeals::scenario(&mut report)?;
    let markdown = report.render();
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
