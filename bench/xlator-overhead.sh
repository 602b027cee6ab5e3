#!/usr/bin/env bash
# bench/xlator-overhead.sh: what the agora translator costs ordinary I/O.
# Two replica-3 volumes with the same layout on one 3-host test cluster
# (tests/integration/lib.sh): "agora" has the translator on every brick
# (user.xlator.agora posix, a key, cache-invalidation on as deployed), "plain"
# has not. Both are FUSE-mounted from the same client namespace and measured
# in alternating order, ROUNDS times:
#   dd: SIZE_MB MiB written with dd bs=1M conv=fsync
#   creates: FILES small files created (bash builtin echo, no fork)
# Prints medians side by side with the ratio agora/plain. Not a test.
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
declare -A R
for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="agora plain"; else order="plain agora"; fi
    for v in $order; do
        R[$v-dd]+="$(run_dd "$AG_STATE/mnt/$v") " || ag_die "dd on $v"
        R[$v-cr]+="$(run_creates "$AG_STATE/mnt/$v") " || ag_die "creates on $v"
    done
    echo "round $r done: dd agora [${R[agora-dd]}] plain [${R[plain-dd]}]" >&2
done
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo
echo "translator overhead, $ROUNDS rounds, medians (s), replica 3 on one machine, $(nproc) cpus"
printf '%-34s %10s %10s %8s\n' test "with agora" without ratio
for t in dd cr; do
    a=$(echo "${R[agora-$t]}" | median) p=$(echo "${R[plain-$t]}" | median)
    name="dd ${SIZE_MB} MiB conv=fsync"
    [ $t = cr ] && name="$FILES small-file creates"
    printf '%-34s %10.3f %10.3f %8.3f\n' "$name" "$a" "$p" "$(awk -v a="$a" -v p="$p" 'BEGIN { print a / p }')"
done
echo "all runs: agora dd [${R[agora-dd]}] plain dd [${R[plain-dd]}]"
echo "          agora creates [${R[agora-cr]}] plain creates [${R[plain-cr]}]"
