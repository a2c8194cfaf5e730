//! Seeds of the random property tests: a fresh one each run unless `variable` (64 hex digits)
//! replays one, and printed either way, so any failure CI finds can be run again exactly.

use cosmwasm_std::HexBinary;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A property's configuration: enough cases of `per_case` steps for the total number of steps
/// `ops` names (default 100,000, as CI runs), no failure files.
pub fn config(ops: &str, per_case: usize) -> Config {
    let total: usize = std::env::var(ops)
        .ok()
        .and_then(|ops| ops.parse().ok())
        .unwrap_or(100_000);
    Config {
        cases: total.div_ceil(per_case) as u32,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A runner for `config` on the seed `variable` names, or on a fresh one; prints
/// `variable=<seed>`.
pub fn runner(config: Config, variable: &str) -> TestRunner {
    let seed: [u8; 32] = match std::env::var(variable) {
        Ok(hex) => HexBinary::from_hex(&hex)
            .ok()
            .and_then(|bytes| bytes.to_array().ok())
            .unwrap_or_else(|| panic!("{variable} is 64 hex digits")),
        Err(_) => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
                .to_le_bytes();
            let pid = u128::from(std::process::id()).to_le_bytes();
            let mut seed = [0u8; 32];
            seed[..16].copy_from_slice(&nanos);
            seed[16..].copy_from_slice(&pid);
            seed
        }
    };
    eprintln!("{variable}={}", HexBinary::from(seed.as_slice()).to_hex());
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
}
