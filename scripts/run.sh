#!/usr/bin/env bash
# The project's main job. Today: build every contract to wasm, check it as a chain would, and
# measure each entry point's gas on the compiled wasm (bench/gas.md). The local devnet with the
# contracts deployed and the protocol running replaces this once it lands.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/gas-report.sh
