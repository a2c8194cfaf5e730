//! The error style (issue 20, docs/architecture.md "Conventions"): no `Result<_, String>` in code
//! outside tests, and no anyhow in library code (every crate's `src/` outside its binaries), whose
//! callers branch on typed errors. Test code (`#[test]` functions, `#[cfg(test)]` items) is left
//! out, as for the length rules.

use syn::visit::{self, Visit};
use syn::{
    GenericArgument, ImplItemFn, ItemFn, ItemImpl, ItemMod, ItemUse, Path, PathArguments, Type,
    TypePath, UseTree,
};

use crate::exempt::{is_test_fn, is_test_only};

/// One place a rule of the error style is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offence {
    /// Relative to the workspace root, with `/`.
    pub path: String,
    pub line: usize,
}

/// Whether a file (relative, with `/`) is library code, where anyhow has no place: a crate's
/// `src/` (a package's or contract's, `packages/<name>/src/`, `contracts/<name>/src/`, or a
/// service's, `<service>/src/`), and neither a binary's (`src/bin/`, `src/main.rs`) nor a build
/// script. Test crates (`tests/`) and the benchmarks' baselines (`bench/`) are not.
pub fn is_library_file(relative: &str) -> bool {
    let parts: Vec<&str> = relative.split('/').collect();
    let rest = match parts.as_slice() {
        ["tests" | "bench", ..] => return false,
        ["packages" | "contracts", _, "src", rest @ ..] => rest,
        [_, "src", rest @ ..] => rest,
        _ => return false,
    };
    !matches!(rest.first(), Some(&"bin") | Some(&"main.rs") | None)
}

/// Where a parsed file breaks the error style, outside test code (one walk of the file).
#[derive(Debug, Default)]
pub struct ErrorStyle {
    /// The lines of its `Result<_, String>` types.
    pub string_errors: Vec<usize>,
    /// The lines of its paths into the `anyhow` crate (`use anyhow::..`, `anyhow::Result`,
    /// `anyhow::bail!`).
    pub anyhow: Vec<usize>,
}

/// The error style's offences in a parsed file.
pub fn error_style(file: &syn::File) -> ErrorStyle {
    let mut style = ErrorStyle::default();
    style.visit_file(file);
    style
}

/// Whether a type is `String` (or `std::string::String`, `alloc::string::String`).
fn is_string(ty: &Type) -> bool {
    let Type::Path(TypePath { qself: None, path }) = ty else {
        return false;
    };
    let mut names = path.segments.iter().map(|s| s.ident.to_string());
    match (names.next(), names.next(), names.next(), names.next()) {
        (Some(one), None, None, None) => one == "String",
        (Some(root), Some(module), Some(name), None) => {
            (root == "std" || root == "alloc") && module == "string" && name == "String"
        }
        _ => false,
    }
}

/// Whether a path is `Result<_, String>` (any path whose last segment is `Result`).
fn is_string_result(path: &Path) -> bool {
    let Some(last) = path.segments.last() else {
        return false;
    };
    if last.ident != "Result" {
        return false;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return false;
    };
    let types: Vec<&Type> = args
        .args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect();
    types.len() == 2 && is_string(types[1])
}

fn use_root_is_anyhow(tree: &UseTree) -> bool {
    match tree {
        UseTree::Path(path) => path.ident == "anyhow",
        UseTree::Name(name) => name.ident == "anyhow",
        UseTree::Rename(rename) => rename.ident == "anyhow",
        UseTree::Group(group) => group.items.iter().any(use_root_is_anyhow),
        UseTree::Glob(_) => false,
    }
}

impl<'ast> Visit<'ast> for ErrorStyle {
    fn visit_path(&mut self, path: &'ast Path) {
        let line = path
            .segments
            .first()
            .map(|s| s.ident.span().start().line)
            .unwrap_or(0);
        if is_string_result(path) {
            self.string_errors.push(line);
        }
        if path.segments.len() > 1 && path.segments[0].ident == "anyhow" {
            self.anyhow.push(line);
        }
        visit::visit_path(self, path);
    }

    fn visit_item_use(&mut self, item: &'ast ItemUse) {
        if !is_test_only(&item.attrs) && use_root_is_anyhow(&item.tree) {
            self.anyhow.push(item.use_token.span.start().line);
        }
    }

    fn visit_item_fn(&mut self, item: &'ast ItemFn) {
        if !is_test_fn(&item.attrs) && !is_test_only(&item.attrs) {
            visit::visit_item_fn(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast ImplItemFn) {
        if !is_test_fn(&item.attrs) && !is_test_only(&item.attrs) {
            visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_item_mod(&mut self, item: &'ast ItemMod) {
        if !is_test_only(&item.attrs) {
            visit::visit_item_mod(self, item);
        }
    }

    fn visit_item_impl(&mut self, item: &'ast ItemImpl) {
        if !is_test_only(&item.attrs) {
            visit::visit_item_impl(self, item);
        }
    }
}
