//! Text for people: a cycle with its edges, the findings in full, the summary line.

use std::fmt::Write as _;

use crate::check::Findings;
use crate::debt::KnownDebt;

/// Every finding, known or not (what `--write-known-debt` records).
pub fn describe_findings(findings: &Findings) -> String {
    let mut out = String::new();
    for cycle in &findings.cycles {
        let _ = writeln!(out, "module cycle of {} files:", cycle.files.len());
        let _ = writeln!(out, "{}", cycle.describe());
    }
    for dep in &findings.service_deps {
        let _ = writeln!(
            out,
            "service dependency {} ({} is {})",
            dep.key(),
            dep.to,
            dep.what
        );
    }
    for file in &findings.long_files {
        let _ = writeln!(out, "file {}: {} lines", file.path, file.lines);
    }
    for function in &findings.long_functions {
        let _ = writeln!(out, "function {}: {} lines", function.key, function.lines);
    }
    for offence in &findings.string_errors {
        let _ = writeln!(
            out,
            "Result<_, String> at {}:{}",
            offence.path, offence.line
        );
    }
    for offence in &findings.library_anyhow {
        let _ = writeln!(
            out,
            "anyhow in a library at {}:{}",
            offence.path, offence.line
        );
    }
    out
}

/// One line of counts per kind: found, and how many of them known-debt.toml lists.
pub fn summary(findings: &Findings, debt: &KnownDebt) -> String {
    let cycles = findings
        .cycles
        .iter()
        .filter(|c| debt.cycles.contains(&crate::debt::cycle_key(c)))
        .count();
    let deps = findings
        .service_deps
        .iter()
        .filter(|d| debt.service_deps.contains(&d.key()))
        .count();
    let files = findings
        .long_files
        .iter()
        .filter(|f| debt.long_files.contains_key(&f.path))
        .count();
    let functions = findings
        .long_functions
        .iter()
        .filter(|f| debt.long_functions.contains_key(&f.key))
        .count();
    format!(
        "structure: {} module cycles ({cycles} known), {} service dependencies ({deps} known), \
         {} files over 600 lines ({files} known), {} functions over 80 lines ({functions} known), \
         {} Result<_, String>, {} uses of anyhow in libraries",
        findings.cycles.len(),
        findings.service_deps.len(),
        findings.long_files.len(),
        findings.long_functions.len(),
        findings.string_errors.len(),
        findings.library_anyhow.len(),
    )
}
