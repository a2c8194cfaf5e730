#!/usr/bin/env bash
# The project's test command: formatting, lints, the wasm build and check, the structure check
# (tests/structure), schema freshness, then every test in the workspace. The last line printed is
# the test runner's own summary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
# One-shot builds gain nothing from incremental state, which doubled the target dir on CI.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# Free disk and memory where the build writes, at the start and again after any failing step:
# a linker that fails with only "exit status: 1" (collect2 after ld was killed, or a full disk)
# is then told apart from a broken build by the last lines CI keeps.
resources() {
  df -h "$ROOT" | tail -1 | awk '{print "disk: " $4 " free of " $2 " (" $5 " used) at '"$ROOT"'"}'
  free -m | awk '/^Mem:/ {print "memory: " $7 " MiB available of " $2 " MiB"}'
}
report_failure() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    echo "test.sh: a step failed (exit $status); resources now:" >&2
    resources >&2
  fi
}
trap report_failure EXIT
log "resources at the start"
resources

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy (warnings are errors)"
cargo clippy --quiet --locked --workspace --all-targets -- -D warnings
log "cargo clippy, prover with the CUDA backend (builds without CUDA; loaded at run time)"
cargo clippy --quiet --locked -p loopin-prover --all-targets --features cuda -- -D warnings

log "building and checking the contracts"
scripts/build-contracts.sh

log "building the workspace's binaries and tests (one feature set, shared by every step below)"
build_workspace
# Tests that start another package's binary find it built (network/tests/processes.rs).
export LOOPIN_WORKSPACE_BUILT=1

log "structure: module cycles, service dependencies, file and function length (tests/structure)"
target/debug/structure-check

log "checking that schema/ is up to date"
target/debug/schema --check

ensure_sshd
# The wasmd suites (packages/localnet, tests/chains, the prover's and relayer's chain tests) run
# real wasmd built from its Go module: LooPIN's chain and a second one with its own prefix, joined
# by Hermes.
ensure_wasmd loopin
ensure_wasmd remote
ensure_hermes

log "the web app (scripts/test-web.sh): its checks, unit tests and browser tests"
scripts/test-web.sh

log "docs/miner.md, followed literally on a wasmd validator (scripts/miner-doc.sh)"
scripts/miner-doc.sh

log "doc tests"
cargo test --quiet --locked --workspace --doc

ensure_nextest
log "tests (cargo nextest)"
cargo nextest run --locked --workspace --no-fail-fast
