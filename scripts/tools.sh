# shellcheck shell=bash
# Installs (once) and puts on PATH the tools the wasm pipeline needs. Source it; don't run it.
#   - the wasm32-unknown-unknown Rust target
#   - binaryen's wasm-opt (npm, pinned): Rust 1.95 emits bulk-memory that cosmwasm-vm 2.x refuses,
#     and Debian's binaryen is too old to lower it
#   - cosmwasm-check (cargo, pinned to the cosmwasm-vm the tests use)
#   - cargo-nextest (cargo, pinned): the test runner; .config/nextest.toml gives the network test
#     the machine to itself
# Each tool is cached outside the clone, in a folder named for its version, so a fresh clone (CI)
# reuses what an earlier one built: $LOOPIN_TOOLS_CACHE, default ~/.cache/loopin-tools.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_CACHE="${LOOPIN_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loopin-tools}"
BINARYEN_VERSION=132
COSMWASM_CHECK_VERSION=2.3.5
NEXTEST_VERSION=0.9.151
# wasmd, the CosmWasm reference chain, built from its Go module (docs/real-chains.md). Its go.mod
# pins bytedance/sonic v1.14.2, which does not compile on Go >= 1.26 (undefined GoMapIterator);
# the scratch build takes sonic v1.15.5, the first line that builds there. Nothing of wasmd's
# source is kept: the module is copied from Go's module cache to a scratch dir, built, removed.
WASMD_VERSION=v0.61.14
# Hermes, the IBC relayer operators run (crates.io's ibc-relayer-cli). 1.10.5, the last release
# before Penumbra support: from 1.11 its dependencies' build scripts download Penumbra's proving
# keys from GitHub's LFS at build time ("can download proving key from git-lfs"), which a machine
# that reaches only the package registries cannot (docs/real-chains.md).
HERMES_VERSION=1.10.5
WASMD_SONIC_VERSION=v1.15.5

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding Rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown >&2
  fi
}

ensure_wasm_opt() {
  local dir="$TOOLS_CACHE/binaryen-$BINARYEN_VERSION"
  local bin="$dir/node_modules/.bin/wasm-opt"
  if ! [ -x "$bin" ] || ! "$bin" --version | grep -q "version $BINARYEN_VERSION"; then
    command -v npm >/dev/null || { log "npm is missing: apt-get install -y npm"; apt-get install -y npm >&2; }
    log "installing binaryen@$BINARYEN_VERSION (wasm-opt) from npm into $dir"
    npm install --silent --no-audit --no-fund --prefix "$dir" "binaryen@$BINARYEN_VERSION" >&2
  fi
  WASM_OPT="$bin"
}

ensure_cosmwasm_check() {
  local root="$TOOLS_CACHE/cosmwasm-check-$COSMWASM_CHECK_VERSION"
  local bin="$root/bin/cosmwasm-check"
  if ! [ -x "$bin" ]; then
    local found
    found="$(command -v cosmwasm-check || true)"
    if [ -n "$found" ] && "$found" --version | grep -q " $COSMWASM_CHECK_VERSION"; then
      bin="$found"
    else
      log "installing cosmwasm-check $COSMWASM_CHECK_VERSION (a few minutes, once)"
      cargo install --quiet --locked --root "$root" cosmwasm-check --version "$COSMWASM_CHECK_VERSION" >&2
    fi
  fi
  COSMWASM_CHECK="$bin"
}

# Every binary and test of the workspace in the dev profile, with one set of features: the set
# `cargo test --workspace` (nextest) resolves, dev-dependencies included. Whatever needs a binary
# of another package (the web tests, the separate-process network test) builds it this way, so
# it reuses the test build instead of compiling tonic, the devnet and the chain clients again
# with another package's features (which ran CI out of disk).
build_workspace() {
  cargo build --quiet --locked --workspace --bins --tests
}

# cargo-nextest, pinned; a machine's own install of the same version is used as it is.
ensure_nextest() {
  local root="$TOOLS_CACHE/cargo-nextest-$NEXTEST_VERSION"
  if ! cargo nextest --version 2>/dev/null | grep -q "cargo-nextest $NEXTEST_VERSION\b"; then
    if ! [ -x "$root/bin/cargo-nextest" ]; then
      log "installing cargo-nextest $NEXTEST_VERSION (a few minutes, once) into $root"
      # Without the self-update feature: nothing here may download a binary at run time.
      cargo install --quiet --locked --root "$root" cargo-nextest --version "$NEXTEST_VERSION" \
        --no-default-features --features default-no-update >&2
    fi
    export PATH="$root/bin:$PATH"
  fi
}

# wasmd with the bech32 prefix $1 (default loopin): $WASMD. Built once per version and prefix (a
# few minutes cold on 2 cores) into $TOOLS_CACHE/wasmd-<version>-<prefix>/bin, with the libwasmvm
# its cgo links copied beside it and found through an $ORIGIN rpath.
ensure_wasmd() {
  local prefix="${1:-loopin}"
  local dir="$TOOLS_CACHE/wasmd-$WASMD_VERSION-$prefix"
  local bin="$dir/bin/wasmd"
  if ! [ -x "$bin" ] || ! "$bin" version 2>/dev/null | grep -qx "${WASMD_VERSION#v}"; then
    command -v go >/dev/null || { log "Go is missing: wasmd is built from its Go module"; return 1; }
    log "building wasmd $WASMD_VERSION (prefix $prefix) from its Go module into $dir (minutes, once)"
    local module scratch
    module="$(go mod download -json "github.com/CosmWasm/wasmd@$WASMD_VERSION" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -d "$module" ] || { log "go mod download github.com/CosmWasm/wasmd@$WASMD_VERSION failed"; return 1; }
    scratch="$(mktemp -d)"
    cp -r "$module/." "$scratch/"
    chmod -R u+w "$scratch"
    mkdir -p "$dir/bin"
    (
      cd "$scratch"
      export GOFLAGS=-mod=mod
      go get "github.com/bytedance/sonic@$WASMD_SONIC_VERSION" >&2
      go build -tags netgo -trimpath -o "$dir/bin/wasmd.part" -ldflags "-checklinkname=0 \
        -X github.com/cosmos/cosmos-sdk/version.Name=wasm \
        -X github.com/cosmos/cosmos-sdk/version.AppName=wasmd \
        -X github.com/cosmos/cosmos-sdk/version.Version=${WASMD_VERSION#v} \
        -X github.com/CosmWasm/wasmd/app.Bech32Prefix=$prefix \
        -X github.com/cosmos/cosmos-sdk/version.BuildTags=netgo \
        -extldflags=-Wl,-rpath,\$ORIGIN" ./cmd/wasmd >&2
      cp "$(go list -m -f '{{.Dir}}' github.com/CosmWasm/wasmvm/v3)/internal/api/libwasmvm.x86_64.so" "$dir/bin/"
    )
    rm -rf "$scratch"
    mv "$dir/bin/wasmd.part" "$bin"
  fi
  WASMD="$bin"
  if [ "$prefix" = loopin ]; then
    export LOOPIN_WASMD="$bin"
  else
    export "LOOPIN_WASMD_${prefix^^}=$bin"
  fi
}

# Hermes (`hermes` of ibc-relayer-cli, pinned) for the tests: $HERMES. Built once per machine
# into $TOOLS_CACHE/hermes-<version>-debug/bin, unoptimised (`cargo install --debug`): the tests
# relay a handful of packets, and the build takes a fraction of an optimised one's time on the CI
# machine's 2 cores. Operators install their own.
ensure_hermes() {
  local root="$TOOLS_CACHE/hermes-$HERMES_VERSION-debug"
  local bin="$root/bin/hermes"
  if ! [ -x "$bin" ] || ! "$bin" version 2>/dev/null | grep -q "$HERMES_VERSION"; then
    log "installing Hermes $HERMES_VERSION (ibc-relayer-cli, unoptimised) into $root (minutes, once)"
    cargo install --quiet --locked --debug --root "$root" ibc-relayer-cli --version "$HERMES_VERSION" \
      --bin hermes >&2
  fi
  HERMES="$bin"
  export LOOPIN_HERMES="$bin"
}

# OpenSSH's server, for the miner agent's end-to-end tests (a real sshd on loopback), and what
# confines a lease's sessions (bubblewrap, passt's pasta for the sandbox's network, nftables,
# mkfs.ext4 for the size-capped home). They
# create and remove Linux accounts, so they run as root, as the CI and the devnet machines do.
ensure_sshd() {
  if ! [ -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null || ! command -v bwrap >/dev/null \
    || ! command -v pasta >/dev/null || ! command -v nft >/dev/null \
    || ! command -v mkfs.ext4 >/dev/null; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    log "installing openssh-server, openssh-client, bubblewrap, passt, nftables, e2fsprogs (Debian)"
    $sudo apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openssh-server openssh-client \
      bubblewrap passt nftables e2fsprogs >&2
  fi
}

# jq and curl, which the main job uses to read deployment files and the relayer's metrics.
ensure_jq_curl() {
  if ! command -v jq >/dev/null || ! command -v curl >/dev/null; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    log "installing jq and curl (Debian)"
    $sudo apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq jq curl >&2
  fi
}

# Debian's Chromium, which the web app's browser tests drive with Playwright (no browser download:
# the machines reach only the package registries).
ensure_chromium() {
  if ! [ -x /usr/bin/chromium ]; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    log "installing chromium (Debian), for the web app's browser tests"
    $sudo apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
  fi
}

# The web app's npm packages (web/package-lock.json), installed with `npm ci` when the lock file
# changed since the last install; npm keeps its download cache in ~/.npm, outside the clone.
# Vite 8 needs Node.js 20.19 or newer.
ensure_web_deps() {
  command -v npm >/dev/null || { log "npm is missing: apt-get install -y nodejs npm"; apt-get install -y nodejs npm >&2; }
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
    log "the web app needs Node.js >= 20.19 (found $(node --version))"
    return 1
  fi
  local stamp="$ROOT/web/node_modules/.loopin-lock.sha256"
  local want
  want="$(sha256sum "$ROOT/web/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing the web app's npm packages (npm ci)"
    (cd "$ROOT/web" && npm ci --no-audit --no-fund --silent >&2)
    echo "$want" > "$stamp"
  fi
}

# Builds the web app and serves it in the background against a deployment: CONFIG (the deploy
# config, whose [chain_registry] names the RPC and REST endpoints), DEPLOYMENT (its JSON), OUT
# (where loopin.json and web.log go), PORT; `loopin-deploy` from $bin. Sets WEB_PID (empty when
# the app could not be served); the caller stops it.
serve_web_app() {
  local config="$1" deployment="$2" out="$3" port="$4"
  WEB_PID=""
  # The main job runs without the app where Node.js is missing or too old; it says so.
  if ! ensure_web_deps; then
    log "not serving the web app (needs Node.js >= 20.19 and npm)"
    return 0
  fi
  log "building the web app (web/) and serving it on http://127.0.0.1:$port"
  "$bin/loopin-deploy" --config "$config" --output "$out/loopin.json" \
    web-config --deployment "$deployment"
  (cd "$ROOT/web" && npx vite build --logLevel warn)
  (cd "$ROOT/web" && LOOPIN_WEB_CONFIG="$(realpath "$out/loopin.json")" exec node \
    node_modules/vite/bin/vite.js preview --host 127.0.0.1 --port "$port" --strictPort \
    --bypass-lock) >> "$out/web.log" 2>&1 &
  WEB_PID=$!
}
