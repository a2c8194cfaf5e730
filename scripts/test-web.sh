#!/usr/bin/env bash
# The web app's checks (scripts/test.sh runs them): its npm packages, the contract clients fresh
# against schema/, the type checker and the linter, unit tests (Vitest), the production build, then
# the browser tests (Playwright driving Debian's Chromium) against a real wasmd chain with LooPIN
# deployed, a miner's agent and a real sshd (tests/web-fixture). Needs root, as the agent's suite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

ensure_web_deps
ensure_chromium
ensure_sshd
ensure_wasmd loopin
log "web: contract clients up to date with schema/"
(cd web && node scripts/codegen.mjs --check)
log "web: type check and lint"
(cd web && npx tsc -b && npx eslint --max-warnings 0 .)
log "web: unit tests (vitest)"
(cd web && npx vitest run)
log "web: production build"
(cd web && npx vite build --logLevel warn)
log "web: the browser tests' chain (loopin-web-fixture) and the contracts"
[ -f artifacts/loopin_pair.wasm ] || scripts/build-contracts.sh
# loopin-web-fixture, loopin-client and loopin-session, built with the rest of the workspace
# (scripts/test.sh has done that already and says so).
[ -n "${LOOPIN_WORKSPACE_BUILT:-}" ] || build_workspace
log "web: browser tests (Playwright, Debian's Chromium)"
(cd web && npx playwright test)
log "web: the lease journey again on loopin-devnet (its CometBFT RPC and REST subsets)"
(cd web && LOOPIN_WEB_CHAIN=devnet LOOPIN_WEB_FIXTURE_DIR="${TMPDIR:-/tmp}/loopin-web-fixture-devnet" \
  LOOPIN_WEB_USER_PREFIX=lpd npx playwright test e2e/lease.spec.ts)
