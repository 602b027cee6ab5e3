# tests/xlator/freshness_lib.sh: how soon a FUSE mount shows a commit in
# /.agora/: agora-xlctl against the bricks, the commit script, the reader
# and the probe shared by tests/xlator/test_xlator_live.sh and
# bench/view-freshness.sh. On top of tests/integration/lib.sh (source that
# first); the caller sets V (the volume), KEY (its key file) and XLCTL
# (agora-xlctl).
#
#   xl N ARGS...                  agora-xlctl against brick N
#   fresh_commit_script           writes $AG_STATE/commit.sh SLOT
#   fresh_reader MOUNT OUT        first line of /.agora/hosts, per change
#   fresh_probe MOUNT FIRST_SLOT N  the md-cache worst case, N runs

# shellcheck shell=bash

# xl N ARGS...: agora-xlctl against brick N, from host N's namespaces
xl() {
    local n=$1
    shift
    ag_in_host "$n" "$XLCTL" -H "$(ag_host_ip "$(ag_brick_host $V "$n")")" -B "$(ag_brick_path $V "$n")" \
        -k "$KEY" -n 7 -l "$AG_STATE/xlctl-$n.log" "$@"
}

# fresh_commit_script: writes $AG_STATE/commit.sh SLOT, which commits SLOT
# (accept 5 SLOT SLOT noop) on the three bricks at once (for the probe: no
# bash of the harness between the commit and its timing)
fresh_commit_script() {
    local n
    {
        echo '#!/bin/bash'
        for n in 1 2 3; do
            printf 'nsenter -t %s -m -n -- %q -H %q -B %q -k %q -n 7 accept 5 "$1" "$1" noop >/dev/null &\n' \
                "$(ag_holder_pid "$n")" "$XLCTL" "$(ag_host_ip "$(ag_brick_host $V "$n")")" \
                "$(ag_brick_path $V "$n")" "$KEY"
        done
        echo 'wait'
    } >"$AG_STATE/commit.sh" && chmod +x "$AG_STATE/commit.sh"
}

# fresh_reader MOUNT OUT &: reads the first line of MOUNT/.agora/hosts (the
# applied index) every 5 ms, until killed; writes "TIME LINE" to OUT at each
# change. Run it in the background only: it execs python3 (so $! is the
# reader's PID, for kill)
fresh_reader() {
    exec python3 - "$1/.agora/hosts" "$2" <<'PY'
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

# fresh_probe MOUNT FIRST_SLOT N: the sequence that let md-cache hand the
# kernel attributes it had stored from a read (the worst case before the
# fix), for a reader that stats the file by path, N times from FIRST_SLOT
# (commits through $AG_STATE/commit.sh): after 2.5 s of quiet, stat at .99 s
# of a second (a lookup: kernel and md-cache get the attributes together),
# drop the file's pages and read it at .01 s of the next second (before the
# fix md-cache stored the read's attributes, valid to the end of that
# second), commit at .10 s, then stat and read the first line every 5 ms
# until it names the commit. At .99 s the kernel looks the name up again:
# answered from md-cache's copy, the kernel kept the old attributes and
# pages until .99 s of the second after: 1.8 s. Prints one line per run:
# the seconds from the commit's return to the new content (9.99: not seen
# in 4 s) and to stat's new mtime (- if unchanged).
fresh_probe() {
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
    tc, seen, mt = time.time(), 9.99, None
    while time.time() < tc + 4:
        if os.stat(path).st_mtime_ns != m0 and mt is None:
            mt = time.time() - tc
        with open(path) as h:
            if ("applied index %d;" % slot) in h.readline():
                seen = time.time() - tc
                break
        time.sleep(0.005)
    print("%.3f %s" % (seen, "%.3f" % mt if mt is not None else "-"))
    slot += 1
PY
}
