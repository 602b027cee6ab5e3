#!/bin/sh
# run-spin.sh: the Promela model check as a `make check` test
# (docs/model-check.md). Verifies tests/spin/agora.pml exhaustively
# (2 proposers, 3 acceptors, 2 slots, ballots up to 3 rounds, message loss,
# duplication and reordering) and requires:
#   1. agora.pml: 0 errors, and a complete search (no depth truncation, no
#      memory bound hit, no bitstate or hash compaction);
#   2. agora.pml with -DKEEP_LEARNED (every learner's value kept, agreement
#      checked pairwise) at rounds 1..2: the same;
#   3. agora-broken.pml (an acceptor that takes an ACCEPT below its
#      promise): spin finds a violation, so the check can catch a wrong
#      acceptor rule;
#   4. agora.pml -DPROBE (claims that no proposer ever re-proposes another
#      proposer's chosen value): spin refutes it, so the model does reach
#      the case Paxos' phase 1 exists for (the check is not vacuous).
# Exit: 0 pass, 1 fail, 77 skip (no spin, or no C compiler), 99 hard error.
# Environment:
#   SPIN         spin to use.  make check sets it from configure: empty when
#                spin was not found or with --disable-model-check, which
#                skips the test.  Unset (a run by hand): spin from PATH.
#   CC           C compiler for the verifier (default: gcc, then cc).
#   SPIN_MAXR    rounds per proposer, 2 or 3 (default 3, the required bound;
#                2 is a quick smoke run).
#   SPIN_MEMLIM  memory bound of the verifier in MB (default 3500).
set -u

if [ "${SPIN+set}" = set ]; then
    spin=$SPIN
else
    spin=$(command -v spin 2>/dev/null || true)
fi
if [ -z "$spin" ]; then
    echo "run-spin.sh: SKIP: spin not available (Debian package 'spin';" \
         "configure --disable-model-check also skips this test)"
    exit 77
fi
if ! command -v "$spin" >/dev/null 2>&1; then
    echo "run-spin.sh: SKIP: SPIN='$spin' is not an executable"
    exit 77
fi
cc=${CC:-}
[ -n "$cc" ] || cc=$(command -v gcc 2>/dev/null || command -v cc 2>/dev/null || true)
if [ -z "$cc" ]; then
    echo "run-spin.sh: SKIP: no C compiler for spin's verifier (set CC)"
    exit 77
fi
maxr=${SPIN_MAXR:-3}
case $maxr in
2|3) ;;
*) echo "run-spin.sh: SPIN_MAXR must be 2 or 3, not '$maxr'"; exit 99 ;;
esac
memlim=${SPIN_MEMLIM:-3500}

# The model: next to this script in the source tree (srcdir is the source
# tests/ folder under make check, in-tree or VPATH); by hand, next to $0.
src=${srcdir:-.}/spin
[ -f "$src/agora.pml" ] || src=$(dirname "$0")
src=$(cd "$src" 2>/dev/null && pwd) || { echo "run-spin.sh: cannot find agora.pml"; exit 99; }
for f in agora.pml agora-broken.pml; do
    [ -f "$src/$f" ] || { echo "run-spin.sh: missing $src/$f"; exit 99; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/agora-spin.XXXXXX") || exit 99
trap 'rm -rf "$work"' 0
trap 'exit 130' 1 2 13 15
cp "$src/agora.pml" "$src/agora-broken.pml" "$work/" || exit 99
cd "$work" || exit 99

# verify NAME OPT MODEL SPIN-FLAGS...: generate, compile (cc OPT) and run
# the verifier of MODEL in NAME/; its report is NAME/out.  Exhaustive: full
# state storage (no -DBITSTATE, no -DHC), -DSAFETY (assertions and invalid
# end states).
verify() {
    name=$1 opt=$2 model=$3
    shift 3
    mkdir "$name" && cp agora.pml agora-broken.pml "$name/" || return 2
    (
        cd "$name" || exit 2
        "$spin" "$@" -a "$model" > gen.log 2>&1 || { cat gen.log; exit 2; }
        "$cc" "$opt" -w -DSAFETY -DMEMLIM="$memlim" -o pan pan.c > cc.log 2>&1 ||
            { cat cc.log; exit 2; }
        ./pan -m10000 -w25 > out 2>&1
        exit 0
    )
}

# complete NAME: NAME/out reports a complete search with 0 errors
complete() {
    grep -q "errors: 0" "$1/out" &&
    grep -q "Full statespace search" "$1/out" &&
    ! grep -q -e "Search not completed" -e "max search depth too small" \
        -e "reached -DMEMLIM bound" -e "out of memory" "$1/out"
}

# refuted NAME: NAME/out reports an assertion violation
refuted() {
    ! grep -q "errors: 0" "$1/out" && grep -q "assertion violated" "$1/out"
}

states_of() {    # states_of NAME: "N states"
    n=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$1/out" | head -n 1)
    case $n in *e+*) n=$(awk -v n="$n" 'BEGIN { printf "%d", n }') ;; esac
    echo "$n states"
}

fail() {    # fail NAME MESSAGE
    echo "run-spin.sh: FAIL: $2"
    echo "--- $1/out:"
    cat "$1/out"
    exit 1
}

# The three small runs go to the background (the second core) while the
# main verification runs.
t0=$(date +%s)
(
    verify learned -O1 agora.pml -DMAXR=2 -DKEEP_LEARNED || exit 2
    verify broken -O0 agora-broken.pml -DMAXR="$maxr" || exit 2
    verify probe -O0 agora.pml -DMAXR="$maxr" -DPROBE || exit 2
) > side.log 2>&1 &
side=$!
trap 'kill $side 2>/dev/null; rm -rf "$work"' 0
verify good -O3 agora.pml -DMAXR="$maxr" || exit 99
t1=$(date +%s)
wait $side || { cat side.log; exit 99; }
t2=$(date +%s)

complete good || fail good "agora.pml (rounds 1..$maxr): violation found or search incomplete"
echo "agora.pml, rounds 1..$maxr: $(states_of good)," \
     "depth $(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' good/out | head -n 1), $((t1 - t0)) s:"
grep -E "states, stored|transitions|total actual memory|elapsed time" good/out | sed 's/^ */    /'

complete learned || fail learned "agora.pml -DKEEP_LEARNED (rounds 1..2): violation found or search incomplete"
echo "agora.pml -DKEEP_LEARNED, rounds 1..2: $(states_of learned), 0 errors"

refuted broken || fail broken "agora-broken.pml (ACCEPT below the promise) passed:\
 the model cannot be trusted to catch a wrong acceptor rule"
echo "agora-broken.pml: $(grep -m 1 "assertion violated" broken/out | sed 's/^pan:[0-9]*: *//')"

refuted probe || fail probe "agora.pml -DPROBE passed: the model never re-proposes another\
 proposer's chosen value, so it does not exercise Paxos' phase 1"
echo "agora.pml -DPROBE: refuted as expected (a proposer re-proposes the other's chosen value)"

echo "spin: agora.pml: 0 errors, $(states_of good), exhaustive (rounds 1..$maxr, $((t1 - t0)) s);" \
     "learners kept: 0 errors, $(states_of learned) (rounds 1..2);" \
     "broken variant: assertion violated (as expected); probe refuted (not vacuous);" \
     "total $((t2 - t0)) s"
exit 0
