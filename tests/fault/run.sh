#!/usr/bin/env bash
# tests/fault/run.sh: fault-injection schedules against a real three-host
# cluster, each judged by the history checker (docs/fault-injection.md).
#
#   run.sh                      the smoke schedule of make check: seed 4, 5 faults
#                               (split of the leader, partition, kill_host of the
#                               leader, kill_brick, pause_agorad of the leader)
#   run.sh --seeds N [--first S] [--steps K]   seeds S..S+N-1 (S = 1), K faults each (6)
#   run.sh --seed S [--steps K]                one schedule again (a replay)
#   options: --keep (keep clean runs too), --out DIR (where runs are kept;
#            default ${TMPDIR:-/tmp}/agora-fault/run.PID, one per run so
#            that concurrent runs never share a directory), --lease MS (2000)
#
# Each schedule runs as its own process (schedule.sh: its own cluster, torn
# down by PID whatever happens). A failed schedule's directory is kept:
# histories, final logs and views, daemon logs, and check_history.py's
# verdict in verdict.txt. Prints one line a schedule and the tally; exit 0
# if all were clean, 1 if one had a violation, 99 on a harness error, 77
# if the environment cannot run them (not root, no GlusterFS, nothing built).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
seeds=1 first= steps= many= keep= out=${TMPDIR:-/tmp}/agora-fault/run.$$ one=
while [ $# -gt 0 ]; do
    case $1 in
    --seeds) seeds=$2; many=1; shift 2 ;;
    --first) first=$2; shift 2 ;;
    --seed) one=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --out) out=$2; shift 2 ;;
    --lease) export FAULT_LEASE_MS=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ -n "$one" ]; then first=$one seeds=1 many=1; fi
[ -n "$steps" ] || { if [ -n "$many" ]; then steps=6; else steps=5; fi; }
[ -n "$first" ] || { if [ -n "$many" ]; then first=1; else first=4; fi; }
case $seeds$first$steps in *[!0-9]*) echo "run.sh: --seeds, --first, --steps take numbers" >&2; exit 2 ;; esac
mkdir -p "$out" || exit 99
out=$(cd "$out" && pwd)

clean=0 bad=0 err=0 skip=0 t_all=$EPOCHREALTIME
echo "fault injection: seeds $first..$((first + seeds - 1)), $steps faults each, load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((s = first; s < first + seeds; s++)); do
    run=$out/seed-$s
    rm -rf "$run"
    t0=$EPOCHREALTIME
    "$here/schedule.sh" "$s" "$run" "$steps" >"$out/seed-$s.out" 2>&1
    rc=$?
    secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
    verdict=$(grep -m1 '^seed ' "$out/seed-$s.out")
    case $rc in
    0)  clean=$((clean + 1))
        echo "seed $s: clean (${secs} s) -- ${verdict#seed $s: }"
        [ -n "$keep" ] || rm -rf "$run" "$out/seed-$s.out" ;;
    1)  bad=$((bad + 1))
        echo "seed $s: VIOLATION (${secs} s); kept in $run"
        grep -A40 '^VIOLATION' "$out/seed-$s.out" | head -n 60
        cp "$out/seed-$s.out" "$run/verdict.txt" 2>/dev/null ;;
    77) skip=$((skip + 1))
        echo "seed $s: skipped: $(grep -m1 SKIP "$out/seed-$s.out")"
        rm -rf "$run"
        break ;;
    *)  err=$((err + 1))
        echo "seed $s: harness error $rc (${secs} s); kept in $run"
        grep -v '^\[ag ' "$out/seed-$s.out" | tail -n 15
        cp "$out/seed-$s.out" "$run/verdict.txt" 2>/dev/null ;;
    esac
done
total=$(awk -v a="$t_all" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
echo "fault injection: $clean of $((clean + bad + err)) schedules clean ($bad with violations, $err harness errors) in $total s"
rmdir "$out" 2>/dev/null
[ $skip -gt 0 ] && [ $((clean + bad + err)) = 0 ] && exit 77
[ $bad -gt 0 ] && exit 1
[ $err -gt 0 ] && exit 99
exit 0
