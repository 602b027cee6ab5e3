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
# Beside the wall time, the CPU time each test cost its own volume: utime +
# stime (/proc/PID/stat, all threads) of the volume's three brick processes
# (glusterfsd; PIDs from glusterd's volume status, ag_brick_pid) and of its
# FUSE client (ag_mount_pid), read just before and just after the timed part.
# Competing processes stretch wall time but not the CPU these processes use
# for the same work. A vCPU that itself runs slower (host load) stretches
# both alike: on the shared VM of docs/benchmarks.md the two ratios moved
# together round by round. The CPU figures miss the kernel work charged to
# dd and bash (the FUSE write path, the client page cache), shd and
# glusterd, and time spent waiting.
# The same samples give each volume's background CPU while the other volume
# was being tested. (Instruction counts with perf stat need a PMU; on a VM
# without one `perf stat -e instructions true` says <not supported>.)
#
# Concurrent mode (--concurrent or CONCURRENT=1): in every round each test
# runs on both volumes at the same time (both started in the background, the
# launch order alternating, then both waited for), so that both sides see the
# same vCPU speed; the drift between two sequential runs, the main noise on a
# shared VM, then cancels in the paired ratio. Both sides compete for the
# same cores, symmetrically. Each side's wall time and CPU time run from its
# own start to its own end (the CPU of its own bricks and client only); the
# side that finishes first leaves the cores to the other for the rest.
#
#   sudo bench/xlator-overhead.sh [--concurrent] [ROUNDS]
#   env: SIZE_MB (1024) FILES (5000) CONCURRENT (0)
#   AGORA_XLATOR_DIR (default BUILD/xlator/.libs); bricks on tmpfs (AG_TMPFS_SIZE 8g)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
build=${abs_top_builddir:-$top}
CONCURRENT=${CONCURRENT:-0}
ROUNDS=3
# (no shift: tests/integration/lib.sh re-executes the script with "$@")
for a in "$@"; do
    case $a in --concurrent) CONCURRENT=1 ;; *) ROUNDS=$a ;; esac
done
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

# The processes whose CPU time is counted, per volume: the three bricks (as
# glusterd reports them; checked against their command lines) and the FUSE
# client of the volume's mount. They must stay the same processes all along.
declare -A BPIDS CPID
for v in agora plain; do
    BPIDS[$v]=
    for i in 1 2 3; do
        p=$(ag_brick_pid $v $i) || ag_die "no PID for brick $i of $v"
        tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$(ag_brick_path $v $i)" ||
            ag_die "PID $p is not brick $i of $v"
        BPIDS[$v]+="$p "
    done
    CPID[$v]=$(ag_mount_pid "$AG_STATE/mnt/$v")
    [ -n "${CPID[$v]}" ] || ag_die "no client PID for $v"
done
HZ=$(getconf CLK_TCK)
# ticks PID...: T = utime + stime of the PIDs in clock ticks (fields 14 and
# 15 of /proc/PID/stat, which cover all the process's threads, live or
# exited). No fork, so sampling costs the measured processes nothing.
ticks() {
    local p line f
    T=0
    for p; do
        read -r line <"/proc/$p/stat" || return 1
        line=${line##*) }        # the fields after "(comm) ", from the state on
        read -r -a f <<<"$line"
        T=$((T + f[11] + f[12]))
    done
}
# snap: SNAP = (agora bricks, agora client, plain bricks, plain client) ticks
snap() {
    local v
    SNAP=()
    for v in agora plain; do
        # shellcheck disable=SC2086  # a list of PIDs
        ticks ${BPIDS[$v]} || return 1
        SNAP+=("$T")
        ticks "${CPID[$v]}" || return 1
        SNAP+=("$T")
    done
}
# timed CMD...: runs CMD; prints its wall time (s) and the CPU seconds spent
# meanwhile by: agora's bricks, agora's client, plain's bricks, plain's client
timed() {
    local t0 t1 s0
    snap || return 1
    s0=("${SNAP[@]}")
    t0=$EPOCHREALTIME
    "$@" || return 1
    t1=$EPOCHREALTIME
    snap || return 1
    awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v s0="${s0[*]}" -v s1="${SNAP[*]}" 'BEGIN {
        split(s0, x, " "); split(s1, y, " "); printf "%.3f", b - a
        for (i = 1; i <= 4; i++) printf " %.2f", (y[i] - x[i]) / hz
        printf "\n" }'
}
run_dd() {
    local m=$1
    timed dd if=/dev/zero of="$m/big" bs=1M count="$SIZE_MB" conv=fsync status=none || return 1
    rm -f "$m/big"
}
creates() {
    local m=$1 i
    for ((i = 0; i < FILES; i++)); do echo x >"$m/sf/f$i" || return 1; done
}
run_creates() {
    local m=$1
    mkdir -p "$m/sf"
    timed creates "$m" || return 1
    rm -rf "$m/sf"
}
# Interleaved A/B: within every round each test runs once on each volume,
# back to back, in an order that alternates (ABBA over two rounds), so that
# load drift on the shared machine hits both sides alike. Each round gives a
# paired ratio agora/plain per test; their median is the robust figure, the
# medians of the raw times are printed beside it.
# CPU: C[b|c|bc-VOL-TEST] the bricks', the client's and their sum's CPU
# seconds during VOL's own test; P[b|c|bc-TEST] their paired ratios; IDLE[VOL-TEST]
# VOL's bricks' CPU while the other volume ran TEST.
declare -A R Q C P IDLE
# side VOL TEST OUT (concurrent mode): runs TEST on VOL's mount and writes to
# OUT its wall time (s) and the CPU seconds of VOL's own bricks and client
# from its start to its end. Leaves the files for cleanup() (outside the
# timed part, after both sides have finished).
side() {
    local v=$1 t=$2 out=$3 m="$AG_STATE/mnt/$1" b0 c0 b1 c1 t0 t1
    # shellcheck disable=SC2086  # a list of PIDs
    ticks ${BPIDS[$v]} || return 1
    b0=$T
    ticks "${CPID[$v]}" || return 1
    c0=$T
    t0=$EPOCHREALTIME
    if [ "$t" = dd ]; then
        dd if=/dev/zero of="$m/big" bs=1M count="$SIZE_MB" conv=fsync status=none || return 1
    else
        creates "$m" || return 1
    fi
    t1=$EPOCHREALTIME
    # shellcheck disable=SC2086
    ticks ${BPIDS[$v]} || return 1
    b1=$T
    ticks "${CPID[$v]}" || return 1
    c1=$T
    awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v b0="$b0" -v b1="$b1" -v c0="$c0" -v c1="$c1" \
        'BEGIN { printf "%.3f %.2f %.2f\n", b - a, (b1 - b0) / hz, (c1 - c0) / hz }' >"$out"
}
cleanup() { rm -f "$1/big"; rm -rf "$1/sf"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
ratio() { awk -v a="$1" -v p="$2" 'BEGIN { if (p > 0) printf "%.3f", a / p; else printf "inf" }'; }
LOADS=()
[ "$CONCURRENT" = 1 ] && for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="agora plain"; else order="plain agora"; fi
    LOADS+=("$(loadavg)")
    for t in dd cr; do
        declare -A one=() cb=() cc=() cbc=() jp=()
        for v in agora plain; do
            rm -f "$AG_STATE/conc-$v"
            [ $t = cr ] && mkdir -p "$AG_STATE/mnt/$v/sf"
        done
        for v in $order; do
            side "$v" $t "$AG_STATE/conc-$v" &
            jp[$v]=$!
        done
        for v in agora plain; do wait "${jp[$v]}" || ag_die "$t on $v (concurrent)"; done
        for v in agora plain; do
            read -r wall b c <"$AG_STATE/conc-$v" || ag_die "no result for $t on $v"
            cleanup "$AG_STATE/mnt/$v"
            one[$v]=$wall cb[$v]=$b cc[$v]=$c
            R[$v-$t]+="$wall "
            cbc[$v]=$(awk -v a="$b" -v b="$c" 'BEGIN { printf "%.2f", a + b }')
            C[b-$v-$t]+="$b " C[c-$v-$t]+="$c " C[bc-$v-$t]+="${cbc[$v]} "
        done
        Q[$t]+="$(ratio "${one[agora]}" "${one[plain]}") "
        P[b-$t]+="$(ratio "${cb[agora]}" "${cb[plain]}") "
        P[c-$t]+="$(ratio "${cc[agora]}" "${cc[plain]}") "
        P[bc-$t]+="$(ratio "${cbc[agora]}" "${cbc[plain]}") "
    done
    echo "round $r/$ROUNDS (concurrent, launched $order, load $(loadavg)): dd wall ratios [${Q[dd]}]" \
        "creates [${Q[cr]}] brick CPU ratios dd [${P[b-dd]}] creates [${P[b-cr]}]" \
        "bricks+client dd [${P[bc-dd]}] creates [${P[bc-cr]}]" >&2
done
[ "$CONCURRENT" = 1 ] || for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="agora plain"; else order="plain agora"; fi
    LOADS+=("$(loadavg)")
    for t in dd cr; do
        declare -A one=() cb=() cc=() cbc=()
        for v in $order; do
            if [ $t = dd ]; then out=$(run_dd "$AG_STATE/mnt/$v") || ag_die "dd on $v"
            else out=$(run_creates "$AG_STATE/mnt/$v") || ag_die "creates on $v"; fi
            read -r wall ab ac pb pc <<<"$out"
            one[$v]=$wall
            R[$v-$t]+="$wall "
            if [ "$v" = agora ]; then cb[$v]=$ab cc[$v]=$ac o=plain ob=$pb
            else cb[$v]=$pb cc[$v]=$pc o=agora ob=$ab; fi
            cbc[$v]=$(awk -v a="${cb[$v]}" -v b="${cc[$v]}" 'BEGIN { printf "%.2f", a + b }')
            C[b-$v-$t]+="${cb[$v]} " C[c-$v-$t]+="${cc[$v]} " C[bc-$v-$t]+="${cbc[$v]} "
            IDLE[$o-$t]+="$ob "
        done
        Q[$t]+="$(ratio "${one[agora]}" "${one[plain]}") "
        P[b-$t]+="$(ratio "${cb[agora]}" "${cb[plain]}") "
        P[c-$t]+="$(ratio "${cc[agora]}" "${cc[plain]}") "
        P[bc-$t]+="$(ratio "${cbc[agora]}" "${cbc[plain]}") "
    done
    echo "round $r/$ROUNDS ($order, load $(loadavg)): dd ratios [${Q[dd]}] creates ratios [${Q[cr]}]" \
        "brick CPU ratios dd [${P[b-dd]}] creates [${P[b-cr]}]" >&2
done
LOADS+=("$(loadavg)")
# the counted processes must be the ones glusterd still reports
for v in agora plain; do
    now_pids=
    for i in 1 2 3; do now_pids+="$(ag_brick_pid $v $i) "; done
    [ "$now_pids" = "${BPIDS[$v]}" ] || ag_die "bricks of $v changed during the run: ${BPIDS[$v]}-> $now_pids"
    _ag_alive "${CPID[$v]}" || ag_die "client of $v died during the run"
done
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
quart() { # Q1 and Q3 (nearest rank) of the numbers on stdin
    tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { q1 = int((NR + 3) / 4); q3 = int((3 * NR + 3) / 4); if (q1 < 1) q1 = 1; print a[q1], a[q3] }'
}
echo
# v2 Q1 Q3 MEDIAN: the verdict against the 2 % target. Met: the whole middle
# half of the paired ratios below 1.02; not met: all of it above 1.02;
# otherwise the median decides, flagged as such.
v2() {
    awk -v a="$1" -v b="$2" -v m="$3" 'BEGIN {
        d = sprintf("%+.1f%%", (m - 1) * 100)
        if (b < 1.02) print d ", met (IQR below +2%)";
        else if (a > 1.02) print d ", not met (IQR above +2%)";
        else if (m < 1.02) print d ", met by the median only (IQR spans +2%)";
        else print d ", not met by the median (IQR spans +2%)" }'
}
if [ "$CONCURRENT" = 1 ]; then
    echo "translator overhead: $ROUNDS concurrent rounds (both volumes at once), replica 3 on one machine, $(nproc) cpus"
else
    echo "translator overhead: $ROUNDS interleaved A/B rounds, replica 3 on one machine, $(nproc) cpus"
fi
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
    [ "$CONCURRENT" = 1 ] && verdict="$verdict; 2 % target: $(v2 "$q1" "$q3" "$pr")"
    printf '%-28s %10.3f %10.3f %9.3f %12.3f %7.3f..%-6.3f  %s\n' "$name" "$a" "$p" \
        "$(awk -v a="$a" -v p="$p" 'BEGIN { print a / p }')" "$pr" "$q1" "$q3" "$verdict"
done
echo "all runs (s): agora dd [${R[agora-dd]}] plain dd [${R[plain-dd]}]"
echo "              agora creates [${R[agora-cr]}] plain creates [${R[plain-cr]}]"
echo "paired ratios: dd [${Q[dd]}] creates [${Q[cr]}]"
echo
echo "CPU time during each test (utime + stime of all threads, /proc/PID/stat, 1/$HZ s ticks), per volume:"
echo "its 3 bricks (PIDs agora ${BPIDS[agora]}/ plain ${BPIDS[plain]}), its FUSE client (${CPID[agora]} / ${CPID[plain]})"
printf '%-28s %-14s %10s %10s %9s %12s %15s  %s\n' test "CPU of" "agora (s)" "plain (s)" "ratio" "paired ratio" "paired IQR" "verdict (target: under 2 %)"
for t in dd cr; do
    name="dd ${SIZE_MB} MiB conv=fsync"
    [ $t = cr ] && name="$FILES small-file creates"
    for k in b c bc; do
        case $k in b) what="3 bricks" ;; c) what="FUSE client" ;; bc) what="bricks+client" ;; esac
        a=$(echo "${C[$k-agora-$t]}" | median) p=$(echo "${C[$k-plain-$t]}" | median)
        pr=$(echo "${P[$k-$t]}" | median)
        read -r q1 q3 < <(echo "${P[$k-$t]}" | quart)
        verdict=$(v2 "$q1" "$q3" "$pr")
        printf '%-28s %-14s %10.2f %10.2f %9.3f %12.3f %7.3f..%-6.3f  %s\n' "$name" "$what" "$a" "$p" \
            "$(awk -v a="$a" -v p="$p" 'BEGIN { print (p > 0) ? a / p : 0 }')" "$pr" "$q1" "$q3" "$verdict"
    done
done
[ "$CONCURRENT" = 1 ] || echo "background: bricks' CPU while the other volume ran the test, median (s):" \
    "dd agora $(echo "${IDLE[agora-dd]}" | median) plain $(echo "${IDLE[plain-dd]}" | median)," \
    "creates agora $(echo "${IDLE[agora-cr]}" | median) plain $(echo "${IDLE[plain-cr]}" | median)"
for k in b c; do
    case $k in b) what="bricks" ;; c) what="client" ;; esac
    echo "all runs, $what CPU (s): agora dd [${C[$k-agora-dd]}] plain dd [${C[$k-plain-dd]}]"
    echo "    agora creates [${C[$k-agora-cr]}] plain creates [${C[$k-plain-cr]}]"
done
echo "paired CPU ratios: bricks dd [${P[b-dd]}] creates [${P[b-cr]}]"
echo "                   client dd [${P[c-dd]}] creates [${P[c-cr]}]"
echo "                   bricks+client dd [${P[bc-dd]}] creates [${P[bc-cr]}]"
