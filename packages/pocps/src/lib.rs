//! PoCPS core: Sloth encoding over 2^127 - 1, Merkle commitment, challenges, proofs and verification.
//! Pure Rust, no I/O; the verify path builds for wasm32 without default features.
#![forbid(unsafe_code)]
#[cfg(feature = "prover")]
pub mod attack;
pub mod challenge;
pub mod encode;
pub mod field;
pub mod gemm;
pub mod gemm_audit;
pub mod merkle;
pub mod proof;
pub mod sig;
pub mod timed;
pub mod transcript;
