#!/usr/bin/env bash
# The project's main job: a local LooPIN network.
#   1. builds every contract to wasm and checks it as a chain does (scripts/build-contracts.sh);
#   2. builds the devnet, the deploy tool, the prover and loopin-network (cargo profile `service`);
#   3. starts the devnet (gRPC on $LOOPIN_GRPC, default 127.0.0.1:9090; state in .devnet/, so a
#      restart resumes the chain; delete it for a fresh one) with a funded development key;
#   4. deploys token, stake certificates, factory, PoCPS registry and the pools of
#      deploy/devnet.toml, once per chain (.devnet/deployment.json, .devnet/chain.json), with
#      LOOP for the scenario's bank account;
#   5. starts a second chain (remote-devnet-1, gRPC $LOOPIN_REMOTE_GRPC, default 127.0.0.1:9091,
#      state in .devnet/remote/), deploys the price feed and the rewards bridge on LooPIN and the
#      price consumer there (.devnet/ibc.json), opens their channels and starts loopin-relayer
#      (.devnet/relayer.toml, log .devnet/relayer.log): it publishes each epoch's prices and
#      relays them (docs/relayer.md);
#   6. runs the scripted market (loopin-network market): the epoch keeper, five miners with their
#      provers (two of them cheating; two more join halfway), four verifiers and two clients for
#      at least 8 epochs, with a live table, .devnet/report.json and .devnet/report.png, then
#      shows what the relayer delivered;
#   7. keeps the chains producing blocks until Ctrl-C (`--once`: stop after the scenario).
# `--chain wasmd` runs the same market on four real wasmd validators instead (scripts/run-wasmd.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

once=false
chain=devnet
usage() { echo "usage: scripts/run.sh [--once] [--chain devnet|wasmd]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --once) once=true ;;
    --chain) [ $# -ge 2 ] || usage; chain="$2"; shift ;;
    --chain=*) chain="${1#--chain=}" ;;
    *) usage ;;
  esac
  shift
done
case "$chain" in
  devnet) ;;
  wasmd) if $once; then exec scripts/run-wasmd.sh --once; else exec scripts/run-wasmd.sh; fi ;;
  *) usage ;;
esac

home=.devnet  # deploy/devnet.toml reads the deployer key from here
grpc="${LOOPIN_GRPC:-127.0.0.1:9090}"

ensure_jq_curl
scripts/build-contracts.sh

log "building loopin-devnet, loopin-deploy, loopin-prover, loopin-network, loopin-agent, loopin-client and loopin-relayer"
cargo build --quiet --locked --profile service -p loopin-devnet -p loopin-deploy -p loopin-prover \
  -p loopin-network -p loopin-agent -p loopin-client -p loopin-relayer --bins
bin="${CARGO_TARGET_DIR:-$ROOT/target}/service"

mkdir -p "$home"
[ -s "$home/deployer.key" ] || "$bin/loopin-deploy" dev-key 1 > "$home/deployer.key"
deployer="$("$bin/loopin-deploy" dev-key 1 --address loopin)"
bank="$("$bin/loopin-deploy" dev-key 2 --address loopin)"

log "starting loopin-devnet (home $home, gRPC $grpc)"
# CometBFT RPC and REST (deploy/devnet.toml's [chain_registry]) for the web app and Keplr.
"$bin/loopin-devnet" --home "$home" --grpc "$grpc" --rpc 127.0.0.1:26657 --rest 127.0.0.1:1317 \
  --fund "$deployer=1000000000000" &
devnet=$!
pids=("$devnet")
trap 'kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

# Waits until ADDR accepts connections, while process PID lives.
wait_listening() {
  local host="${1%:*}" port="${1##*:}"
  for _ in $(seq 1 120); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "$3 exited" >&2; exit 1; }
    sleep 0.5
  done
  echo "$3 is not listening on $1" >&2; exit 1
}
wait_listening "$grpc" "$devnet" loopin-devnet

if [ -s "$home/deployment.json" ]; then
  log "already deployed on this chain: $home/deployment.json"
else
  log "deploying (deploy/devnet.toml)"
  "$bin/loopin-deploy" --config deploy/devnet.toml --grpc "http://$grpc" \
    --output "$home/deployment.json" --chain-json "$home/chain.json" \
    --assetlist "$home/assetlist.json" \
    --fund-loop "$bank=100000000000" > /dev/null
fi
cat "$home/deployment.json"
echo

web_port="${LOOPIN_WEB_PORT:-5180}"
serve_web_app deploy/devnet.toml "$home/deployment.json" "$home" "$web_port"
[ -z "$WEB_PID" ] || pids+=("$WEB_PID")
log "the web app: http://127.0.0.1:$web_port (connect Keplr: it suggests loopin-devnet-1; dev key 2's mnemonic, \
loopin-deploy dev-key 2, holds LOOP)"

remote_grpc="${LOOPIN_REMOTE_GRPC:-127.0.0.1:9091}"
log "starting the second chain, remote-devnet-1 (home $home/remote, gRPC $remote_grpc)"
"$bin/loopin-devnet" --config devnet/remote.toml --home "$home/remote" --grpc "$remote_grpc" \
  --fund "$("$bin/loopin-deploy" dev-key 1 --address remote)=1000000000000" &
pids+=("$!")
wait_listening "$remote_grpc" "$!" "loopin-devnet (remote)"

# The relayer signs with the deployer's development key on both chains.
write_relayer_config() {  # $1: LooPIN-side filter list, $2: remote-side filter list
  local pools
  pools="$(jq -c '[.pools[]]' "$home/deployment.json")"
  cat > "$home/relayer.toml" <<TOML
[global]
log_level = "info"

[mode.packets]
enabled = true

[telemetry]
enabled = true
host = "127.0.0.1"
port = ${LOOPIN_RELAYER_METRICS_PORT:-3001}

[state]
dir = "$home/relayer"

[[chains]]
id = "loopin-devnet-1"
grpc_addr = "http://$grpc"
account_prefix = "loopin"
key_file = "$home/deployer.key"
gas_price = { price = 0.0025, denom = "uloop" }
packet_filter = { policy = "allow", list = $1 }

[[chains]]
id = "remote-devnet-1"
grpc_addr = "http://$remote_grpc"
account_prefix = "remote"
key_file = "$home/deployer.key"
gas_price = { price = 0.0025, denom = "uremote" }
packet_filter = { policy = "allow", list = $2 }

[keeper]
chain = "loopin-devnet-1"
# The keeper's own account: the packet relayer's key signs on both chains.
key_file = "$home/keeper.key"
pools = $pools
price_feed = "$(jq -r .price_feed "$home/ibc.json" 2>/dev/null || true)"
TOML
}

# The epoch keeper signs with an account of its own (dev key 250), funded by the deployer.
[ -s "$home/keeper.key" ] || "$bin/loopin-deploy" dev-key 250 > "$home/keeper.key"
"$bin/loopin-deploy" --config deploy/devnet.toml --grpc "http://$grpc" send \
  --to "$("$bin/loopin-deploy" dev-key 250 --address loopin)" --amount 10000000000 --top-up > /dev/null

# The relayer's filter lists from the channels an earlier run opened (a rerun rewrites the
# config, so a config of an older layout is never reused).
channel_lists() {
  feed="wasm.$(jq -r .price_feed "$home/ibc.json")"
  consumer="wasm.$(jq -r .price_consumer "$home/ibc.json")"
  bridge="wasm.$(jq -r .rewards_bridge "$home/ibc.json")"
  a_list="$(jq -n -c --arg f "$feed" --arg b "$bridge" \
    --slurpfile p "$home/price-channel.json" --slurpfile r "$home/rewards-channel.json" \
    '[[$f, $p[0].a_channel], [$b, $r[0].a_channel]]')"
  b_list="$(jq -n -c --arg c "$consumer" \
    --slurpfile p "$home/price-channel.json" --slurpfile r "$home/rewards-channel.json" \
    '[[$c, $p[0].b_channel], ["transfer", $r[0].b_channel]]')"
}

if [ -s "$home/ibc.json" ] && [ -s "$home/price-channel.json" ] && [ -s "$home/rewards-channel.json" ]; then
  log "IBC applications and channels already set up: $home/ibc.json"
  channel_lists
  write_relayer_config "$a_list" "$b_list"
else
  log "deploying the IBC applications (loopin-deploy ibc)"
  "$bin/loopin-deploy" --config deploy/devnet.toml --grpc "http://$grpc" ibc \
    --deployment "$home/deployment.json" --remote-grpc "http://$remote_grpc" \
    --remote-chain-id remote-devnet-1 --remote-prefix remote --remote-denom uremote \
    --remote-key-file "$home/deployer.key" --output "$home/ibc.json" > /dev/null
  write_relayer_config "[]" "[]"
  feed="wasm.$(jq -r .price_feed "$home/ibc.json")"
  consumer="wasm.$(jq -r .price_consumer "$home/ibc.json")"
  bridge="wasm.$(jq -r .rewards_bridge "$home/ibc.json")"
  log "opening the price channel and the rewards channel (loopin-relayer create channel)"
  "$bin/loopin-relayer" --config "$home/relayer.toml" create channel \
    --a-chain loopin-devnet-1 --b-chain remote-devnet-1 --a-port "$feed" --b-port "$consumer" \
    --channel-version loopin-price-1 > "$home/price-channel.json"
  "$bin/loopin-relayer" --config "$home/relayer.toml" create channel \
    --a-chain loopin-devnet-1 --b-chain remote-devnet-1 --a-port "$bridge" --b-port transfer \
    --channel-version ics20-1 > "$home/rewards-channel.json"
  channel_lists
  write_relayer_config "$a_list" "$b_list"
fi
log "starting loopin-relayer (config $home/relayer.toml, log $home/relayer.log)"
"$bin/loopin-relayer" --config "$home/relayer.toml" start >> "$home/relayer.log" 2>&1 &
pids+=("$!")

log "running the scripted market (loopin-network market)"
"$bin/loopin-network" market --grpc "http://$grpc" --deployment "$home/deployment.json" \
  --work-dir "$home/network" --report "$home/report.json" --chart "$home/report.png"
log "what the relayer delivered (its metrics; the consumer on remote-devnet-1 serves the prices)"
curl -s "http://127.0.0.1:${LOOPIN_RELAYER_METRICS_PORT:-3001}/metrics" \
  | grep -E '^loopin_relayer_(receive|acknowledgment|timeout)_packets_confirmed' || echo "(no packets confirmed yet)"
if $once; then
  log "scenario done; stopping (--once)"
  exit 0
fi
log "devnets and relayer running with LooPIN deployed; Ctrl-C stops them (a restart resumes from $home)"
wait "$devnet"
