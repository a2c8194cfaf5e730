//! What one module's items say about names: the items it defines, its `use` bindings (imports and
//! re-exports), the child modules it declares and the paths its own code names, each with a line.
//! Code under `#[cfg(test)]` is left out entirely.

use std::collections::BTreeSet;

use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Expr, ImplItem, Item, ItemMod, Token, TraitItem, UseTree, Visibility};

use crate::exempt::{is_test_only, item_attrs};

/// A path as written: its segments' identifiers; `::` first for a path with a leading `::`.
pub type Segments = Vec<String>;

/// The segment that stands for a leading `::` (a path into an external crate).
pub const LEADING_COLONS: &str = "::";

/// One name a `use` brings into scope (`name` None for a glob or `as _`).
#[derive(Debug, Clone)]
pub struct Binding {
    pub name: Option<String>,
    pub path: Segments,
    pub glob: bool,
}

/// A path the module's own code names, and where.
#[derive(Debug, Clone)]
pub struct Reference {
    pub path: Segments,
    pub line: usize,
    /// A glob import (`use a::*`): `path` is the module it imports from.
    pub glob: bool,
}

impl Reference {
    /// The path as written: `crate::a::Item`, `super::*`.
    pub fn text(&self) -> String {
        let path = self.path.join("::");
        if self.glob {
            format!("{path}::*")
        } else {
            path
        }
    }
}

/// A `mod` item: inline (`mod x { .. }`) or a file (`mod x;`, with its `#[path]` if any).
pub struct ModDecl<'a> {
    pub name: String,
    pub inline: Option<&'a [Item]>,
    pub path_attr: Option<String>,
    pub test_only: bool,
    pub line: usize,
}

/// Names in one module's scope, as its items declare them.
#[derive(Debug, Default)]
pub struct Scope {
    /// Items defined here: fn, struct, enum, union, trait, type, const, static, macro_rules, mod.
    pub defs: BTreeSet<String>,
    /// Module-level `use` bindings, private and public (children see private ones too).
    pub bindings: Vec<Binding>,
    /// `use` bindings inside function bodies and blocks: seen by this module's own code only.
    pub local_bindings: Vec<Binding>,
    /// Paths the module's code names: private `use` trees and paths in expressions, types,
    /// patterns and macro paths. Re-exports (`pub use`) are not among them.
    pub refs: Vec<Reference>,
    /// `#[macro_export]` macros defined here (they live at the crate root).
    pub macro_exports: BTreeSet<String>,
}

impl Scope {
    /// The binding a name has in this module (locals first, when asked for).
    pub fn binding(&self, name: &str, with_locals: bool) -> Option<&Binding> {
        let locals = self.local_bindings.iter().filter(|_| with_locals);
        locals
            .chain(self.bindings.iter())
            .find(|b| !b.glob && b.name.as_deref() == Some(name))
    }

    /// The glob imports of this module (locals too, when asked for).
    pub fn globs(&self, with_locals: bool) -> impl Iterator<Item = &Binding> {
        let locals = self.local_bindings.iter().filter(move |_| with_locals);
        locals.chain(self.bindings.iter()).filter(|b| b.glob)
    }
}

/// Scans a module's items (a file's or an inline module's): its scope and its `mod` items.
pub fn scan_module(items: &[Item]) -> (Scope, Vec<ModDecl<'_>>) {
    let mut collector = Collector::default();
    let mut mods = Vec::new();
    for item in items {
        // A test module is still walked (its files are test code), but adds nothing to scope.
        if let Item::Mod(m) = item {
            let decl = mod_decl(m);
            if !decl.test_only {
                collector.scope.defs.insert(decl.name.clone());
            }
            mods.push(decl);
            continue;
        }
        if is_test_only(item_attrs(item)) {
            continue;
        }
        match item {
            Item::Use(u) => {
                let reexport = !matches!(u.vis, Visibility::Inherited);
                let leading = u.leading_colon.is_some();
                collector.add_use(&u.tree, leading, reexport, false);
            }
            other => {
                collector.define(other);
                collector.visit_item(other);
            }
        }
    }
    (collector.scope, mods)
}

fn mod_decl(m: &ItemMod) -> ModDecl<'_> {
    let path_attr = m.attrs.iter().find_map(|attr| match &attr.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    });
    ModDecl {
        name: m.ident.to_string(),
        inline: m.content.as_ref().map(|(_, items)| items.as_slice()),
        path_attr,
        test_only: is_test_only(&m.attrs),
        line: m.mod_token.span.start().line,
    }
}

/// Walks a module's code, collecting definitions, bindings and the paths it names.
#[derive(Default)]
struct Collector {
    scope: Scope,
}

impl Collector {
    /// Records the name a module-level item defines.
    fn define(&mut self, item: &Item) {
        let ident = match item {
            Item::Const(i) => &i.ident,
            Item::Enum(i) => &i.ident,
            Item::Fn(i) => &i.sig.ident,
            Item::Static(i) => &i.ident,
            Item::Struct(i) => &i.ident,
            Item::Trait(i) => &i.ident,
            Item::TraitAlias(i) => &i.ident,
            Item::Type(i) => &i.ident,
            Item::Union(i) => &i.ident,
            Item::Macro(i) => match &i.ident {
                Some(ident) => {
                    let exported = i.attrs.iter().any(|a| a.path().is_ident("macro_export"));
                    if exported {
                        self.scope.macro_exports.insert(ident.to_string());
                    }
                    ident
                }
                None => return,
            },
            _ => return,
        };
        self.scope.defs.insert(ident.to_string());
    }

    /// Records a `use` item: its bindings, and (unless it is a re-export) its paths as references.
    fn add_use(&mut self, tree: &UseTree, leading: bool, reexport: bool, local: bool) {
        let mut prefix = Vec::new();
        if leading {
            prefix.push(LEADING_COLONS.to_string());
        }
        let mut leaves = Vec::new();
        flatten(tree, &mut prefix, &mut leaves);
        for (binding, line) in leaves {
            if !reexport {
                self.scope.refs.push(Reference {
                    path: binding.path.clone(),
                    line,
                    glob: binding.glob,
                });
            }
            if local {
                self.scope.local_bindings.push(binding);
            } else {
                self.scope.bindings.push(binding);
            }
        }
    }
}

/// A `use` tree as one binding per leaf, with the leaf's line.
fn flatten(tree: &UseTree, prefix: &mut Segments, out: &mut Vec<(Binding, usize)>) {
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) => {
            let line = n.ident.span().start().line;
            let (name, path) = leaf(prefix, &n.ident.to_string());
            out.push((binding(name, path, false), line));
        }
        UseTree::Rename(r) => {
            let line = r.ident.span().start().line;
            let (_, path) = leaf(prefix, &r.ident.to_string());
            let name = Some(r.rename.to_string()).filter(|n| n != "_");
            out.push((binding(name, path, false), line));
        }
        UseTree::Glob(g) => {
            let line = g.star_token.spans[0].start().line;
            out.push((binding(None, prefix.clone(), true), line));
        }
        UseTree::Group(g) => {
            for tree in &g.items {
                flatten(tree, prefix, out);
            }
        }
    }
}

/// The name and path of a `use` leaf: `a::b::{self}` names `b` itself.
fn leaf(prefix: &Segments, ident: &str) -> (Option<String>, Segments) {
    if ident == "self" {
        (prefix.last().cloned(), prefix.clone())
    } else {
        let mut path = prefix.clone();
        path.push(ident.to_string());
        (Some(ident.to_string()), path)
    }
}

fn binding(name: Option<String>, path: Segments, glob: bool) -> Binding {
    Binding { name, path, glob }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments: Segments = Vec::with_capacity(path.segments.len() + 1);
        if path.leading_colon.is_some() {
            segments.push(LEADING_COLONS.to_string());
        }
        segments.extend(path.segments.iter().map(|s| s.ident.to_string()));
        if let Some(first) = path.segments.first() {
            let line = first.ident.span().start().line;
            self.scope.refs.push(Reference {
                path: segments,
                line,
                glob: false,
            });
        }
        visit::visit_path(self, path);
    }

    /// Items inside function bodies and blocks: `use` binds for this module's code only; test-only
    /// items are skipped.
    fn visit_item(&mut self, item: &'ast Item) {
        if is_test_only(item_attrs(item)) {
            return;
        }
        match item {
            Item::Use(u) => self.add_use(&u.tree, u.leading_colon.is_some(), false, true),
            other => visit::visit_item(self, other),
        }
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        let attrs = match item {
            ImplItem::Const(i) => &i.attrs,
            ImplItem::Fn(i) => &i.attrs,
            ImplItem::Type(i) => &i.attrs,
            ImplItem::Macro(i) => &i.attrs,
            _ => return visit::visit_impl_item(self, item),
        };
        if !is_test_only(attrs) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_trait_item(&mut self, item: &'ast TraitItem) {
        let attrs = match item {
            TraitItem::Const(i) => &i.attrs,
            TraitItem::Fn(i) => &i.attrs,
            TraitItem::Type(i) => &i.attrs,
            TraitItem::Macro(i) => &i.attrs,
            _ => return visit::visit_trait_item(self, item),
        };
        if !is_test_only(attrs) {
            visit::visit_trait_item(self, item);
        }
    }

    /// A macro's path, and its arguments when they read as comma-separated expressions
    /// (`vec![..]`, `assert_eq!(..)`, `format!(..)`); other macro bodies are opaque.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
        if let Ok(args) = mac.parse_body_with(parser) {
            for expr in &args {
                self.visit_expr(expr);
            }
        }
    }

    /// Attributes name no module of the crate (`derive`, `cfg`, `serde(..)`).
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    /// `pub(in crate::a)` restricts visibility; it uses nothing.
    fn visit_visibility(&mut self, _: &'ast Visibility) {}

    /// Statements that exist only in tests.
    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        let test_only = match stmt {
            syn::Stmt::Local(local) => is_test_only(&local.attrs),
            syn::Stmt::Macro(mac) => is_test_only(&mac.attrs),
            _ => false,
        };
        if !test_only {
            visit::visit_stmt(self, stmt);
        }
    }
}
