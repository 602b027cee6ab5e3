#!/bin/sh
# run-sim.sh: the deterministic simulation as a `make check` test
# (docs/simulation.md).
#
#   (a) SIM_SEEDS seeds (default 10000; 2000 in a sanitizer build) of the
#       default schedule, split over SIM_JOBS processes (default: the number
#       of CPUs, at most 4). Every seed must pass every check.
#   (b) the checker's self-test: each deliberately broken rule (--broken,
#       injected from outside the core) must be caught within
#       SIM_BROKEN_SEEDS seeds (default 3000), as a violation of the check
#       that guards it; one report is then replayed and must say the same.
#
# Environment: top_builddir (from make check), SIM (path of agora-sim),
# SIM_SEEDS, SIM_FIRST_SEED, SIM_JOBS, SIM_STEPS, SIM_BROKEN_SEEDS, and
# SIM_OPTS (more agora-sim options for (a), e.g. --no-liveness).
# Millions of seeds: SIM_SEEDS=1000000 make check TESTS=sim/run-sim.sh
set -u

sim=${SIM:-}
if [ -z "$sim" ]; then
    for c in "${top_builddir:-..}/tests/sim/agora-sim" ./sim/agora-sim ./agora-sim; do
        if [ -x "$c" ]; then sim=$c; break; fi
    done
fi
if [ -z "$sim" ] || [ ! -x "$sim" ]; then
    echo "run-sim.sh: agora-sim not found (set SIM=...)" >&2
    exit 99
fi

if "$sim" --build-info | grep -q 'sanitizers: yes'; then
    seeds=${SIM_SEEDS:-2000}
else
    seeds=${SIM_SEEDS:-10000}
fi
first=${SIM_FIRST_SEED:-1}
broken_seeds=${SIM_BROKEN_SEEDS:-3000}
steps=${SIM_STEPS:-}
jobs=${SIM_JOBS:-}
if [ -z "$jobs" ]; then
    jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
    [ "$jobs" -gt 4 ] && jobs=4
fi
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ "$jobs" -gt "$seeds" ] && jobs=$seeds
[ "$jobs" -ge 1 ] || jobs=1

tmp=${TMPDIR:-/tmp}/run-sim.$$
mkdir "$tmp" || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

stepopt=
[ -n "$steps" ] && stepopt="--steps $steps"
failed=0
start=$(date +%s)

# --- (a) the default schedule ----------------------------------------------
echo "run-sim.sh: $seeds seeds from seed $first in $jobs process(es) ($sim)"
chunk=$((seeds / jobs))
k=0 pids=
while [ "$k" -lt "$jobs" ]; do
    f=$((first + k * chunk))
    n=$chunk
    [ "$k" -eq $((jobs - 1)) ] && n=$((seeds - k * chunk))
    # shellcheck disable=SC2086
    "$sim" --first-seed "$f" --seeds "$n" $stepopt ${SIM_OPTS:-} >"$tmp/a.$k" 2>&1 &
    pids="$pids $!"
    k=$((k + 1))
done
k=0
for p in $pids; do
    if ! wait "$p"; then
        echo "run-sim.sh: FAIL: seeds of process $k had a violation or crashed:"
        failed=1
    fi
    cat "$tmp/a.$k"
    k=$((k + 1))
done
total_seeds=0 total_steps=0 total_viol=0
for f in "$tmp"/a.*; do
    line=$(grep '^sim: [0-9]* seeds,' "$f" | tail -n 1)
    [ -n "$line" ] || { failed=1; continue; }
    # shellcheck disable=SC2086
    set -- $line
    total_seeds=$((total_seeds + $2))
    total_steps=$((total_steps + $4))
    total_viol=$((total_viol + $6))
done
now=$(date +%s)
summary="sim: $total_seeds seeds, $total_steps steps, $total_viol violations ($((now - start))s wall, $jobs processes)"
echo "$summary"
if [ "$total_seeds" -lt "$seeds" ] || [ "$total_viol" -ne 0 ]; then
    failed=1
fi

# --- (b) the checker catches broken rules ----------------------------------
# rule | options | the checks that may report it
nb=0 caught=0
check_broken() {
    rule=$1 opts=$2 want=$3
    nb=$((nb + 1))
    out=$tmp/b.$nb
    # shellcheck disable=SC2086
    "$sim" --seeds "$broken_seeds" --broken "$rule" $opts $stepopt --quiet >"$out" 2>&1
    rc=$?
    v=$(grep '^VIOLATION' "$out" | head -n 1)
    if [ "$rc" -eq 1 ] && echo "$v" | grep -q "check [$want] "; then
        echo "run-sim.sh: ok: --broken $rule $opts caught: $v"
        caught=$((caught + 1))
    else
        echo "run-sim.sh: FAIL: --broken $rule $opts was not caught as check [$want] (exit $rc):"
        cat "$out"
        failed=1
    fi
}
check_broken accept-lower-ballot "--no-liveness" 12346
check_broken accept-lower-ballot "--no-liveness --skip-check 2 --skip-check 6" 134
check_broken promise-lower-ballot "--no-liveness --skip-check 6" 1234
check_broken ignore-lease "--no-liveness" 2
check_broken no-restart-quiet "--no-liveness" 2
check_broken lease-overrun "--no-liveness" 2
check_broken skip-fsync "--no-liveness" 1234
check_broken mute-after-faults "" 5

# A report replays: the command it prints finds the same violation.
out=$tmp/b.1
replay=$(sed -n 's/^replay: agora-sim //p' "$out" | head -n 1 | sed 's/ --verbose$//')
want=$(grep '^VIOLATION' "$out" | head -n 1)
if [ -n "$replay" ]; then
    # shellcheck disable=SC2086
    got=$("$sim" $replay --quiet 2>&1 | grep '^VIOLATION' | head -n 1)
    if [ "$got" = "$want" ]; then
        echo "run-sim.sh: ok: replay of '$replay' reports the same violation"
        replayed=ok
    else
        echo "run-sim.sh: FAIL: replay of '$replay' reported '$got', not '$want'"
        failed=1
    fi
else
    echo "run-sim.sh: FAIL: no replay line in the report"
    failed=1
fi

now=$(date +%s)
echo "$summary"
echo "sim: checker self-test: $caught of $nb broken rules caught, replay ${replayed:-FAILED}"
if [ "$failed" -ne 0 ]; then
    echo "run-sim.sh: FAILED ($((now - start))s)"
    exit 1
fi
echo "run-sim.sh: passed ($((now - start))s)"
exit 0
