//! Tiny crates written to a temporary directory, and what the check says about them.

#![allow(dead_code)] // each test binary uses its own part

use std::path::PathBuf;

use loopin_structure::Tree;
use loopin_structure::cycles::{Cycle, Edge, file_edges};
use loopin_structure::modtree::ModuleTree;

/// A crate in a temporary directory: `src/lib.rs` is its root.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// Writes the files (path relative to the crate, text).
    pub fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Fixture { dir }
    }

    pub fn tree(&self) -> Tree {
        Tree {
            root: self.dir.path().to_path_buf(),
            targets: vec![self.dir.path().join("src/lib.rs")],
        }
    }

    /// The module cycles of the crate.
    pub fn cycles(&self) -> Vec<Cycle> {
        loopin_structure::check::module_cycles(&self.tree())
            .expect("module cycles")
            .cycles
    }

    /// Every edge of the crate's file graph, as `from:line -> to (path)`.
    pub fn edges(&self) -> Vec<String> {
        let tree = ModuleTree::load(&self.dir.path().join("src/lib.rs")).expect("module tree");
        let root = self.dir.path();
        file_edges(&tree)
            .iter()
            .map(|e| {
                let from = e.from.strip_prefix(root).unwrap().display();
                let to = e.to.strip_prefix(root).unwrap().display();
                format!("{from}:{} -> {to} ({})", e.line, e.example)
            })
            .collect()
    }
}

/// A cycle as the check reports it (relative paths, edges sorted by file).
pub fn cycle(files: &[&str], edges: &[(&str, usize, &str, &str)]) -> Cycle {
    Cycle {
        files: files.iter().map(PathBuf::from).collect(),
        edges: edges
            .iter()
            .map(|&(from, line, to, example)| Edge {
                from: from.into(),
                to: to.into(),
                example: example.into(),
                line,
            })
            .collect(),
    }
}
