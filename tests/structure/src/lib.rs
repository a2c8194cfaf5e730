//! The structure check (issue 20): no import cycle between modules, no service crate depending on
//! another service (or a contract crate), no source file over 600 lines and no function over 80
//! lines outside tests and generated code, one error style (no `Result<_, String>`, no anyhow in
//! `packages/`), with a ratchet (`known-debt.toml`) so it could land
//! before the tree was clean. `structure-check` is the binary; each module is one part of it.

pub mod check;
pub mod cycles;
pub mod debt;
pub mod error;
pub mod errors;
pub mod exempt;
pub mod lengths;
pub mod metadata;
pub mod modtree;
pub mod report;
pub mod resolve;
pub mod scan;
pub mod services;

pub use check::{Findings, Tree, check, check_tree};
pub use debt::{KnownDebt, Verdict, compare};
pub use error::{Error, Result};
