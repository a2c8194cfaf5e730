#!/usr/bin/env bash
# Builds and checks the contracts, then runs every entry point of the compiled wasm in cosmwasm-vm
# and writes the gas table to bench/gas.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/build-contracts.sh
# The harness binary uses the service profile (no whole-program LTO); the gas is the wasm's.
LOOPIN_RUSTC="$(rustc --version)" cargo run --quiet --profile service --locked -p loopin-wasm-tests --bin gas-report
