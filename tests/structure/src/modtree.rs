//! A target's module tree, walked from its root file: `mod x;` is `x.rs` or `x/mod.rs` beside the
//! declaring file (in a directory named for it when the declaring file is not `mod.rs` or a root),
//! `#[path = ".."]` is honoured, and an inline `mod x { .. }` belongs to the file it is written in.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::Item;

use crate::error::{Result, parse_file};
use crate::scan::{ModDecl, Scope, scan_module};

/// A module's index in its tree; the crate root is 0.
pub type ModId = usize;

/// One module of a target.
#[derive(Debug)]
pub struct Module {
    /// Its path from the crate root (empty for the root).
    pub path: Vec<String>,
    /// The file its code is written in.
    pub file: PathBuf,
    pub parent: Option<ModId>,
    pub children: BTreeMap<String, ModId>,
    /// Declared under `#[cfg(test)]`, or inside such a module.
    pub test_only: bool,
    pub scope: Scope,
}

/// A target's modules, from its root file.
#[derive(Debug, Default)]
pub struct ModuleTree {
    pub modules: Vec<Module>,
    /// `#[macro_export]` macros by name: they are named from the crate root.
    pub macro_exports: BTreeMap<String, ModId>,
    /// `mod x;` declarations whose file is not there (a module behind a `cfg`, or generated).
    pub missing: Vec<String>,
}

/// Where a module's code is and where its child modules' files are looked for.
struct Place<'p> {
    file: &'p Path,
    /// The directory `mod x;` looks in for `x.rs` and `x/mod.rs`.
    child_dir: PathBuf,
    /// At the file's top level (not inside an inline module).
    top_level: bool,
}

impl ModuleTree {
    /// Walks the module tree of the target whose root file is `root`.
    pub fn load(root: &Path) -> Result<Self> {
        let mut tree = ModuleTree::default();
        let (_, file) = parse_file(root)?;
        let place = Place {
            file: root,
            child_dir: parent_dir(root),
            top_level: true,
        };
        let mut loading = BTreeSet::from([root.to_path_buf()]);
        tree.add_module(&file.items, &place, Vec::new(), None, false, &mut loading)?;
        Ok(tree)
    }

    /// The crate root.
    pub fn root(&self) -> ModId {
        0
    }

    /// The files that are test code by their declaration (`#[cfg(test)] mod x;`).
    pub fn test_only_files(&self) -> BTreeSet<PathBuf> {
        let mut code_files = BTreeSet::new();
        let mut test_files = BTreeSet::new();
        for module in &self.modules {
            if module.test_only {
                test_files.insert(module.file.clone());
            } else {
                code_files.insert(module.file.clone());
            }
        }
        test_files.difference(&code_files).cloned().collect()
    }

    fn add_module(
        &mut self,
        items: &[Item],
        place: &Place<'_>,
        path: Vec<String>,
        parent: Option<ModId>,
        test_only: bool,
        loading: &mut BTreeSet<PathBuf>,
    ) -> Result<ModId> {
        let id = self.modules.len();
        let (scope, decls) = scan_module(items);
        for name in &scope.macro_exports {
            self.macro_exports.entry(name.clone()).or_insert(id);
        }
        self.modules.push(Module {
            path: path.clone(),
            file: place.file.to_path_buf(),
            parent,
            children: BTreeMap::new(),
            test_only,
            scope,
        });
        for decl in decls {
            let mut child_path = path.clone();
            child_path.push(decl.name.clone());
            let child_test = test_only || decl.test_only;
            let child = self.add_child(&decl, place, child_path, id, child_test, loading)?;
            if let Some(child) = child {
                self.modules[id].children.insert(decl.name.clone(), child);
            }
        }
        Ok(id)
    }

    fn add_child(
        &mut self,
        decl: &ModDecl<'_>,
        place: &Place<'_>,
        path: Vec<String>,
        parent: ModId,
        test_only: bool,
        loading: &mut BTreeSet<PathBuf>,
    ) -> Result<Option<ModId>> {
        if let Some(items) = decl.inline {
            let inline = Place {
                file: place.file,
                child_dir: place.child_dir.join(&decl.name),
                top_level: false,
            };
            let id = self.add_module(items, &inline, path, Some(parent), test_only, loading)?;
            return Ok(Some(id));
        }
        let Some((file, child_dir)) = child_file(decl, place) else {
            let declared = format!("{}:{}", place.file.display(), decl.line);
            self.missing.push(format!("{declared}: mod {}", decl.name));
            return Ok(None);
        };
        if !loading.insert(file.clone()) {
            return Ok(None);
        }
        let (_, syntax) = parse_file(&file)?;
        let child = Place {
            file: &file,
            child_dir,
            top_level: true,
        };
        let id = self.add_module(
            &syntax.items,
            &child,
            path,
            Some(parent),
            test_only,
            loading,
        )?;
        Ok(Some(id))
    }
}

/// The file a `mod x;` declaration loads and the directory its own children are looked for in.
fn child_file(decl: &ModDecl<'_>, place: &Place<'_>) -> Option<(PathBuf, PathBuf)> {
    if let Some(relative) = &decl.path_attr {
        // At a file's top level the path is relative to the file's directory; inside inline
        // modules, to the inline modules' directory.
        let base = if place.top_level {
            parent_dir(place.file)
        } else {
            place.child_dir.clone()
        };
        let file = base.join(relative);
        // A file loaded by `#[path]` looks for its children beside itself, as a mod.rs does.
        let dir = parent_dir(&file);
        return file.is_file().then_some((file, dir));
    }
    let flat = place.child_dir.join(format!("{}.rs", decl.name));
    if flat.is_file() {
        let dir = place.child_dir.join(&decl.name);
        return Some((flat, dir));
    }
    let nested = place.child_dir.join(&decl.name).join("mod.rs");
    if nested.is_file() {
        let dir = parent_dir(&nested);
        return Some((nested, dir));
    }
    None
}

fn parent_dir(file: &Path) -> PathBuf {
    file.parent().map(Path::to_path_buf).unwrap_or_default()
}
