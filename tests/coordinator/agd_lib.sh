# agd_lib.sh: helpers for the agorad integration tests, on top of
# tests/integration/lib.sh (source that first). A test cluster of three
# "hosts" (network namespaces), a replica-3 volume with the translator, one
# FUSE mount, and one agorad per host.
#
# agorad runs with host N's *network* namespace only (nsenter --net), so it
# reaches the bricks by the host IPs while it still sees the test's files
# and the FUSE mount (the inbox). Its PID is the one started here: every
# agorad is stopped by PID.

# A test's prologue: agd_require (or agd_paths first, for checks that need no
# cluster), agd_cluster_up NAME VOL, its mounts, agd_start_all VOL INBOX (or
# agd_config/agd_start per host), agd_wait_leader MNT.

AGD_LEASE_MS=${AGD_LEASE_MS:-3000}
AGD_HB_MS=${AGD_HB_MS:-300}
AGD_TTL_MS=${AGD_TTL_MS:-3000}
AGD_PIDS=()

# agd_paths: XLDIR, AGORAD and AGORACTL from $build (the caller's build tree;
# AGORA_XLATOR_DIR overrides XLDIR)
agd_paths() {
    XLDIR=${AGORA_XLATOR_DIR:-$build/xlator/.libs}
    AGORAD=$build/coordinator/agorad
    AGORACTL=$build/coordinator/agoractl
}

# agd_require: agd_paths, then skips the test (exit 77) unless the
# translator, agorad, agoractl, ssh-keygen and python3 are there
agd_require() {
    agd_paths
    [ -f "$XLDIR/agora.so" ] || ag_skip "agora.so not built in $XLDIR"
    { [ -x "$AGORAD" ] && [ -x "$AGORACTL" ]; } || ag_skip "agorad/agoractl not built in $build/coordinator"
    command -v ssh-keygen >/dev/null || ag_skip "ssh-keygen missing (openssh-client)"
    command -v python3 >/dev/null || ag_skip "python3 missing"
}

# agd_cluster_up NAME VOL: three hosts with the translator (ag_cluster_up),
# the agorad cleanup hooks, VOL created and started; a failure is exit 99
agd_cluster_up() {
    ag_cluster_up "$1" 3 --xlator-dir "$XLDIR" || ag_die "cluster"
    ag_on_cleanup agd_stop_all
    ag_on_cleanup agd_keep_logs
    agd_volume "$2" || ag_die "volume"
}

# Where host N's files go: $AGD_DIR/${AGD_HOSTDIR}N (default $AG_STATE/agd/hN).
agd_dir() { printf '%s/%s%s\n' "${AGD_DIR:-$AG_STATE/agd}" "${AGD_HOSTDIR:-h}" "$1"; }

agd_host_ns() { printf '/run/netns/%s-h%s\n' "$AG_NS_PREFIX" "$1"; }

# agd_volume VOL: create and start VOL with the translator and the key
agd_volume() {
    local v=$1
    AGD_KEY=$AG_STATE/cluster.key
    [ -f "$AGD_KEY" ] || { head -c 48 /dev/urandom | base64 >"$AGD_KEY" && chmod 600 "$AGD_KEY"; }
    ag_volume_create "$v" &&
        ag_volume_set "$v" user.xlator.agora posix &&
        ag_volume_set "$v" user.xlator.agora.key-file "$AGD_KEY" &&
        ag_volume_set "$v" user.xlator.agora.lease-ms "$AGD_LEASE_MS" &&
        ag_volume_set "$v" performance.cache-invalidation on &&
        ag_volume_start "$v"
}

# agd_config N VOL MOUNT [LEADER_CMD...]: writes $(agd_dir N)/agorad.json
# ($AGD_EXTRA_JSON, if set, is inserted as more fields: ' "a": 1,')
agd_config() {
    local n=$1 v=$2 m=$3 d argv=""
    d=$(agd_dir "$1")
    shift 3
    mkdir -p "$d/run"
    ssh-keygen -q -t ed25519 -N '' -C "host$n" -f "$d/id_ed25519" <<<y >/dev/null 2>&1 || return 1
    if [ $# -gt 0 ]; then
        argv=$(printf '"%s",' "$@")
        argv=", \"leader_command\": {\"argv\": [${argv%,}], \"grace_ms\": 500, \"margin_ms\": 200}"
    fi
    cat >"$d/agorad.json" <<JSON
{
  "id": $n, "name": "host$n", "hostname": "host$n.test", "ip": "$(ag_host_ip "$n")",
  "ssh_public_key_file": "id_ed25519.pub",
  "volume": {"name": "$v", "servers": ["$(ag_host_ip "$n")"]},
  "key_file": "$AGD_KEY",
  "lease_ms": $AGD_LEASE_MS, "heartbeat_ms": $AGD_HB_MS, "member_ttl_ms": $AGD_TTL_MS,
  "history_log": "history.jsonl", "inbox_dir": "$m/.agora-inbox",${AGD_EXTRA_JSON-}
  "log_level": "info"$argv
}
JSON
}

# agd_start N: starts host N's agorad; its PID in AGD_PID[N]
declare -A AGD_PID
agd_start() {
    local n=$1 d
    d=$(agd_dir "$1")
    AGORAD_LOG_MONOTONIC=1 RUNTIME_DIRECTORY=$d/run nsenter --net="$(agd_host_ns "$n")" \
        "$AGORAD" -c "$d/agorad.json" </dev/null >>"$d/agorad.log" 2>&1 &
    AGD_PID[$n]=$!
    AGD_PIDS+=("$!")
}

# agd_start_all VOL INBOX: configures (no leader command) and starts the
# three agorads
agd_start_all() {
    local n
    for n in 1 2 3; do agd_config "$n" "$1" "$2" || ag_die "config $n"; done
    for n in 1 2 3; do agd_start "$n"; done
}

# agd_stop_all: SIGKILL to every agorad we started (cleanup hook)
agd_stop_all() {
    local p
    for p in "${AGD_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for p in "${AGD_PIDS[@]}"; do
        # shellcheck disable=SC2009
        while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
    done
}

# agd_keep_logs: with AG_KEEP_LOGS=DIR, copies the agorad folders there
agd_keep_logs() {
    [ -n "${AG_KEEP_LOGS-}" ] || return 0
    mkdir -p "$AG_KEEP_LOGS" && cp -r "$AG_STATE/agd" "$AG_KEEP_LOGS/" 2>/dev/null || true
}

# agd_bricks_ok: every running agorad's last word on every brick is "ok"
# (a brick stopped for longer than the client's ping-timeout is
# disconnected; the brick client reconnects, within its back-off of at most
# 2 s, once it answers again)
agd_bricks_ok() {
    local n i f last
    for n in "${!AGD_PID[@]}"; do
        agd_alive "$n" || continue
        f=$(agd_dir "$n")/agorad.log
        for i in 0 1 2; do
            last=$(grep -E "brick $i: (ok|unreachable|refused|error)" "$f" | tail -n1)
            case $last in *": ok") ;; *) return 1 ;; esac
        done
    done
}

agd_alive() { kill -0 "${AGD_PID[$1]}" 2>/dev/null; }

# agd_ctl N ARGS...: agoractl with host N's config, in host N's network
agd_ctl() {
    local n=$1
    shift
    nsenter --net="$(agd_host_ns "$n")" "$AGORACTL" -c "$(agd_dir "$n")/agorad.json" "$@"
}

# agd_leader_of MNT: member id in MNT/.agora/leader ("" if none)
agd_leader_of() { awk '$1 == "id" && $2 != "-" { print $2 }' "$1/.agora/leader" 2>/dev/null; }

agd_has_leader() { [ -n "$(agd_leader_of "$1")" ]; }

# agd_wait_leader MNT [TIMEOUT_S]: until MNT/.agora/leader names a leader
# (default 20 s); if none, the agorad logs' tails and the test fails
agd_wait_leader() {
    ag_wait_for "${2:-20}" agd_has_leader "$1" && return 0
    tail -n 20 "$(agd_dir 1)/agorad.log" "$(agd_dir 2)/agorad.log" "$(agd_dir 3)/agorad.log"
    ag_fail "no leader in /.agora/leader"
}

# agd_leaders: the hosts whose agorad holds the lease now, from their logs
# (the last lease transition of each log).
agd_leaders() {
    local n f last
    for n in 1 2 3; do
        f=$(agd_dir "$n")/agorad.log
        agd_alive "$n" || continue
        last=$(grep -E 'became leader|lost the lease' "$f" 2>/dev/null | tail -n1)
        case $last in *"became leader"*) printf '%s ' "$n" ;; esac
    done
}

# --- the Mesos master emulator (tests/mesos/mesos-master-emulator.py) ---
# For agorads with "launcher": "mesos": the emulator runs in host N's
# network namespace, bound to host N's bridge address, which every host's
# namespace reaches; its masters listen on AGD_EMU_PORT, AGD_EMU_PORT+1, ...
# and its control port on AGD_EMU_CTL.
AGD_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AGD_EMU_PORT=5050
AGD_EMU_CTL=5060
AGD_EMU_PID=

# agd_emulator_start N [ARGS...]: starts it (ARGS: --masters, --agents,
# --heartbeat, ...; log in $AG_STATE/emulator.log), its address in
# AGD_EMU_IP, its PID in AGD_EMU_PID (stopped by PID at cleanup: its task
# processes die with it). Returns 1 if it is not ready within 10 s.
agd_emulator_start() {
    local n=$1
    shift
    AGD_EMU_IP=$(ag_host_ip "$n")
    AGD_EMU_NS=$(agd_host_ns "$n")
    ag_on_cleanup agd_emulator_stop
    ( _ag_subshell_closefds && exec nsenter --net="$AGD_EMU_NS" python3 \
        "$AGD_LIB_DIR/../mesos/mesos-master-emulator.py" --bind "$AGD_EMU_IP" \
        --base-port "$AGD_EMU_PORT" --control-port "$AGD_EMU_CTL" \
        --ready-file "$AG_STATE/emu.ready" "$@" ) </dev/null >"$AG_STATE/emulator.log" 2>&1 &
    AGD_EMU_PID=$!
    ag_wait_for 10 test -f "$AG_STATE/emu.ready" && return 0
    cat "$AG_STATE/emulator.log" >&2
    return 1
}

# agd_emulator_stop: SIGTERM (it kills its tasks), SIGKILL after 5 s
agd_emulator_stop() {
    [ -n "$AGD_EMU_PID" ] || return 0
    kill "$AGD_EMU_PID" 2>/dev/null
    ag_wait_for 5 _ag_all_gone "$AGD_EMU_PID" >/dev/null 2>&1 || kill -9 "$AGD_EMU_PID" 2>/dev/null
    AGD_EMU_PID=
    return 0
}

# agd_emu EXPR [ARG...]: prints EXPR (Python) evaluated over the emulator's
# GET /state as `s`, the ARGs as the list `a` (a list is printed space-
# separated); "error: ..." if the emulator does not answer
agd_emu() {
    nsenter --net="$AGD_EMU_NS" python3 -c '
import json, sys, urllib.request
try:
    s = json.load(urllib.request.urlopen("http://%s:%s/state" % tuple(sys.argv[1:3]), timeout=5))
except Exception as e:
    sys.exit(print("error: %s" % e))
a = sys.argv[4:]
r = eval(sys.argv[3])
print(" ".join(map(str, r)) if isinstance(r, (list, tuple)) else r)' "$AGD_EMU_IP" "$AGD_EMU_CTL" "$@"
}
