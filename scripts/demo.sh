#!/usr/bin/env bash
# scripts/demo.sh: the main job of Agora, as far as it exists today.
#
# There is no coordinator (agorad) or translator (agora.so) yet. What exists
# is the consensus core and its checks, so this script, on a fresh Debian 12
# machine as root:
#   1. installs the Debian packages (scripts/setup-debian.sh; skipped when
#      not root or with --no-setup),
#   2. builds the core and the simulator,
#   3. runs the deterministic simulation of 1-5 proposers and 3 acceptors
#      over many seeds (drops, delays, duplicates, reordering, crashes and
#      clock drift; safety checked after every step),
#   4. runs the spin model check of the Promela model of the protocol.
#
# Usage: scripts/demo.sh [--no-setup] [--seeds N]   (default 100000 seeds)
set -euo pipefail

setup=yes seeds=100000
while [ $# -gt 0 ]; do
    case $1 in
    --no-setup) setup=no ;;
    --seeds) seeds=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
start=$SECONDS
step() { printf '\n=== demo.sh: %s (%ds)\n' "$*" "$((SECONDS - start))"; }

if [ "$setup" = yes ]; then
    if [ "$(id -u)" -eq 0 ]; then
        step "installing Debian packages (scripts/setup-debian.sh)"
        "$top/scripts/setup-debian.sh"
    else
        echo "demo.sh: not root: skipping scripts/setup-debian.sh"
    fi
fi

# Use an in-place build if there is one; otherwise build in _build/demo.
if [ -f "$top/config.status" ]; then
    bld=$top
    step "building in place"
else
    step "./autogen.sh and ./configure in _build/demo"
    [ -x "$top/configure" ] || (cd "$top" && ./autogen.sh)
    bld=$top/_build/demo
    mkdir -p "$bld"
    [ -f "$bld/config.status" ] || (cd "$bld" && "$top/configure" --disable-integration)
fi
make --no-print-directory -C "$bld" -j"$jobs"
make --no-print-directory -C "$bld/tests" -j"$jobs" sim/agora-sim

step "deterministic simulation: tests/sim/agora-sim --seeds $seeds"
"$bld/tests/sim/agora-sim" --seeds "$seeds"

step "model check: spin (make -C tests check TESTS=spin/run-spin.sh)"
rc=0
make --no-print-directory -C "$bld/tests" check TESTS=spin/run-spin.sh || {
    rc=$?
    cat "$bld/tests/spin/run-spin.sh.log" 2>/dev/null || true
}

step "done"
exit "$rc"
