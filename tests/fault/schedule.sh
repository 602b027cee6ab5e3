#!/usr/bin/env bash
# tests/fault/schedule.sh SEED RUNDIR [STEPS]: one fault-injection schedule.
# Three hosts (tests/integration/lib.sh: network namespaces, a glusterd
# each), a replica-3 volume with the agora translator, one FUSE mount per
# host (c1..c3, volfile from host N), one agorad per host in the host's
# network namespace (its leader-only command: tests/fault/ticker.py), three
# workload clients (agoractl join/leave from c1 and c2, inbox requests on
# c3), and the seeded nemesis (nemesis.sh). After the last heal: the
# workload runs on until a request submitted after the heal is acknowledged
# (liveness), stops, the mounts must converge, and the committed log of
# every brick is read; then check_history.py judges RUNDIR.
#
# Exit 0 clean, 1 violation, 77 skip, 99 harness error. RUNDIR keeps the
# histories, the final state and the daemons' logs (run.sh deletes it when
# the run was clean, unless --keep).
#
# Environment: FAULT_LEASE_MS (2000) FAULT_HB_MS (200) FAULT_TTL_MS (4000)
# FAULT_SLACK_MS (8000: liveness allows lease + this), AGORA_XLATOR_DIR,
# AGORA_BUILD (the build tree with coordinator/agorad; abs_top_builddir).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=${abs_top_srcdir:-$(cd "$here/../.." && pwd)}
build=${AGORA_BUILD:-${abs_top_builddir:-$top}}
# shellcheck source=../integration/lib.sh
. "$top/tests/integration/lib.sh"
# shellcheck source=nemesis.sh
. "$here/nemesis.sh"

SEED=${1:?usage: schedule.sh SEED RUNDIR [STEPS]}
RUN=${2:?usage: schedule.sh SEED RUNDIR [STEPS]}
STEPS=${3:-6}
LEASE_MS=${FAULT_LEASE_MS:-2000}
HB_MS=${FAULT_HB_MS:-200}
TTL_MS=${FAULT_TTL_MS:-4000}
SLACK_MS=${FAULT_SLACK_MS:-8000}
XLDIR=${AGORA_XLATOR_DIR:-$build/xlator/.libs}
AGORAD=$build/coordinator/agorad
AGORACTL=$build/coordinator/agoractl
[ -f "$XLDIR/agora.so" ] || ag_skip "agora.so not built in $XLDIR"
[ -x "$AGORAD" ] && [ -x "$AGORACTL" ] || ag_skip "agorad/agoractl not built in $build/coordinator"
command -v ssh-keygen >/dev/null || ag_skip "ssh-keygen missing"
command -v python3 >/dev/null || ag_skip "python3 missing"

say() { printf '[fault seed %s %s] %s\n' "$SEED" "$(date +%T)" "$*"; }

mkdir -p "$RUN/history" "$RUN/final" "$RUN/logs" || exit 99
RUN=$(cd "$RUN" && pwd)
cat >"$RUN/meta.json" <<JSON
{"seed": "$SEED", "steps": $STEPS, "schedule_version": 2, "lease_ms": $LEASE_MS, "heartbeat_ms": $HB_MS,
 "member_ttl_ms": $TTL_MS, "liveness_slack_ms": $SLACK_MS, "stamp_tolerance_ms": 250,
 "load": "$(cut -d' ' -f1-3 /proc/loadavg)"}
JSON
nem_schedule "$SEED" "$STEPS" "$LEASE_MS" >"$RUN/schedule.txt" || exit 99

stop_all() {
    local p
    [ -z "${RUN-}" ] || touch "$RUN/stop"
    for p in "${FAULT_PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
    for p in "${FAULT_PIDS[@]}"; do ag_wait_for 5 _ag_all_gone "$p" >/dev/null 2>&1; done
    return 0
}
keep_logs() {
    local h
    cp "$AG_STATE"/h*/log/bricks/*.log "$RUN/logs/" 2>/dev/null
    for h in 1 2 3; do cp "$AG_STATE/h$h/log/glusterd.log" "$RUN/logs/glusterd-h$h.log" 2>/dev/null; done
    cp "$AG_STATE"/clients/*.log "$RUN/logs/" 2>/dev/null
    return 0
}

ag_cluster_up fault 3 --xlator-dir "$XLDIR" || ag_die "cluster"
ag_on_cleanup stop_all
ag_on_cleanup keep_logs
V=$FAULT_VOL
KEY=$AG_STATE/cluster.key
head -c 48 /dev/urandom | base64 >"$KEY" && chmod 600 "$KEY"
ag_volume_create $V && ag_volume_set $V user.xlator.agora posix &&
    ag_volume_set $V user.xlator.agora.key-file "$KEY" &&
    ag_volume_set $V user.xlator.agora.lease-ms "$LEASE_MS" &&
    ag_volume_set $V performance.cache-invalidation on &&
    ag_volume_start $V || ag_die "volume"
FAULT_MOUNTS=()
for n in 1 2 3; do
    ag_mount $V "$AG_STATE/mnt/c$n" "$n" || ag_die "mount c$n"
    FAULT_MOUNTS+=("$AG_STATE/mnt/c$n")
done
M1=${FAULT_MOUNTS[0]}
bricks_json() {
    local i sep=
    printf '['
    for i in "$@"; do
        printf '%s{"host": "%s", "path": "%s"}' "$sep" "$(ag_host_ip "$i")" "$(ag_brick_path $V "$i")"
        sep=', '
    done
    printf ']'
}

# conf DIR ID NAME IP WHERE [EXTRA]: an agorad.json (agorad or agoractl's)
conf() {
    local d=$1
    mkdir -p "$d/run"
    ssh-keygen -q -t ed25519 -N '' -C "$3" -f "$d/id_ed25519" <<<y >/dev/null 2>&1 || return 1
    cat >"$d/agorad.json" <<JSON
{
  "id": $2, "name": "$3", "hostname": "$3.test", "ip": "$4",
  "ssh_public_key_file": "id_ed25519.pub", $5,
  "key_file": "$KEY",
  "lease_ms": $LEASE_MS, "heartbeat_ms": $HB_MS, "member_ttl_ms": $TTL_MS,
  "log_level": "info"${6:+, $6}
}
JSON
}
for n in 1 2 3; do
    conf "$AG_STATE/agd/h$n" "$n" "host$n" "$(ag_host_ip "$n")" \
        "\"volume\": {\"name\": \"$V\", \"servers\": [\"$(ag_host_ip "$n")\"]}" \
        "\"history_log\": \"$RUN/history/agorad-$n.jsonl\", \"inbox_dir\": \"${FAULT_MOUNTS[$((n - 1))]}/.agora-inbox\",
  \"leader_command\": {\"argv\": [\"python3\", \"$here/ticker.py\", \"$RUN/history/cmd-$n.jsonl\", \"$n\"], \"grace_ms\": 300, \"margin_ms\": 200}" ||
        ag_die "config $n"
done
# workload clients and log readers: agoractl configs with their own ids
# (a brick keeps the highest (tag, seq) per sender)
conf "$AG_STATE/wl/wl1" 101 wl1 "$AG_SUBNET.101" "\"bricks\": $(bricks_json 1 2 3)" || ag_die "conf"
conf "$AG_STATE/wl/wl2" 102 wl2 "$AG_SUBNET.102" "\"bricks\": $(bricks_json 1 2 3)" || ag_die "conf"
for b in 1 2 3; do
    conf "$AG_STATE/rd/b$b" $((110 + b)) "rd$b" "$AG_SUBNET.101" "\"bricks\": $(bricks_json $b)" || ag_die "conf"
done
c_ns() { printf '/run/netns/%s-c%s\n' "$AG_NS_PREFIX" "$1"; }
ctl() { # ctl CLIENT_NS CONFDIR ARGS...
    local ns=$1 d=$2
    shift 2
    RUNTIME_DIRECTORY=$d/run nsenter --net="$(c_ns "$ns")" "$AGORACTL" -c "$d/agorad.json" "$@"
}

# --- election ----------------------------------------------------------------------------------
t0=$(ag_now)
for n in 1 2 3; do agd_start $n; done
has_leader() { [ -n "$(nem_leader)" ]; }
ag_wait_for 30 has_leader || { tail -n 20 "$RUN"/logs/agorad-*.log; ag_die "no leader"; }
say "leader host$(nem_leader) after $(ag_since "$t0") s; lease $LEASE_MS ms; load $(cut -d' ' -f1 /proc/loadavg)"
in_hosts() { grep -q "host$1.test" "$M1/.agora/hosts"; }
for n in 1 2 3; do ag_wait_for 20 in_hosts $n || ag_die "host$n never joined"; done
ag_wait_for 10 test -d "$M1/.agora-inbox" || ag_die "no inbox"

# --- workload ------------------------------------------------------------------------------------
rm -f "$RUN/stop"
for w in 1 2; do
    ( _ag_subshell_closefds && exec python3 "$here/workload.py" --client wl$w --seed "$SEED" \
        --history "$RUN/history/wl$w.jsonl" --stop "$RUN/stop" --via ctl \
        --config "$AG_STATE/wl/wl$w/agorad.json" --netns "$(c_ns $w)" --agoractl "$AGORACTL" \
        --keys "$AG_STATE/keys" ) </dev/null >>"$RUN/logs/wl$w.log" 2>&1 &
    FAULT_PIDS+=("$!")
    disown $!
done
( _ag_subshell_closefds && exec python3 "$here/workload.py" --client wl3 --seed "$SEED" \
    --history "$RUN/history/wl3.jsonl" --stop "$RUN/stop" --via inbox \
    --mount "${FAULT_MOUNTS[2]}" --keys "$AG_STATE/keys" --max-members 4 --think 1 ) \
    </dev/null >>"$RUN/logs/wl3.log" 2>&1 &
FAULT_PIDS+=("$!")
disown $!
WL_PIDS=("${FAULT_PIDS[@]: -3}")
sleep 2

# --- the nemesis ---------------------------------------------------------------------------------
step=0
while read -r what target hold gap; do
    step=$((step + 1))
    n=$target
    if [ "$target" = leader ]; then n=$(nem_leader); [ -n "$n" ] || n=$(( (SEED + step) % 3 + 1 )); fi
    say "step $step/$STEPS: $what host$n for $hold ms (leader host$(nem_leader))"
    nem_fault "$what" "$n" "$hold" || { say "the cluster did not recover after $what host$n"
        nem_rec harness_error "$what" "$n"
        for h in 1 2 3; do  # what the hosts' bricks see of the translator
            echo "host$h: holder $(ag_holder_pid $h), user/: $(ag_in_host $h ls "$AG_GLUSTER_XLATORDIR/user" 2>&1 | tr '\n' ' ')"
            ag_in_host $h grep xlator /proc/self/mounts 2>&1 | sed 's/^/    /'
        done
        exit 99; }
    sleep "$(awk -v m="$gap" 'BEGIN { printf "%.3f", m / 1000 }')"
done <"$RUN/schedule.txt"
nem_rec quiet all 0
t_quiet=$(ag_now)
say "faults over; leader host$(nem_leader)"

# --- liveness: a request submitted after the last heal is acknowledged ---------------------------
tq=$(tail -n1 "$RUN/history/nemesis.jsonl" | sed 's/.*"t":\([0-9]*\).*/\1/')
acked_after() {
    cat "$RUN"/history/wl[12].jsonl 2>/dev/null | python3 -c '
import json, sys
tq = int(sys.argv[1]); subs = set(); ok = False
for l in sys.stdin:
    try: e = json.loads(l)
    except ValueError: continue
    if e["event"] == "submitted" and e["t"] >= tq: subs.add(e["req"])
    if e["event"] == "acknowledged" and e["req"] in subs: ok = True
sys.exit(0 if ok else 1)' "$tq"
}
ag_wait_for $(( (LEASE_MS + SLACK_MS) / 1000 + 30 )) acked_after || say "no acknowledgement after the last heal"
say "a request submitted after the last heal was acknowledged $(ag_since "$t_quiet") s after it"
touch "$RUN/stop"
for p in "${WL_PIDS[@]}"; do
    ag_wait_for 40 _ag_all_gone "$p" || kill -9 "$p" 2>/dev/null
done

# --- convergence of every mount to the rendering of the final state ------------------------------
t_c=$(ag_now)
conv_ok=
prev=
for _ in $(seq 1 150); do
    ctl 1 "$AG_STATE/wl/wl1" hosts >"$RUN/final/expected.hosts.tmp" 2>/dev/null &&
        ctl 1 "$AG_STATE/wl/wl1" keys >"$RUN/final/expected.authorized_keys.tmp" 2>/dev/null || { sleep 0.2; continue; }
    cur=$(cat "$RUN/final/expected.hosts.tmp" "$RUN/final/expected.authorized_keys.tmp" | md5sum)
    all=1
    for k in 1 2 3; do
        for f in hosts authorized_keys; do
            cat "${FAULT_MOUNTS[$((k - 1))]}/.agora/$f" >"$RUN/final/mount-c$k.$f" 2>/dev/null || all=
            cmp -s "$RUN/final/mount-c$k.$f" "$RUN/final/expected.$f.tmp" || all=
        done
    done
    if [ -n "$all" ] && [ "$cur" = "$prev" ]; then conv_ok=1; break; fi
    prev=$cur
    sleep 0.2
done
mv "$RUN/final/expected.hosts.tmp" "$RUN/final/expected.hosts"
mv "$RUN/final/expected.authorized_keys.tmp" "$RUN/final/expected.authorized_keys"
conv=$(ag_since "$t_c")
if [ -n "$conv_ok" ]; then
    printf '{"c1": %s, "c2": %s, "c3": %s}\n' "$conv" "$conv" "$conv" >"$RUN/final/converge.json"
    say "mounts converged to the final state in $conv s after the workload stopped"
else
    echo '{"c1": null, "c2": null, "c3": null}' >"$RUN/final/converge.json"
    say "mounts did NOT converge within $conv s"
fi

# --- every brick's committed log -----------------------------------------------------------------
for b in 1 2 3; do
    ctl 1 "$AG_STATE/rd/b$b" --json log >"$RUN/final/log-b$b.json" 2>"$RUN/logs/log-b$b.err" ||
        say "log of brick $b unreadable: $(cat "$RUN/logs/log-b$b.err")"
done
ctl 1 "$AG_STATE/wl/wl1" status >"$RUN/final/status.txt" 2>&1

# --- judge -----------------------------------------------------------------------------------------
python3 "$here/check_history.py" "$RUN"
rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || rc=99
exit $rc
