//! Compiled-wasm harness.
