# shellcheck shell=bash
# What docs/miner.md leaves to its reader, done between its steps, and the checks of each step's
# outcome on chain (scripts/miner-doc.sh). The driver calls `reader_step N` at each step's heading,
# `block_start`/`block_end` around each block, and `reader_finish` at the end.

current_step=""
reader_step() {
  if [ -n "$current_step" ] && declare -F "reader_after_${current_step}" > /dev/null; then
    "reader_after_${current_step}"
  fi
  current_step="$1"
  if declare -F "reader_before_${current_step}" > /dev/null; then
    "reader_before_${current_step}"
  fi
}
block_start() { printf '\033[1m--- docs/miner.md, step %s, block %s\033[0m\n' "$1" "$2" >&2; }
block_end() { :; }
reader_finish() {
  reader_step end
  systemctl stop loopin-agent loopin-prover
}
trap 'systemctl stop loopin-agent loopin-prover 2> /dev/null || true' EXIT

fail() { echo "miner-doc: $*" >&2; exit 1; }
check() { printf '    check: %s\n' "$*" >&2; }
deployment() { jq -er "$1" "$MINER_DOC_WORK/deployment.json"; }
smart() { wasmd query wasm contract-state smart "$1" "$2" -o json | jq -er .data; }
# Waits until the process of `unit` (its pid file, from the systemctl stand-in) listens on
# `port`: something else on the port does not count.
wait_port() {
  local port="$1" unit="$2" pid
  pid="$(cat "$MINER_DOC_WORK/run/$unit.pid")"
  for _ in $(seq 240); do
    [[ "$(ss -Hltnp "sport = :$port")" == *"pid=$pid,"* ]] && return 0
    sleep 0.25
  done
  ss -Hltnp "sport = :$port" >&2
  tail -20 "$MINER_DOC_WORK/run/$unit.log" >&2
  fail "$unit (pid $pid) does not listen on port $port"
}

# What the page expects its reader to have before step 1: the chain's addresses and gas price,
# a staking key named `miner` in wasmd's keyring holding LOOP and fee token, a host with sshd
# and its host keys, and a systemd unit directory.
reader_before_1() {
  CHAIN_ID="$MINER_DOC_CHAIN_ID"
  NODE="tcp://127.0.0.1:$MINER_DOC_BASE_PORT"
  GAS_PRICES=0.0025uloop
  TOKEN="$(deployment .token)"
  POOL="$(deployment .pools.h100)"
  REGISTRY="$(deployment .registry)"
  AMOUNT=2000000000 # 2,000 LOOP: the staking fee and a deposit that covers 168 epochs' upkeep
  PUBLIC_IP=127.0.0.1
  export CHAIN_ID NODE GAS_PRICES TOKEN POOL REGISTRY AMOUNT PUBLIC_IP
  # A configured wasmd (chain-id first: the client config is validated on every set) whose
  # keyring holds `miner`; the test backend, since no one is at the keyboard.
  wasmd config set client chain-id "$CHAIN_ID"
  wasmd config set client keyring-backend test
  printf '%s\n' "$MINER_DOC_MNEMONIC" | wasmd keys add miner --recover > /dev/null 2>&1
  [ "$(wasmd keys show miner -a)" = "$MINER_DOC_ADDRESS" ] || fail "the miner key's address"
  mkdir -p /etc/systemd/system
  [ -s /etc/ssh/ssh_host_ed25519_key.pub ] || ssh-keygen -A
}

# "then edit every CHANGE": this pool, this account, this chain; the test class's parameter set
# (deploy/wasmd.toml's registry asks min_rounds = 4), no GPU device nodes, a small sandbox.
reader_after_1() {
  local toml=/etc/loopin/miner.toml grpc="http://127.0.0.1:$((MINER_DOC_BASE_PORT + 2))"
  [ -x /usr/local/bin/loopin-prover ] && [ -x /usr/local/bin/loopin-agent ] || fail "step 1 installed no binaries"
  id loopin-prover > /dev/null || fail "step 1 made no loopin-prover user"
  sed -i \
    -e 's|^params = .*|params = "test"|' \
    -e 's|^fingerprint = .*|fingerprint = "GPU-miner-doc"|' \
    -e "s|^miner = .*|miner = \"$MINER_DOC_ADDRESS\"|" \
    -e "s|^pool = .*|pool = \"$POOL\"|" \
    -e "s|^pair = .*|pair = \"$POOL\"|" \
    -e "s|^randomness = .*|randomness = \"$(openssl rand -hex 32)\"|" \
    -e "s|^registry = .*|registry = \"$REGISTRY\"|" \
    -e "s|^grpc = .*|grpc = \"$grpc\"|" \
    -e "s|^chain_id = .*|chain_id = \"$CHAIN_ID\"|" \
    -e "s|^ssh_host = .*|ssh_host = \"$PUBLIC_IP\"|" \
    -e 's|^memory_mib = .*|memory_mib = 1024|' \
    -e 's|^cpus = .*|cpus = 1.0|' \
    -e 's|^disk_mib = .*|disk_mib = 256|' \
    -e 's|^gpu_devices = .*|gpu_devices = []|' \
    -e "s|^user_prefix = .*|user_prefix = \"$MINER_DOC_AGENT_PREFIX\"|" \
    "$toml"
  if grep -nE '"(loopin1|GPU-)?\.\.\."' "$toml" >&2; then fail "a CHANGE value is left in $toml"; fi
  check "installed: loopin-prover, loopin-agent; user loopin-prover; $toml filled in"
}

reader_after_2() {
  [ "$(stat -c %U /etc/loopin/miner.key)" = root ] && [ "$(stat -c %a /etc/loopin/miner.key)" = 600 ] \
    || fail "/etc/loopin/miner.key is not root's alone"
  runuser -u loopin-prover -- test -r /etc/loopin/audit.key || fail "the prover cannot read its audit key"
  runuser -u loopin-prover -- test ! -r /etc/loopin/miner.key || fail "the prover can read the staking key"
  jq -e ".root and .device_pubkey" commitment.json > /dev/null || fail "commitment.json has no root or device key"
  check "P built by the prover's user; keys: staking root-only, audit readable by the prover"
}

reader_after_3() {
  [ -n "${STAKE_ID:-}" ] && [ -n "${TOKEN_ID:-}" ] || fail "step 3 left no STAKE_ID / TOKEN_ID"
  local stake
  stake="$(smart "$POOL" "{\"stake\":{\"stake_id\":$STAKE_ID}}")"
  [ "$(jq -r .owner <<< "$stake")" = "$MINER_DOC_ADDRESS" ] || fail "the stake is not the miner's"
  [ "$(jq -r .token_id <<< "$stake")" = "$TOKEN_ID" ] || fail "the stake's certificate"
  grep -q "^token_id = \"$TOKEN_ID\"" /etc/loopin/miner.toml || fail "token_id not in miner.toml"
  check "stake $STAKE_ID (certificate $TOKEN_ID) is the miner's, $(jq -r .mode <<< "$stake"), to epoch $(jq -r .end_epoch <<< "$stake")"
}

reader_after_4() {
  local device
  device="$(smart "$REGISTRY" "{\"device\":{\"token_id\":\"$TOKEN_ID\"}}")"
  [ "$(jq -r .endpoint <<< "$device")" = "http://$PUBLIC_IP:7470" ] || fail "the device's endpoint"
  [ "$(jq -r .owner <<< "$device")" = "$MINER_DOC_ADDRESS" ] || fail "the device's owner"
  check "the registry has the device: $(jq -c '{status, endpoint}' <<< "$device")"
}

reader_after_5() {
  wait_port 7470 loopin-prover
  wait_port 9470 loopin-prover
  wait_port 9471 loopin-agent
  [ "$(ps -o uid= -p "$(cat "$MINER_DOC_WORK/run/loopin-prover.pid")" | tr -d ' ')" = "$(id -u loopin-prover)" ] \
    || fail "the prover does not run as loopin-prover"
  # (empty until the first request or reconciliation pass: 200 is what is asked here)
  curl -fsS -o /dev/null http://127.0.0.1:9470/metrics || fail "the prover's metrics"
  curl -fsS -o /dev/null http://127.0.0.1:9471/metrics || fail "the agent's metrics"
  grep -q "^Match User $MINER_DOC_AGENT_PREFIX" /etc/ssh/sshd_config.d/loopin.conf || fail "the agent's sshd config"
  check "prover (as loopin-prover) on :7470 and :9470, agent on :9471, sshd -t accepts the agent's config"
}

# Nothing is paid before an epoch of the stake is proven (no verifier runs here): Claimable
# refuses with the pair's "nothing to claim yet".
reader_after_6() {
  local answer
  if answer="$(wasmd query wasm contract-state smart "$POOL" "{\"claimable\":{\"stake_id\":$STAKE_ID}}" 2>&1)"; then
    fail "Claimable pays before any epoch is proven: $answer"
  fi
  grep -q "nothing to claim yet" <<< "$answer" || fail "Claimable: $answer"
  check "nothing is claimable before an epoch of the stake is proven"
}

reader_after_7() {
  smart "$POOL" '{"auto_renewals":{}}' \
    | jq -e --argjson id "$STAKE_ID" --argjson until "$UNTIL" \
      '.renewals[] | select(.stake_id == $id and .until_epoch == $until)' > /dev/null \
    || fail "no standing renewal to epoch $UNTIL"
  check "the standing renewal to epoch $UNTIL is on record"
}

reader_after_7b() {
  local device
  device="$(smart "$REGISTRY" "{\"device\":{\"token_id\":\"$TOKEN_ID\"}}")"
  [ "$(jq -r .key_rotations <<< "$device")" = 1 ] || fail "no rotation on record"
  [ "$(jq -r .signing_key <<< "$device")" = "$(jq -r .rotate_device_key.new_key rotate.json)" ] \
    || fail "the registry's signing key is not the new one"
  # The serving prover follows at its next poll (1 s by default), without a restart.
  local new_key log="$MINER_DOC_WORK/run/loopin-prover.log"
  new_key="$(jq -r .rotate_device_key.new_key rotate.json)"
  for _ in $(seq 60); do
    grep -q "$new_key" "$log" && break
    sleep 0.5
  done
  grep -q "$new_key" "$log" || fail "the serving prover does not sign with the new key"
  [ ! -e /var/lib/loopin-prover/signing-next.key ] || fail "the prover did not commit the new key"
  wait_port 7470 loopin-prover
  check "the registry checks answers with the new key; the serving prover followed it, no restart"
}

reader_after_8() {
  [ -n "${EXIT_END:-}" ] || fail "step 8 left no EXIT_END"
  local stake
  stake="$(smart "$POOL" "{\"stake\":{\"stake_id\":$STAKE_ID}}")"
  [ "$(jq -r .end_epoch <<< "$stake")" = "$EXIT_END" ] || fail "the stake's end is not the exit's"
  [ "$EXIT_END" -lt "$END" ] || fail "the exit did not bring the end ($END) earlier"
  [ "$(jq -r .forfeit exit.json)" -gt 0 ] || fail "the exit forfeited nothing"
  [ "$(jq -r .paid_from exit.json)" -gt "$EXIT_END" ] || fail "the last pay is not held past the new end"
  check "the stake now ends at epoch $EXIT_END (was $END), forfeits $(jq -r .forfeit exit.json), paid from epoch $(jq -r .paid_from exit.json)"
}
