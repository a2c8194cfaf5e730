//! Resolving a path to the module that defines what it names, through the module tree, `use`
//! bindings and re-exports (`pub use child::Item`, `pub use child::*`).

use std::collections::{HashMap, HashSet};

use crate::modtree::{ModId, ModuleTree};
use crate::scan::LEADING_COLONS;

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// A module of the crate itself.
    Module(ModId),
    /// An item (or something under it: a variant, an associated item) defined in this module;
    /// also where a path lands when its next name is not found (e.g. a macro-made item).
    Item(ModId),
    /// Something outside the crate: another crate, the standard library, the prelude.
    External,
}

impl Resolved {
    /// The crate module that the path names, or whose item it names.
    pub fn module(self) -> Option<ModId> {
        match self {
            Resolved::Module(m) | Resolved::Item(m) => Some(m),
            Resolved::External => None,
        }
    }
}

/// A name looked up in a module, with or without the module's block-level `use`s.
type Key = (ModId, String, bool);

/// Resolves paths in one module tree, remembering what each name in each module led to.
pub struct Resolver<'t> {
    tree: &'t ModuleTree,
    known: HashMap<Key, Option<Resolved>>,
    /// Lookups under way: a name met again while it is being looked up is a `use` loop.
    active: HashSet<Key>,
}

impl<'t> Resolver<'t> {
    pub fn new(tree: &'t ModuleTree) -> Self {
        Resolver {
            tree,
            known: HashMap::new(),
            active: HashSet::new(),
        }
    }

    /// The module a path written in `origin`'s code leads to, when it names the crate's own
    /// code: the path starts with `crate`, `super` or `self`, with a child module of `origin`
    /// (and goes on past it), or with a name `origin` binds by `use`. Local variables, generic
    /// parameters and other crates are not followed.
    pub fn reference(&mut self, origin: ModId, path: &[String]) -> Option<ModId> {
        let first = path.first()?;
        let module = &self.tree.modules[origin];
        match first.as_str() {
            "crate" | "super" | "self" => {}
            LEADING_COLONS | "Self" => return None,
            // A lone name is a value, type or macro, never a module: a child module of the same
            // name (`mod json;` beside `use crate::http::json;`) is not what it names.
            name if path.len() == 1 => {
                let binding = module.scope.binding(name, true)?;
                return self.walk(origin, &binding.path).module();
            }
            name => {
                let is_child = module.children.contains_key(name);
                if !is_child && module.scope.binding(name, true).is_none() {
                    return None;
                }
            }
        }
        self.walk(origin, path).module()
    }

    /// Follows a path from `origin`: the leading `crate`/`self`/`super`, then one name at a time.
    fn walk(&mut self, origin: ModId, path: &[String]) -> Resolved {
        let mut current = origin;
        let mut index = 0;
        while let Some(segment) = path.get(index) {
            match segment.as_str() {
                "crate" if index == 0 => current = self.tree.root(),
                "self" if index == 0 => {}
                "super" => match self.tree.modules[current].parent {
                    Some(parent) => current = parent,
                    None => return Resolved::External,
                },
                _ => break,
            }
            index += 1;
        }
        let keyword_start = index > 0;
        while let Some(name) = path.get(index) {
            match self.lookup(current, name, current == origin) {
                Some(Resolved::Module(module)) => current = module,
                Some(found) => return found,
                // The first name of a path that is not the crate's: another crate.
                None if index == 0 && !keyword_start => return Resolved::External,
                None => return Resolved::Item(current),
            }
            index += 1;
        }
        Resolved::Module(current)
    }

    /// What `name` is in `module`'s scope: a child module, an item defined there, a `use`
    /// binding (followed to where it leads), or a name one of its glob imports brings. None if
    /// not found.
    fn lookup(&mut self, module: ModId, name: &str, with_locals: bool) -> Option<Resolved> {
        let key = (module, name.to_string(), with_locals);
        if let Some(&known) = self.known.get(&key) {
            return known;
        }
        if !self.active.insert(key.clone()) {
            return None;
        }
        let found = self.find(module, name, with_locals);
        self.active.remove(&key);
        self.known.insert(key, found);
        found
    }

    fn find(&mut self, module: ModId, name: &str, with_locals: bool) -> Option<Resolved> {
        let tree = self.tree;
        let this = &tree.modules[module];
        if let Some(&child) = this.children.get(name) {
            return Some(Resolved::Module(child));
        }
        if this.scope.defs.contains(name) {
            return Some(Resolved::Item(module));
        }
        if let Some(binding) = this.scope.binding(name, with_locals) {
            return Some(self.walk(module, &binding.path));
        }
        if module == tree.root()
            && let Some(&defined_in) = tree.macro_exports.get(name)
        {
            return Some(Resolved::Item(defined_in));
        }
        for glob in this.scope.globs(with_locals) {
            if let Resolved::Module(source) = self.walk(module, &glob.path)
                && source != module
                && let Some(found) = self.lookup(source, name, false)
            {
                return Some(found);
            }
        }
        None
    }
}
