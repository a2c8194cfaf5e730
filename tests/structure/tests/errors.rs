//! The error style: `Result<_, String>` anywhere outside tests, and anyhow in a crate's `src/`
//! outside binaries, are found with their lines; the ratchet counts them per file.

mod common;

use std::collections::BTreeMap;

use common::Fixture;
use loopin_structure::check::scan_code;
use loopin_structure::errors::{Offence, is_library_file};
use loopin_structure::{Findings, KnownDebt, compare};

fn offence(path: &str, line: usize) -> Offence {
    Offence {
        path: path.into(),
        line,
    }
}

fn scan(files: &[(&str, &str)]) -> loopin_structure::check::Code {
    let fixture = Fixture::new(files);
    let modules = loopin_structure::check::module_cycles(&fixture.tree()).unwrap();
    scan_code(fixture.dir.path(), &modules.test_files).unwrap()
}

#[test]
fn a_string_error_is_found_in_a_signature_a_field_and_a_closure_and_not_in_tests() {
    let lib = "\
pub fn parse(text: &str) -> Result<u8, String> {
    text.parse().map_err(|e| format!(\"{e}\"))
}
pub struct Job {
    pub outcome: std::result::Result<(), std::string::String>,
}
pub fn typed() -> Result<u8, std::num::ParseIntError> {
    \"1\".parse()
}
pub fn nested() -> Option<Result<(), String>> {
    None
}
#[test]
fn a_test() -> Result<(), String> {
    Ok(())
}
#[cfg(test)]
mod tests {
    fn helper() -> Result<(), String> {
        Ok(())
    }
}
";
    let code = scan(&[("src/lib.rs", lib)]);
    assert_eq!(
        code.string_errors,
        vec![
            offence("src/lib.rs", 1),
            offence("src/lib.rs", 5),
            offence("src/lib.rs", 10)
        ]
    );
    assert_eq!(code.library_anyhow, vec![]);
}

#[test]
fn anyhow_counts_only_in_a_crates_library() {
    let uses =
        "use anyhow::Context;\npub fn f() -> anyhow::Result<()> {\n    anyhow::bail!(\"no\")\n}\n";
    let code = scan(&[
        ("src/lib.rs", "mod x;"),
        ("src/x.rs", uses),
        ("packages/thing/src/lib.rs", uses),
        ("packages/thing/src/bin/tool.rs", uses),
        ("packages/thing/src/main.rs", uses),
        ("service/src/lib.rs", uses),
        ("service/src/main.rs", uses),
        ("tests/suite/src/lib.rs", uses),
    ]);
    assert_eq!(
        code.library_anyhow,
        vec![
            offence("packages/thing/src/lib.rs", 1),
            offence("packages/thing/src/lib.rs", 2),
            offence("packages/thing/src/lib.rs", 3),
            offence("service/src/lib.rs", 1),
            offence("service/src/lib.rs", 2),
            offence("service/src/lib.rs", 3)
        ]
    );
    assert!(is_library_file("packages/chain-client/src/error.rs"));
    assert!(!is_library_file(
        "packages/localnet/src/bin/loopin-localnet.rs"
    ));
    assert!(!is_library_file("packages/thing/build.rs"));
    // A service's library is library code; its binary, examples and tests are not.
    assert!(is_library_file("prover/src/lib.rs"));
    assert!(is_library_file("relayer/src/relay/submit.rs"));
    assert!(is_library_file("contracts/pair/src/claim.rs"));
    assert!(!is_library_file("relayer/src/main.rs"));
    assert!(!is_library_file("network/src/bin/loopin-network.rs"));
    assert!(!is_library_file("devnet/examples/two_chains.rs"));
    assert!(!is_library_file("relayer/tests/keeper.rs"));
    // Test crates and the benchmarks' baselines are not.
    assert!(!is_library_file("tests/integration/src/registry.rs"));
    assert!(!is_library_file("bench/astroport-pair/src/lib.rs"));
}

fn with_string_errors(offences: Vec<Offence>) -> Findings {
    Findings {
        string_errors: offences,
        ..Findings::default()
    }
}

#[test]
fn the_ratchet_counts_string_errors_per_file() {
    let listed = KnownDebt {
        string_errors: BTreeMap::from([("a.rs".to_string(), 2), ("gone.rs".to_string(), 1)]),
        ..KnownDebt::default()
    };
    let findings = with_string_errors(vec![
        offence("a.rs", 3),
        offence("a.rs", 9),
        offence("a.rs", 12),
        offence("b.rs", 4),
        offence("c.rs", 1),
    ]);
    let verdict = compare(&findings, &listed);
    assert_eq!(
        verdict.failures,
        vec![
            "Result<_, String> (use a typed error): a.rs has 3 (known-debt.toml lists 2), at \
             lines 3, 9, 12",
            "Result<_, String> (use a typed error): b.rs has 1 (known-debt.toml lists 0), at \
             lines 4",
            "Result<_, String> (use a typed error): c.rs has 1 (known-debt.toml lists 0), at \
             lines 1",
            "Result<_, String> (use a typed error) gone.rs is now clean, remove from \
             known-debt.toml",
        ]
    );
    let fewer = with_string_errors(vec![offence("a.rs", 3), offence("gone.rs", 1)]);
    let verdict = compare(&fewer, &listed);
    assert_eq!(verdict.failures, Vec::<String>::new());
    assert_eq!(
        verdict.notes,
        vec![
            "Result<_, String> (use a typed error): a.rs has 1, known-debt.toml lists 2: lower it there"
        ]
    );
}
