#!/usr/bin/env bash
# The project's main job: a local LooPIN network.
#   1. builds every contract to wasm and checks it as a chain does (scripts/build-contracts.sh);
#   2. builds the devnet, the deploy tool, the prover and loopin-network (cargo profile `service`);
#   3. starts the devnet (gRPC on $LOOPIN_GRPC, default 127.0.0.1:9090; state in .devnet/, so a
#      restart resumes the chain; delete it for a fresh one) with a funded development key;
#   4. deploys token, stake certificates, factory, PoCPS registry and the pools of
#      deploy/devnet.toml, once per chain (.devnet/deployment.json, .devnet/chain.json), with
#      LOOP for the scenario's bank account;
#   5. runs the scripted market (loopin-network market): the epoch keeper, five miners with their
#      provers (two of them cheating; two more join halfway), four verifiers and two clients for
#      at least 8 epochs, with a live table, .devnet/report.json and .devnet/report.png;
#   6. keeps the chain producing blocks until Ctrl-C (`--once`: stop after the scenario).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

once=false
for arg in "$@"; do
  case "$arg" in
    --once) once=true ;;
    *) echo "usage: scripts/run.sh [--once]" >&2; exit 2 ;;
  esac
done

home=.devnet  # deploy/devnet.toml reads the deployer key from here
grpc="${LOOPIN_GRPC:-127.0.0.1:9090}"

scripts/build-contracts.sh

log "building loopin-devnet, loopin-deploy, loopin-prover, loopin-network, loopin-agent and loopin-client"
cargo build --quiet --locked --profile service -p loopin-devnet -p loopin-deploy -p loopin-prover \
  -p loopin-network -p loopin-agent -p loopin-client --bins
bin="${CARGO_TARGET_DIR:-$ROOT/target}/service"

mkdir -p "$home"
[ -s "$home/deployer.key" ] || "$bin/loopin-deploy" dev-key 1 > "$home/deployer.key"
deployer="$("$bin/loopin-deploy" dev-key 1 --address loopin)"
bank="$("$bin/loopin-deploy" dev-key 2 --address loopin)"

log "starting loopin-devnet (home $home, gRPC $grpc)"
"$bin/loopin-devnet" --home "$home" --grpc "$grpc" --fund "$deployer=1000000000000" &
devnet=$!
trap 'kill "$devnet" 2>/dev/null || true; wait "$devnet" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

host="${grpc%:*}"; port="${grpc##*:}"
for _ in $(seq 1 120); do
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && break
  kill -0 "$devnet" 2>/dev/null || { echo "loopin-devnet exited" >&2; exit 1; }
  sleep 0.5
done

if [ -s "$home/deployment.json" ]; then
  log "already deployed on this chain: $home/deployment.json"
else
  log "deploying (deploy/devnet.toml)"
  "$bin/loopin-deploy" --config deploy/devnet.toml --grpc "http://$grpc" \
    --output "$home/deployment.json" --chain-json "$home/chain.json" \
    --fund-loop "$bank=100000000000" > /dev/null
fi
cat "$home/deployment.json"
echo

log "running the scripted market (loopin-network market)"
"$bin/loopin-network" market --grpc "http://$grpc" --deployment "$home/deployment.json" \
  --work-dir "$home/network" --report "$home/report.json" --chart "$home/report.png"
if $once; then
  log "scenario done; stopping (--once)"
  exit 0
fi
log "devnet running with LooPIN deployed; Ctrl-C stops it (a restart resumes from $home)"
wait "$devnet"
