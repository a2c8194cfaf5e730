#!/usr/bin/env bash
# Follows docs/miner.md literally: every ```sh block of the page, in order, in one shell, against a
# one-validator wasmd network (loopin-localnet) with LooPIN deployed by deploy/wasmd.toml.
#
# The blocks run as root in a mount namespace whose /etc, /usr/local/bin, /var/lib and /home are
# overlays (nothing on the host changes; the overlays go with the namespace), with $HOME in the
# work dir. What the page leaves to its reader is done between the steps by the reader_* functions
# in scripts/miner-doc/reader.sh (the variables the page names, the CHANGE values of miner.toml,
# a staking key in wasmd's keyring), and each step's outcome is checked there on chain. This host
# is not a systemd GPU host, so four commands are stand-ins (scripts/miner-doc/shims/): `apt-get
# install` checks that the packages are installed, `cargo install --path` copies the binaries this
# checkout built, `systemctl` starts a unit's ExecStart as its User= (and checks sshd's config on
# `reload ssh`), `sudo` is runuser. Every other command is the real one: wasmd's CLI, useradd,
# install, jq, loopin-prover, loopin-agent.
#
# Usage: scripts/miner-doc.sh   (builds what it needs; about three minutes once built)
# Env: LOOPIN_MINER_DOC_BIN (a directory of those binaries, built elsewhere: skips the builds),
# LOOPIN_MINER_DOC_PORT (default 27300: the network's base port), LOOPIN_MINER_DOC_KEEP=1
# keeps the work dir (/tmp/loopin-miner-doc.*) for a look afterwards. The prover listens on
# 7470 and 9470 and the agent on 9471, as the page says: don't run this beside a real miner.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

# As the agent's isolation tests: the page installs system users and units, so it needs root
# (CI runs as root); elsewhere it says so and stops without failing the test command.
if [ "$(id -u)" != 0 ]; then
  log "scripts/miner-doc.sh skipped: it needs root (the page installs system users and units)"
  exit 0
fi
ensure_jq_curl
ensure_sshd
ensure_wasmd loopin
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
if [ -n "${LOOPIN_MINER_DOC_BIN:-}" ]; then
  bin="$LOOPIN_MINER_DOC_BIN" # binaries built elsewhere from the same sources; artifacts/ as it is
elif [ "${LOOPIN_WORKSPACE_BUILT:-}" = 1 ]; then
  bin="$target_dir/debug" # scripts/test.sh built the contracts and the workspace just before
else
  scripts/build-contracts.sh
  bin="$target_dir/debug"
  log "building the workspace's binaries (the tests' build: nothing new after scripts/test.sh's)"
  build_workspace
fi

# Under /tmp, never under the overlaid /home or /var/lib (an overlay's upper dir inside its own
# lower dir is refused, and what is written there would vanish with the namespace).
work="$(mktemp -d /tmp/loopin-miner-doc.XXXXXX)"
mkdir -p "$work/run" "$work/home"
base_port="${LOOPIN_MINER_DOC_PORT:-27300}"
chain_id=loopin-local-1  # deploy/wasmd.toml's

# The miner (dev key 3) holds LOOP and fee token; dev key 1 deploys, dev key 2 is the bank.
miner_mnemonic="$("$bin/loopin-deploy" dev-key 3)"
miner="$("$bin/loopin-deploy" dev-key 3 --address loopin)"

log "starting one wasmd validator (loopin-localnet, base port $base_port)"
"$bin/loopin-localnet" --home "$work/chain" --chain-id "$chain_id" --validators 1 \
  --base-port "$base_port" --block-time-ms 500 --dev-keys 3 --ready-file "$work/ready.json" \
  > "$work/localnet.log" 2>&1 &
localnet=$!
# The agent's firewall table (the agent runs as root with confinement on, under its own user
# prefix, so a real agent's table on this host is never touched).
agent_prefix=lpdoc
cleanup() {
  # The services, even when the driver was killed before its own trap ran.
  for pidfile in "$work"/run/*.pid; do
    [ -e "$pidfile" ] && kill -- "-$(cat "$pidfile")" 2>/dev/null || true
  done
  nft delete table inet "loopin_agent_$agent_prefix" 2>/dev/null || true
  kill "$localnet" 2>/dev/null || true
  wait "$localnet" 2>/dev/null || true
  if [ "${LOOPIN_MINER_DOC_KEEP:-}" = 1 ]; then log "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
until [ -s "$work/ready.json" ]; do
  kill -0 "$localnet" 2>/dev/null || { tail -20 "$work/localnet.log" >&2; exit 1; }
  sleep 0.5
done

log "deploying LooPIN (deploy/wasmd.toml, from the work dir: its key and outputs under .wasmd/)"
mkdir -p "$work/.wasmd"
"$bin/loopin-deploy" dev-key 1 > "$work/.wasmd/deployer.key"
(cd "$work" && "$bin/loopin-deploy" --config "$ROOT/deploy/wasmd.toml" --artifacts "$ROOT/artifacts" \
  --grpc "http://127.0.0.1:$((base_port + 2))" --output "$work/deployment.json" \
  --fund-loop "$miner=100000000000" > "$work/deploy.log" 2>&1) \
  || { tail -20 "$work/deploy.log" >&2; exit 1; }

# The page's blocks, in order, each after its step's heading; a step's reader_before_N and
# reader_after_N (if defined) run around its blocks.
awk '
  /^## [0-9]+[a-z]?\./ { step = $2; sub(/\.$/, "", step); printf "reader_step %s\n", step; next }
  /^```sh$/ { inside = 1; blocks++; printf "block_start %s %d\n", step, blocks; next }
  /^```$/ && inside { inside = 0; print "block_end"; next }
  inside { print }
' docs/miner.md > "$work/blocks.sh"
grep -q "^block_start" "$work/blocks.sh" || { log "docs/miner.md has no sh block"; exit 1; }
{
  echo 'set -euo pipefail'
  printf 'source %q\n' "$ROOT/scripts/miner-doc/reader.sh"
  cat "$work/blocks.sh"
  echo 'reader_finish'
} > "$work/driver.sh"

log "following docs/miner.md in a mount namespace (work dir $work)"
export MINER_DOC_ROOT="$ROOT" MINER_DOC_WORK="$work" MINER_DOC_BIN="$bin"
export MINER_DOC_MNEMONIC="$miner_mnemonic" MINER_DOC_ADDRESS="$miner"
export MINER_DOC_CHAIN_ID="$chain_id" MINER_DOC_BASE_PORT="$base_port" MINER_DOC_AGENT_PREFIX="$agent_prefix"
export MINER_DOC_WASMD="$TOOLS_CACHE/wasmd-$WASMD_VERSION-loopin/bin"
unshare --mount --propagation private -- bash "$ROOT/scripts/miner-doc/sandbox.sh" "$work/driver.sh"
log "docs/miner.md followed to its end: every step's outcome held on chain"
