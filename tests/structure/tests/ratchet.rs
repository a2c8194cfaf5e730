//! The ratchet: known-debt.toml lets today's offenders pass and nothing else.

use std::path::{Path, PathBuf};

use loopin_structure::cycles::{Cycle, Edge};
use loopin_structure::errors::Offence;
use loopin_structure::lengths::{LongFile, LongFunction};
use loopin_structure::services::ServiceDep;
use loopin_structure::{Findings, KnownDebt, compare};

fn findings() -> Findings {
    Findings {
        cycles: vec![Cycle {
            files: vec![PathBuf::from("src/a.rs"), PathBuf::from("src/b.rs")],
            edges: vec![
                edge("src/a.rs", 1, "src/b.rs", "crate::b::B"),
                edge("src/b.rs", 3, "src/a.rs", "crate::a::A"),
            ],
        }],
        service_deps: vec![ServiceDep {
            from: "loopin-agent".into(),
            to: "loopin-prover".into(),
            what: "a service",
        }],
        long_files: vec![LongFile {
            path: "src/big.rs".into(),
            lines: 700,
        }],
        long_functions: vec![LongFunction {
            key: "src/big.rs::Big::run".into(),
            line: 10,
            lines: 120,
        }],
        string_errors: vec![Offence {
            path: "src/big.rs".into(),
            line: 12,
        }],
        library_anyhow: vec![],
        notes: vec![],
    }
}

fn edge(from: &str, line: usize, to: &str, example: &str) -> Edge {
    Edge {
        from: from.into(),
        to: to.into(),
        example: example.into(),
        line,
    }
}

#[test]
fn an_unchanged_list_passes() {
    let today = findings();
    let verdict = compare(&today, &KnownDebt::from_findings(&today));
    assert_eq!(verdict.failures, Vec::<String>::new());
    assert_eq!(verdict.notes, Vec::<String>::new());
}

#[test]
fn the_written_list_reads_back_the_same() {
    let debt = KnownDebt::from_findings(&findings());
    let text = debt.to_toml();
    assert_eq!(
        KnownDebt::parse(&text, Path::new("known-debt.toml")).unwrap(),
        debt
    );
    assert!(text.contains("\"src/big.rs::Big::run\" = 120\n"), "{text}");
    assert!(text.contains("[\"src/a.rs\", \"src/b.rs\"],\n"), "{text}");
    assert!(
        text.contains("\"loopin-agent -> loopin-prover\",\n"),
        "{text}"
    );
}

#[test]
fn a_new_offender_fails() {
    let debt = KnownDebt::from_findings(&findings());
    let mut today = findings();
    today.long_functions.push(LongFunction {
        key: "src/new.rs::fresh".into(),
        line: 1,
        lines: 81,
    });
    today.service_deps.push(ServiceDep {
        from: "loopin-deploy".into(),
        to: "loopin-rewards-bridge".into(),
        what: "a contract crate",
    });
    today.cycles.push(Cycle {
        files: vec![PathBuf::from("src/c.rs"), PathBuf::from("src/d.rs")],
        edges: vec![
            edge("src/c.rs", 2, "src/d.rs", "super::d::D"),
            edge("src/d.rs", 5, "src/c.rs", "crate::c::C"),
        ],
    });
    assert_eq!(
        compare(&today, &debt).failures,
        vec![
            "module cycle not in known-debt.toml:\n    files: src/c.rs, src/d.rs\n    \
             src/c.rs:2 -> src/d.rs (super::d::D)\n    src/d.rs:5 -> src/c.rs (crate::c::C)",
            "service dependency loopin-deploy -> loopin-rewards-bridge: loopin-rewards-bridge is \
             a contract crate (a service may depend on packages/ only)",
            "function src/new.rs::fresh has 81 lines (the limit is 80; not in known-debt.toml)",
        ]
    );
}

#[test]
fn a_listed_offender_that_grew_fails() {
    let debt = KnownDebt::from_findings(&findings());
    let mut today = findings();
    today.long_files[0].lines = 701;
    today.long_functions[0].lines = 121;
    assert_eq!(
        compare(&today, &debt).failures,
        vec![
            "file src/big.rs grew from 700 to 701 lines (the limit is 600)",
            "function src/big.rs::Big::run grew from 120 to 121 lines (the limit is 80)",
        ]
    );
}

#[test]
fn a_listed_offender_that_shrank_passes_with_a_note() {
    let debt = KnownDebt::from_findings(&findings());
    let mut today = findings();
    today.long_files[0].lines = 650;
    let verdict = compare(&today, &debt);
    assert_eq!(verdict.failures, Vec::<String>::new());
    assert_eq!(
        verdict.notes,
        vec!["file src/big.rs shrank from 700 to 650 lines: lower it in known-debt.toml"]
    );
}

#[test]
fn a_fixed_offender_still_listed_fails() {
    let debt = KnownDebt::from_findings(&findings());
    let fixed = Findings::default();
    assert_eq!(
        compare(&fixed, &debt).failures,
        vec![
            "module cycle src/a.rs, src/b.rs is now clean, remove from known-debt.toml",
            "service dependency loopin-agent -> loopin-prover is now clean, remove from \
             known-debt.toml",
            "file src/big.rs is now clean, remove from known-debt.toml",
            "function src/big.rs::Big::run is now clean, remove from known-debt.toml",
            "Result<_, String> (use a typed error) src/big.rs is now clean, remove from \
             known-debt.toml",
        ]
    );
}

#[test]
fn a_cycle_that_shrank_fails_as_new_and_its_old_entry_as_clean() {
    let mut listed = findings();
    listed.cycles[0].files.push(PathBuf::from("src/c.rs"));
    let debt = KnownDebt::from_findings(&listed);
    let failures = compare(&findings(), &debt).failures;
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert!(failures[0].starts_with(
        "module cycle not in known-debt.toml (part of a listed cycle that shrank: list this one \
         instead):\n"
    ));
    assert_eq!(
        failures[1],
        "module cycle src/a.rs, src/b.rs, src/c.rs is now clean, remove from known-debt.toml"
    );
}
