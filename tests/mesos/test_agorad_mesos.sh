#!/usr/bin/env bash
# test_agorad_mesos.sh: the Mesos launcher through the real daemons: three
# agorad with "launcher": "mesos" on a real replica-3 volume with the
# translator (tests/integration/lib.sh, tests/coordinator/agd_lib.sh), one
# FUSE mount, the seed cluster spec (docs/examples/seed-cluster.json: five
# tasks, static IPs 192.168.0.100-104), and the Mesos master emulator
# (mesos-master-emulator.py: three masters, five agents) run in host 1's
# network namespace on host 1's bridge address, so every agorad reaches it.
# The master list names a follower first (one 307 followed).
#
#   0. masters that cannot be found at run time (zk:// masters whose host
#      does not resolve: valid for --check; the name is resolved in the
#      background when leading, never on the loop) log one line per
#      attempt with the scheduler's growing back-off, not one per turn
#   1. the leader subscribes one framework; the five tasks run on the
#      emulator with five distinct IPs, and /.agora/hosts lists them
#   2. kill -9 of the leader: another agorad leads, subscribes the SAME
#      framework id, reconciles; still exactly the same five tasks
#   3. agoractl cluster down: TEARDOWN reaches the emulator, no task left
#      there, none in tasks.json or /.agora/hosts
#   4. throughout: every SUBSCRIBE and TEARDOWN came from the leader of the
#      moment (the emulator records the caller's address); a follower's
#      launcher never started
#
# Every process is stopped by PID (agorads and the emulator, whose task
# processes die with it, by agd_lib.sh's cleanup hooks). Needs root, FUSE,
# glusterd, python3, the built translator and agorad/agoractl.
# Exit 0 pass, 1 fail, 77 skip, 99 setup error.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=${abs_top_srcdir:-$here/../..}
# shellcheck disable=SC2034  # read by agd_lib.sh's agd_paths
build=${abs_top_builddir:-$top}
# shellcheck source=../integration/lib.sh
. "$top/tests/integration/lib.sh"
# shellcheck source=../coordinator/agd_lib.sh
. "$top/tests/coordinator/agd_lib.sh"

agd_require
SPEC=$top/docs/examples/seed-cluster.json
[ -f "$SPEC" ] || ag_die "seed spec missing"

pass() { printf 'ok: %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else ag_fail "$what"; fi; }

V=agmv
agd_cluster_up agm $V
M=$AG_STATE/mnt/c1
ag_mount $V "$M" || ag_die "mount"

# --- the emulator, in host 1's network namespace -------------------------------------------
agd_emulator_start 1 --masters 3 --agents 5 --heartbeat 0.5 --allocation-interval 0.1 \
    --status-retry 0.5 --reregister-delay 0.3 || ag_die "emulator"
EMU_IP=$AGD_EMU_IP EMU_BASE=$AGD_EMU_PORT
MASTERS="http://$EMU_IP:$((EMU_BASE + 1)),$EMU_IP:$EMU_BASE,$EMU_IP:$((EMU_BASE + 2))"
running() { agd_emu 'sum(t["state"] == "TASK_RUNNING" for t in s["tasks"])'; }
n_tasks() { agd_emu 'len(s["tasks"])'; }
task_ips() { agd_emu 'sorted({t["ip"] for t in s["tasks"]})'; }
task_pids() { agd_emu 'sorted((t["id"], t["pid"]) for t in s["tasks"])'; }
frameworks() { agd_emu '[f["id"] for f in s["frameworks"]]'; }
connected() { agd_emu '[f["id"] for f in s["frameworks"] if f["connected"]]'; }
sub_from() { agd_emu 'sorted({x["from"] for x in s["subscribes"]})'; }
in_hosts() { grep -cE '[[:space:]]etcd-' "$M/.agora/hosts" 2>/dev/null || true; }
hosts_ips() { awk '/[[:space:]]etcd-/ { print $1 }' "$M/.agora/hosts" 2>/dev/null | sort | xargs; }
tasks_json() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["cluster"], len(d["tasks"]), d["framework_id"])' \
        "$M/.agora/tasks.json" 2>/dev/null
}
leader() { agd_leader_of "$M"; }
# the hosts whose launcher started (phase 0's log is set aside): the leaders so far
launched() {
    local n
    for n in 1 2 3; do grep -q 'launcher: started' "$(agd_dir "$n")/agorad.log" && printf '%s ' "$n"; done
}
POOL="192.168.0.100 192.168.0.101 192.168.0.102 192.168.0.103 192.168.0.104"

# --- 0. masters that cannot be found: one line per attempt, backing off ----------------------
if [ -e "$(ldconfig -p 2>/dev/null | awk '/libzookeeper_mt\.so\.2 / { print $NF; exit }')" ]; then
    AGD_EXTRA_JSON=' "cluster_spec": "'$SPEC'", "launcher": "mesos",
  "mesos": {"masters": "zk://zk.nonexistent.invalid:2181/mesos"},'
    agd_config 1 $V "$M" || ag_die "config 1"
    "$AGORAD" -c "$(agd_dir 1)/agorad.json" --check >/dev/null || ag_fail "zk:// config refused"
    log0=$(agd_dir 1)/agorad.log
    bad='mesos: zk: resolve zk.nonexistent.invalid'
    agd_start 1
    ag_wait_for 20 grep -q "$bad" "$log0" ||
        { tail -n 20 "$log0"; ag_fail "no failing master lookup logged"; }
    sleep 6
    fails=$(grep -c "$bad" "$log0")
    grep "$bad" "$log0" | sed 's/^/    /'
    # the scheduler's back-off (1 s doubling to 15 s, each shortened at
    # random to 50-100 %): 2 to 6 lines in ~6 s; one a turn would be ~30 a second
    [ "$fails" -ge 2 ] && [ "$fails" -le 6 ] ||
        ag_fail "masters that cannot be found logged $fails lines in ~6 s (expected 2-6)"
    grep -q 'subscribing again in' "$log0" || ag_fail "no back-off announced"
    pass "masters that cannot be found: $fails lines in ~6 s, backing off"
    kill "${AGD_PID[1]}"
    ag_wait_for 10 _ag_all_gone "${AGD_PID[1]}" || ag_fail "agorad 1 did not stop on SIGTERM"
    [ "$(n_tasks)" = 0 ] && [ -z "$(sub_from)" ] || ag_fail "the emulator saw a framework"
    mv "$log0" "$log0.phase0" # launched() below reads only what the next agorad logs
else
    echo "note: libzookeeper-mt2 not installed: the zk:// case not run"
fi

# --- 1. the seed spec runs on the emulator ---------------------------------------------------
# shellcheck disable=SC2034  # read by agd_lib.sh's agd_config
AGD_EXTRA_JSON=' "cluster_spec": "'$SPEC'", "launcher": "mesos",
  "mesos": {"masters": "'$MASTERS'", "framework_name": "agora-test", "failover_timeout_s": 600},'
agd_start_all $V "$M"
# (/.agora/leader may still name phase 0's leader: the launchers tell)
launched_any() { [ -n "$(launched)" ]; }
ag_wait_for 30 launched_any || { tail -n 20 "$(agd_dir 1)/agorad.log"; ag_fail "no launcher started"; }
first_n=$(launched)
first_n=${first_n% }
[[ $first_n =~ ^[123]$ ]] || ag_fail "launchers started on '$first_n', expected one host"
first=host$first_n
first_ip=$(ag_host_ip "$first_n")
check "$first leads (its launcher started; /.agora/leader names it)" ag_wait_eq 10 "$first" leader
check "five tasks TASK_RUNNING on the emulator" ag_wait_eq 40 5 running
check "five distinct static IPs, the spec's pool" ag_wait_eq 5 "$POOL" task_ips
FID=$(frameworks)
[ -n "$FID" ] && [ "$(wc -w <<<"$FID")" = 1 ] || ag_fail "frameworks on the emulator: '$FID'"
check "one framework, connected ($FID)" ag_wait_eq 5 "$FID" connected
check "the five tasks in /.agora/hosts" ag_wait_eq 20 5 in_hosts
check "their IPs in /.agora/hosts" ag_wait_eq 5 "$POOL" hosts_ips
check "tasks.json: up, five tasks, framework $FID" ag_wait_eq 10 "up 5 $FID" tasks_json
[ "$(sub_from)" = "$first_ip" ] || ag_fail "SUBSCRIBE from $(sub_from), expected only $first_ip"
grep -q "redirected to $EMU_IP:$EMU_BASE" "$(agd_dir "$first_n")/agorad.log" ||
    ag_fail "$first did not follow the follower master's 307"
pass "every SUBSCRIBE came from the leader $first ($first_ip), after a 307"
before=$(task_pids)

# --- 2. kill -9 of the leader: the same framework, the same five tasks ---------------------
n_sub=$(agd_emu 'len(s["subscribes"])')
kill -9 "${AGD_PID[$first_n]}"
new_leader() { [ "$(launched | wc -w)" = 2 ]; }
check "a new leader's launcher started after kill -9 of $first" ag_wait_for 30 new_leader
second_n=$(launched | tr ' ' '\n' | grep -vx "$first_n" | head -n1)
second=host$second_n
second_ip=$(ag_host_ip "$second_n")
check "/.agora/leader names $second" ag_wait_eq 10 "$second" leader
resubscribed() { [ "$(connected)" = "$FID" ] && [ "$(agd_emu 'len(s["subscribes"])')" -gt "$n_sub" ]; }
check "$second subscribed the framework again" ag_wait_for 30 resubscribed
# (one SUBSCRIBE, or more if a stream was dropped on this loaded machine:
# each from the new leader, each asking for and given the same id)
news=$(agd_emu 'sorted({(x["from"], x["framework_id"], x["answer"]) for x in s["subscribes"][int(a[0]):]})' "$n_sub")
[ "$news" = "$(printf "('%s', '%s', '%s')" "$second_ip" "$FID" "$FID")" ] ||
    ag_fail "SUBSCRIBE after the failover: $news (expected from $second_ip with $FID)"
pass "SUBSCRIBE from $second ($second_ip) with the same framework id $FID"
ag_wait_for 20 grep -q 'mesos: reconciliation done' "$(agd_dir "$second_n")/agorad.log" ||
    ag_fail "$second did not reconcile"
grep -q 'mesos: explicit reconciliation of 5 task(s)' "$(agd_dir "$second_n")/agorad.log" ||
    ag_fail "$second's explicit reconciliation did not name the five tasks"
pass "$second reconciled the five tasks"
sleep 3 # a duplicate launch would show by now (offers every 0.1 s)
[ "$(frameworks)" = "$FID" ] || ag_fail "frameworks after the failover: $(frameworks)"
[ "$(task_pids)" = "$before" ] ||
    ag_fail "the tasks changed over the failover: before $before, after $(task_pids)"
[ "$(running)" = 5 ] || ag_fail "$(running) tasks running after the failover"
check "still five tasks in /.agora/hosts" ag_wait_eq 5 5 in_hosts
check "tasks.json unchanged" ag_wait_eq 5 "up 5 $FID" tasks_json
pass "the same five tasks (ids and processes), none duplicated, none lost"

# --- 3. agoractl cluster down: TEARDOWN, no task ---------------------------------------------
agd_ctl "$second_n" cluster down >"$AG_STATE/down.out" 2>&1 ||
    { cat "$AG_STATE/down.out"; ag_fail "agoractl cluster down: exit $?"; }
pass "agoractl cluster down: $(cat "$AG_STATE/down.out")"
teardowns() { agd_emu 'sorted({(x["from"], x["framework_id"]) for x in s["teardowns"]})'; }
check "TEARDOWN of $FID from $second" ag_wait_eq 20 "$(printf "('%s', '%s')" "$second_ip" "$FID")" teardowns
check "no task on the emulator" ag_wait_eq 10 0 n_tasks
check "no framework on the emulator" ag_wait_eq 5 "" frameworks
check "tasks.json: down, no task, no framework" ag_wait_eq 20 "down 0 None" tasks_json
check "no task in /.agora/hosts" ag_wait_eq 5 0 in_hosts

# --- 4. followers never subscribed -----------------------------------------------------------
[ "$(sub_from)" = "$(printf '%s\n' "$first_ip" "$second_ip" | sort | xargs)" ] ||
    ag_fail "SUBSCRIBE from $(sub_from): only $first_ip and $second_ip led"
for n in 1 2 3; do
    [ "$n" = "$first_n" ] || [ "$n" = "$second_n" ] && continue
    if grep -q 'launcher: started\|mesos: SUBSCRIBE' "$(agd_dir "$n")/agorad.log"; then
        ag_fail "host$n never led but its launcher started"
    fi
    follower=host$n
done
pass "only the leaders subscribed; $follower (a follower since phase 1) never started a launcher"
exit 0
