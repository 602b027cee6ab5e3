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
# Before that, PROBES (5) runs of a probe on its own mount (see probe()).
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
xl() { # N ARGS...: agora-xlctl against brick N
    local n=$1; shift
    ag_in_host "$n" "$XLCTL" -H "$(ag_host_ip "$(ag_brick_host $V "$n")")" \
        -B "$(ag_brick_path $V "$n")" -k "$KEY" -n 7 -l "$AG_STATE/xlctl-$n.log" "$@"
}
for n in 1 2 3; do
    xl $n prepare 5 -- accept 5 1 1 noop >/dev/null || ag_die "brick $n: first commit"
done
for m in $(seq 1 "$MOUNTS"); do
    ag_mount $V "$AG_STATE/mnt/m$m" $(((m - 1) % 3 + 1)) || ag_die "mount $m"
done
ag_mount $V "$AG_STATE/mnt/probe" || ag_die "probe mount"
# commit.sh SLOT: commits SLOT on the three bricks at once (for the probe)
{
    echo '#!/bin/bash'
    for n in 1 2 3; do
        printf 'nsenter -t %s -m -n -- %q -H %q -B %q -k %q -n 7 accept 5 "$1" "$1" noop >/dev/null &\n' \
            "$(_ag_holder_pid "$n")" "$XLCTL" "$(ag_host_ip "$(ag_brick_host $V "$n")")" \
            "$(ag_brick_path $V "$n")" "$KEY"
    done
    echo 'wait'
} >"$AG_STATE/commit.sh" && chmod +x "$AG_STATE/commit.sh"

# The probe: the sequence that let md-cache hand the kernel attributes it
# had stored from a read (the worst case before the fix), for a reader that
# stats the file by path: after 2.5 s of quiet, stat at .99 s of a second
# (a lookup: kernel and md-cache get the attributes together), drop the
# file's pages and read it at .01 s of the next second (before the fix
# md-cache stored the read's attributes, valid to the end of that second),
# commit at .10 s, then stat and read the first line every 5 ms until it
# names the commit. The kernel's entry and attributes expire at .99 s: if
# md-cache still holds attributes then, it answers the lookup with them and
# the kernel keeps them (and its pages) another second. Prints the time from
# the commit's return to the new content (and to stat's new mtime).
probe() { # MOUNT FIRST_SLOT N
    python3 - "$1/.agora/hosts" "$AG_STATE/commit.sh" "$2" "$3" <<'PY'
import os, sys, time, subprocess
path, cmd, slot, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def at_frac(frac):
    now = time.time()
    t = int(now) + frac
    if t <= now + 0.05:
        t += 1
    time.sleep(t - now)
for i in range(n):
    time.sleep(2.5)
    at_frac(0.99)
    m0 = os.stat(path).st_mtime_ns
    at_frac(0.01)
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.pread(fd, 4096, 0)
    os.close(fd)
    at_frac(0.10)
    subprocess.run([cmd, str(slot)], check=True)
    tc, seen, mt = time.time(), None, None
    while time.time() < tc + 4:
        if mt is None and os.stat(path).st_mtime_ns != m0:
            mt = time.time() - tc
        with open(path) as h:
            if ("applied index %d;" % slot) in h.readline():
                seen = time.time() - tc
                break
        time.sleep(0.005)
    print("probe %d: content %s (stat's mtime %s)" % (slot,
          "%.3f s" % seen if seen is not None else "not seen in 4 s",
          "%.3f s" % mt if mt is not None else "unchanged"))
    slot += 1
PY
}

reader() { # MOUNT OUT: first line of hosts every 5 ms, one line per change
    python3 - "$1/.agora/hosts" "$2" <<'PY'
import sys, time
f, out = sys.argv[1], sys.argv[2]
prev = None
with open(out, "w", buffering=1) as o:
    while True:
        try:
            with open(f) as h:
                l = h.readline().strip()
        except OSError as e:
            l = "ERR %s" % e
        if l != prev:
            o.write("%.6f %s\n" % (time.time(), l))
            prev = l
        time.sleep(0.005)
PY
}
prober() { # MOUNT: stat and ls -l at other paces
    python3 - "$1/.agora" <<'PY'
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
    probe "$AG_STATE/mnt/probe" $((slot + 1)) "$PROBES" | tee "$AG_STATE/probe.out"
    slot=$((slot + PROBES))
fi
: >"$AG_STATE/fresh"
pids=()
for m in $(seq 1 "$MOUNTS"); do
    reader "$AG_STATE/mnt/m$m" "$AG_STATE/seen-$m" & pids+=($!)
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
