#!/usr/bin/env bash
# test_agorad_cluster.sh: three agorad against a real replica-3 volume with
# the translator (tests/integration/lib.sh: three glusterds in network
# namespaces), one FUSE mount.
#
#   1. the volume's bricks are found from the volfile server; the three
#      agorad elect exactly one leader; /.agora/leader names it and
#      /.agora/hosts lists the three members (joined through SUBMIT)
#   2. agoractl status --json agrees on every host
#   3. inbox: a valid request becomes a member (hosts and authorized_keys),
#      bad ones get a verdict naming the problem and change nothing,
#      removing the request removes the member
#   4. one brick hung (SIGSTOP), then one brick dead (kill -9): agoractl
#      join/leave still commit, no lease is lost; the restarted brick
#      catches up (lag 0); the retried inbox request was applied once
#   5. kill -9 of the leader: another one leads within lease + a few
#      seconds; the killed member leaves /.agora/hosts and
#      /.agora/authorized_keys within its TTL (plus the poll and the
#      mount's refresh)
#   6. SIGTERM of the new leader: the next one leads sooner than a whole
#      lease, and the stopped member left the membership
#   7. the leader-only commands never overlapped (history logs, one
#      monotonic clock)
#   8. two bricks down: the leader command is gone within the lease
#      (CLOCK_MONOTONIC, from the second brick's SIGKILL), an agoractl join
#      cannot commit (exit 3) and no agorad holds the lease; bricks back:
#      the same host leads again and restarts its command
#   9. the kill -9'd host's agorad restarts and rejoins; killed again as a
#      follower, it leaves /.agora/hosts after TTL + at most a poll
#
# Needs root, FUSE, glusterd, the built translator and agorad/agoractl.
# Exit 0 pass, 1 fail, 77 skip, 99 setup error.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=${abs_top_srcdir:-$here/../..}
build=${abs_top_builddir:-$top}
# shellcheck source=../integration/lib.sh
. "$top/tests/integration/lib.sh"
# shellcheck source=agd_lib.sh
. "$here/agd_lib.sh"

agd_require

pass() { printf 'ok: %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else ag_fail "$what"; fi; }
mono() { python3 -c 'import time; print(time.monotonic_ns())'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

V=av
agd_cluster_up agd $V
M=$AG_STATE/mnt/c1
ag_mount $V "$M" || ag_die "mount"
for n in 1 2 3; do
    agd_config $n $V "$M" "$here/leader_cmd_demo.sh" "host$n" "$AG_STATE/agd/leader-cmd.out" ||
        ag_die "config $n"
done

# --- 1. election and membership -------------------------------------------------------------
t0=$(ag_now)
for n in 1 2 3; do agd_start $n; done
agd_wait_leader "$M"
leader=$(agd_leader_of "$M")
pass "leader $leader elected after $(ag_since "$t0") s"
grep -h "brick [0-9]:" "$AG_STATE/agd/h1/agorad.log" | head -n 3 | sed 's/^/    /'
ls_leaders() { agd_leaders | wc -w; }
check "exactly one agorad holds the lease" ag_wait_eq 5 1 ls_leaders
ln=$(agd_leaders | tr -d ' ')
[ "host$ln" = "$leader" ] || ag_fail "the lease holder host$ln is not /.agora/leader's $leader"
for n in 1 2 3; do
    check "host$n in /.agora/hosts" ag_wait_for 15 grep -q "host$n.test" "$M/.agora/hosts"
    key=$(awk '{print $2}' "$AG_STATE/agd/h$n/id_ed25519.pub")
    check "host$n's key in /.agora/authorized_keys" grep -q "$key" "$M/.agora/authorized_keys"
done

# --- 2. agoractl status on every host ---------------------------------------------------------
status_leader() { agd_ctl "$1" status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["leader"])'; }
for n in ${AGD_NO_CTL-1 2 3}; do
    check "agoractl status --json on host$n names $leader" ag_wait_eq 5 "$leader" status_leader $n
done
[ -n "${AGD_NO_CTL-}" ] || agd_ctl 1 status | sed 's/^/    /'

# --- 3. the inbox -------------------------------------------------------------------------------
IN=$M/.agora-inbox
ag_wait_for 10 test -d "$IN" || ag_fail "the leader did not create the inbox $IN"
ssh-keygen -q -t ed25519 -N '' -C c1 -f "$AG_STATE/c1key" >/dev/null
ssh-keygen -q -t ed25519 -N '' -C c2 -f "$AG_STATE/c2key" >/dev/null
c1key=$(cat "$AG_STATE/c1key.pub")
printf 'host: cont-1\nip: 10.9.0.11\nkey: %s\n' "$c1key" >"$IN/cont1"
check "inbox request: cont-1 in /.agora/hosts" ag_wait_for 10 grep -q "10.9.0.11.*cont-1" "$M/.agora/hosts"
check "inbox request: accepted verdict" ag_wait_for 5 grep -qs "^accepted" "$IN/cont1.verdict"
check "inbox request: key in authorized_keys" grep -q "$(awk '{print $2}' "$AG_STATE/c1key.pub")" "$M/.agora/authorized_keys"
touch "$IN/cont1" # a retried request: applied once
c2key=$(cat "$AG_STATE/c2key.pub")
bad() { # NAME EXPECTED-IN-VERDICT CONTENT
    printf '%b' "$3" >"$IN/$1"
    if ag_wait_for 10 grep -qs "^rejected: .*$2" "$IN/$1.verdict"; then
        pass "bad request $1: $(cat "$IN/$1.verdict")"
    else
        ag_fail "bad request $1: verdict $(cat "$IN/$1.verdict" 2>/dev/null)"
    fi
}
bad badkey "key:" "host: b1\nip: 10.9.0.21\nkey: ssh-ed25519 AAAAnotbase64!!\n"
bad keyopt "key:" "host: b2\nip: 10.9.0.22\nkey: command=\"/bin/sh\" $c2key\n"
bad inject "line 4" "host: b3\nip: 10.9.0.23\nkey: $c2key\nssh-rsa AAAAB3 evil\n"
bad host2 "taken by a host member" "host: b4\nip: 10.9.0.24\nkey: $c2key\n"
rm -f "$IN/host2"
bad dupkey "key" "host: b5\nip: 10.9.0.25\nkey: $c1key\n"
head -c 5000 /dev/zero | tr '\0' '#' >"$AG_STATE/big"
bad oversize "larger than 4096" "$(cat "$AG_STATE/big")"
bad badip "ip:" "host: b6\nip: 10.9.0.300\nkey: $c2key\n"
for b in b1 b2 b3 b4 b5 b6; do
    grep -q " $b\$\| $b " "$M/.agora/hosts" && ag_fail "bad request $b reached /.agora/hosts"
done
pass "no bad request reached /.agora/hosts"
rm -f "$IN/cont1"
check "removed request: cont-1 gone from /.agora/hosts" ag_wait_for 10 bash -c "! grep -q cont-1 '$M/.agora/hosts'"
check "removed request: its verdict removed" ag_wait_for 5 bash -c "[ ! -e '$IN/cont1.verdict' ]"

# --- 4. a hung brick and a dead brick never stall a commit ---------------------------------------
lost() { cat "$AG_STATE"/agd/h*/agorad.log | grep -c 'lost the lease' || true; }
lost0=$(lost)
ssh-keygen -q -t ed25519 -N '' -C e1 -f "$AG_STATE/e1" >/dev/null
bp=$(ag_brick_pid $V 3)
kill -STOP "$bp"
t0=$(ag_now)
agd_ctl 1 join ext1 ext1.test 10.9.1.1 "$AG_STATE/e1.pub" | sed 's/^/    /'
[ "${PIPESTATUS[0]}" = 0 ] || ag_fail "agoractl join with brick 3 stopped"
pass "agoractl join committed with brick 3 hung (SIGSTOP) in $(ag_since "$t0") s"
kill -CONT "$bp" # before reading the mount, whose read child may be brick 3
check "ext1 in /.agora/hosts" ag_wait_for 5 grep -q ext1.test "$M/.agora/hosts"
t0=$(ag_now)
# the hung brick may have been disconnected (ping-timeout): one brick at a time
ag_wait_for 30 agd_bricks_ok || ag_fail "brick 3 not back in every agorad"
pass "brick 3 continued: every agorad reaches it again after $(ag_since "$t0") s"
ag_kill_brick $V 2 || ag_die "kill brick 2"
t0=$(ag_now)
agd_ctl 1 leave ext1 | sed 's/^/    /'
[ "${PIPESTATUS[0]}" = 0 ] || ag_fail "agoractl leave with brick 2 dead"
pass "agoractl leave committed with brick 2 dead (kill -9) in $(ag_since "$t0") s"
[ "$(lost)" = "$lost0" ] || ag_fail "a leader lost its lease while one brick was hung or dead"
pass "no lease was lost meanwhile"
ag_start_brick $V || ag_die "restart brick 2"
caught_up() {
    agd_ctl 1 status --json 2>/dev/null | python3 -c 'import json,sys
b = json.load(sys.stdin)["bricks"]
print(all(x["reachable"] and x["lag"] == 0 for x in b))'
}
t0=$(ag_now)
check "brick 2 back: every brick reachable with lag 0" ag_wait_eq 30 True caught_up
pass "brick 2 caught up after $(ag_since "$t0") s"
n_joins=$(agd_ctl 1 log --json | grep -c '"origin": "inbox:cont1"' || true)
[ "$n_joins" = 2 ] || ag_fail "cont1: expected one join and one leave in the log, found $n_joins entries"
pass "the retried inbox request was applied once (one join, one leave in the log)"

# --- 5. kill -9 of the leader -------------------------------------------------------------------
L=${leader#host}
cmdpid=$(grep '"cmd_pid"' "$AG_STATE/agd/h$L/history.jsonl" | tail -n1 | sed 's/.*"pid":\([0-9]*\).*/\1/')
t0=$(ag_now)
kill -9 "${AGD_PID[$L]}"
# the keeper kills the command at once: record when its process was gone
ag_wait_for 5 bash -c "! kill -0 $cmdpid 2>/dev/null" || ag_fail "the leader command outlived agorad"
echo "{\"t\":$(mono),\"node\":$L,\"event\":\"cmd_stopped\",\"by\":\"test\"}" >>"$AG_STATE/agd/h$L/history.jsonl"
other() { agd_leaders | tr -d ' '; }
ag_wait_for $((AGD_LEASE_MS / 1000 + 8)) bash -c "[ -n \"\$(grep -l 'became leader' $AG_STATE/agd/h[!$L]/agorad.log)\" ]" ||
    ag_fail "no new leader after kill -9"
failover=$(ag_since "$t0")
new=$(grep -l 'became leader' "$AG_STATE"/agd/h[!$L]/agorad.log | head -n1 | sed 's|.*/h\([0-9]\)/agorad.log|\1|')
pass "kill -9 of host$L: host$new leads after $failover s (lease $AGD_LEASE_MS ms)"
ag_wait_for 15 bash -c "! grep -q 'host$L.test' '$M/.agora/hosts'" || ag_fail "host$L still in /.agora/hosts"
expiry=$(ag_since "$t0")
pass "kill -9'd host$L gone from /.agora/hosts after $expiry s (ttl $AGD_TTL_MS ms)"
key=$(awk '{print $2}' "$AG_STATE/agd/h$L/id_ed25519.pub")
check "host$L's key gone from authorized_keys" bash -c "! grep -q '$key' '$M/.agora/authorized_keys'"

# --- 6. SIGTERM of the new leader -----------------------------------------------------------------
last=$(( 6 - L - new ))
before=$(grep -c 'became leader' "$AG_STATE/agd/h$last/agorad.log")
t0=$(ag_now)
kill -TERM "${AGD_PID[$new]}"
ag_wait_for $((AGD_LEASE_MS / 1000 + 5)) bash -c "[ \$(grep -c 'became leader' $AG_STATE/agd/h$last/agorad.log) -gt $before ]" ||
    ag_fail "host$last did not take over after SIGTERM"
handover=$(ag_since "$t0")
pass "SIGTERM of host$new: host$last leads after $handover s (lease $AGD_LEASE_MS ms)"
awk -v h="$handover" -v l="$AGD_LEASE_MS" 'BEGIN { exit !(h * 1000 < l) }' ||
    ag_fail "hand-over after SIGTERM ($handover s) took a whole lease"
ag_wait_for 5 bash -c "! kill -0 ${AGD_PID[$new]} 2>/dev/null" || ag_fail "agorad did not exit on SIGTERM"
grep -q "stopped cleanly" "$AG_STATE/agd/h$new/agorad.log" || ag_fail "no clean stop logged"
check "the stopped host$new left /.agora/hosts" ag_wait_for 10 bash -c "! grep -q 'host$new.test' '$M/.agora/hosts'"

# --- 7. leader-only commands never overlapped --------------------------------------------------------
sleep 1
check "leader-only commands never overlapped" python3 "$here/check_history.py" "$AG_STATE"/agd/h*/history.jsonl
check "the last leader runs its command" ag_wait_for 5 bash -c "tail -n1 '$AG_STATE/agd/leader-cmd.out' | grep -q host$last"

# --- 8. two bricks down: no commit, the command stops within the lease -----------------------------
# The stop is measured on CLOCK_MONOTONIC (the clock of the history's "t")
# from the instant brick 2 is sent SIGKILL, read just before the kill.
H=$AG_STATE/agd/h$last/history.jsonl
nstopped=$(grep -c '"cmd_stopped"' "$H" || true)
bp2=$(ag_brick_pid $V 2) || ag_die "brick 2 is not online"
ag_kill_brick $V 1 || ag_die "kill brick 1"
t0m=$(python3 -c 'import os, sys, time
t = time.monotonic_ns()
os.kill(int(sys.argv[1]), 9)
print(t)' "$bp2") || ag_die "kill brick 2"
ag_wait_for 10 _ag_all_gone "$bp2" && ag_wait_eq 10 1 ag_bricks_online $V || ag_die "brick 2 not down"
cmd_gone() { [ "$(grep -c '"cmd_stopped"' "$H")" -gt "$nstopped" ]; }
ag_wait_for $((AGD_LEASE_MS / 1000 + 3)) cmd_gone ||
    ag_fail "the leader command still runs with two bricks down"
# the first stop after the kill; its "t" is stamped once the whole group is gone
stopped=$(grep '"cmd_stopped"' "$H" | sed -n "$((nstopped + 1))p" | sed 's/.*"t":\([0-9]*\).*/\1/')
dt=$(awk -v a="$t0m" -v b="$stopped" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
awk -v d="$dt" -v l="$AGD_LEASE_MS" 'BEGIN { exit !(d >= 0 && d * 1000 < l) }' ||
    ag_fail "the command stopped $dt s after the second brick died (lease $AGD_LEASE_MS ms)"
pass "two bricks down: the leader command was gone $dt s after the second brick died (lease $AGD_LEASE_MS ms)"
ssh-keygen -q -t ed25519 -N '' -C e2 -f "$AG_STATE/e2" >/dev/null
rc=0
agd_ctl "$last" join ext2 ext2.test 10.9.1.2 "$AG_STATE/e2.pub" >"$AG_STATE/join-ext2.out" 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat "$AG_STATE/join-ext2.out"; ag_fail "agoractl join with two bricks down: exit $rc, expected 3 (no leader or quorum)"; }
pass "two bricks down: agoractl join exits 3 (no leader or quorum): $(tail -n1 "$AG_STATE/join-ext2.out")"
check "two bricks down: no agorad holds the lease" test -z "$(agd_leaders)"
starts=$(grep -c 'cmd_started' "$AG_STATE/agd/h$last/history.jsonl")
ag_start_brick $V || ag_die "restart bricks"
t0=$(ag_now)
check "bricks back: host$last leads again" ag_wait_for 20 bash -c "[ \$(grep -c 'cmd_started' '$AG_STATE/agd/h$last/history.jsonl') -gt $starts ]"
pass "leading again $(ag_since "$t0") s after the bricks restarted (restart rule: one lease)"
check "leader-only commands never overlapped (all of it)" python3 "$here/check_history.py" "$AG_STATE"/agd/h*/history.jsonl

# --- 9. a member comes back, then dies as a follower -----------------------------------------------
agd_start "$L"
check "restarted host$L rejoins /.agora/hosts" ag_wait_for 15 grep -q "host$L.test" "$M/.agora/hosts"
ag_wait_for 10 agd_bricks_ok || ag_fail "host$L does not reach every brick"
sleep 1 # a few heartbeats on record
t0=$(ag_now)
kill -9 "${AGD_PID[$L]}"
ag_wait_for 15 bash -c "! grep -q 'host$L.test' '$M/.agora/hosts'" || ag_fail "follower host$L not expired"
pass "kill -9 of follower host$L: gone from /.agora/hosts after $(ag_since "$t0") s (ttl $AGD_TTL_MS ms, heartbeat $AGD_HB_MS ms)"
exit 0
