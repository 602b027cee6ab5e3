#!/usr/bin/env bash
# test_elect.sh: agoractl elect (named leases) against a real replica-3
# volume with the translator (tests/integration/lib.sh: three glusterds in
# network namespaces), three agorad running the main election meanwhile.
# The command (elect_cmd.py) stamps CLOCK_MONOTONIC start and stop times;
# one machine, one clock.
#
#   0. usage: a bad name or no command is exit 2, without a cluster
#   1. two contenders of one name at once: one runs its command, then the
#      other (no overlap); each exits with its own command's status (7, 0);
#      the second starts well within a lease after the first stopped
#      (RELEASE: without it the bricks would hold the lease a whole lease)
#   2. kill -9 of the holder's agoractl: its keeper kills the command (no
#      later than the lease deadline), the other contender takes over, no
#      overlap
#   3. SIGSTOP of the holder's agoractl: the keeper kills the command by the
#      lease deadline, a third contender takes over; after SIGCONT the
#      stopped agoractl finds the lease lost and exits 3; SIGTERM of the new
#      holder stops its command and exits 143
#   3b. --retry: a lease lost while agoractl was stopped is campaigned for
#      again and the command runs again
#   4. two names at once: both commands run at the same time
#   5. the bricks' statedump lists the groups
#   6. the main election was not disturbed: the same agorad led throughout
#
# Needs root, FUSE, glusterd, the built translator and agorad/agoractl.
# Exit 0 pass, 1 fail, 77 skip, 99 setup error.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=${abs_top_srcdir:-$here/../..}
build=${abs_top_builddir:-$top}
# shellcheck source=../integration/lib.sh
. "$top/tests/integration/lib.sh"
AGD_LEASE_MS=${AGD_LEASE_MS:-5000}
# shellcheck source=agd_lib.sh
. "$here/agd_lib.sh"

agd_paths
CMD=$here/elect_cmd.py
LEASE_S=$(awk -v l="$AGD_LEASE_MS" 'BEGIN { printf "%.3f", l / 1000 }')
[ -x "$AGORACTL" ] || ag_skip "agoractl not built"

pass() { printf 'ok: %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else ag_fail "$what"; fi; }
mono() { python3 -c 'import time; print(time.monotonic_ns())'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# --- 0. usage, no cluster needed ------------------------------------------------------
"$AGORACTL" -c /nonexistent elect --name ../x -- true 2>/dev/null
check "a bad name is a usage error (exit 2)" [ $? -eq 2 ]
"$AGORACTL" -c /nonexistent elect --name x 2>/dev/null
check "no command is a usage error (exit 2)" [ $? -eq 2 ]

agd_require

ELECT_PIDS=()
declare -A EP
stop_contenders() {
    local p
    for p in "${ELECT_PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
    for p in "${ELECT_PIDS[@]}"; do while ! proc_gone "$p"; do sleep 0.05; done; done
}
V=ev
agd_cluster_up elect $V
M=$AG_STATE/mnt/c1
S=$AG_STATE/elect
ag_on_cleanup stop_contenders
mkdir -p "$S"
ag_mount $V "$M" || ag_die "mount"
agd_start_all $V "$M"
agd_wait_leader "$M" 30
main_leader=$(agd_leader_of "$M")
transitions() { cat "$AG_STATE"/agd/h*/agorad.log | grep -cE 'became leader|lost the lease'; }
main_transitions=$(transitions)
pass "main election: $main_leader leads ($main_transitions lease transitions so far)"

# elect LABEL HOST NAME SECONDS EXIT [OPTIONS...]: a contender in the
# background; its agoractl's PID in EP[LABEL] (nsenter execs agoractl)
elect() {
    local label=$1 n=$2 name=$3 t=$4 code=$5
    shift 5
    nsenter --net="$(agd_host_ns "$n")" "$AGORACTL" -c "$(agd_dir "$n")/agorad.json" \
        elect --name "$name" "$@" -- python3 "$CMD" "$label" "$S/$name.out" "$t" "$code" \
        </dev/null >"$S/$label.log" 2>&1 &
    EP[$label]=$!
    ELECT_PIDS+=("$!")
}
# proc_gone PID: no such process, or a zombie
proc_gone() {
    local s
    s=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
    [ -z "$s" ] || [ "$s" = Z ]
}
gone() { proc_gone "${EP[$1]}"; }
# st LABEL: the exit status of a contender that has ended, into ST[LABEL]
# (wait must run in this shell, not in a $(...) subshell)
declare -A ST
st() { wait "${EP[$1]}"; ST[$1]=$?; }
# pair LABEL NAME SECONDS EXIT LABEL2 NAME2 SECONDS2 EXIT2: contender LABEL on
# host 1 and LABEL2 on host 2 at once; waits for both, their statuses in ST
pair() {
    elect "$1" 1 "$2" "$3" "$4"
    elect "$5" 2 "$6" "$7" "$8"
    ag_wait_for 60 gone "$1" || ag_fail "contender $1 did not finish"
    ag_wait_for 60 gone "$5" || ag_fail "contender $5 did not finish"
    st "$1"
    st "$5"
}
overlap() { lt "$1" "$4" && lt "$3" "$2"; }
# field NAME LABEL WHAT N: field N (3 pid, 4 ns) of LABEL's WHAT line in NAME.out
field() { awk -v l="$2" -v w="$3" -v n="$4" '$1 == l && $2 == w { print $n; exit }' "$S/$1.out" 2>/dev/null; }
started() { [ -n "$(field "$1" "$2" start 3)" ]; }
# holder NAME: label of the command of NAME that started and has not stopped
holder() {
    awk '$2 == "start" { run[$1] = 1 } $2 == "stop" || $2 == "gone" { delete run[$1] }
         END { for (l in run) print l }' "$S/$1.out" 2>/dev/null
}
# signal_watch SIG NAME LABEL: sends SIG to LABEL's agoractl, then waits
# (2 leases at most, else fails) until LABEL's command process is gone;
# appends "LABEL gone PID NS" to NAME.out and prints "T0 SECONDS": when the
# signal was sent (ns) and how long the command outlived it. One process,
# so the times are not inflated by starting tools.
signal_watch() {
    local pid
    pid=$(field "$2" "$3" start 3)
    python3 - "$1" "${EP[$3]}" "$pid" "$((2 * AGD_LEASE_MS))" "$3" "$S/$2.out" <<'PY'
import os, signal, sys, time
sig, target, cmd, limit_ms, label, out = sys.argv[1:]
def gone(pid):
    try:
        with open("/proc/%s/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
t0 = time.monotonic_ns()
os.kill(int(target), getattr(signal, "SIG" + sig))
while not gone(cmd):
    if time.monotonic_ns() - t0 > int(limit_ms) * 1000000:
        sys.stderr.write("%s's command (pid %s) still runs\n" % (label, cmd))
        sys.exit(1)
    time.sleep(0.005)
t = time.monotonic_ns()
with open(out, "a") as f:
    f.write("%s gone %s %d\n" % (label, cmd, t))
print(t0, "%.3f" % ((t - t0) / 1e9))
PY
}
# no_overlap NAME: the recorded intervals of NAME's commands are disjoint
no_overlap() {
    python3 - "$S/$1.out" <<'PY'
import sys
iv = {}
for line in open(sys.argv[1]):
    tag, what, pid, ns = line.split()
    e = iv.setdefault(tag, [None, None])
    if what == "start":
        e[0] = int(ns)
    else:
        e[1] = max(e[1] or 0, int(ns))
runs = sorted((s, t if t is not None else float("inf"), k) for k, (s, t) in iv.items())
t0 = runs[0][0]
for s, t, k in runs:
    print("    %-3s %7.3f .. %s" % (k, (s - t0) / 1e9, "running" if t == float("inf") else "%.3f" % ((t - t0) / 1e9)))
for a, b in zip(runs, runs[1:]):
    if b[0] < a[1]:
        print("    OVERLAP: %s starts before %s stopped" % (b[2], a[2]))
        sys.exit(1)
PY
}

# --- 1. two contenders, one name ----------------------------------------------------------
pair A x 3 7 B x 3 0
check "each contender exits with its command's status (A: 7, B: 0; got ${ST[A]}, ${ST[B]})" \
    [ "${ST[A]},${ST[B]}" = "7,0" ]
check "name x: the commands never overlapped" no_overlap x
first=$(awk '$2 == "start" { print $1; exit }' "$S/x.out")
second=$([ "$first" = A ] && echo B || echo A)
handover=$(secs "$(field x "$first" stop 4)" "$(field x "$second" start 4)")
bound=$(awk -v l="$LEASE_S" 'BEGIN { print 0.7 * l }')
check "the second command started ${handover} s after the first exited (< ${bound} s = 0.7 lease: released, not expired)" \
    lt "$handover" "$bound"

# --- 2. kill -9 of the holder's agoractl --------------------------------------------------
elect C 1 y 600 0
elect D 3 y 600 0
has_y() { [ -n "$(holder y)" ]; }
ag_wait_for 30 has_y || ag_fail "nobody took lease y"
h=$(holder y)
o=$([ "$h" = C ] && echo D || echo C)
r=$(signal_watch KILL y "$h") || ag_fail "kill -9 of $h's agoractl: its command survived 2 leases"
t_kill=${r% *} stopped=${r#* }
check "kill -9 of $h's agoractl: its keeper killed the command in $stopped s (< lease $LEASE_S s)" \
    lt "$stopped" "$LEASE_S"
ag_wait_for $((AGD_LEASE_MS / 1000 + 20)) started y "$o" || ag_fail "$o did not take lease y over"
pass "the other contender $o took over $(secs "$t_kill" "$(field y "$o" start 4)") s after the kill (lease $LEASE_S s)"
check "name y: no overlap" no_overlap y
st "$h"
check "the killed agoractl died of SIGKILL (137, got ${ST[$h]})" [ "${ST[$h]}" = 137 ]

# --- 3. SIGSTOP of the holder's agoractl -------------------------------------------------
elect E 2 y 600 0
sleep 1
r=$(signal_watch STOP y "$o") || ag_fail "SIGSTOP of $o's agoractl: its command survived 2 leases"
t_stop=${r% *} stopped=${r#* }
check "SIGSTOP of $o's agoractl: the keeper killed the command by the deadline, $stopped s (< lease $LEASE_S s)" \
    lt "$stopped" "$LEASE_S"
ag_wait_for $((AGD_LEASE_MS / 1000 + 20)) started y E || ag_fail "E did not take lease y over"
pass "E took over $(secs "$t_stop" "$(field y E start 4)") s after the SIGSTOP"
kill -CONT "${EP[$o]}"
ag_wait_for 20 gone "$o" || ag_fail "the continued agoractl $o did not exit"
st "$o"
check "the continued agoractl found the lease lost: exit 3 (got ${ST[$o]})" [ "${ST[$o]}" = 3 ]
t_term=$(mono)
kill -TERM "${EP[E]}"
ag_wait_for 20 gone E || ag_fail "E did not exit after SIGTERM"
st E
check "SIGTERM: E stopped its command (a stop line) and exited 143 in $(secs "$t_term" "$(mono)") s (got ${ST[E]})" \
    [ "${ST[E]},$(field y E stop 1)" = "143,E" ]
check "name y: no overlap" no_overlap y

# --- 3b. --retry: a lost lease is campaigned for again, CMD runs again -------------------------
elect R 1 z 600 0 --retry
ag_wait_for 30 started z R || ag_fail "R did not take lease z"
signal_watch STOP z R >/dev/null || ag_fail "SIGSTOP of R's agoractl: its command survived 2 leases"
sleep "$LEASE_S"
kill -CONT "${EP[R]}"
starts() { [ "$(grep -c '^R start' "$S/z.out")" -ge 2 ]; }
check "--retry: after losing lease z while stopped, R took it again and reran its command" \
    ag_wait_for $((AGD_LEASE_MS / 1000 + 20)) starts
kill -TERM "${EP[R]}"
ag_wait_for 20 gone R || ag_fail "R did not exit after SIGTERM"
st R
check "--retry: SIGTERM still ends it (143, got ${ST[R]})" [ "${ST[R]}" = 143 ]

# --- 4. different names are independent -----------------------------------------------------
pair P p 4 0 Q q 4 0
check "P and Q exit 0" [ "${ST[P]},${ST[Q]}" = "0,0" ]
ps_=$(field p P start 4) pe=$(field p P stop 4) qs=$(field q Q start 4) qe=$(field q Q stop 4)
check "leases p and q were held at the same time (the commands overlapped)" \
    overlap "$ps_" "$pe" "$qs" "$qe"

# --- 5. statedump -----------------------------------------------------------------------------
bp=$(ag_brick_pid $V 1)
dumps=$AG_STATE/h1/run/gluster
if [ -n "$bp" ] && kill -USR1 "$bp"; then
    has_dump() { grep -qs 'group\.x' "$dumps"/*.dump.* 2>/dev/null; }
    check "brick 1's statedump lists the groups" ag_wait_for 10 has_dump
    grep -h '^group' "$dumps"/*.dump.* | sort -u | sed 's/^/    /'
fi

# --- 6. the main election was not disturbed --------------------------------------------------
check "the main log's leader is still $main_leader" [ "$(agd_leader_of "$M")" = "$main_leader" ]
check "no lease transition of agorad meanwhile ($(transitions) = $main_transitions)" \
    [ "$(transitions)" = "$main_transitions" ]
for l in A B C D E R P Q; do sed "s/^/    $l: /" "$S/$l.log"; done
echo "PASS"
