#!/usr/bin/env bash
# The main job on a real chain: `scripts/run.sh --chain wasmd` runs this.
#   1. builds wasmd from its Go module (scripts/tools.sh, cached outside the clone), the contracts
#      and the services;
#   2. starts four wasmd validators on loopback (loopin-localnet, chain loopin-local-1, state in
#      .wasmd/chain/, so a rerun resumes the chain; delete .wasmd/ for a fresh one), node 0's gRPC on
#      127.0.0.1:26902, with development keys 1 and 2 funded at genesis; validator 3 is killed
#      (SIGKILL) $LOOPIN_OUTAGE_AFTER seconds after the start (default 480: mid-run) and
#      restarted $LOOPIN_OUTAGE_DOWN seconds later (default 120), its record in .wasmd/outage.json;
#   3. deploys LooPIN with deploy/wasmd.toml (the devnet's settings, times / 30: 120 s epochs,
#      20 s beacon rounds), once per chain (.wasmd/deployment.json);
#   4. runs the scripted market on block time (loopin-network market --clock real): the keeper,
#      miners with their provers (cheaters among them), verifiers and clients for at least 8
#      epochs, with the live table, .wasmd/report.json and .wasmd/report.png;
#   5. keeps the validators running until Ctrl-C (`--once`: stop after the scenario).
# No devnet admin call is made: fee tokens come from the bank account, time from the blocks.
# IBC on wasmd (Hermes, two chains) is shown by relayer/tests/hermes.rs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

once=false
for arg in "$@"; do
  case "$arg" in
    --once) once=true ;;
    *) echo "usage: scripts/run-wasmd.sh [--once]" >&2; exit 2 ;;
  esac
done

home=.wasmd  # deploy/wasmd.toml reads the deployer key from here
base_port="${LOOPIN_WASMD_BASE_PORT:-26900}"
grpc="127.0.0.1:$((base_port + 2))"
chain_id=loopin-local-1

ensure_jq_curl
ensure_wasmd loopin
scripts/build-contracts.sh

log "building loopin-localnet, loopin-deploy, loopin-prover and loopin-network"
cargo build --quiet --locked --profile service -p loopin-localnet -p loopin-deploy \
  -p loopin-prover -p loopin-network --bins
bin="${CARGO_TARGET_DIR:-$ROOT/target}/service"

mkdir -p "$home"
[ -s "$home/deployer.key" ] || "$bin/loopin-deploy" dev-key 1 > "$home/deployer.key"
bank="$("$bin/loopin-deploy" dev-key 2 --address loopin)"

outage="3@${LOOPIN_OUTAGE_AFTER:-480}+${LOOPIN_OUTAGE_DOWN:-120}"
log "starting four wasmd validators (loopin-localnet, home $home, gRPC $grpc; outage $outage)"
"$bin/loopin-localnet" --home "$home/chain" --chain-id "$chain_id" --validators 4 \
  --base-port "$base_port" --block-time-ms 500 --dev-keys 2 --outage "$outage" \
  --outage-record "$home/outage.json" --ready-file "$home/ready.json" \
  >> "$home/localnet.log" 2>&1 &
localnet=$!
trap 'kill "$localnet" 2>/dev/null || true; wait "$localnet" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

# loopin-localnet writes the ready file once every validator runs and a block is made.
rm -f "$home/ready.json"
until [ -s "$home/ready.json" ]; do
  kill -0 "$localnet" 2>/dev/null || { tail -20 "$home/localnet.log" >&2; exit 1; }
  sleep 0.5
done

chain_args=(--grpc "http://$grpc" --chain-id "$chain_id" --prefix loopin --denom uloop)
if [ -s "$home/deployment.json" ]; then
  log "already deployed on this chain: $home/deployment.json"
else
  log "deploying (deploy/wasmd.toml)"
  "$bin/loopin-deploy" --config deploy/wasmd.toml --grpc "http://$grpc" \
    --output "$home/deployment.json" --chain-json "$home/chain.json" \
    --assetlist "$home/assetlist.json" \
    --fund-loop "$bank=100000000000" > /dev/null
fi
cat "$home/deployment.json"
echo

# The web app, served against this chain: its config from the deployment, Keplr's chain info
# included (docs/web.md).
web_port="${LOOPIN_WEB_PORT:-5180}"
serve_web_app deploy/wasmd.toml "$home/deployment.json" "$home" "$web_port"
trap 'kill "$WEB_PID" "$localnet" 2>/dev/null || true; wait "$localnet" 2>/dev/null || true' EXIT
log "the web app: http://127.0.0.1:$web_port (connect Keplr: it suggests $chain_id; dev key 2's mnemonic, \
loopin-deploy dev-key 2, holds LOOP)"

log "running the scripted market on block time (loopin-network market --clock real)"
"$bin/loopin-network" market "${chain_args[@]}" --clock real \
  --deployment "$home/deployment.json" --work-dir "$home/network" \
  --report "$home/report.json" --chart "$home/report.png"
log "the validator outage ($home/outage.json)"
cat "$home/outage.json" 2>/dev/null || echo "(the outage has not happened yet: LOOPIN_OUTAGE_AFTER is later than the run)"
echo
if $once; then
  log "scenario done; stopping (--once)"
  exit 0
fi
log "validators running with LooPIN deployed; Ctrl-C stops them (a restart resumes from $home)"
wait "$localnet"
