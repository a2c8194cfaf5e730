//! Import cycles between a target's files: a graph whose nodes are files and whose edges are the
//! paths one file's code names into another's modules, and its strongly connected components.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::modtree::ModuleTree;
use crate::resolve::Resolver;

/// One edge of the file graph, with the first path (by line) that makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: PathBuf,
    pub to: PathBuf,
    /// The path as written, `::`-joined (`crate::a::Item`).
    pub example: String,
    /// Its line in `from`.
    pub line: usize,
}

/// Files that import each other in a ring, with the edges between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// Sorted.
    pub files: Vec<PathBuf>,
    /// Sorted by (from, to).
    pub edges: Vec<Edge>,
}

impl Cycle {
    /// The files, then one line per edge inside the cycle: `from:line -> to (path)`.
    pub fn describe(&self) -> String {
        let files: Vec<String> = self.files.iter().map(|f| f.display().to_string()).collect();
        let mut out = format!("    files: {}", files.join(", "));
        for edge in &self.edges {
            let (from, to) = (edge.from.display(), edge.to.display());
            out.push_str(&format!(
                "\n    {from}:{} -> {to} ({})",
                edge.line, edge.example
            ));
        }
        out
    }
}

/// The file graph's edges for one target: from each file to each other file its (non-test) code
/// names an item or module of. A `mod` declaration and a re-export (`pub use`) make no edge.
pub fn file_edges(tree: &ModuleTree) -> Vec<Edge> {
    let mut edges: BTreeMap<(PathBuf, PathBuf), Edge> = BTreeMap::new();
    let mut resolver = Resolver::new(tree);
    for (id, module) in tree.modules.iter().enumerate() {
        if module.test_only {
            continue;
        }
        for reference in &module.scope.refs {
            let Some(target) = resolver.reference(id, &reference.path) else {
                continue;
            };
            let to = &tree.modules[target].file;
            if tree.modules[target].test_only || *to == module.file {
                continue;
            }
            let edge = Edge {
                from: module.file.clone(),
                to: to.clone(),
                example: reference.text(),
                line: reference.line,
            };
            let key = (edge.from.clone(), edge.to.clone());
            let known = edges.entry(key).or_insert_with(|| edge.clone());
            if edge.line < known.line {
                *known = edge;
            }
        }
    }
    edges.into_values().collect()
}

/// The cycles among the edges: each strongly connected component of more than one file.
pub fn cycles(edges: &[Edge]) -> Vec<Cycle> {
    let mut graph: DiGraph<&Path, ()> = DiGraph::new();
    let mut nodes: BTreeMap<&Path, NodeIndex> = BTreeMap::new();
    for edge in edges {
        let from = *nodes
            .entry(&edge.from)
            .or_insert_with(|| graph.add_node(&edge.from));
        let to = *nodes
            .entry(&edge.to)
            .or_insert_with(|| graph.add_node(&edge.to));
        graph.add_edge(from, to, ());
    }
    let mut found: Vec<Cycle> = tarjan_scc(&graph)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| {
            let mut files: Vec<PathBuf> = component
                .iter()
                .map(|&node| graph[node].to_path_buf())
                .collect();
            files.sort();
            let inside = |path: &PathBuf| files.binary_search(path).is_ok();
            let edges = edges
                .iter()
                .filter(|edge| inside(&edge.from) && inside(&edge.to))
                .cloned()
                .collect();
            Cycle { files, edges }
        })
        .collect();
    found.sort_by(|a, b| a.files.cmp(&b.files));
    found
}
