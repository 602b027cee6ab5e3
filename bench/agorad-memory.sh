#!/usr/bin/env bash
# agorad-memory.sh: where agorad's memory goes (docs/benchmarks.md, Memory).
# Three hosts, a replica-3 volume with the translator and one agorad per
# host, as in bench/etcd-compare.sh (lease 1000 ms, heartbeat 100 ms).
# Prints every agorad's RSS and PSS, idle and after a load, and the leader's
# breakdown per mapping class (/proc/PID/smaps): malloc arenas, heap, thread
# stacks, other anonymous memory, libgfapi and the libraries only it needs,
# the GlusterFS translators, libzookeeper and the libraries only it
# needs, libcrypto, libc, agorad's own image.
#
#   sudo bench/agorad-memory.sh [--launcher local|mesos] [--idle SECONDS]
#                               [--load SECONDS] [--clients N]
#   bench/agorad-memory.sh --report DIR/results     the tables of a kept run
#
# --launcher mesos (docs/benchmarks.md, Memory, "The Mesos launcher"): the
# same run with "launcher": "mesos" and the seed cluster spec
# (docs/examples/seed-cluster.json) in every agorad.json, pointed at the
# Mesos master emulator (tests/mesos/mesos-master-emulator.py: three
# masters, five agents, heartbeats every 15 s as Mesos's default) in host
# 1's network namespace; the idle period starts once the leader is
# subscribed and the five tasks run, so the leader's RSS is that of an
# agorad with its Mesos framework subscribed and tasks running. The
# default, --launcher local, runs no cluster spec (no launcher at all).
#
# Idle: SECONDS (default 20) after every agorad joined and a leader was
# elected. Load: N (default 4) clients running `agoractl join`/`leave` in a
# loop for SECONDS (default 30), RSS sampled every 0.2 s (the peak is shown);
# the breakdown is taken right after. RSS is VmRSS (what etcd-compare.sh
# reports); PSS counts a shared page 1/n to each of its n users (library
# text is shared with the other agorads, the bricks, glusterd, the FUSE
# client).
# Environment: AGORA_BUILD (build tree, default: this source tree),
# AGORAD_ENV ("VAR=value ..." put in agorad's environment, e.g.
# GLIBC_TUNABLES=glibc.malloc.arena_max=1 to try a setting without a
# rebuild), BENCH_KEEP=DIR (keep the raw smaps in DIR/results).
# Needs root, FUSE, glusterd (tests/integration/lib.sh), the built translator
# and agorad/agoractl.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck disable=SC2034  # read by agd_lib.sh's agd_paths
build=${AGORA_BUILD:-$top}
# shellcheck source=../tests/integration/lib.sh
. "$top/tests/integration/lib.sh"
# shellcheck source=../tests/coordinator/agd_lib.sh
. "$top/tests/coordinator/agd_lib.sh"

IDLE_S=20 LOAD_S=30 NCL=4 LAUNCHER=local REPORT=
while [ $# -gt 0 ]; do
    case $1 in
    --report) REPORT=$2; shift 2 ;;
    --launcher) LAUNCHER=$2; shift 2 ;;
    --idle) IDLE_S=$2; shift 2 ;;
    --load) LOAD_S=$2; shift 2 ;;
    --clients) NCL=$2; shift 2 ;;
    -h|--help) sed -n '2,/^here=/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "agorad-memory.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
note() { printf '[mem %s] %s\n' "$(date +%T)" "$*" >&2; }

case $LAUNCHER in
local|mesos) ;;
*) echo "agorad-memory.sh: --launcher local or mesos" >&2; exit 2 ;;
esac
agd_require
export AG_QUIET=1
# shellcheck disable=SC2034  # read by agd_lib.sh's agd_volume and agd_config
AGD_LEASE_MS=1000 AGD_HB_MS=100 AGD_TTL_MS=3000

# --- report ---------------------------------------------------------------------------------------
report() { # RESULTS-DIR
python3 - "$1" "$(cat "$1/leader")" "$AGORAD" <<'PY'
import os, re, subprocess, sys
res, leader, agorad = sys.argv[1], int(sys.argv[2]), os.path.realpath(sys.argv[3])
HEAD = re.compile(r'^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$')

def parse(path):
    maps, cur = [], None
    for line in open(path):
        m = HEAD.match(line)
        if m:
            cur = {'lo': int(m[1], 16), 'hi': int(m[2], 16), 'perm': m[3], 'name': m[4].strip()}
            maps.append(cur)
        elif cur is not None:
            k, _, v = line.partition(':')
            if v.strip().endswith('kB'):
                cur[k] = int(v.split()[0])
    return maps

LIBDIRS = ('/usr/lib/x86_64-linux-gnu/', '/lib/x86_64-linux-gnu/', '/usr/lib64/', '/lib64/', '/usr/lib/', '/lib/')
_needed = {}
def needed(path):
    if path not in _needed:
        out = subprocess.run(['readelf', '-d', path], capture_output=True, text=True).stdout
        _needed[path] = re.findall(r'NEEDED.*\[(.*)\]', out)
    return _needed[path]
def resolve(lib):
    for d in LIBDIRS:
        if os.path.exists(d + lib):
            return os.path.realpath(d + lib)
    return None
def closure(roots):
    seen, todo = set(), [r for r in roots if r]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo += [q for q in map(resolve, needed(p)) if q]
    return seen

# Which libraries are there only for the launchers (libzookeeper: Mesos
# master discovery; dlopen()ed, so found among the mappings) and which only
# for libgfapi and the translators it loads: agorad's NEEDED closure with
# and without them.
def lib_groups(image, maps):
    direct = [resolve(n) for n in needed(image)]
    launch = sorted({m['name'] for m in maps if re.search(r'/libzookeeper', m['name'])})
    gf = [p for p in direct if p and re.search(r'/lib(gfapi|glusterfs)\.so', p)]
    gf += sorted({m['name'] for m in maps if '/glusterfs/' in m['name'] and m['name'].endswith('.so')})
    rest = [p for p in direct if p and p not in launch and p not in gf]
    base = closure(rest)
    return closure(launch) - base - closure(gf), closure(gf) - base

def classify(maps, groups):
    launch, gf = groups
    out = {}
    for i, m in enumerate(maps):
        name, perm = m['name'], m['perm']
        real = os.path.realpath(name) if name.startswith('/') else name
        if name == '[heap]':
            c = 'heap (main arena)'
        elif name == '[stack]':
            c = 'main thread stack'
        elif name.startswith('['):
            c = 'kernel ([vdso], [vvar])'
        elif name == '':
            nxt = maps[i + 1] if i + 1 < len(maps) else None
            prv = maps[i - 1] if i > 0 else None
            if perm == '---p':
                c = 'anon: guard pages, reserved'
            elif m['lo'] % (64 << 20) == 0 and ((nxt and nxt['name'] == '' and nxt['perm'] == '---p'
                                                 and nxt['lo'] == m['hi'])
                                                or m['hi'] - m['lo'] == 64 << 20):
                c = 'malloc arenas of other threads'
            elif prv and prv['name'] == '' and prv['perm'] == '---p' and prv['hi'] == m['lo'] \
                    and prv['hi'] - prv['lo'] <= 64 << 10:
                c = 'thread stacks'
            else:
                c = 'anon: other (large mallocs, pools)'
        elif '/glusterfs/' in name:
            c = 'GlusterFS translators, rpc-transport (.so)'
        elif real in gf or re.search(r'/lib(gfapi|glusterfs|gfrpc|gfxdr)\.so', name):
            c = 'libgfapi, libglusterfs and deps only they need'
        elif real in launch:
            c = 'libzookeeper and deps only it needs'
        elif 'libcrypto' in name:
            c = 'libcrypto (agorad and libglusterfs)'
        elif re.search(r'/(libc|libm|ld-linux[^/]*)\.so', name):
            c = 'libc, libm, ld.so'
        elif name.endswith('/agorad'):
            c = 'agorad image'
        elif '.so' in name:
            c = 'other libraries'
        else:
            c = 'other files (locale, ...)'
        o = out.setdefault(c, {'Rss': 0, 'Pss': 0, 'Private_Dirty': 0, 'Size': 0, 'n': 0})
        for k in ('Rss', 'Pss', 'Private_Dirty', 'Size'):
            o[k] += m.get(k, 0)
        o['n'] += 1
    return out

def status(path):
    return {l.split(':')[0]: l.split(':', 1)[1].strip() for l in open(path)}

def mib(kb): return '%.1f' % (kb / 1024)

launcher = open(os.path.join(res, 'launcher')).read().strip() if os.path.exists(os.path.join(res, 'launcher')) else 'local'
print('agorad memory, %s, lease 1000 ms, heartbeat 100 ms, launcher %s; leader host%d'
      % (os.uname().nodename, launcher, leader))
print()
print('| agorad | threads | RSS idle | PSS idle | RSS after load | PSS after load | RSS peak under load |')
print('| --- | --- | --- | --- | --- | --- | --- |')
peak = {}
try:
    for line in open(os.path.join(res, 'rss.load')):
        n, kb = line.split()
        peak[int(n)] = max(peak.get(int(n), 0), int(kb))
except FileNotFoundError:
    pass
for n in (1, 2, 3):
    row = ['host%d%s' % (n, ' (leader)' if n == leader else ''),
           open(os.path.join(res, 'threads.idle.%d' % n)).read().strip()]
    for tag in ('idle', 'load'):
        maps = parse(os.path.join(res, 'smaps.%s.%d' % (tag, n)))
        row += [mib(int(status(os.path.join(res, 'status.%s.%d' % (tag, n)))['VmRSS'].split()[0])),
                mib(sum(m.get('Pss', 0) for m in maps))]
    row.append(mib(peak.get(n, 0)))
    print('| ' + ' | '.join(row) + ' |')
print()
print('Breakdown of host%d (the leader), MiB: RSS / PSS / private dirty' % leader)
print()
print('| class | mappings | idle RSS | idle PSS | idle priv. dirty | load RSS | load PSS | load priv. dirty |')
print('| --- | --- | --- | --- | --- | --- | --- | --- |')
groups = lib_groups(agorad, parse(os.path.join(res, 'smaps.idle.%d' % leader)))
cl = {t: classify(parse(os.path.join(res, 'smaps.%s.%d' % (t, leader))), groups) for t in ('idle', 'load')}
keys = sorted(set(cl['idle']) | set(cl['load']), key=lambda k: -cl['load'].get(k, {}).get('Rss', 0))
tot = {t: {'Rss': 0, 'Pss': 0, 'Private_Dirty': 0} for t in cl}
for k in keys:
    row = [k, str(cl['load'].get(k, cl['idle'].get(k, {})).get('n', 0))]
    for t in ('idle', 'load'):
        o = cl[t].get(k, {})
        for f in ('Rss', 'Pss', 'Private_Dirty'):
            row.append(mib(o.get(f, 0)))
            tot[t][f] += o.get(f, 0)
    print('| ' + ' | '.join(row) + ' |')
print('| total | | ' + ' | '.join(mib(tot[t][f]) for t in ('idle', 'load') for f in ('Rss', 'Pss', 'Private_Dirty')) + ' |')
PY
}
if [ -n "$REPORT" ]; then report "$REPORT"; exit; fi


ag_cluster_up mem 3 --xlator-dir "$XLDIR" || ag_die "cluster"
BG_PIDS=()
stop_ours() {
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${BG_PIDS[@]}"; do ag_wait_for 5 _ag_all_gone "$p" >/dev/null 2>&1; done
    agd_stop_all
}
ag_on_cleanup stop_ours
V=agora
M=$AG_STATE/mnt/c1
agd_volume $V || ag_die "volume"
ag_mount $V "$M" || ag_die "mount"
if [ "$LAUNCHER" = mesos ]; then
    # Mesos's default heartbeat (15 s); allocations every second
    agd_emulator_start 1 --masters 3 --agents 5 || ag_die "emulator"
    # shellcheck disable=SC2034  # read by agd_lib.sh's agd_config
    AGD_EXTRA_JSON=' "cluster_spec": "'$top'/docs/examples/seed-cluster.json", "launcher": "mesos",
  "mesos": {"masters": "http://'$AGD_EMU_IP:$AGD_EMU_PORT,$AGD_EMU_IP:$((AGD_EMU_PORT + 1))'"},'
fi
for n in 1 2 3; do agd_config $n $V "$M" || ag_die "config $n"; done
# agd_start, with AGORAD_ENV added to the environment
for n in 1 2 3; do
    d=$(agd_dir $n)
    # shellcheck disable=SC2086  # AGORAD_ENV is a list of words
    ( _ag_subshell_closefds && exec env ${AGORAD_ENV-} AGORAD_LOG_MONOTONIC=1 RUNTIME_DIRECTORY=$d/run \
        nsenter --net="$(agd_host_ns $n)" "$AGORAD" -c "$d/agorad.json" ) </dev/null >>"$d/agorad.log" 2>&1 &
    # shellcheck disable=SC2004  # AGD_PID is associative (agd_lib.sh): the $ is needed
    AGD_PID[$n]=$!
    AGD_PIDS+=("$!")
    disown $!
done
all_joined() { local n; for n in 1 2 3; do grep -q "host$n.test" "$M/.agora/hosts" || return 1; done; }
ag_wait_for 30 all_joined || ag_die "agorads did not form a cluster"
ag_wait_for 20 agd_has_leader "$M" || ag_die "no leader"
LEADER=$(agd_leader_of "$M")
LN=${LEADER#host}
if [ "$LAUNCHER" = mesos ]; then
    running() { agd_emu 'sum(t["state"] == "TASK_RUNNING" for t in s["tasks"])'; }
    ag_wait_eq 60 5 running || ag_die "the five tasks do not run on the emulator"
    grep -q 'mesos: subscribed to' "$(agd_dir "$LN")/agorad.log" || ag_die "$LEADER is not subscribed"
    note "$LEADER subscribed: $(agd_emu '[f["id"] for f in s["frameworks"] if f["connected"]]'), five tasks running"
fi
note "leader $LEADER; idle for $IDLE_S s"
sleep "$IDLE_S"

RES=$AG_STATE/results
mkdir -p "$RES"
echo "$LN" >"$RES/leader"
echo "$LAUNCHER" >"$RES/launcher"
snap() { # TAG: smaps of every agorad
    local n
    for n in 1 2 3; do
        agd_alive $n || ag_die "agorad $n died"
        cat "/proc/${AGD_PID[$n]}/smaps" >"$RES/smaps.$1.$n"
        cat "/proc/${AGD_PID[$n]}/status" >"$RES/status.$1.$n"
        cat /proc/"${AGD_PID[$n]}"/task/*/comm | sort | uniq -c >"$RES/comm.$1.$n"
        find "/proc/${AGD_PID[$n]}/task" -mindepth 1 -maxdepth 1 | wc -l >"$RES/threads.$1.$n"
    done
}
snap idle

# --- load -----------------------------------------------------------------------------------------
for k in $(seq 1 "$NCL"); do ssh-keygen -q -t ed25519 -N '' -C "l$k" -f "$AG_STATE/l$k" <<<y >/dev/null 2>&1; done
( while :; do for n in 1 2 3; do awk -v n=$n '/VmRSS/ { print n, $2 }' "/proc/${AGD_PID[$n]}/status" 2>/dev/null; done; sleep 0.2; done ) >"$RES/rss.load" &
BG_PIDS+=("$!")
SAMPLER=$!
loader() { # K: join and leave in a loop through host ((K-1)%3+1)
    local k=$1 h=$(( ($1 - 1) % 3 + 1 )) i=0 end=$(( SECONDS + LOAD_S ))
    while [ $SECONDS -lt $end ]; do
        i=$((i + 1))
        agd_ctl $h join "l$k-$i" "l$k-$i.test" "10.9.$k.$(( i % 250 + 1 ))" "$AG_STATE/l$k.pub" >/dev/null 2>&1 &&
            echo ok >>"$RES/ops"
        agd_ctl $h leave "l$k-$i" >/dev/null 2>&1 && echo ok >>"$RES/ops"
    done
}
note "load: $NCL clients for $LOAD_S s"
LPIDS=()
for k in $(seq 1 "$NCL"); do loader "$k" & LPIDS+=("$!"); BG_PIDS+=("$!"); done
for p in "${LPIDS[@]}"; do wait "$p"; done
snap load
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null
note "$(wc -l <"$RES/ops" 2>/dev/null || echo 0) commits under load"

report "$RES"
note "load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${BENCH_KEEP-}" ]; then mkdir -p "$BENCH_KEEP" && cp -r "$RES" "$BENCH_KEEP/"; fi
