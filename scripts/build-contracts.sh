#!/usr/bin/env bash
# Builds every contract for wasm32 in release, lowers and optimises it with wasm-opt, checks it with
# cosmwasm-check (the capabilities of the oldest wasmd supported) and refuses any artifact over wasmd's 800 KiB
# upload limit. Output: artifacts/<crate>.wasm and artifacts/checksums.txt.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"

# Every contract crate, the cw20-base baseline the gas report compares LOOP against, and
# Astroport's factory and xyk pair (crates.io releases) the wasmd flow comparison runs beside
# LooPIN (tests/chains/examples/flow_gas.rs).
CONTRACTS=(loopin-token loopin-stake-cert loopin-factory loopin-pair loopin-pocps-registry loopin-price-feed
  loopin-price-consumer loopin-rewards-bridge cw20-baseline astroport-factory-baseline astroport-pair-baseline)
# `LOOPIN_CONTRACTS="loopin-stake-cert"`: rebuild only those (while measuring one contract); the
# other artifacts stay as they are, and every artifact is still checked.
if [ -n "${LOOPIN_CONTRACTS:-}" ]; then read -r -a CONTRACTS <<< "$LOOPIN_CONTRACTS"; fi
# The capability floor: what the oldest chain LooPIN supports offers, wasmd 0.51 (wasmvm 2.0,
# CosmWasm 2.0; docs/real-chains.md). A contract that needs a later capability fails here, not on
# a chain that cannot store it. The tests run on wasmd 0.61 (wasmvm 3), which offers all of these.
CAPABILITIES="iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0"
MAX_BYTES=$((800 * 1024))

ensure_wasm_target
ensure_wasm_opt
ensure_cosmwasm_check

cd "$ROOT"
mkdir -p artifacts
WASM_DIS="$(dirname "$WASM_OPT")/wasm-dis"
WASM_AS="$(dirname "$WASM_OPT")/wasm-as"
FEATURES=(--enable-bulk-memory --enable-bulk-memory-opt --enable-sign-ext --enable-mutable-globals
  --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types)
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# Contracts built for size rather than speed: the registry carries the PoCPS judges (Sloth
# blocks, transcripts, GEMM entries) and was at 94 % of wasmd's upload limit at opt-level 3;
# at "s" it is 12 % smaller for a few per cent more VM gas (bench/gas.md).
SIZE_OPTIMIZED=(loopin-pocps-registry)
# Contracts compiled for speed (LLVM at 3) whose wasm-opt pass optimises for size (-Oz): the
# pair. At -O3 it was within 2,239 bytes of the upload limit; -Os took 5,211 bytes off for
# -0.11 % to +0.23 % VM gas across its calls. The audit holds (issue 22) took it to 2,612 bytes
# under at -Os; -Oz takes 2,685 more off, for a few tenths of a per cent more VM gas, where
# LLVM at "s" would cost 12-41 % (docs/gas.md).
WASM_SIZE_OPTIMIZED=(loopin-pair)
for crate in "${CONTRACTS[@]}"; do
  # One crate per cargo invocation, so no feature ("library") leaks between contracts.
  log "building $crate"
  opt=3
  wasm_opt=3
  one_caller=5000
  for small in "${SIZE_OPTIMIZED[@]}"; do
    # -Os inlines differently: at 5,000 the registry's execute reached 104 locals.
    if [ "$crate" = "$small" ]; then opt=s wasm_opt=s one_caller=1000; fi
  done
  for small in "${WASM_SIZE_OPTIMIZED[@]}"; do
    if [ "$crate" = "$small" ]; then wasm_opt=z; fi
  done
  CARGO_PROFILE_RELEASE_OPT_LEVEL=$opt RUSTFLAGS='-C link-arg=-s -D warnings' \
    cargo build --quiet --release --locked --target wasm32-unknown-unknown --lib -p "$crate"
  name="${crate//-/_}"
  # cosmwasm-vm refuses bulk memory, so memory.copy and memory.fill are lowered to functions
  # (binaryen's lowering); binaryen writes them a byte at a time, which made copying most of
  # a contract's gas (docs/gas.md), so they are replaced with word-at-a-time ones first
  # (scripts/wasm/). Then the optimisation: a function with a single caller is inlined only
  # up to $one_caller expressions: wasm-opt would otherwise fold every handler into `execute`,
  # and the registry's passed the 100 locals cosmwasm-check (and wasmd) allow a function.
  lowered="$WORK/$name.lowered.wasm"
  "$WASM_OPT" "$TARGET_DIR/wasm32-unknown-unknown/release/$name.wasm" "${FEATURES[@]}" \
    --llvm-memory-copy-fill-lowering -g -o "$lowered"
  "$WASM_DIS" "$lowered" -o "$WORK/$name.wat"
  perl scripts/wasm/replace-memory-ops.pl "$WORK/$name.wat" > "$WORK/$name.patched.wat"
  "$WASM_AS" "${FEATURES[@]}" "$WORK/$name.patched.wat" -o "$lowered"
  "$WASM_OPT" "$lowered" "-O$wasm_opt" --one-caller-inline-max-function-size "$one_caller" \
    "${FEATURES[@]}" --strip-debug --strip-target-features -o "artifacts/$name.wasm"
done

# The replacements alone, exported, for tests/wasm/tests/memory_ops.rs (outside artifacts/*.wasm:
# not a contract).
mkdir -p artifacts/test
{
  echo '(module (memory (export "memory") 1)'
  cat scripts/wasm/memory-copy.wat scripts/wasm/memory-fill.wat
  echo '(export "copy" (func $__loopin_memory_copy)) (export "fill" (func $__loopin_memory_fill)))'
} > "$WORK/memory_ops.wat"
"$WASM_AS" "$WORK/memory_ops.wat" -o artifacts/test/memory_ops.wasm

log "checking artifacts"
"$COSMWASM_CHECK" --available-capabilities "$CAPABILITIES" artifacts/*.wasm >&2
(cd artifacts && sha256sum ./*.wasm > checksums.txt)

status=0
printf '%-28s %10s %8s\n' artifact bytes KiB
for wasm in artifacts/*.wasm; do
  bytes=$(stat -c %s "$wasm")
  printf '%-28s %10d %8.1f\n' "$(basename "$wasm")" "$bytes" "$(echo "$bytes / 1024" | bc -l)"
  if [ "$bytes" -gt "$MAX_BYTES" ]; then
    echo "error: $wasm is over wasmd's 800 KiB upload limit" >&2
    status=1
  fi
done
exit $status
