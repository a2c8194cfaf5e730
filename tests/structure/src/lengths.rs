//! Long files and long functions: a file's line count, and a function's lines from its `fn`
//! keyword to its closing brace (free functions, methods, trait methods with a default body,
//! functions inside functions). Tests are left out: `#[test]`-like functions and everything
//! under `#[cfg(test)]`.

use syn::visit::{self, Visit};
use syn::{Attribute, Block, ImplItemFn, ItemFn, ItemImpl, ItemMod, ItemTrait, Signature};

use crate::exempt::{is_test_fn, is_test_only};

/// The most lines a source file may have.
pub const MAX_FILE_LINES: usize = 600;
/// The most lines a function may have.
pub const MAX_FN_LINES: usize = 80;

/// A file over the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongFile {
    /// Relative to the workspace root, with `/`.
    pub path: String,
    pub lines: usize,
}

/// A function over the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongFunction {
    /// `path::name`: the file, then the inline modules, the impl's type or the trait, and the
    /// function (`devnet/src/chain/deliver.rs::Chain::deliver`); `#2`, `#3` for a repeated name.
    pub key: String,
    /// The line of its `fn`.
    pub line: usize,
    pub lines: usize,
}

/// The number of lines in a file's text.
pub fn line_count(source: &str) -> usize {
    source.lines().count()
}

/// The functions of a parsed file longer than `limit` lines; `path` names the file in the keys.
pub fn long_functions(file: &syn::File, path: &str, limit: usize) -> Vec<LongFunction> {
    let mut finder = Finder {
        path,
        limit,
        scope: Vec::new(),
        found: Vec::new(),
    };
    finder.visit_file(file);
    let mut found = finder.found;
    disambiguate(&mut found);
    found
}

/// Gives repeated keys (two impls with the same method, say) a `#n` suffix, in file order.
fn disambiguate(found: &mut [LongFunction]) {
    let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
    for function in found.iter_mut() {
        let count = seen.entry(function.key.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            function.key = format!("{}#{}", function.key, count);
        }
    }
}

struct Finder<'p> {
    path: &'p str,
    limit: usize,
    /// Inline modules, impl types, traits and enclosing functions around the current item.
    scope: Vec<String>,
    found: Vec<LongFunction>,
}

impl Finder<'_> {
    /// Measures one function, then looks inside it (for functions in functions).
    fn function(&mut self, attrs: &[Attribute], sig: &Signature, body: &Block) -> bool {
        if is_test_fn(attrs) || is_test_only(attrs) {
            return false;
        }
        let first = sig.fn_token.span.start().line;
        let last = body.brace_token.span.close().start().line;
        let lines = last + 1 - first;
        if lines > self.limit {
            let mut key = String::from(self.path);
            for name in self.scope.iter().chain([&sig.ident.to_string()]) {
                key.push_str("::");
                key.push_str(name);
            }
            self.found.push(LongFunction {
                key,
                line: first,
                lines,
            });
        }
        true
    }

    fn within(&mut self, name: String, visit: impl FnOnce(&mut Self)) {
        self.scope.push(name);
        visit(self);
        self.scope.pop();
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item_fn(&mut self, item: &'ast ItemFn) {
        if self.function(&item.attrs, &item.sig, &item.block) {
            self.within(item.sig.ident.to_string(), |f| {
                visit::visit_item_fn(f, item)
            });
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast ImplItemFn) {
        if self.function(&item.attrs, &item.sig, &item.block) {
            self.within(item.sig.ident.to_string(), |f| {
                visit::visit_impl_item_fn(f, item)
            });
        }
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(body) = &item.default
            && self.function(&item.attrs, &item.sig, body)
        {
            self.within(item.sig.ident.to_string(), |f| {
                visit::visit_trait_item_fn(f, item)
            });
        }
    }

    fn visit_item_mod(&mut self, item: &'ast ItemMod) {
        if !is_test_only(&item.attrs) {
            self.within(item.ident.to_string(), |f| visit::visit_item_mod(f, item));
        }
    }

    fn visit_item_impl(&mut self, item: &'ast ItemImpl) {
        if !is_test_only(&item.attrs) {
            let name = type_name(&item.self_ty);
            self.within(name, |f| visit::visit_item_impl(f, item));
        }
    }

    fn visit_item_trait(&mut self, item: &'ast ItemTrait) {
        if !is_test_only(&item.attrs) {
            self.within(item.ident.to_string(), |f| visit::visit_item_trait(f, item));
        }
    }
}

/// The name an impl block goes by: its type's last path segment (`Chain` for `crate::Chain<T>`),
/// or `_` for a type that is not a path.
fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(|| "_".into(), |s| s.ident.to_string()),
        syn::Type::Reference(reference) => type_name(&reference.elem),
        _ => "_".into(),
    }
}
