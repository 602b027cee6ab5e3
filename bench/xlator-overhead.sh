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
# Crossover (--crossover or CROSSOVER=1, implies --concurrent): two
# volumes "va" and "vb" of the same layout; the translator is on va for the
# first half of the rounds, then moved to vb (both volumes stopped, the
# option reset on va and set on vb, both started and mounted again) for the
# second half. A difference between the two volumes themselves (their
# ports, their place on the tmpfs, which was created first) then enters the
# two halves with opposite signs and cancels, and the same run measures it.
# Besides the medians it prints, per test and measure, the translator's
# effect as the geometric mean of the paired ratios of both halves (equal
# weight) with a 95 % confidence interval (Student's t on the log ratios,
# variance pooled within the halves, n - 2 degrees of freedom), the volumes'
# own difference, and the verdict against the 2 % target: met when the
# whole interval lies below +2 %. Each half starts with a warm-up round that
# is not counted.
#
#   sudo bench/xlator-overhead.sh [--concurrent | --crossover] [ROUNDS]
#   env: SIZE_MB (1024) FILES (5000) CONCURRENT (0) CROSSOVER (0)
#   TESTS ("dd cr": which tests, dd and/or cr, the creates)
#   AGORA_XLATOR_DIR (default BUILD/xlator/.libs); bricks on tmpfs (AG_TMPFS_SIZE 8g)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
build=${abs_top_builddir:-$top}
CONCURRENT=${CONCURRENT:-0}
CROSSOVER=${CROSSOVER:-0}
ROUNDS=3
# (no shift: tests/integration/lib.sh re-executes the script with "$@")
for a in "$@"; do
    case $a in --concurrent) CONCURRENT=1 ;; --crossover) CROSSOVER=1 ;; *) ROUNDS=$a ;; esac
done
[ "$CROSSOVER" = 1 ] && CONCURRENT=1
SIZE_MB=${SIZE_MB:-1024}
TESTS=${TESTS:-dd cr}
for t in $TESTS; do
    case $t in dd | cr) ;; *) echo "xlator-overhead.sh: TESTS: unknown test '$t' (dd, cr)" >&2; exit 2 ;; esac
done
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
# VOL[role]: the volume that plays the role (agora: with the translator)
declare -A VOL=([agora]=agora [plain]=plain)
[ "$CROSSOVER" = 1 ] && VOL=([agora]=va [plain]=vb)
mnt_of() { printf '%s/mnt/%s\n' "$AG_STATE" "${VOL[$1]}"; }
# common_options VOL: what both volumes have besides ag_volume_create's
common_options() {
    ag_volume_set "$1" cluster.choose-local off && ag_volume_set "$1" performance.cache-invalidation on
}
# options VOL: its reconfigured options, the translator's left out (the heal
# command writes enable/disable where volume create wrote on/off)
options() {
    ag_gluster "$(_ag_cli_host)" volume info "$1" | sed -n '/^Options Reconfigured:/,$p' |
        grep -v '^user\.xlator\.agora' |
        sed 's/^\(cluster.granular-entry-heal: \)enable$/\1on/; s/^\(cluster.granular-entry-heal: \)disable$/\1off/' |
        sort
}
for v in "${VOL[agora]}" "${VOL[plain]}"; do
    ag_volume_create $v || ag_die "create $v"
    common_options $v || ag_die "set options on $v"
done
ag_volume_set "${VOL[agora]}" user.xlator.agora posix || ag_die "set xlator"
ag_volume_set "${VOL[agora]}" user.xlator.agora.key-file "$KEY" || ag_die "set key"
start_both() {
    local r
    for r in agora plain; do ag_volume_start "${VOL[$r]}" || ag_die "start ${VOL[$r]}"; done
}
# mount_both: the translator checked in (and out of) the brick graphs, and
# nothing else different
mount_both() {
    local r
    for r in agora plain; do ag_mount "${VOL[$r]}" "$(mnt_of $r)" || ag_die "mount ${VOL[$r]}"; done
    grep -q 'type user/agora' "$(ag_brick_volfile "${VOL[agora]}" 1)" ||
        ag_die "translator not in the brick graph of ${VOL[agora]}"
    ! grep -q 'type user/agora' "$(ag_brick_volfile "${VOL[plain]}" 1)" ||
        ag_die "translator still in the brick graph of ${VOL[plain]}"
    [ "$(options "${VOL[agora]}")" = "$(options "${VOL[plain]}")" ] ||
        ag_die "the volumes differ in more than the translator: $(options "${VOL[agora]}") / $(options "${VOL[plain]}")"
}
start_both
mount_both

# The processes whose CPU time is counted, per volume: the three bricks (as
# glusterd reports them; checked against their command lines) and the FUSE
# client of the volume's mount. They must stay the same processes all along.
declare -A BPIDS CPID
find_pids() {
    local r v i p
    for r in agora plain; do
        v=${VOL[$r]} BPIDS[$r]=
        for i in 1 2 3; do
            p=$(ag_brick_pid $v $i) || ag_die "no PID for brick $i of $v"
            tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$(ag_brick_path $v $i)" ||
                ag_die "PID $p is not brick $i of $v"
            BPIDS[$r]+="$p "
        done
        CPID[$r]=$(ag_mount_pid "$(mnt_of $r)")
        [ -n "${CPID[$r]}" ] || ag_die "no client PID for $v"
    done
}
# check_pids: the counted processes must be the ones glusterd still reports
check_pids() {
    local r i now_pids
    for r in agora plain; do
        now_pids=
        for i in 1 2 3; do now_pids+="$(ag_brick_pid "${VOL[$r]}" $i) "; done
        [ "$now_pids" = "${BPIDS[$r]}" ] ||
            ag_die "bricks of ${VOL[$r]} changed during the run: ${BPIDS[$r]}-> $now_pids"
        _ag_alive "${CPID[$r]}" || ag_die "client of ${VOL[$r]} died during the run"
    done
}
# move_translator: the crossover's second half: the translator from the
# volume that had it to the other one
move_translator() {
    local r old=${VOL[agora]} new=${VOL[plain]}
    check_pids
    for r in agora plain; do ag_umount "$(mnt_of $r)" || ag_die "umount"; done
    for r in agora plain; do ag_volume_stop "${VOL[$r]}" || ag_die "stop ${VOL[$r]}"; done
    # (10.3 refuses to reset a user.* option by name: every option is reset
    # and the others set again as they were)
    # (volume set refuses cluster.granular-entry-heal; the heal command sets
    # it, on a started volume)
    local saved line heal=
    saved=$(options "$old" | grep -v '^Options Reconfigured:')
    ag_gluster "$(_ag_cli_host)" volume reset "$old" >/dev/null || ag_die "reset the options of $old"
    while IFS= read -r line; do
        case $line in
        cluster.granular-entry-heal:*) heal=$([ "${line#*: }" = on ] && echo enable || echo disable) ;;
        *) ag_volume_set "$old" "${line%%: *}" "${line#*: }" || ag_die "set $line on $old again" ;;
        esac
    done <<<"$saved"
    ag_volume_set "$new" user.xlator.agora posix || ag_die "set xlator"
    ag_volume_set "$new" user.xlator.agora.key-file "$KEY" || ag_die "set key"
    VOL=([agora]=$new [plain]=$old)
    start_both
    if [ -n "$heal" ]; then
        ag_gluster "$(_ag_cli_host)" volume heal "$old" granular-entry-heal $heal >/dev/null ||
            ag_die "granular-entry-heal $heal on $old"
    fi
    mount_both
    find_pids
}
find_pids
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
    local v=$1 t=$2 out=$3 m b0 c0 b1 c1 t0 t1
    m=$(mnt_of "$v")
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
# warm_up: each test once on both volumes at once, not counted (fresh
# mounts and bricks: the first round would carry their start-up costs)
warm_up() {
    local t v jp=()
    for t in $TESTS; do
        for v in agora plain; do
            mkdir -p "$(mnt_of $v)/sf"
            side "$v" $t /dev/null &
            jp+=($!)
        done
        for v in "${jp[@]}"; do wait "$v" || ag_die "warm-up $t"; done
        jp=()
        for v in agora plain; do cleanup "$(mnt_of $v)"; done
    done
}
# pair_ratios TEST: appends the round's paired ratios agora/plain (wall
# time from one[], CPU from cb[], cc[], cbc[]) to Q[TEST] and P[*-TEST]
pair_ratios() {
    Q[$1]+="$(ratio "${one[agora]}" "${one[plain]}") "
    P[b-$1]+="$(ratio "${cb[agora]}" "${cb[plain]}") "
    P[c-$1]+="$(ratio "${cc[agora]}" "${cc[plain]}") "
    P[bc-$1]+="$(ratio "${cbc[agora]}" "${cbc[plain]}") "
}
PHASE=()  # the crossover half of every round (1: translator on va, 2: on vb)
[ "$CONCURRENT" = 1 ] && for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="agora plain"; else order="plain agora"; fi
    if [ "$CROSSOVER" = 1 ] && [ $r = $((ROUNDS / 2 + 1)) ]; then
        echo "crossover: moving the translator from ${VOL[agora]} to ${VOL[plain]}" >&2
        move_translator
    fi
    if [ "$CROSSOVER" = 1 ] && { [ $r = 1 ] || [ $r = $((ROUNDS / 2 + 1)) ]; }; then
        echo "warm-up round (not counted)" >&2
        warm_up
    fi
    PHASE+=("$([ "${VOL[agora]}" = vb ] && echo 2 || echo 1)")
    LOADS+=("$(loadavg)")
    for t in $TESTS; do
        declare -A one=() cb=() cc=() cbc=() jp=()
        for v in agora plain; do
            rm -f "$AG_STATE/conc-$v"
            [ $t = cr ] && mkdir -p "$(mnt_of $v)/sf"
        done
        for v in $order; do
            side "$v" $t "$AG_STATE/conc-$v" &
            jp[$v]=$!
        done
        for v in agora plain; do wait "${jp[$v]}" || ag_die "$t on $v (concurrent)"; done
        for v in agora plain; do
            read -r wall b c <"$AG_STATE/conc-$v" || ag_die "no result for $t on $v"
            cleanup "$(mnt_of $v)"
            one[$v]=$wall cb[$v]=$b cc[$v]=$c
            R[$v-$t]+="$wall "
            cbc[$v]=$(awk -v a="$b" -v b="$c" 'BEGIN { printf "%.2f", a + b }')
            C[b-$v-$t]+="$b " C[c-$v-$t]+="$c " C[bc-$v-$t]+="${cbc[$v]} "
        done
        pair_ratios $t
    done
    echo "round $r/$ROUNDS (concurrent, launched $order, load $(loadavg)): dd wall ratios [${Q[dd]}]" \
        "creates [${Q[cr]}] brick CPU ratios dd [${P[b-dd]}] creates [${P[b-cr]}]" \
        "bricks+client dd [${P[bc-dd]}] creates [${P[bc-cr]}]" >&2
done
[ "$CONCURRENT" = 1 ] || for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="agora plain"; else order="plain agora"; fi
    LOADS+=("$(loadavg)")
    for t in $TESTS; do
        declare -A one=() cb=() cc=() cbc=()
        for v in $order; do
            if [ $t = dd ]; then out=$(run_dd "$(mnt_of $v)") || ag_die "dd on $v"
            else out=$(run_creates "$(mnt_of $v)") || ag_die "creates on $v"; fi
            read -r wall ab ac pb pc <<<"$out"
            one[$v]=$wall
            R[$v-$t]+="$wall "
            if [ "$v" = agora ]; then cb[$v]=$ab cc[$v]=$ac o=plain ob=$pb
            else cb[$v]=$pb cc[$v]=$pc o=agora ob=$ab; fi
            cbc[$v]=$(awk -v a="${cb[$v]}" -v b="${cc[$v]}" 'BEGIN { printf "%.2f", a + b }')
            C[b-$v-$t]+="${cb[$v]} " C[c-$v-$t]+="${cc[$v]} " C[bc-$v-$t]+="${cbc[$v]} "
            IDLE[$o-$t]+="$ob "
        done
        pair_ratios $t
    done
    echo "round $r/$ROUNDS ($order, load $(loadavg)): dd ratios [${Q[dd]}] creates ratios [${Q[cr]}]" \
        "brick CPU ratios dd [${P[b-dd]}] creates [${P[b-cr]}]" >&2
done
LOADS+=("$(loadavg)")
check_pids
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
for t in $TESTS; do
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
for t in $TESTS; do
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
[ "$CROSSOVER" = 1 ] || exit 0
# crossover: the translator's effect with a 95 % confidence interval (see the top)
echo
echo "crossover: translator on va in rounds with half 1, on vb in half 2; halves: ${PHASE[*]}"
{
    echo "phases ${PHASE[*]}"
    for t in $TESTS; do
        name="dd ${SIZE_MB} MiB conv=fsync"
        [ $t = cr ] && name="$FILES small-file creates"
        echo "$name|wall time|${Q[$t]}"
        echo "$name|3 bricks CPU|${P[b-$t]}"
        echo "$name|FUSE client CPU|${P[c-$t]}"
        echo "$name|bricks+client CPU|${P[bc-$t]}"
    done
} | python3 "$here/crossover.py" effect
echo "half 1/2: geometric mean of the paired ratios (translator side / other side) in that half;"
echo "effect: the translator's (both halves, equal weight); volumes: va/vb's own difference"
