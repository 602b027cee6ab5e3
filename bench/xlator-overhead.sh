#!/usr/bin/env bash
# bench/xlator-overhead.sh: what the agora translator costs ordinary I/O.
# Two replica-3 volumes with the same layout on one 3-host test cluster
# (tests/integration/lib.sh): "agora" has the translator on every brick
# (user.xlator.agora posix, a key, cache-invalidation on as deployed), "plain"
# has not. Both are FUSE-mounted from the same client namespace and measured
# interleaved, ROUNDS times (each test on one volume then the other, the
# order alternating round by round):
#   dd: SIZE_MB MiB written with dd bs=1M conv=fsync
#   creates: FILES small files created (bash builtin echo, no fork)
# Prints the medians side by side with the ratio agora/plain, the median of
# the per-round paired ratios with its interquartile range, the load average,
# and whether noise dominates. Not a test.
#
#   sudo bench/xlator-overhead.sh [ROUNDS]     env: SIZE_MB (1024) FILES (5000)
#   AGORA_XLATOR_DIR (default BUILD/xlator/.libs); bricks on tmpfs (AG_TMPFS_SIZE 8g)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
build=${abs_top_builddir:-$top}
ROUNDS=${1:-3}
SIZE_MB=${SIZE_MB:-1024}
FILES=${FILES:-5000}
XLDIR=${AGORA_XLATOR_DIR:-$build/xlator/.libs}
# state on tmpfs (the harness default): isolates the translator from disk noise
export AG_TMPFS_SIZE=${AG_TMPFS_SIZE:-8g}
# shellcheck source=../tests/integration/lib.sh
. "$top/tests/integration/lib.sh"
[ -f "$XLDIR/agora.so" ] || ag_skip "agora.so not found in $XLDIR (set AGORA_XLATOR_DIR)"

ag_cluster_up bench 3 --xlator-dir "$XLDIR" || ag_die "cluster"
KEY=$AG_STATE/cluster.key
head -c 48 /dev/urandom | base64 >"$KEY" && chmod 600 "$KEY"
for v in agora plain; do
    ag_volume_create $v || ag_die "create $v"
    ag_volume_set $v cluster.choose-local off || ag_die "set"
    ag_volume_set $v performance.cache-invalidation on || ag_die "set"
done
ag_volume_set agora user.xlator.agora posix || ag_die "set xlator"
ag_volume_set agora user.xlator.agora.key-file "$KEY" || ag_die "set key"
for v in agora plain; do ag_volume_start $v || ag_die "start $v"; done
for v in agora plain; do ag_mount $v "$AG_STATE/mnt/$v" || ag_die "mount $v"; done
grep -q 'type user/agora' "$(ag_brick_volfile agora 1)" || ag_die "translator not in the brick graph"

now() { printf '%s\n' "$EPOCHREALTIME"; }
el() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }
run_dd() {
    local m=$1 t0
    t0=$(now)
    dd if=/dev/zero of="$m/big" bs=1M count="$SIZE_MB" conv=fsync status=none || return 1
    el "$t0" "$(now)"
    rm -f "$m/big"
}
run_creates() {
    local m=$1 t0 i
    mkdir -p "$m/sf"
    t0=$(now)
    for ((i = 0; i < FILES; i++)); do echo x >"$m/sf/f$i" || return 1; done
    el "$t0" "$(now)"
    rm -rf "$m/sf"
}
# Interleaved A/B: within every round each test runs once on each volume,
# back to back, in an order that alternates (ABBA over two rounds), so that
# load drift on the shared machine hits both sides alike. Each round gives a
# paired ratio agora/plain per test; their median is the robust figure, the
# medians of the raw times are printed beside it.
declare -A R Q
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
LOADS=()
for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="agora plain"; else order="plain agora"; fi
    LOADS+=("$(loadavg)")
    for t in dd cr; do
        declare -A one=()
        for v in $order; do
            if [ $t = dd ]; then one[$v]=$(run_dd "$AG_STATE/mnt/$v") || ag_die "dd on $v"
            else one[$v]=$(run_creates "$AG_STATE/mnt/$v") || ag_die "creates on $v"; fi
            R[$v-$t]+="${one[$v]} "
        done
        Q[$t]+="$(awk -v a="${one[agora]}" -v p="${one[plain]}" 'BEGIN { printf "%.3f", a / p }') "
    done
    echo "round $r/$ROUNDS ($order, load $(loadavg)): dd ratios [${Q[dd]}] creates ratios [${Q[cr]}]" >&2
done
LOADS+=("$(loadavg)")
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
quart() { # Q1 and Q3 (nearest rank) of the numbers on stdin
    tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { q1 = int((NR + 3) / 4); q3 = int((3 * NR + 3) / 4); if (q1 < 1) q1 = 1; print a[q1], a[q3] }'
}
echo
echo "translator overhead: $ROUNDS interleaved A/B rounds, replica 3 on one machine, $(nproc) cpus"
echo "load average (1/5/15 min) at each round start and at the end: ${LOADS[*]// /\/}"
printf '%-28s %10s %10s %9s %12s %15s  %s\n' test "agora (s)" "plain (s)" "ratio" "paired ratio" "paired IQR" verdict
for t in dd cr; do
    a=$(echo "${R[agora-$t]}" | median) p=$(echo "${R[plain-$t]}" | median)
    pr=$(echo "${Q[$t]}" | median)
    read -r q1 q3 < <(echo "${Q[$t]}" | quart)
    name="dd ${SIZE_MB} MiB conv=fsync"
    [ $t = cr ] && name="$FILES small-file creates"
    # noise dominates when 1.0 lies inside the middle half of the paired ratios
    verdict=$(awk -v a="$q1" -v b="$q3" -v m="$pr" 'BEGIN {
        if (a <= 1.0 && b >= 1.0) print "noise dominates (1.0 inside the IQR)";
        else if (m > 1) printf "agora slower by %.0f%%\n", (m - 1) * 100;
        else printf "agora faster by %.0f%% (noise)\n", (1 - m) * 100 }')
    printf '%-28s %10.3f %10.3f %9.3f %12.3f %7.3f..%-6.3f  %s\n' "$name" "$a" "$p" \
        "$(awk -v a="$a" -v p="$p" 'BEGIN { print a / p }')" "$pr" "$q1" "$q3" "$verdict"
done
echo "all runs (s): agora dd [${R[agora-dd]}] plain dd [${R[plain-dd]}]"
echo "              agora creates [${R[agora-cr]}] plain creates [${R[plain-cr]}]"
echo "paired ratios: dd [${Q[dd]}] creates [${Q[cr]}]"
