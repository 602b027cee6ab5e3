#!/usr/bin/env bash
# bench/etcd-compare.sh: Agora against a three-member etcd, side by side in
# one run on this machine (docs/benchmarks.md). Not a test: prints a table.
#
#   sudo bench/etcd-compare.sh [--reps N] [--only SECTIONS]
#   SECTIONS (comma-separated, default failover,commit,brick,members,memory;
#   also cli: the old rows of agoractl join against etcdctl put, a process
#   per request)
#
# Agora: three hosts in network namespaces (tests/integration/lib.sh), a
# replica-3 volume with the translator (lease-ms 1000), one agorad per host
# (lease_ms 1000, heartbeat_ms 100, member_ttl_ms TTL), a FUSE mount per
# host; a second volume without the translator for the brick RSS.
# etcd: three members from Debian's etcd-server on 127.0.0.1, defaults
# (heartbeat 100 ms, election 1000 ms). Both keep their data in the
# harness's state dir (its file system is printed: on tmpfs neither pays for
# fsync). etcd's clients talk to the leader's gateway, as Agora's to the
# leader's socket (a follower would only forward).
#
# Commit latency and throughput go through agorad's client API (a unix
# socket, docs/coordinator.md) on Agora's side and etcd's HTTP/JSON gateway
# (one persistent connection per client) on etcd's, both driven by
# bench/clients.py, one request in flight per client.
#
# Environment: REPS (15), TTL_S (3), OPS1 (2000: ops of the 1-client run,
# both sides), OPS16 (300: ops per client of the 16-client run), BRICK_S (8:
# seconds of the brick-failure run, the kill after 3), CLI_OPS1 (30) and
# CLI_OPS16 (5) for the cli section, AGORA_BUILD (build tree), ETCD_PORT (a
# free base port).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
build=${AGORA_BUILD:-${abs_top_builddir:-$top}}
# shellcheck source=../tests/integration/lib.sh
. "$top/tests/integration/lib.sh"

REPS=${REPS:-15}
ONLY=failover,commit,brick,members,memory
while [ $# -gt 0 ]; do
    case $1 in
    --reps) REPS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "etcd-compare.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
want() { case ",$ONLY," in *",$1,"*) return 0 ;; esac; return 1; }
TTL_S=${TTL_S:-3}
OPS1=${OPS1:-2000} OPS16=${OPS16:-300} BRICK_S=${BRICK_S:-8}
CLI_OPS1=${CLI_OPS1:-30} CLI_OPS16=${CLI_OPS16:-5}
LEASE_MS=1000 HB_MS=100
XLDIR=${AGORA_XLATOR_DIR:-$build/xlator/.libs}
AGORAD=$build/coordinator/agorad
AGORACTL=$build/coordinator/agoractl
CL=$here/clients.py
[ -f "$XLDIR/agora.so" ] || ag_skip "agora.so not built in $XLDIR"
[ -x "$AGORAD" ] && [ -x "$AGORACTL" ] || ag_skip "agorad/agoractl not built in $build/coordinator"
command -v etcd >/dev/null && command -v etcdctl >/dev/null ||
    ag_skip "etcd not installed (apt-get install etcd-server etcd-client)"
export AG_QUIET=1 ETCDCTL_API=3 PYTHONDONTWRITEBYTECODE=1

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
mono() { python3 -c 'import time; print(time.monotonic_ns())'; }
jget() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[sys.argv[1]])' "$1"; }
note() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

ag_cluster_up bench 3 --xlator-dir "$XLDIR" || ag_die "cluster"
RES=$AG_STATE/results
mkdir -p "$RES"
AGD_PIDS=() ETCD_PIDS=()
declare -A AGD_PID ETCD_PID AGD_HSTART
stop_ours() {
    local p
    for p in "${AGD_PIDS[@]}" "${ETCD_PIDS[@]}" "${BG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    for p in "${AGD_PIDS[@]}" "${ETCD_PIDS[@]}" "${BG_PIDS[@]}"; do ag_wait_for 5 _ag_all_gone "$p" >/dev/null 2>&1; done
    return 0
}
BG_PIDS=()
ag_on_cleanup stop_ours

# --- Agora -------------------------------------------------------------------------------------
KEY=$AG_STATE/cluster.key
head -c 48 /dev/urandom | base64 >"$KEY" && chmod 600 "$KEY"
for v in agora plain; do ag_volume_create $v || ag_die "create $v"; done
ag_volume_set agora user.xlator.agora posix && ag_volume_set agora user.xlator.agora.key-file "$KEY" &&
    ag_volume_set agora user.xlator.agora.lease-ms $LEASE_MS &&
    ag_volume_set agora performance.cache-invalidation on || ag_die "set"
for v in agora plain; do ag_volume_start $v || ag_die "start $v"; done
MNT=()
for n in 1 2 3; do ag_mount agora "$AG_STATE/mnt/c$n" "$n" || ag_die "mount"; MNT+=("$AG_STATE/mnt/c$n"); done
bricks_json() {
    local i sep=
    printf '['
    for i in 1 2 3; do
        printf '%s{"host": "%s", "path": "%s"}' "$sep" "$(ag_host_ip "$i")" "$(ag_brick_path agora "$i")"
        sep=', '
    done
    printf ']'
}
conf() { # DIR ID NAME IP WHERE [EXTRA]
    mkdir -p "$1/run"
    ssh-keygen -q -t ed25519 -N '' -C "$3" -f "$1/id_ed25519" <<<y >/dev/null 2>&1 || return 1
    cat >"$1/agorad.json" <<JSON
{"id": $2, "name": "$3", "hostname": "$3.test", "ip": "$4", "ssh_public_key_file": "id_ed25519.pub",
 $5, "key_file": "$KEY", "lease_ms": $LEASE_MS, "heartbeat_ms": $HB_MS,
 "member_ttl_ms": $((TTL_S * 1000)), "log_level": "notice"${6:+, $6}}
JSON
}
for n in 1 2 3; do
    conf "$AG_STATE/agd/h$n" "$n" "host$n" "$(ag_host_ip "$n")" \
        "\"volume\": {\"name\": \"agora\", \"servers\": [\"$(ag_host_ip "$n")\"]}" \
        "\"history_log\": \"$AG_STATE/agd/h$n/history.jsonl\", \"inbox_dir\": \"${MNT[$((n - 1))]}/.agora-inbox\"" || ag_die "conf"
done
for k in $(seq 1 16); do
    conf "$AG_STATE/cl/c$k" $((100 + k)) "bc$k" "$AG_SUBNET.101" "\"bricks\": $(bricks_json)" || ag_die "conf"
done
CNS=/run/netns/$AG_NS_PREFIX-c1
agd_start() {
    local n=$1 d=$AG_STATE/agd/h$1
    ( _ag_subshell_closefds && RUNTIME_DIRECTORY=$d/run AGORAD_LOG_MONOTONIC=1 \
        exec nsenter --net="/run/netns/$AG_NS_PREFIX-h$n" "$AGORAD" -c "$d/agorad.json" ) \
        </dev/null >>"$d/agorad.log" 2>&1 &
    AGD_PID[$n]=$!
    AGD_PIDS+=("$!")
    disown $!
    AGD_HSTART[$n]=$(( $(cat "$d/history.jsonl" 2>/dev/null | wc -l) + 1 ))
}
# the leader named by /.agora/leader, read with O_DIRECT (through the page
# cache a same-size file can stay stale for seconds: docs/fault-injection.md)
leader_id() {
    python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import clients
for l in clients.read_direct(sys.argv[2]).splitlines():
    w = l.split()
    if len(w) == 2 and w[0] == "id": print(w[1])' "$here" "${MNT[0]}/.agora/leader" 2>/dev/null
}
# the agorad that holds the lease now, by its own history (this incarnation)
holder() {
    local n last
    for n in 1 2 3; do
        last=$(tail -n +"${AGD_HSTART[$n]:-1}" "$AG_STATE/agd/h$n/history.jsonl" 2>/dev/null |
            grep '"event":"lease_' | tail -n1)
        case $last in *lease_acquired*) echo "host$n"; return 0 ;; esac
    done
}
settled() { local l; l=$(leader_id); [ -n "$l" ] && [ "$l" != - ] && [ "$l" = "$(holder)" ]; }
all_joined() { local n; for n in 1 2 3; do grep -q "host$n.test" "${MNT[0]}/.agora/hosts" || return 1; done; }
for n in 1 2 3; do agd_start $n; done
ag_wait_for 30 all_joined || ag_die "agorads did not form a cluster"
ag_wait_for 20 settled || ag_die "no leader"
note "agora: leader $(leader_id), lease $LEASE_MS ms"

# --- etcd ---------------------------------------------------------------------------------------
EP=${ETCD_PORT:-$((21000 + ($$ % 400) * 10))}
ED=$AG_STATE/etcd
IC=
for i in 1 2 3; do IC+="${IC:+,}e$i=http://127.0.0.1:$((EP + 2 * i + 1))"; done
EURLS=() 
for i in 1 2 3; do EURLS+=("http://127.0.0.1:$((EP + 2 * i))"); done
EALL=$(IFS=,; echo "${EURLS[*]}")
etcd_start() {
    local i=$1
    mkdir -p "$ED"
    ( _ag_subshell_closefds && exec etcd --name "e$i" --data-dir "$ED/e$i" \
        --listen-client-urls "http://127.0.0.1:$((EP + 2 * i))" \
        --advertise-client-urls "http://127.0.0.1:$((EP + 2 * i))" \
        --listen-peer-urls "http://127.0.0.1:$((EP + 2 * i + 1))" \
        --initial-advertise-peer-urls "http://127.0.0.1:$((EP + 2 * i + 1))" \
        --initial-cluster "$IC" --initial-cluster-state new --initial-cluster-token "bench-$$" \
        --heartbeat-interval 100 --election-timeout 1000 --log-level error ) \
        </dev/null >>"$ED.e$i.log" 2>&1 &
    ETCD_PID[$i]=$!
    ETCD_PIDS+=("$!")
    disown $!
}
etcd_healthy() { etcdctl --endpoints "$EALL" endpoint health >/dev/null 2>&1; }
etcd_leader() { # the member number of the leader
    etcdctl --endpoints "$EALL" endpoint status -w json 2>/dev/null | python3 -c '
import json, sys
for i, s in enumerate(json.load(sys.stdin), 1):
    if s["Status"]["header"]["member_id"] == s["Status"]["leader"]:
        print(s["Endpoint"].rsplit(":", 1)[1]); break' | while read -r port; do echo $(( (port - EP) / 2 )); done
}
for i in 1 2 3; do etcd_start $i; done
ag_wait_for 30 etcd_healthy || { tail "$ED".e*.log; ag_die "etcd did not start"; }
note "etcd: leader e$(etcd_leader), ports $EP.."

# --- statistics -----------------------------------------------------------------------------------
# stats FILE (one number a line): n min median p95 p99 max
stats() {
    python3 - "$1" <<'PY'
import sys
v = sorted(float(x) for x in open(sys.argv[1]) if x.strip() and x.strip() != "None")
if not v:
    print("0 - - - - -"); sys.exit()
def q(p):
    k = (len(v) - 1) * p
    f = int(k); c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)
print(len(v), " ".join("%.0f" % x for x in (v[0], q(0.5), q(0.95), q(0.99), v[-1])))
PY
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "-" || b == "-") print "-"; else printf "%.2f", a / b }'; }
ROWS=()
row() { ROWS+=("$(printf '| %s |' "$(IFS='|'; echo "$*" | sed 's/|/ | /g')")"); }

# --- 1. failover ----------------------------------------------------------------------------------
if want failover; then
    : >"$RES/fo.agora"; : >"$RES/fo.agora.elect"; : >"$RES/fo.etcd"
    for r in $(seq 1 "$REPS"); do
        # the mount names the agorad that holds the lease: kill that one
        ag_wait_for 20 settled || { note "no settled leader"; continue; }
        old=$(leader_id); n=${old#host}
        out=$(python3 "$CL" agora-failover --pid "${AGD_PID[$n]}" --old "$old" \
            --leader-file "${MNT[$(( n % 3 ))]}/.agora/leader" --timeout 30)
        dt=$(echo "$out" | jget dt_ms); tk=$(echo "$out" | jget t_kill_ns); new=$(echo "$out" | jget new)
        echo "$dt" >>"$RES/fo.agora"
        # the new leader's own stamp of taking the lease (same clock)
        acq=$(grep -h '"lease_acquired"' "$AG_STATE/agd/h${new#host}/history.jsonl" | tail -n1 |
            sed 's/.*"t":\([0-9]*\).*/\1/')
        awk -v a="$acq" -v k="$tk" 'BEGIN { printf "%.0f\n", (a - k) / 1e6 }' >>"$RES/fo.agora.elect"
        ag_wait_for 10 _ag_all_gone "${AGD_PID[$n]}"
        agd_start "$n"
        # back to normal: the restarted member joined again, one lease passed
        ag_wait_for 30 all_joined || note "host$n did not rejoin"
        sleep 1.5
        el=$(etcd_leader)
        others=$(for i in 1 2 3; do [ "$i" = "$el" ] || printf '%s,' "${EURLS[$((i - 1))]}"; done)
        out=$(python3 "$CL" etcd-failover --pid "${ETCD_PID[$el]}" --urls "${others%,}" --timeout 30)
        echo "$out" | jget dt_ms >>"$RES/fo.etcd"
        ag_wait_for 10 _ag_all_gone "${ETCD_PID[$el]}"
        etcd_start "$el"
        ag_wait_for 30 etcd_healthy || note "etcd e$el did not come back"
        sleep 1.5
        note "failover $r/$REPS: agora $dt ms (lease taken after $(tail -n1 "$RES/fo.agora.elect") ms), etcd $(tail -n1 "$RES/fo.etcd") ms"
    done
    read -r na amin amed ap95 _ amax < <(stats "$RES/fo.agora")
    read -r _ emin emed ep95 _ emax < <(stats "$RES/fo.etcd")
    read -r _ xmin xmed xp95 _ xmax < <(stats "$RES/fo.agora.elect")
    row "failover: kill -9 leader → first commit by a new leader (ms, n=$na)" \
        "min $amin / med **$amed** / p95 $ap95 / max $amax" "min $emin / med **$emed** / p95 $ep95 / max $emax" \
        "$(ratio "$amed" "$emed")"
    row "  (Agora: kill → new leader holds the lease, ms)" "min $xmin / med $xmed / p95 $xp95 / max $xmax" "" ""
fi

# --- 2. commit latency and throughput ------------------------------------------------------------
SOCKS=$(for n in 1 2 3; do printf '%s,' "$AG_STATE/agd/h$n/run/agorad.sock"; done)
SOCKS=${SOCKS%,}
api_row() { # LABEL AGORA_JSON ETCD_JSON
    python3 - "$@" <<'PY'
import json, sys
label = sys.argv[1]
def s(path):
    d = json.load(open(path))
    v = sorted(d["latencies_ms"])
    if not v:
        return None
    q = lambda p: v[min(len(v) - 1, int(round((len(v) - 1) * p)))]
    return {"med": q(0.5), "p99": q(0.99), "rate": len(v) / d["wall_s"], "n": len(v), "err": d["errors"]}
a, e = s(sys.argv[2]), s(sys.argv[3])
def f(x):
    return "-" if x is None else "med %.1f / p99 %.1f ms, **%.0f commits/s** (n=%d%s)" % (
        x["med"], x["p99"], x["rate"], x["n"], ", %d errors" % x["err"] if x["err"] else "")
r = lambda k: "-" if not a or not e else "%.2f" % (a[k] / e[k])
print("| %s, 100-byte entries: client API join vs gateway put | %s | %s | latency %s, rate %s |" % (
    label, f(a), f(e), r("med"), r("rate")))
PY
}
if want commit || want memory; then
    # idle RSS of agorad before any load
    for n in 1 2 3; do awk '/VmRSS/ { print $2 }' "/proc/${AGD_PID[$n]}/status"; done >"$RES/rss.agorad.idle"
    for i in 1 2 3; do awk '/VmRSS/ { print $2 }' "/proc/${ETCD_PID[$i]}/status"; done >"$RES/rss.etcd.idle"
fi
if want commit; then
    ( while :; do for n in 1 2 3; do awk '/VmRSS/ { print $2 }' "/proc/${AGD_PID[$n]}/status" 2>/dev/null; done; sleep 0.2; done ) >"$RES/rss.agorad.load" &
    SAMPLER=$!; BG_PIDS+=("$SAMPLER")
    EL=${EURLS[$(( $(etcd_leader) - 1 ))]}
    note "commit: 1 client, $OPS1 each side (etcd leader $EL)"
    python3 "$CL" agora-api --sockets "$SOCKS" --clients 1 --ops "$OPS1" --prefix a >"$RES/c1.agora"
    python3 "$CL" etcd-http --urls "$EL" --clients 1 --ops "$OPS1" >"$RES/c1.etcd"
    note "commit: 16 clients, $OPS16 each, each side"
    python3 "$CL" agora-api --sockets "$SOCKS" --clients 16 --ops "$OPS16" --prefix m >"$RES/c16.agora"
    python3 "$CL" etcd-http --urls "$EL" --clients 16 --ops "$OPS16" >"$RES/c16.etcd"
    kill "$SAMPLER" 2>/dev/null
    ROWS+=("$(api_row "1 client" "$RES/c1.agora" "$RES/c1.etcd")")
    ROWS+=("$(api_row "16 clients" "$RES/c16.agora" "$RES/c16.etcd")")
fi

# --- 2b. the old rows: a CLI process per request (cli) ----------------------------------------
CFGS=$(for k in $(seq 1 16); do printf '%s,' "$AG_STATE/cl/c$k/agorad.json"; done)
CFGS=${CFGS%,}
cli_row() { # LABEL AGORA_JSON ETCDCLI_JSON
    python3 - "$@" <<'PY'
import json, sys
def s(path):
    d = json.load(open(path))
    v = sorted(d["latencies_ms"])
    q = lambda p: v[min(len(v) - 1, int(round((len(v) - 1) * p)))]
    return None if not v else {"med": q(0.5), "p99": q(0.99), "rate": len(v) / d["wall_s"], "n": len(v)}
a, c = s(sys.argv[2]), s(sys.argv[3])
f = lambda x: "-" if x is None else "med %.0f / p99 %.0f ms, %.1f commits/s (n=%d)" % (x["med"], x["p99"], x["rate"], x["n"])
r = lambda k: "-" if not a or not c else "%.2f" % (a[k] / c[k])
print("| %s, a CLI process per request: agoractl join vs etcdctl put | %s | %s | latency %s, rate %s |" % (
    sys.argv[1], f(a), f(c), r("med"), r("rate")))
PY
}
if want cli; then
    python3 "$CL" agora-cli --configs "$CFGS" --netns "$CNS" --agoractl "$AGORACTL" \
        --keys "$AG_STATE/keys" --clients 1 --ops "$CLI_OPS1" --prefix a >"$RES/cli1.agora"
    python3 "$CL" etcd-cli --endpoints "$EALL" --clients 1 --ops "$CLI_OPS1" >"$RES/cli1.etcd"
    python3 "$CL" agora-cli --configs "$CFGS" --netns "$CNS" --agoractl "$AGORACTL" \
        --keys "$AG_STATE/keys" --clients 16 --ops "$CLI_OPS16" --prefix m >"$RES/cli16.agora"
    python3 "$CL" etcd-cli --endpoints "$EALL" --clients 16 --ops "$CLI_OPS16" >"$RES/cli16.etcd"
    ROWS+=("$(cli_row "1 client" "$RES/cli1.agora" "$RES/cli1.etcd")")
    ROWS+=("$(cli_row "16 clients" "$RES/cli16.agora" "$RES/cli16.etcd")")
fi

# --- 3. one brick (one etcd follower) killed under load -------------------------------------------
# 4 clients back to back for BRICK_S s; after 3 s a brick of a host that
# does not lead (etcd: a follower member) is kill -9'd. Measured over the
# kill .. kill + 3 s: p99 and longest commit, and the longest time without
# any answer (from the kill on).
mono_kill() { python3 -c 'import os, sys, time
t = time.monotonic_ns()
os.kill(int(sys.argv[1]), 9)
print(t)' "$1"; }
pause_cell() { # RECORD T_KILL
    python3 "$CL" pauses --record "$1" --since-ns "$2" --timeout 3 | python3 -c 'import json, sys
d = json.load(sys.stdin)
f = lambda v: "-" if v is None else "%.0f" % v
print("p99 %s / max %s / pause %s (n=%d)" % (f(d["p99_ms"]), f(d["max_ms"]), f(d["max_gap_ms"]), d["n"]))'
}
if want brick; then
    ld=$(leader_id); b=$(( ${ld#host} % 3 + 1 ))
    python3 "$CL" agora-api --sockets "$SOCKS" --clients 4 --duration "$BRICK_S" --prefix k \
        --record "$RES/bk.agora.rec" >"$RES/bk.agora" &
    lp=$!
    sleep 3
    bp=$(ag_brick_pid agora "$b") && tk=$(mono_kill "$bp") || note "kill brick $b failed"
    wait $lp
    ag_start_brick agora >/dev/null 2>&1
    acell=$(pause_cell "$RES/bk.agora.rec" "$tk")
    note "brick $b (leader $ld) killed: $acell"
    el=$(etcd_leader); f=$(( el % 3 + 1 ))
    python3 "$CL" etcd-http --urls "${EURLS[$((el - 1))]}" --clients 4 --duration "$BRICK_S" --prefix k \
        --record "$RES/bk.etcd.rec" >"$RES/bk.etcd" &
    lp=$!
    sleep 3
    tk=$(mono_kill "${ETCD_PID[$f]}")
    wait $lp
    ag_wait_for 10 _ag_all_gone "${ETCD_PID[$f]}"; etcd_start "$f"; ag_wait_for 30 etcd_healthy
    ecell=$(pause_cell "$RES/bk.etcd.rec" "$tk")
    note "etcd e$f (leader e$el) killed: $ecell"
    row "brick failure: one brick / one etcd follower kill -9'd, 4 clients; kill .. +3 s: p99, longest commit, longest time without a commit (ms)" \
        "$acell" "$ecell" "-"
fi

# --- 4. membership convergence --------------------------------------------------------------------
if want members; then
    files=$(for m in "${MNT[@]}"; do printf '%s,' "$m/.agora/hosts"; done); files=${files%,}
    : >"$RES/mj.agora"; : >"$RES/mg.agora"; : >"$RES/mg.etcd"; : >"$RES/mj.etcd"
    for r in 1 2 3; do
        ssh-keygen -q -t ed25519 -N '' -C "j$r" -f "$AG_STATE/keys-j$r" <<<y >/dev/null 2>&1
        t=$(mono)
        RUNTIME_DIRECTORY=$AG_STATE/cl/c1/run nsenter --net="$CNS" "$AGORACTL" -c "$AG_STATE/cl/c1/agorad.json" \
            join "jn$r" "jn$r.test" "10.250.0.$r" "$AG_STATE/keys-j$r.pub" >/dev/null 2>&1 &
        python3 "$CL" wait-files --files "$files" --word "jn$r.test" --since-ns "$t" --timeout 20 | jget dt_ms >>"$RES/mj.agora"
        wait
        # a host member killed: gone from every mount
        ld=$(leader_id); v=$(( ${ld#host} % 3 + 1 ))
        t=$(mono); kill -9 "${AGD_PID[$v]}"
        python3 "$CL" wait-files --files "$files" --word "host$v.test" --absent --since-ns "$t" --timeout 30 | jget dt_ms >>"$RES/mg.agora"
        agd_start "$v"; ag_wait_for 30 all_joined
        # etcd: a key under a lease of the same TTL, kept alive by a process
        lid=$(etcdctl --endpoints "$EALL" lease grant "$TTL_S" | awk '{ print $2 }')
        t=$(mono)
        etcdctl --endpoints "$EALL" put --lease="$lid" "members/m$r" x >/dev/null
        python3 - "$t" <<'PY' >>"$RES/mj.etcd"
import sys, time
print("%.1f" % ((time.monotonic_ns() - int(sys.argv[1])) / 1e6))
PY
        ( _ag_subshell_closefds && exec etcdctl --endpoints "$EALL" lease keep-alive "$lid" ) >/dev/null 2>&1 &
        kp=$!; BG_PIDS+=("$kp"); disown "$kp"
        sleep 1
        python3 "$CL" etcd-key-gone --pid "$kp" --urls "$EALL" --key "members/m$r" --timeout 30 | jget dt_ms >>"$RES/mg.etcd"
    done
    read -r _ _ jmed _ _ jmax < <(stats "$RES/mj.agora")
    read -r _ _ emed _ _ emax < <(stats "$RES/mj.etcd")
    row "join → visible on every mount (ms, n=3; etcd: put with lease, etcdctl)" "med $jmed / max $jmax" "med $emed / max $emax" "$(ratio "$jmed" "$emed")"
    read -r _ gmin gmed _ _ gmax < <(stats "$RES/mg.agora")
    read -r _ fmin fmed _ _ fmax < <(stats "$RES/mg.etcd")
    row "member kill -9'd → gone everywhere, TTL ${TTL_S} s (ms, n=3)" "min $gmin / med $gmed / max $gmax" "min $fmin / med $fmed / max $fmax" "$(ratio "$gmed" "$fmed")"
fi

# --- 5. memory -------------------------------------------------------------------------------------
if want memory; then
    kb() { awk '{ s = $1 > s ? $1 : s } END { printf "%.1f", s / 1024 }' "$1"; }
    row "agorad RSS idle (MiB, max of 3) / etcd member RSS idle" "$(kb "$RES/rss.agorad.idle")" "$(kb "$RES/rss.etcd.idle")" "$(ratio "$(kb "$RES/rss.agorad.idle")" "$(kb "$RES/rss.etcd.idle")")"
    if [ -s "$RES/rss.agorad.load" ]; then
        for i in 1 2 3; do awk '/VmRSS/ { print $2 }' "/proc/${ETCD_PID[$i]}/status"; done >"$RES/rss.etcd.load"
        row "agorad RSS under load (MiB, peak) / etcd member RSS after load" "$(kb "$RES/rss.agorad.load")" "$(kb "$RES/rss.etcd.load")" "$(ratio "$(kb "$RES/rss.agorad.load")" "$(kb "$RES/rss.etcd.load")")"
    fi
    for v in agora plain; do
        for i in 1 2 3; do p=$(ag_brick_pid $v $i) && awk '/VmRSS/ { print $2 }' "/proc/$p/status"; done >"$RES/rss.brick.$v"
    done
    row "brick RSS with / without the translator (MiB, max of 3)" "$(kb "$RES/rss.brick.agora")" "$(kb "$RES/rss.brick.plain") (no translator)" "$(ratio "$(kb "$RES/rss.brick.agora")" "$(kb "$RES/rss.brick.plain")")"
fi

LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "Agora vs etcd $(etcd --version | awk 'NR == 1 { print $3 }') (3 members, loopback), $(date -u +%F), $(nproc) cores;" \
    "load average $LOAD0 at the start, $LOAD1 at the end"
echo "Agora: lease ${LEASE_MS} ms, heartbeat ${HB_MS} ms; etcd: heartbeat 100 ms, election 1000 ms;" \
    "both keep their data in $AG_STATE ($(stat -f -c %T "$AG_STATE"))"
echo
echo "| measure | Agora | etcd | ratio Agora/etcd |"
echo "| --- | --- | --- | --- |"
printf '%s\n' "${ROWS[@]}"
for f in c1.agora c16.agora bk.agora cli1.agora cli16.agora; do
    [ -s "$RES/$f" ] || continue
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for w in d.get("why", []): print("  %s: a request failed: %s" % (sys.argv[2], w))' "$RES/$f" "$f"
done
[ -z "${BENCH_KEEP-}" ] || { mkdir -p "$BENCH_KEEP" && cp -r "$RES" "$AG_STATE/agd" "$BENCH_KEEP/"; }
exit 0
