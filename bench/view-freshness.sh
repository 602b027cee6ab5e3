#!/usr/bin/env bash
# bench/view-freshness.sh: how long after a change of state every FUSE mount
# shows it in /.agora/ (docs/translator.md, "Freshness"). Not a test.
#
# One 3-host cluster (tests/integration/lib.sh), a replica-3 volume with the
# translator, MOUNTS FUSE mounts (client processes in their own namespaces)
# with the volume's default client graph (or performance.cache-invalidation
# on with MODE=invalidation). On each mount one reader opens /.agora/hosts
# every 5 ms and notes when its first line (the applied index) changes, and
# a second process stats the view files and lists the directory (ls -l) at
# its own pace, so the kernel's and md-cache's timers are not in step with
# the reader's. N commits are sent to the three bricks at once, spaced by a
# random 2.3..3.3 s so that they fall at every phase of the clients' timers.
# Staleness of a commit: when the last mount showed it, minus when the last
# brick had published it (status.json "fresh": upcall_real_ns).
#
# Before that, PROBES (5) runs of a probe on its own mount (freshness_lib.sh's fresh_probe).
#
#   sudo bench/view-freshness.sh [N]    env: MOUNTS (3) MODE (default|invalidation)
#   AGORA_XLATOR_DIR (default BUILD/xlator/.libs), AGORA_XLCTL, OUT (a file
#   that gets one staleness per line), KEEP (a directory for the raw data)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
build=${abs_top_builddir:-$top}
N=${1:-40}
MOUNTS=${MOUNTS:-3}
MODE=${MODE:-default}
XLDIR=${AGORA_XLATOR_DIR:-$build/xlator/.libs}
XLCTL=${AGORA_XLCTL:-$build/xlator/agora-xlctl}
# shellcheck source=../tests/integration/lib.sh
. "$top/tests/integration/lib.sh"
# shellcheck source=../tests/xlator/freshness_lib.sh
. "$top/tests/xlator/freshness_lib.sh"
[ -f "$XLDIR/agora.so" ] || ag_skip "agora.so not found in $XLDIR (set AGORA_XLATOR_DIR)"
[ -x "$XLCTL" ] || ag_skip "agora-xlctl not built ($XLCTL)"

ag_cluster_up vfresh 3 --xlator-dir "$XLDIR" || ag_die "cluster"
V=vf
KEY=$AG_STATE/cluster.key
head -c 48 /dev/urandom | base64 >"$KEY" && chmod 600 "$KEY"
ag_volume_create $V || ag_die "volume create"
ag_volume_set $V user.xlator.agora posix || ag_die "set xlator"
ag_volume_set $V user.xlator.agora.key-file "$KEY" || ag_die "set key"
if [ "$MODE" = invalidation ]; then
    ag_volume_set $V performance.cache-invalidation on || ag_die "set cache-invalidation"
fi
ag_volume_start $V || ag_die "volume start"
for n in 1 2 3; do
    ag_wait_for 10 grep -q "agora ready" "$(ag_brick_log $V $n)" || ag_die "brick $n not ready"
done
for n in 1 2 3; do
    xl $n prepare 5 -- accept 5 1 1 noop >/dev/null || ag_die "brick $n: first commit"
done
for m in $(seq 1 "$MOUNTS"); do
    ag_mount $V "$AG_STATE/mnt/m$m" $(((m - 1) % 3 + 1)) || ag_die "mount $m"
done
ag_mount $V "$AG_STATE/mnt/probe" || ag_die "probe mount"
fresh_commit_script || ag_die "commit.sh"

prober() { # MOUNT &: stat and ls -l at other paces (execs python3: $! is its PID)
    exec python3 - "$1/.agora" <<'PY'
import os, sys, time, random
d = sys.argv[1]
while True:
    try:
        for n in os.listdir(d):
            os.stat(os.path.join(d, n))
        time.sleep(random.uniform(0.05, 0.7))
        os.stat(os.path.join(d, "hosts"))
    except OSError:
        pass
    time.sleep(random.uniform(0.05, 0.7))
PY
}
PROBES=${PROBES:-5}
slot=1
if [ "$PROBES" -gt 0 ]; then
    fresh_probe "$AG_STATE/mnt/probe" $((slot + 1)) "$PROBES" |
        awk -v s=$((slot + 1)) '{ printf "probe %d: content %s s (stat'"'"'s mtime %s)\n", s + NR - 1, $1, $2 }' |
        tee "$AG_STATE/probe.out"
    slot=$((slot + PROBES))
fi
: >"$AG_STATE/fresh"
pids=()
for m in $(seq 1 "$MOUNTS"); do
    fresh_reader "$AG_STATE/mnt/m$m" "$AG_STATE/seen-$m" & pids+=($!)
    prober "$AG_STATE/mnt/m$m" & pids+=($!)
done
sleep 2
for i in $(seq 1 "$N"); do
    slot=$((slot + 1))
    cp=()
    for n in 1 2 3; do xl $n accept 5 $slot $slot noop >/dev/null & cp+=($!); done
    wait "${cp[@]}"
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", 2.3 + r / 32768 }')"
    for n in 1 2 3; do xl $n status | grep -o '"fresh": {[^}]*}'; done >>"$AG_STATE/fresh"
done
kill "${pids[@]}" 2>/dev/null
wait "${pids[@]}" 2>/dev/null
[ -z "$KEEP" ] || { mkdir -p "$KEEP" && cp "$AG_STATE"/seen-* "$AG_STATE/fresh" "$KEEP/"; }
python3 - "$AG_STATE/fresh" "$MODE" "$MOUNTS" "${OUT:-/dev/null}" "$AG_STATE"/seen-* <<'PY'
import sys, re, json, statistics
fresh, mode, mounts, out, seen_files = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
seen = []
for fn in seen_files:
    s = {}
    for l in open(fn):
        t, rest = l.split(None, 1)
        m = re.search(r"applied index (\d+)", rest)
        if m and int(m.group(1)) not in s:
            s[int(m.group(1))] = float(t)
    seen.append(s)
st = {}
for l in open(fresh):
    j = json.loads(l.split(": ", 1)[1])
    st.setdefault(j["applied"], []).append(j)
vis, missing = [], 0
for a, js in sorted(st.items()):
    if len(js) < 3 or any(a not in s for s in seen):
        missing += 1
        continue
    last = max(j["upcall_real_ns"] for j in js) / 1e9
    vis.append(max(s[a] for s in seen) - last)
vis.sort()
p95 = vis[min(len(vis) - 1, int(round(0.95 * (len(vis) - 1))))]
print("%s client graph, %d mounts: n=%d (missing %d) staleness after the last brick's publish: "
      "mean %.3f s, median %.3f s, p95 %.3f s, max %.3f s, min %.3f s"
      % (mode, mounts, len(vis), missing, statistics.mean(vis), statistics.median(vis), p95,
         max(vis), min(vis)))
print("histogram (0.1 s bins): " + " ".join(
    "%.1f:%d" % (b / 10, sum(1 for v in vis if b / 10 <= v < (b + 1) / 10)) for b in range(0, 22)
    if any(b / 10 <= v < (b + 1) / 10 for v in vis)))
with open(out, "a") as o:
    for v in vis:
        o.write("%.4f\n" % v)
PY
