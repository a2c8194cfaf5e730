//! The ratchet: `known-debt.toml` lists the offenders the tree had when the check landed. A new
//! offender fails, a listed file or function that grew fails, and a listed entry that is no
//! longer an offender fails too, so the list only shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use crate::check::Findings;
use crate::error::{Error, Result};
use crate::errors::Offence;

/// The known offenders, as `known-debt.toml` holds them.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownDebt {
    /// Each cycle as its sorted files.
    #[serde(default)]
    pub cycles: BTreeSet<Vec<String>>,
    /// `service -> dependency`.
    #[serde(default)]
    pub service_deps: BTreeSet<String>,
    /// File -> lines.
    #[serde(default)]
    pub long_files: BTreeMap<String, usize>,
    /// `path::fn_name` -> lines.
    #[serde(default)]
    pub long_functions: BTreeMap<String, usize>,
    /// File -> how many `Result<_, String>` it has.
    #[serde(default)]
    pub string_errors: BTreeMap<String, usize>,
    /// File -> how many paths into anyhow it has (library code).
    #[serde(default)]
    pub library_anyhow: BTreeMap<String, usize>,
}

/// What the comparison says: failures (exit 1) and notes (fine, but worth saying).
#[derive(Debug, Default)]
pub struct Verdict {
    pub failures: Vec<String>,
    pub notes: Vec<String>,
}

impl KnownDebt {
    /// Today's findings as the list of known debt.
    pub fn from_findings(findings: &Findings) -> Self {
        KnownDebt {
            cycles: findings.cycles.iter().map(cycle_key).collect(),
            service_deps: findings.service_deps.iter().map(|d| d.key()).collect(),
            long_files: findings
                .long_files
                .iter()
                .map(|f| (f.path.clone(), f.lines))
                .collect(),
            long_functions: findings
                .long_functions
                .iter()
                .map(|f| (f.key.clone(), f.lines))
                .collect(),
            string_errors: per_file(&findings.string_errors),
            library_anyhow: per_file(&findings.library_anyhow),
        }
    }

    /// Parses the TOML text.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::KnownDebt {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Reads the file; a missing file is an empty list.
    pub fn read(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(Error::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// The TOML text, one entry a line, with a header that says what it is.
    pub fn to_toml(&self) -> String {
        let mut out = String::from(HEADER);
        out.push_str("\ncycles = [\n");
        for cycle in &self.cycles {
            let files: Vec<String> = cycle.iter().map(|f| quote(f)).collect();
            let _ = writeln!(out, "    [{}],", files.join(", "));
        }
        out.push_str("]\n\nservice_deps = [\n");
        for dep in &self.service_deps {
            let _ = writeln!(out, "    {},", quote(dep));
        }
        out.push_str("]\n\n[long_files]\n");
        for (path, lines) in &self.long_files {
            let _ = writeln!(out, "{} = {lines}", quote(path));
        }
        out.push_str("\n[long_functions]\n");
        for (key, lines) in &self.long_functions {
            let _ = writeln!(out, "{} = {lines}", quote(key));
        }
        out.push_str("\n[string_errors]\n");
        for (path, count) in &self.string_errors {
            let _ = writeln!(out, "{} = {count}", quote(path));
        }
        out.push_str("\n[library_anyhow]\n");
        for (path, count) in &self.library_anyhow {
            let _ = writeln!(out, "{} = {count}", quote(path));
        }
        out
    }

    /// Writes the TOML text to `path`.
    pub fn write(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_toml()).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

const HEADER: &str = "\
# The structure check's known debt (tests/structure, docs/architecture.md \"The structure check\"):
# the offenders the tree had when the check landed. A new offender fails the check, a listed file
# or function that grew fails, and an entry that is no longer an offender fails until it is
# removed here. Fix an entry, then delete it (or run
# `cargo run -p loopin-structure --bin structure-check -- --write-known-debt`, which writes
# today's offenders: only do that to remove entries).
";

/// How many offences each file has.
pub fn per_file(offences: &[Offence]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for offence in offences {
        *counts.entry(offence.path.clone()).or_insert(0) += 1;
    }
    counts
}

fn quote(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A cycle's entry: its sorted files, with `/`.
pub fn cycle_key(cycle: &crate::cycles::Cycle) -> Vec<String> {
    let mut files: Vec<String> = cycle
        .files
        .iter()
        .map(|f| f.to_string_lossy().replace('\\', "/"))
        .collect();
    files.sort();
    files
}

/// Compares the findings with the known debt.
pub fn compare(findings: &Findings, debt: &KnownDebt) -> Verdict {
    let mut verdict = Verdict::default();
    compare_cycles(findings, debt, &mut verdict);
    let deps: BTreeSet<String> = findings.service_deps.iter().map(|d| d.key()).collect();
    for dep in &findings.service_deps {
        if !debt.service_deps.contains(&dep.key()) {
            let to = &dep.to;
            verdict.failures.push(format!(
                "service dependency {}: {to} is {} (a service may depend on packages/ only)",
                dep.key(),
                dep.what
            ));
        }
    }
    for listed in debt.service_deps.difference(&deps) {
        verdict
            .failures
            .push(now_clean("service dependency", listed));
    }
    let files = findings
        .long_files
        .iter()
        .map(|f| (f.path.as_str(), f.lines));
    compare_lengths("file", "600", files, &debt.long_files, &mut verdict);
    let functions = findings
        .long_functions
        .iter()
        .map(|f| (f.key.as_str(), f.lines));
    compare_lengths(
        "function",
        "80",
        functions,
        &debt.long_functions,
        &mut verdict,
    );
    compare_counts(
        "Result<_, String> (use a typed error)",
        &findings.string_errors,
        &debt.string_errors,
        &mut verdict,
    );
    compare_counts(
        "anyhow in library code (use a thiserror enum)",
        &findings.library_anyhow,
        &debt.library_anyhow,
        &mut verdict,
    );
    verdict
}

/// A rule counted per file: a file with more offences than listed fails (each offence named by
/// its line), a listed file with none fails until removed, fewer is a note.
fn compare_counts(
    what: &str,
    found: &[Offence],
    listed: &BTreeMap<String, usize>,
    verdict: &mut Verdict,
) {
    let counts = per_file(found);
    for (path, &count) in &counts {
        let known = listed.get(path).copied().unwrap_or(0);
        if count > known {
            let lines: Vec<String> = found
                .iter()
                .filter(|o| &o.path == path)
                .map(|o| o.line.to_string())
                .collect();
            verdict.failures.push(format!(
                "{what}: {path} has {count} (known-debt.toml lists {known}), at lines {}",
                lines.join(", ")
            ));
        } else if count < known {
            verdict.notes.push(format!(
                "{what}: {path} has {count}, known-debt.toml lists {known}: lower it there"
            ));
        }
    }
    for path in listed.keys().filter(|p| !counts.contains_key(*p)) {
        verdict.failures.push(now_clean(what, path));
    }
}

fn compare_cycles(findings: &Findings, debt: &KnownDebt, verdict: &mut Verdict) {
    let mut found = BTreeSet::new();
    for cycle in &findings.cycles {
        let key = cycle_key(cycle);
        if !debt.cycles.contains(&key) {
            let mut message = String::from("module cycle not in known-debt.toml");
            let within = debt
                .cycles
                .iter()
                .any(|listed| key.iter().all(|f| listed.contains(f)));
            if within {
                message.push_str(" (part of a listed cycle that shrank: list this one instead)");
            }
            let _ = write!(message, ":\n{}", cycle.describe());
            verdict.failures.push(message);
        }
        found.insert(key);
    }
    for listed in debt.cycles.difference(&found) {
        verdict
            .failures
            .push(now_clean("module cycle", &listed.join(", ")));
    }
}

fn compare_lengths<'a>(
    what: &str,
    limit: &str,
    found: impl Iterator<Item = (&'a str, usize)>,
    listed: &BTreeMap<String, usize>,
    verdict: &mut Verdict,
) {
    let mut seen = BTreeSet::new();
    for (name, lines) in found {
        seen.insert(name);
        match listed.get(name) {
            None => verdict.failures.push(format!(
                "{what} {name} has {lines} lines (the limit is {limit}; not in known-debt.toml)"
            )),
            Some(&known) if lines > known => verdict.failures.push(format!(
                "{what} {name} grew from {known} to {lines} lines (the limit is {limit})"
            )),
            Some(&known) if lines < known => verdict.notes.push(format!(
                "{what} {name} shrank from {known} to {lines} lines: lower it in known-debt.toml"
            )),
            Some(_) => {}
        }
    }
    for name in listed.keys().filter(|n| !seen.contains(n.as_str())) {
        verdict.failures.push(now_clean(what, name));
    }
}

fn now_clean(what: &str, name: &str) -> String {
    format!("{what} {name} is now clean, remove from known-debt.toml")
}
