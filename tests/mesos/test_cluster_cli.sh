#!/usr/bin/env bash
# test_cluster_cli.sh: `agoractl cluster down|up|status` end to end: three
# agorad with the local launcher and a three-task cluster spec, on a real
# replica-3 volume with the translator (tests/integration/lib.sh,
# tests/coordinator/agd_lib.sh), one FUSE mount.
#
#   1. the leader runs the spec's three tasks (in /.agora/hosts, three
#      processes)
#   2. agoractl cluster down exits 0; /.agora/tasks.json says "cluster":
#      "down" and lists no task; the hosts entries and the processes go
#   3. kill -9 of the leader while down: the next leader launches nothing
#   4. agoractl cluster up (on another host): three tasks again, each IP
#      once; cluster status prints desired and observed; bad usage exits 2
#
# Task processes are found by their command line, `sleep N` with an N of
# this run's own (read only: every process is stopped by its agorad, every
# agorad by PID). Needs root, FUSE, glusterd, the built translator and
# agorad/agoractl. Exit 0 pass, 1 fail, 77 skip, 99 setup error.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=${abs_top_srcdir:-$here/../..}
build=${abs_top_builddir:-$top}
# shellcheck source=../integration/lib.sh
. "$top/tests/integration/lib.sh"
# shellcheck source=../coordinator/agd_lib.sh
. "$top/tests/coordinator/agd_lib.sh"

agd_require

pass() { printf 'ok: %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else ag_fail "$what"; fi; }

V=cv
agd_cluster_up agc $V
M=$AG_STATE/mnt/c1
ag_mount $V "$M" || ag_die "mount"

SLEEPN=$((860000 + RANDOM))
cat >"$AG_STATE/cluster.json" <<JSON
{"version": 1, "name": "cli", "primary": "etcd",
 "networks": {"lo": {"subnet": "127.0.78.0/24"}},
 "apps": [{"id": "etcd", "instances": 3, "cpus": 0.1, "mem": 16,
           "hostname": "cluster", "hostsName": "etcd-{index}", "cmd": "exec sleep $SLEEPN",
           "taskKillGracePeriodSeconds": 1,
           "container": {"type": "DOCKER", "docker": {"image": "etcd_image"}},
           "network": {"name": "lo", "ipPool": ["127.0.78.100-127.0.78.102"]}}]}
JSON
AGD_EXTRA_JSON=' "cluster_spec": "'$AG_STATE'/cluster.json", "launcher": "local",'
agd_start_all $V "$M"

procs() { pgrep -cfx "sleep $SLEEPN" || true; }
in_hosts() { grep -c 'etcd-' "$M/.agora/hosts" 2>/dev/null || true; }
tasks_json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["cluster"], len(d["tasks"]))' "$M/.agora/tasks.json" 2>/dev/null; }
leader() { agd_leader_of "$M"; }

# --- 1. the spec runs --------------------------------------------------------------------------
agd_wait_leader "$M" 30
pass "a leader"
check "three tasks in /.agora/hosts" ag_wait_eq 30 3 in_hosts
check "three task processes" ag_wait_eq 10 3 procs
check "tasks.json: cluster up, three tasks" ag_wait_eq 5 "up 3" tasks_json
first=$(leader)
first_n=${first#host}
other=$((first_n % 3 + 1))

# --- 2. cluster down -----------------------------------------------------------------------------
agd_ctl "$other" cluster down >"$AG_STATE/down.out" 2>&1 ||
    { cat "$AG_STATE/down.out"; ag_fail "agoractl cluster down: exit $?"; }
pass "agoractl cluster down: $(cat "$AG_STATE/down.out")"
check "tasks.json: cluster down, no task" ag_wait_eq 20 "down 0" tasks_json
check "no task in /.agora/hosts" ag_wait_eq 5 0 in_hosts
check "no task process" ag_wait_eq 10 0 procs
agd_ctl "$other" cluster status | sed 's/^/    /'
agd_ctl "$other" cluster status | grep -q '^cluster: *down (desired), down (observed)' ||
    ag_fail "cluster status does not say down/down"

# --- 3. failover while down ----------------------------------------------------------------------
kill -9 "${AGD_PID[$first_n]}"
new_leader() { local l; l=$(leader); [ -n "$l" ] && [ "$l" != "$first" ]; }
check "a new leader after kill -9 of $first" ag_wait_for 30 new_leader
second=$(leader)
ag_wait_for 15 grep -q 'launcher: started' "$(agd_dir "${second#host}")/agorad.log" ||
    ag_fail "$second's launcher did not start"
sleep 3
[ "$(procs)" = 0 ] || ag_fail "$second launched tasks while the cluster is down"
[ "$(tasks_json)" = "down 0" ] || ag_fail "tasks.json after failover: $(tasks_json)"
pass "$second leads a down cluster and launches nothing"

# --- 4. cluster up -------------------------------------------------------------------------------
agd_ctl "${second#host}" cluster up >"$AG_STATE/up.out" 2>&1 ||
    { cat "$AG_STATE/up.out"; ag_fail "agoractl cluster up"; }
pass "agoractl cluster up: $(cat "$AG_STATE/up.out")"
check "three tasks in /.agora/hosts again" ag_wait_eq 30 3 in_hosts
check "three task processes again" ag_wait_eq 10 3 procs
ips=$(awk '/etcd-/ {print $1}' "$M/.agora/hosts" | sort | uniq -d)
[ -z "$ips" ] || ag_fail "an IP twice in /.agora/hosts: $ips"
agd_ctl "${second#host}" cluster status | grep -q '^cluster: *up (desired), up (observed)' ||
    ag_fail "cluster status does not say up/up"
rc=0
agd_ctl "${second#host}" cluster sideways >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || ag_fail "agoractl cluster sideways: exit $rc, expected 2"
pass "cluster status up/up; bad usage exits 2"
exit 0
