//! Module cycles: which paths make an edge between files, and the cycles they close.

mod common;

use common::{Fixture, cycle};

#[test]
fn a_two_module_cycle_through_use_crate_is_found_with_its_edges() {
    let fixture = Fixture::new(&[
        ("src/lib.rs", "mod a;\nmod b;\n"),
        ("src/a.rs", "use crate::b::B;\n\npub struct A(B);\n"),
        (
            "src/b.rs",
            "pub struct B;\n\npub fn make() -> crate::a::A {\n    crate::a::A(B)\n}\n",
        ),
    ]);
    assert_eq!(
        fixture.cycles(),
        vec![cycle(
            &["src/a.rs", "src/b.rs"],
            &[
                ("src/a.rs", 1, "src/b.rs", "crate::b::B"),
                ("src/b.rs", 3, "src/a.rs", "crate::a::A"),
            ],
        )]
    );
}

#[test]
fn a_parent_that_only_reexports_its_children_and_a_child_using_super_is_no_cycle() {
    let fixture = Fixture::new(&[
        ("src/lib.rs", "mod parent;\npub use parent::{Type, run};\n"),
        (
            "src/parent/mod.rs",
            "mod child;\nmod other;\npub use child::run;\npub use other::*;\n\npub struct Type;\n",
        ),
        (
            "src/parent/child.rs",
            "use super::Type;\n\npub fn run(_: Type) {}\n",
        ),
        (
            "src/parent/other.rs",
            "pub fn other() -> super::Type {\n    super::Type\n}\n",
        ),
    ]);
    assert_eq!(fixture.cycles(), vec![]);
    assert_eq!(
        fixture.edges(),
        vec![
            "src/parent/child.rs:1 -> src/parent/mod.rs (super::Type)",
            "src/parent/other.rs:1 -> src/parent/mod.rs (super::Type)",
        ]
    );
}

#[test]
fn a_path_through_a_reexport_lands_on_the_defining_module() {
    let fixture = Fixture::new(&[
        ("src/lib.rs", "mod a;\nmod c;\n"),
        ("src/a/mod.rs", "mod b;\npub use b::Item;\n"),
        (
            "src/a/b.rs",
            "pub struct Item;\n\npub fn f() {\n    crate::c::helper();\n}\n",
        ),
        (
            "src/c.rs",
            "pub fn helper() {}\n\npub fn g() -> crate::a::Item {\n    crate::a::Item\n}\n",
        ),
    ]);
    assert_eq!(
        fixture.cycles(),
        vec![cycle(
            &["src/a/b.rs", "src/c.rs"],
            &[
                ("src/a/b.rs", 4, "src/c.rs", "crate::c::helper"),
                ("src/c.rs", 3, "src/a/b.rs", "crate::a::Item"),
            ],
        )]
    );
}

#[test]
fn a_path_through_a_glob_reexport_lands_on_the_defining_module() {
    let fixture = Fixture::new(&[
        ("src/lib.rs", "mod a;\nmod c;\npub use a::*;\n"),
        ("src/a/mod.rs", "mod b;\npub(crate) use b::*;\n"),
        ("src/a/b.rs", "use crate::c::helper;\n\npub struct Item;\n"),
        (
            "src/c.rs",
            "pub fn helper() -> crate::Item {\n    crate::Item\n}\n",
        ),
    ]);
    assert_eq!(
        fixture.cycles(),
        vec![cycle(
            &["src/a/b.rs", "src/c.rs"],
            &[
                ("src/a/b.rs", 1, "src/c.rs", "crate::c::helper"),
                ("src/c.rs", 1, "src/a/b.rs", "crate::Item"),
            ],
        )]
    );
}

#[test]
fn cfg_test_code_adds_no_edge() {
    let fixture = Fixture::new(&[
        ("src/lib.rs", "mod a;\nmod b;\n#[cfg(test)]\nmod tests;\n"),
        ("src/a.rs", "use crate::b::B;\n\npub struct A(pub B);\n"),
        (
            "src/b.rs",
            "pub struct B;\n\
             #[cfg(test)]\nuse crate::a::A;\n\
             #[cfg(test)]\nfn helper() -> crate::a::A {\n    crate::a::A(B)\n}\n\
             #[cfg(all(test, unix))]\nmod unix_tests {\n    use crate::a::A;\n}\n\
             impl B {\n    #[cfg(test)]\n    fn wrap(self) -> crate::a::A {\n        crate::a::A(self)\n    }\n}\n",
        ),
        ("src/tests.rs", "use crate::a::A;\nuse crate::b::B;\n"),
    ]);
    assert_eq!(fixture.cycles(), vec![]);
    assert_eq!(
        fixture.edges(),
        vec!["src/a.rs:1 -> src/b.rs (crate::b::B)"]
    );
}

#[test]
fn an_inline_module_belongs_to_its_file_and_path_attributes_are_followed() {
    let fixture = Fixture::new(&[
        (
            "src/lib.rs",
            "#[path = \"elsewhere/named.rs\"]\nmod a;\n\
             mod inline {\n    pub struct S;\n    pub fn f() {\n        super::a::g();\n    }\n}\n",
        ),
        (
            "src/elsewhere/named.rs",
            "pub fn g() {}\n\nfn h() -> crate::inline::S {\n    crate::inline::S\n}\n",
        ),
    ]);
    assert_eq!(
        fixture.cycles(),
        vec![cycle(
            &["src/elsewhere/named.rs", "src/lib.rs"],
            &[
                (
                    "src/elsewhere/named.rs",
                    3,
                    "src/lib.rs",
                    "crate::inline::S"
                ),
                ("src/lib.rs", 6, "src/elsewhere/named.rs", "super::a::g"),
            ],
        )]
    );
}

#[test]
fn other_crates_locals_and_mod_declarations_make_no_edge() {
    let fixture = Fixture::new(&[
        (
            "src/lib.rs",
            "mod a;\nmod b;\npub use b::B;\n\nfn run() {\n    let a = 1;\n    std::mem::drop(a);\n}\n",
        ),
        (
            "src/a.rs",
            "use std::collections::BTreeMap;\nuse serde::Serialize;\n\npub fn a(_: BTreeMap<u8, u8>) {}\n",
        ),
        (
            "src/b.rs",
            "pub struct B;\n\nfn c() {\n    crate::a::a(Default::default());\n}\n",
        ),
    ]);
    assert_eq!(fixture.cycles(), vec![]);
    assert_eq!(
        fixture.edges(),
        vec!["src/b.rs:4 -> src/a.rs (crate::a::a)"]
    );
}
