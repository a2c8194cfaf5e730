#!/usr/bin/env bash
# Builds and checks the contracts, then runs every entry point of the compiled wasm in cosmwasm-vm
# and writes the gas table to bench/gas.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/build-contracts.sh
LOOPIN_RUSTC="$(rustc --version)" cargo run --quiet --release --locked -p loopin-wasm-tests --bin gas-report
