#!/bin/sh
# run-spin.sh: the Promela model check as a `make check` test
# (docs/model-check.md). Verifies tests/spin/agora.pml exhaustively
# (2 proposers, 3 acceptors, 2 slots, ballots up to 3 rounds, message loss,
# duplication and reordering) and requires:
#   - the model: 0 errors, and a complete search (no depth truncation);
#   - agora-broken.pml (ACCEPT below the promise): spin finds a violation.
# Environment: SPIN (path of spin; empty: skip), SPIN_MAXR (rounds, 2 or 3;
# default 3), SPIN_MEMLIM (MB, default 4096), CC.
set -u
spin=${SPIN-}
[ -n "$spin" ] || spin=$(command -v spin 2>/dev/null || true)
if [ -z "$spin" ]; then
    echo "run-spin.sh: spin not installed (apt-get install spin): skipped"
    exit 77
fi
cc=${CC:-cc}
src=$(cd "${srcdir:-.}/spin" 2>/dev/null && pwd) || src=$(cd "$(dirname "$0")" && pwd)
maxr=${SPIN_MAXR:-3}
memlim=${SPIN_MEMLIM:-4096}
work=$(mktemp -d "${TMPDIR:-/tmp}/agora-spin.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
cp "$src/agora.pml" "$src/agora-broken.pml" "$work/" || exit 99
cd "$work" || exit 99

# verify MODEL OUT: generate, compile and run pan; output in OUT.
verify() {
    "$spin" -DMAXR="$maxr" -a "$1" > "$2.gen" 2>&1 || { cat "$2.gen"; return 2; }
    # -DCOLLAPSE: exact state compression (the search stays exhaustive).
    "$cc" -O2 -w -DSAFETY -DCOLLAPSE -DMEMLIM="$memlim" -o pan pan.c > "$2.cc" 2>&1 ||
        { cat "$2.cc"; return 2; }
    ./pan -m200000 > "$2" 2>&1
    return 0
}

start=$(date +%s)
verify agora.pml good.out || exit 99
if ! grep -q "errors: 0" good.out; then
    echo "run-spin.sh: FAIL: spin found a violation in agora.pml:"
    cat good.out
    exit 1
fi
if grep -q "max search depth too small" good.out || ! grep -q "Full statespace search" good.out; then
    echo "run-spin.sh: FAIL: the search of agora.pml was not exhaustive:"
    cat good.out
    exit 1
fi
states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' good.out | head -n1)
depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' good.out | head -n1)
t_good=$(( $(date +%s) - start ))

verify agora-broken.pml broken.out || exit 99
if grep -q "errors: 0" broken.out; then
    echo "run-spin.sh: FAIL: the broken variant (ACCEPT below the promise) passed:" \
         "the model cannot be trusted to catch a wrong rule"
    cat broken.out
    exit 1
fi
why=$(grep -m1 -E "assertion violated|acceptance cycle|invalid end state" broken.out)
echo "spin: agora.pml (MAXR=$maxr): 0 errors, $states states, depth $depth, exhaustive (${t_good}s);" \
     "broken variant: ${why:-violation} (as expected)"
exit 0
