//! Runs the checks over a tree and gathers what they find.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::cycles::{Cycle, Edge, cycles, file_edges};
use crate::error::{Result, parse_file};
use crate::errors::{Offence, error_style, is_library_file};
use crate::exempt::{is_generated, is_test_path};
use crate::lengths::{
    LongFile, LongFunction, MAX_FILE_LINES, MAX_FN_LINES, line_count, long_functions,
};
use crate::metadata::{Metadata, relative_to};
use crate::modtree::ModuleTree;
use crate::services::{ServiceDep, service_dependencies};

/// What the checks found, paths relative to the workspace root.
#[derive(Debug, Default)]
pub struct Findings {
    pub cycles: Vec<Cycle>,
    pub service_deps: Vec<ServiceDep>,
    pub long_files: Vec<LongFile>,
    pub long_functions: Vec<LongFunction>,
    /// `Result<_, String>` outside tests.
    pub string_errors: Vec<Offence>,
    /// Paths into anyhow in library code (every crate's `src/`, outside binaries).
    pub library_anyhow: Vec<Offence>,
    /// Things worth a look that are no finding (a `mod x;` with no file).
    pub notes: Vec<String>,
}

/// A source tree to check: its root and the root files of its targets.
#[derive(Debug, Clone)]
pub struct Tree {
    pub root: PathBuf,
    pub targets: Vec<PathBuf>,
}

impl Tree {
    /// Every target (lib, bins, tests, benches, examples, build script) of every member.
    pub fn from_metadata(metadata: &Metadata) -> Self {
        let targets: BTreeSet<PathBuf> = metadata
            .members()
            .flat_map(|package| &package.targets)
            .map(|target| target.src_path.clone())
            .collect();
        Tree {
            root: metadata.workspace_root.clone(),
            targets: targets.into_iter().collect(),
        }
    }
}

/// Every check on a workspace.
pub fn check(metadata: &Metadata) -> Result<Findings> {
    let mut findings = check_tree(&Tree::from_metadata(metadata))?;
    findings.service_deps = service_dependencies(metadata);
    Ok(findings)
}

/// The checks that read the source: module cycles, long files, long functions, the error style.
pub fn check_tree(tree: &Tree) -> Result<Findings> {
    let modules = module_cycles(tree)?;
    let code = scan_code(&tree.root, &modules.test_files)?;
    Ok(Findings {
        cycles: modules.cycles,
        service_deps: Vec::new(),
        long_files: code.long_files,
        long_functions: code.long_functions,
        string_errors: code.string_errors,
        library_anyhow: code.library_anyhow,
        notes: modules.notes,
    })
}

/// The module trees' findings.
pub struct Modules {
    pub cycles: Vec<Cycle>,
    /// Files that are test code by declaration (`#[cfg(test)] mod x;`) in every tree they are in.
    pub test_files: BTreeSet<PathBuf>,
    pub notes: Vec<String>,
}

/// The import cycles of each target's module tree (one cycle found by several targets, as a
/// library's and its binary's, is reported once).
pub fn module_cycles(tree: &Tree) -> Result<Modules> {
    let mut found: BTreeMap<Vec<PathBuf>, Cycle> = BTreeMap::new();
    let mut code_files = BTreeSet::new();
    let mut test_files = BTreeSet::new();
    let mut notes = BTreeSet::new();
    for target in &tree.targets {
        let modules = ModuleTree::load(target)?;
        for module in &modules.modules {
            if !module.test_only {
                code_files.insert(module.file.clone());
            }
        }
        test_files.extend(modules.test_only_files());
        notes.extend(modules.missing.iter().map(|m| format!("no file for {m}")));
        for cycle in cycles(&file_edges(&modules)) {
            let cycle = relative_cycle(&tree.root, cycle);
            found.entry(cycle.files.clone()).or_insert(cycle);
        }
    }
    Ok(Modules {
        cycles: found.into_values().collect(),
        test_files: test_files.difference(&code_files).cloned().collect(),
        notes: notes.into_iter().collect(),
    })
}

fn relative_cycle(root: &Path, cycle: Cycle) -> Cycle {
    let relative = |path: &Path| PathBuf::from(relative_to(root, path));
    Cycle {
        files: cycle.files.iter().map(|f| relative(f)).collect(),
        edges: cycle
            .edges
            .into_iter()
            .map(|edge| Edge {
                from: relative(&edge.from),
                to: relative(&edge.to),
                ..edge
            })
            .collect(),
    }
}

/// Files over 600 lines and functions over 80 in every `.rs` file under `root`, except test code
/// (by path, or declared under `#[cfg(test)]`: `test_files`) and generated code.
pub fn long_code(
    root: &Path,
    test_files: &BTreeSet<PathBuf>,
) -> Result<(Vec<LongFile>, Vec<LongFunction>)> {
    let code = scan_code(root, test_files)?;
    Ok((code.long_files, code.long_functions))
}

/// What the rules that read each file find in it.
#[derive(Debug, Default)]
pub struct Code {
    pub long_files: Vec<LongFile>,
    pub long_functions: Vec<LongFunction>,
    pub string_errors: Vec<Offence>,
    pub library_anyhow: Vec<Offence>,
}

/// The length and error-style rules over every `.rs` file under `root`, except test code (by
/// path, or declared under `#[cfg(test)]`: `test_files`) and generated code; each file is read
/// and parsed once.
pub fn scan_code(root: &Path, test_files: &BTreeSet<PathBuf>) -> Result<Code> {
    let mut code = Code::default();
    for file in rust_files(root)? {
        let path = relative_to(root, &file);
        if is_test_path(&path) || test_files.contains(&file) {
            continue;
        }
        let (source, syntax) = parse_file(&file)?;
        if is_generated(&source) {
            continue;
        }
        let lines = line_count(&source);
        if lines > MAX_FILE_LINES {
            code.long_files.push(LongFile {
                path: path.clone(),
                lines,
            });
        }
        code.long_functions
            .extend(long_functions(&syntax, &path, MAX_FN_LINES));
        let offence = |line| Offence {
            path: path.clone(),
            line,
        };
        let style = error_style(&syntax);
        code.string_errors
            .extend(style.string_errors.into_iter().map(offence));
        if is_library_file(&path) {
            code.library_anyhow
                .extend(style.anyhow.into_iter().map(offence));
        }
    }
    Ok(code)
}

/// The `.rs` files under `root`, sorted, leaving out hidden directories, `target` and
/// `node_modules`. Symbolic links are not followed.
pub fn rust_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| crate::error::Error::Read {
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                let skipped = name.starts_with('.') || name == "target" || name == "node_modules";
                if !skipped {
                    dirs.push(entry.path());
                }
            } else if kind.is_file() && name.ends_with(".rs") {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    Ok(found)
}
