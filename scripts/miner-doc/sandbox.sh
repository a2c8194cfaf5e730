# shellcheck shell=bash
# Runs inside `unshare --mount` (scripts/miner-doc.sh): overlays /etc, /usr/local/bin, /var/lib and
# /home with directories of the work dir, so the page's installs land there and vanish with the
# namespace, then runs the driver ($1) from a directory that looks like a clone (deploy/, prover/,
# agent/), as the page assumes, with the stand-ins first on PATH and $HOME in the work dir.
set -euo pipefail
driver="$1"
work="$MINER_DOC_WORK"
for dir in /etc /usr/local/bin /var/lib /home; do
  name="${dir//\//_}"
  mkdir -p "$work/overlay/$name/upper" "$work/overlay/$name/work"
  mount -t overlay overlay \
    -o "lowerdir=$dir,upperdir=$work/overlay/$name/upper,workdir=$work/overlay/$name/work" "$dir"
done
mkdir -p "$work/clone"
for part in deploy prover agent; do ln -sfn "$MINER_DOC_ROOT/$part" "$work/clone/$part"; done
export HOME="$work/home"
export PATH="$MINER_DOC_ROOT/scripts/miner-doc/shims:$MINER_DOC_WASMD:$PATH"
cd "$work/clone"
exec bash "$driver"
