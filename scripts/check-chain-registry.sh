#!/usr/bin/env bash
# Validates the chain-registry files loopin-deploy wrote (chain.json, assetlist.json) against the
# registry's own JSON schemas, as a registry pull request is checked:
#   scripts/check-chain-registry.sh REGISTRY_DIR [DIR]
# REGISTRY_DIR: a checkout of github.com/cosmos/chain-registry (its chain.schema.json and
# assetlist.schema.json; the schemas are not copied into this repository); DIR: where the files
# are (default .devnet; `.wasmd` after `scripts/run.sh --chain wasmd`). Uses Python's
# jsonschema (Debian's python3-jsonschema, installed if missing).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"

[ $# -ge 1 ] || { echo "usage: scripts/check-chain-registry.sh REGISTRY_DIR [DIR]" >&2; exit 2; }
registry="$1"
dir="${2:-$ROOT/.devnet}"
if ! python3 -c 'import jsonschema' 2>/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  log "installing python3-jsonschema (Debian)"
  $sudo apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-jsonschema >&2
fi
python3 - "$registry" "$dir" <<'PY'
import json, sys, jsonschema
registry, dir = sys.argv[1], sys.argv[2]
failed = False
for name in ("chain", "assetlist"):
    schema = json.load(open(f"{registry}/{name}.schema.json"))
    doc = json.load(open(f"{dir}/{name}.json"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        print(f"{dir}/{name}.json: {'/'.join(map(str, e.path)) or '(root)'}: {e.message}")
    print(f"{dir}/{name}.json: {'valid' if not errors else f'{len(errors)} errors'} against {name}.schema.json")
    failed |= bool(errors)
sys.exit(1 if failed else 0)
PY
