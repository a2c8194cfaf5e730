//! What the rules leave out: test code (by path, by `#[cfg(test)]`, by `#[test]`) and generated
//! code.

use syn::parse::Parser as _;
use syn::punctuated::Punctuated;
use syn::{Attribute, Item, Meta, Token};

/// Whether the attributes make an item exist only when testing: `#[cfg(test)]`, or a `cfg` whose
/// predicate needs `test` (`all(test, ..)`, `any` of test-only predicates).
pub fn is_test_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<Meta>()
                .is_ok_and(|meta| needs_test(&meta))
    })
}

/// Whether a `cfg` predicate can only hold when `test` is set.
fn needs_test(meta: &Meta) -> bool {
    match meta {
        Meta::Path(path) => path.is_ident("test"),
        Meta::List(list) => {
            let parser = Punctuated::<Meta, Token![,]>::parse_terminated;
            let Ok(inner) = parser.parse2(list.tokens.clone()) else {
                return false;
            };
            if list.path.is_ident("all") {
                inner.iter().any(needs_test)
            } else if list.path.is_ident("any") {
                !inner.is_empty() && inner.iter().all(needs_test)
            } else {
                false
            }
        }
        Meta::NameValue(_) => false,
    }
}

/// Whether a function is a test: `#[test]`, `#[tokio::test]` or any attribute whose last path
/// segment is `test`.
pub fn is_test_fn(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "test")
    })
}

/// Whether a file is test code by where it is (a path relative to the workspace root, with `/`):
/// anything under a `tests/` or `benches/` directory (a crate's or the workspace's top-level
/// `tests/`), or a file named `tests.rs`.
pub fn is_test_path(relative: &str) -> bool {
    let mut components = relative.split('/').peekable();
    while let Some(component) = components.next() {
        let is_last = components.peek().is_none();
        if is_last {
            return component == "tests.rs";
        }
        if component == "tests" || component == "benches" {
            return true;
        }
    }
    false
}

/// Whether a file says, in a plain comment in its first five lines, that it was generated: the
/// `@generated` marker or "do not edit", as code generators write them. A doc comment (`//!`,
/// `///`) that merely uses the word does not count.
pub fn is_generated(source: &str) -> bool {
    source.lines().take(5).any(|line| {
        let line = line.trim_start();
        let plain = line.starts_with("//") && !line.starts_with("///") && !line.starts_with("//!");
        let lower = line.to_lowercase();
        plain && (lower.contains("@generated") || lower.contains("do not edit"))
    })
}

/// An item's attributes (none for a bare macro invocation or verbatim tokens).
pub fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}
