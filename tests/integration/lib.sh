# tests/integration/lib.sh: the shared harness for every test that needs a real
# GlusterFS cluster. Source it from a bash test script:
#
#   . "$(dirname "$0")/lib.sh"      # or "$srcdir/integration/lib.sh"
#   ag_cluster_up mytest 3 || exit 99
#   ag_volume_create v0 && ag_volume_start v0 || exit 99
#   ag_mount v0 "$AG_STATE/mnt/c1" || exit 99
#   ...                             # teardown runs by itself (trap EXIT INT TERM)
#
# Layout (docs/testing-gluster.md has the details, timings and pitfalls):
#   netns ag-NAME-PID-sw : bridges br0 (+ br1, spare segment for partitions)
#   netns ag-NAME-PID-hN : eth0 $AG_SUBNET.N/24; a "holder" process keeps a
#                          private mount namespace in which /run,
#                          /var/lib/glusterd, /var/log/glusterfs are shadowed by
#                          $AG_STATE/hN/{run,lib,log}, gsyncd is the stub, and
#                          (--xlator-dir) DIR is the user translator directory.
#                          glusterd runs there with default paths; bricks and
#                          shd inherit it.
#   netns ag-NAME-PID-cK : eth0 $AG_SUBNET.(100+K)/24; one FUSE client per
#                          ag_mount, mounted in the caller's mount namespace.
# Hosts and bricks are numbered from 1. Everything is killed by PID (ip netns
# pids of our own namespaces), never by process name.
#
# One cluster per test process. Functions return non-zero on failure and print
# why on stderr; setup failures are best turned into exit 99 (hard error),
# test failures into ag_fail (exit 1), missing prerequisites into ag_skip (77).
#
# Environment knobs (all optional):
#   AG_SUBNET        first three octets of the private /24 (default 10.77.0)
#   AG_TMPDIR        where the state dir is made (default ${TMPDIR:-/tmp})
#   AG_PING_TIMEOUT  network.ping-timeout set by ag_volume_create (default 3,
#                    empty: leave GlusterFS's 42 s)
#   AG_TIMEOUT       default bound of the harness's own waits (default 30 s)
#   AG_KEEP_LOGS     directory: copy all gluster logs there at teardown
#   AG_QUIET=1       no progress lines on stderr
#   AG_GLUSTER_LIBDIR  e.g. /usr/lib/x86_64-linux-gnu/glusterfs (autodetected)

# shellcheck shell=bash

# Child subreaper. Daemons (glusterd, bricks, shd, FUSE clients) are orphans;
# they are reparented to PID 1, and glusterd takes an unreaped zombie for a
# running brick ("discovered already-running brick": volume start force then
# does nothing). Some inits reap slowly (~2 s on the Firecracker VM) or never
# (a container whose PID 1 is not an init). So the test script re-executes
# itself (same PID, same arguments) with PR_SET_CHILD_SUBREAPER set: the
# orphans become children of the test's bash, which reaps them at once.
# Source lib.sh before doing anything that must not run twice.
# AG_NO_SUBREAPER=1 turns this off.
if [ -z "${AG_SUBREAPER_DONE-}" ] && [ -z "${AG_NO_SUBREAPER-}" ] &&
   [ "$(id -u)" = 0 ] && [ "${#BASH_SOURCE[@]}" = 2 ] && [ "${BASH_SOURCE[1]}" = "$0" ] &&
   [ -f "$0" ] && command -v python3 >/dev/null 2>&1; then
    export AG_SUBREAPER_DONE=1
    exec python3 -c 'import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.stderr.write("ag: PR_SET_CHILD_SUBREAPER failed\n")
os.execv(sys.argv[1], sys.argv[1:])' "$BASH" "$0" "$@"
fi

AG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AG_SUBNET=${AG_SUBNET:-10.77.0}
AG_PING_TIMEOUT=${AG_PING_TIMEOUT-3}
AG_TIMEOUT=${AG_TIMEOUT:-30}
AG_STATE=${AG_STATE-}
AG_NHOSTS=0
AG_NS_PREFIX=
AG_XLATOR_SRC=
AG_CLEANUP_HOOKS=()
AG_CLEANUP_AFTER=()
AG_CLUSTER_DOWN_DONE=
AG_BG_PIDS=()

# ---------------------------------------------------------------- basics

ag_now() { printf '%s\n' "$EPOCHREALTIME"; }

# ag_since T0: seconds since T0 (from ag_now), two decimals
ag_since() {
    local now=$EPOCHREALTIME
    awk -v a="$1" -v b="$now" 'BEGIN { printf "%.2f\n", b - a }'
}

ag_log() {
    [ "${AG_QUIET-}" = 1 ] && return 0
    printf '[ag %s] %s\n' "$(date +%T.%N | cut -c1-12)" "$*" >&2
}

ag_skip() { echo "SKIP: $*" >&2; exit 77; }
ag_fail() { echo "FAIL: $*" >&2; exit 1; }
ag_die()  { echo "ERROR: $*" >&2; exit 99; }

# ag_wait_for TIMEOUT_S CMD...: runs CMD (stdout discarded) until it succeeds,
# at most TIMEOUT_S seconds (fractions allowed). Polls every 20 ms at first,
# backing off to 200 ms. Returns 1 on timeout.
ag_wait_for() {
    local timeout=$1 start=$EPOCHREALTIME delay=0.02
    shift
    while :; do
        "$@" >/dev/null && return 0
        if awk -v s="$start" -v n="$EPOCHREALTIME" -v t="$timeout" \
            'BEGIN { exit !(n - s >= t) }'; then
            echo "ag_wait_for: timed out after ${timeout}s: $*" >&2
            return 1
        fi
        sleep "$delay"
        case $delay in 0.02) delay=0.05 ;; 0.05) delay=0.1 ;; 0.1) delay=0.2 ;; esac
    done
}

# ag_wait_eq TIMEOUT_S EXPECTED CMD...: like EXPECT_WITHIN: waits until CMD's
# stdout equals EXPECTED. On timeout prints the last output and returns 1.
ag_wait_eq() {
    local timeout=$1 want=$2
    shift 2
    _ag_eq() { local out; out=$("$@" 2>/dev/null); _ag_last=$out; [ "$out" = "$want" ]; }
    _ag_last=
    if ag_wait_for "$timeout" _ag_eq "$@" 2>/dev/null; then return 0; fi
    echo "ag_wait_eq: timed out after ${timeout}s: wanted '$want', last '$_ag_last': $*" >&2
    return 1
}

# _ag_subshell_closefds: closes every descriptor above 2, so that daemons
# never hold the test's (or its runner's) pipes open. Only ever call it in a
# subshell: ( _ag_subshell_closefds; exec daemon ... ) or { ...; } &
_ag_subshell_closefds() {
    local fd
    [ "$BASHPID" != $$ ] || { echo "ag: _ag_subshell_closefds in the main shell" >&2; return 1; }
    for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
    done
    return 0
}

# _ag_alive PID: the process exists and is not a zombie
_ag_alive() {
    local st
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
    { read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
    st=${st##*) } st=${st%% *}   # the state follows "(comm) "
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
_ag_all_dead() { local p; for p in "$@"; do _ag_alive "$p" && return 1; done; return 0; }
# _ag_all_gone PID...: not even a zombie is left. glusterd takes a zombie for
# a running brick (it only checks /proc/PID), and orphans are reaped by PID 1,
# which on some VMs polls only every ~2 s.
_ag_all_gone() { local p; for p in "$@"; do [ -e "/proc/$p" ] && return 1; done; return 0; }

# ---------------------------------------------------------------- environment

_ag_find_gluster() {
    local d v
    if [ -z "${AG_GLUSTER_LIBDIR-}" ]; then
        for d in /usr/lib/x86_64-linux-gnu/glusterfs /usr/lib/*-linux-gnu*/glusterfs \
                 /usr/lib64/glusterfs /usr/libexec/glusterfs /usr/lib/glusterfs; do
            if [ -x "$d/glfsheal" ] && [ -e "$d/gsyncd" ]; then AG_GLUSTER_LIBDIR=$d; break; fi
        done
    fi
    [ -n "${AG_GLUSTER_LIBDIR-}" ] || return 1
    AG_GLFSHEAL=$AG_GLUSTER_LIBDIR/glfsheal
    AG_GSYNCD=$AG_GLUSTER_LIBDIR/gsyncd
    if [ -z "${AG_GLUSTER_XLATORDIR-}" ]; then
        v=$(glusterfsd --version 2>/dev/null | awk 'NR == 1 { print $2 }')
        if [ -n "$v" ] && [ -d "$AG_GLUSTER_LIBDIR/$v/xlator" ]; then
            AG_GLUSTER_XLATORDIR=$AG_GLUSTER_LIBDIR/$v/xlator
        else
            for d in "$AG_GLUSTER_LIBDIR"/*/xlator /usr/lib/*/glusterfs/*/xlator /usr/lib64/glusterfs/*/xlator; do
                [ -d "$d/storage" ] && { AG_GLUSTER_XLATORDIR=$d; break; }
            done
        fi
    fi
    [ -n "${AG_GLUSTER_XLATORDIR-}" ]
}

# ag_require_env: exits 77 (skip) unless we are root and GlusterFS, FUSE and
# network namespaces are usable. ag_cluster_up calls it.
ag_require_env() {
    local c probe
    [ "${BASH_VERSINFO[0]:-0}" -ge 5 ] || ag_skip "bash >= 5 needed (EPOCHREALTIME)"
    [ "$(id -u)" = 0 ] || ag_skip "integration tests need root (network and mount namespaces, FUSE)"
    for c in ip nsenter unshare flock timeout mount umount awk glusterd glusterfsd glusterfs gluster; do
        command -v "$c" >/dev/null 2>&1 || ag_skip "command '$c' not found"
    done
    _ag_find_gluster || ag_skip "GlusterFS helper directory (glfsheal, gsyncd, xlator/) not found"
    [ -c /dev/fuse ] || ag_skip "/dev/fuse missing (FUSE unavailable)"
    grep -qw fuse /proc/filesystems || ag_skip "kernel has no fuse filesystem"
    # a throw-away namespace proves netns, veth and bridges all work
    probe=ag-probe-$$-sw   # the shape ag_reap_stale recognises
    if ! _ag_locked ip netns add "$probe" 2>/dev/null; then
        ag_skip "cannot create network namespaces (ip netns add failed)"
    fi
    if ! ip -n "$probe" link add br0 type bridge 2>/dev/null ||
       ! ip -n "$probe" link add v0 type veth peer name v1 2>/dev/null; then
        ip netns del "$probe" 2>/dev/null
        _ag_netns_dir_cleanup
        ag_skip "veth or bridge devices unavailable in network namespaces"
    fi
    ip netns del "$probe"
    _ag_netns_dir_cleanup
    return 0
}

# _ag_locked CMD...: serialises creation of the first namespace with the
# removal of /run/netns between parallel harness runs (flock on this file).
_ag_locked() {
    local rc
    {
        flock -w 30 9 || { echo "ag: lock timeout" >&2; return 1; }
        "$@"; rc=$?
        flock -u 9
    } 9<"$AG_LIB_DIR/lib.sh"
    return $rc
}

# /run/netns is created (as a shared bind mount) by the first "ip netns add".
# Once no namespace is left on the machine, remove it again.
_ag_netns_dir_cleanup_locked() {
    [ -d /run/netns ] || return 0
    [ -z "$(ls -A /run/netns 2>/dev/null)" ] || return 0
    if mountpoint -q /run/netns 2>/dev/null; then umount /run/netns 2>/dev/null || umount -l /run/netns; fi
    rmdir /run/netns 2>/dev/null
    return 0
}
_ag_netns_dir_cleanup() { _ag_locked _ag_netns_dir_cleanup_locked; }

# ---------------------------------------------------------------- network

_ag_ns() { printf '%s-%s\n' "$AG_NS_PREFIX" "$1"; }

# _ag_add_ns SHORT IP: namespace SHORT (h1, c2...) with eth0=IP, port p-SHORT
# on the switch's br0, fast SYN failure.
_ag_add_ns() {
    local short=$1 ip=$2 ns sw
    ns=$(_ag_ns "$short") sw=$(_ag_ns sw)
    echo "$ns" >>"$AG_STATE/netns.list"   # first: a signal may come any time
    _ag_locked ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up &&
    ip link add eth0 netns "$ns" type veth peer name "p-$short" netns "$sw" &&
    ip -n "$ns" addr add "$ip/24" dev eth0 &&
    ip -n "$ns" link set eth0 up &&
    ip -n "$sw" link set "p-$short" master br0 up &&
    ip netns exec "$ns" sh -c 'echo 2 > /proc/sys/net/ipv4/tcp_syn_retries'
}

ag_host_ip() { printf '%s.%s\n' "$AG_SUBNET" "$1"; }

# ag_net_down N / ag_net_up N: take host N's switch port down / up (isolates
# the host silently: no FIN/RST, peers notice only by timeouts).
ag_net_down() { ip -n "$(_ag_ns sw)" link set "p-h$1" down; }
ag_net_up()   { ip -n "$(_ag_ns sw)" link set "p-h$1" up; }

# ---------------------------------------------------------------- hosts

_ag_holder_pid() { cat "$AG_STATE/h$1/holder.pid" 2>/dev/null; }
_ag_glusterd_pid() { cat "$AG_STATE/h$1/glusterd.pid" 2>/dev/null; }

# ag_holder_pid N: the PID of host N's namespace holder (nsenter -t PID -m -n
# enters host N's mount and network namespaces without a bash in between)
ag_holder_pid() { _ag_holder_pid "$1"; }

# ag_in_host N CMD...: runs CMD inside host N's network and mount namespace
# (there, /var/lib/glusterd, /run and /var/log/glusterfs are host N's, and
# glusterd answers on the default /var/run/glusterd.socket).
ag_in_host() {
    local n=$1 h
    shift
    h=$(_ag_holder_pid "$n")
    _ag_alive "$h" || { echo "ag_in_host: host $n has no namespace holder" >&2; return 1; }
    # never run anything (above all glusterd) in the caller's namespaces
    if [ "$(readlink "/proc/$h/ns/mnt")" = "$(readlink /proc/$$/ns/mnt)" ] ||
       [ "$(readlink "/proc/$h/ns/net")" = "$(readlink /proc/$$/ns/net)" ]; then
        echo "ag_in_host: holder $h of host $n is not in the host's namespaces; refusing" >&2
        return 1
    fi
    nsenter -t "$h" -m -n --wd="$PWD" -- "$@"
}

# ag_gluster N ARGS...: the gluster CLI talking to host N's glusterd
ag_gluster() {
    local n=$1
    shift
    ag_in_host "$n" gluster --mode=script "$@" </dev/null
}

# the first host whose glusterd is alive (for queries that any host can answer)
_ag_cli_host() {
    local i
    for i in $(seq 1 "$AG_NHOSTS"); do
        _ag_alive "$(_ag_glusterd_pid "$i")" && { echo "$i"; return 0; }
    done
    echo 1
}

# _ag_start_holder N: the process that owns host N's private mount namespace
_ag_start_holder() {
    local n=$1 d=$AG_STATE/h$1 ns script xl=
    ns=$(_ag_ns "h$n")
    mkdir -p "$d/run" "$d/lib" "$d/log" "$d/bricks"
    # volume set VOL group NAME reads /var/lib/glusterd/groups/NAME (the
    # packaged hook scripts are deliberately not copied)
    [ -d "$d/lib/groups" ] || cp -a /var/lib/glusterd/groups "$d/lib/" 2>/dev/null
    rm -f "$d/ready"
    if [ -n "$AG_XLATOR_SRC" ]; then
        # Always overlay the real directory read-only with a layer that has
        # its own user/, and bind our build over that: never over the real
        # user/, which a package install or removal elsewhere (the packaging
        # test) may delete, detaching our mount under running bricks.
        mkdir -p "$d/xl-layer/user"
        xl="mount -t overlay agora-xl -o 'lowerdir=$d/xl-layer:$AG_GLUSTER_XLATORDIR' '$AG_GLUSTER_XLATORDIR' &&
            mount --bind '$AG_XLATOR_SRC' '$AG_GLUSTER_XLATORDIR/user'"
    fi
    # Lazily detach mounts copied from the caller that would pin other runs'
    # namespaces (/run/netns/*) or FUSE mounts until this host dies.
    script="
        umount -l /run/netns 2>/dev/null
        awk -v me='$AG_STATE' '\$3 ~ /^fuse/ || (\$2 ~ /\\/agora-it\\./ && \$2 != me) { print \$2 }' /proc/self/mounts |
            while read -r m; do umount -l \"\$m\" 2>/dev/null; done
        mount --bind '$d/run' /run &&
        mount --bind '$d/lib' /var/lib/glusterd &&
        mount --bind '$d/log' /var/log/glusterfs &&
        mount --bind '$AG_STATE/gsyncd' '$AG_GSYNCD' &&
        ${xl:-true} &&
        echo ok > '$d/ready' || { echo failed > '$d/ready'; exit 1; }
        exec sleep infinity"
    # (a brace group with &: exec replaces the background subshell, so $! is
    # the holder itself)
    { _ag_subshell_closefds && exec ip netns exec "$ns" unshare -m --propagation private sh -c "$script"; } \
        </dev/null >>"$d/holder.log" 2>&1 &
    echo $! >"$d/holder.pid"
    disown $!
}

_ag_wait_holder() {
    local n=$1 d=$AG_STATE/h$1
    if ! ag_wait_for "$AG_TIMEOUT" test -s "$d/ready" || [ "$(cat "$d/ready")" != ok ]; then
        echo "ag: host $n: private mount namespace setup failed:" >&2
        cat "$d/holder.log" >&2
        return 1
    fi
}

# _ag_start_glusterd N: glusterd in host N's namespaces, default paths,
# fast peer failure detection. Returns after glusterd's init (P8 of the notes).
_ag_start_glusterd() {
    local n=$1 d=$AG_STATE/h$1
    rm -f "$d/glusterd.pid"
    if ! ( _ag_subshell_closefds && ag_in_host "$n" glusterd \
        --xlator-option management.transport.socket.keepalive-time=2 \
        --xlator-option management.transport.socket.keepalive-interval=1 \
        --xlator-option management.transport.tcp-user-timeout=3 \
        -p "$d/glusterd.pid" ) </dev/null >>"$d/glusterd.out" 2>&1; then
        cat "$d/glusterd.out" >&2
        echo "ag: glusterd of host $n failed to start:" >&2
        tail -n 20 "$d/log/glusterd.log" >&2
        return 1
    fi
    ag_wait_for "$AG_TIMEOUT" test -S "$d/run/glusterd.socket"
}

_ag_peers_connected() {
    local n=$1 want=$2 got
    got=$(ag_gluster "$n" peer status 2>/dev/null | grep -c 'Peer in Cluster (Connected)')
    [ "$got" = "$want" ]
}

# ag_kill_host N: kill -9 every process of host N (glusterd, bricks, shd and
# anything run there by ag_in_host), keeping its namespaces.
ag_kill_host() {
    local n=$1 h pids=() p
    h=$(_ag_holder_pid "$n")
    for p in $(ip netns pids "$(_ag_ns "h$n")"); do
        [ "$p" = "$h" ] || pids+=("$p")
    done
    [ ${#pids[@]} -gt 0 ] || return 0
    kill -9 "${pids[@]}" 2>/dev/null
    ag_wait_for 10 _ag_all_gone "${pids[@]}"
}

# ag_start_host N: restart host N's glusterd (it restarts bricks and shd of
# started volumes by itself). Does not wait for the bricks.
ag_start_host() { _ag_start_glusterd "$1"; }

# ---------------------------------------------------------------- cluster

# ag_cluster_up NAME NHOSTS [--xlator-dir DIR]
ag_cluster_up() {
    local name=$1 n=$2 t0 t i
    shift 2 || { echo "usage: ag_cluster_up NAME NHOSTS [--xlator-dir DIR]" >&2; return 2; }
    while [ $# -gt 0 ]; do
        case $1 in
        --xlator-dir) AG_XLATOR_SRC=$(cd "$2" && pwd) || return 2; shift 2 ;;
        *) echo "ag_cluster_up: unknown argument $1" >&2; return 2 ;;
        esac
    done
    case $n in 1|3) ;; *) echo "ag_cluster_up: NHOSTS must be 1 or 3" >&2; return 2 ;; esac
    [ -z "$AG_NS_PREFIX" ] || { echo "ag_cluster_up: a cluster is already up" >&2; return 2; }
    ag_require_env
    ag_reap_stale
    if [ -n "$AG_XLATOR_SRC" ] && [ ! -d "$AG_XLATOR_SRC" ]; then
        echo "ag_cluster_up: --xlator-dir $AG_XLATOR_SRC is not a directory" >&2; return 2
    fi
    t0=$EPOCHREALTIME
    name=$(printf '%s' "$name" | tr -c 'a-zA-Z0-9' '-' | cut -c1-16)
    AG_NS_PREFIX=ag-$name-$$
    AG_NHOSTS=$n
    AG_CLUSTER_DOWN_DONE=
    AG_STATE=$(mktemp -d "${AG_TMPDIR:-${TMPDIR:-/tmp}}/agora-it.XXXXXX") || return 1
    chmod 755 "$AG_STATE"
    # tmpfs: creating and deleting brick trees and glusterd's fsync'ed store
    # on a busy disk cost seconds (AG_TMPFS=0 keeps the state on disk)
    if [ "${AG_TMPFS:-1}" = 1 ]; then
        mount -t tmpfs -o "size=${AG_TMPFS_SIZE:-4g},mode=755" agora-it "$AG_STATE" || return 1
    fi
    echo $$ >"$AG_STATE/owner"
    mkdir -p "$AG_STATE/mnt" "$AG_STATE/clients" "$AG_STATE/vols"
    : >"$AG_STATE/netns.list"
    : >"$AG_STATE/mounts"
    echo 0 >"$AG_STATE/nclients"
    # saved for the traps (daemons never inherit them: _ag_subshell_closefds)
    [ -n "${AG_OUT_FD-}" ] || exec {AG_OUT_FD}>&1
    [ -n "${AG_ERR_FD-}" ] || exec {AG_ERR_FD}>&2
    trap '_ag_on_exit' EXIT
    trap '_ag_on_signal 129' HUP
    trap '_ag_on_signal 130' INT
    trap '_ag_on_signal 141' PIPE
    trap '_ag_on_signal 143' TERM
    # copy the stub so that its mode does not depend on the source tree's
    install -m 755 "$AG_LIB_DIR/gsyncd-stub" "$AG_STATE/gsyncd" || return 1

    _ag_ns sw >>"$AG_STATE/netns.list"
    _ag_locked ip netns add "$(_ag_ns sw)" || return 1
    ip -n "$(_ag_ns sw)" link set lo up &&
    ip -n "$(_ag_ns sw)" link add br0 type bridge &&
    ip -n "$(_ag_ns sw)" link set br0 up &&
    ip -n "$(_ag_ns sw)" link add br1 type bridge &&
    ip -n "$(_ag_ns sw)" link set br1 up || return 1
    for i in $(seq 1 "$n"); do
        _ag_add_ns "h$i" "$(ag_host_ip "$i")" || return 1
    done
    t=$(ag_since "$t0"); ag_log "cluster $AG_NS_PREFIX: network ${t}s (state $AG_STATE)"

    for i in $(seq 1 "$n"); do _ag_start_holder "$i" || return 1; done
    for i in $(seq 1 "$n"); do _ag_wait_holder "$i" || return 1; done
    # the glusterds start in parallel (each returns after its init)
    # (AG_BG_PIDS: a teardown during the start stops these subshells first)
    AG_BG_PIDS=()
    for i in $(seq 1 "$n"); do _ag_start_glusterd "$i" & AG_BG_PIDS+=($!); done
    for i in "${AG_BG_PIDS[@]}"; do wait "$i" || { AG_BG_PIDS=(); return 1; }; done
    AG_BG_PIDS=()
    t=$(ag_since "$t0"); ag_log "cluster: $n glusterd up at ${t}s"

    if [ "$n" -gt 1 ]; then
        for i in $(seq 2 "$n"); do
            ag_gluster 1 peer probe "$(ag_host_ip "$i")" >/dev/null || {
                echo "ag: peer probe of host $i failed" >&2; return 1; }
        done
        for i in $(seq 1 "$n"); do
            ag_wait_for "$AG_TIMEOUT" _ag_peers_connected "$i" $((n - 1)) || {
                ag_gluster "$i" peer status >&2; return 1; }
        done
    fi
    t=$(ag_since "$t0"); ag_log "cluster up: ${t}s"
    return 0
}

# ag_reap_stale: removes what harness runs killed with SIGKILL left behind:
# namespaces ag-NAME-PID-* and state dirs whose owner PID no longer exists.
# ag_cluster_up calls it; live runs (their PID exists) are never touched.
ag_reap_stale() {
    local ns owner d p pids m
    for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
        owner=$(printf '%s\n' "$ns" | sed -n 's/^ag-.*-\([0-9][0-9]*\)-\(sw\|h[0-9][0-9]*\|c[0-9][0-9]*\)$/\1/p')
        [ -n "$owner" ] && [ ! -e "/proc/$owner" ] || continue
        pids=$(ip netns pids "$ns" 2>/dev/null)
        echo "ag: reaping stale namespace $ns (owner $owner is gone)${pids:+, killing $(echo $pids)}" >&2
        # shellcheck disable=SC2086
        [ -z "$pids" ] || { kill -9 $pids 2>/dev/null; ag_wait_for 10 _ag_all_dead $pids; }
        ip netns del "$ns" 2>/dev/null
    done
    for d in "${AG_TMPDIR:-${TMPDIR:-/tmp}}"/agora-it.*; do
        [ -f "$d/owner" ] || continue
        owner=$(cat "$d/owner" 2>/dev/null)
        [ -n "$owner" ] && [ ! -e "/proc/$owner" ] || continue
        echo "ag: reaping stale state dir $d (owner $owner is gone)" >&2
        pids=()
        for p in $(grep -lsaFf <(printf '%s/\n' "$d") /proc/[0-9]*/cmdline); do
            p=${p#/proc/} p=${p%/cmdline}
            [ "$p" = $$ ] || [ "$p" = "$BASHPID" ] || pids+=("$p")
        done
        [ ${#pids[@]} -eq 0 ] || { kill -9 "${pids[@]}" 2>/dev/null; ag_wait_for 10 _ag_all_dead "${pids[@]}"; }
        while read -r _ m _; do
            case $m in "$d"|"$d"/*) umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ;; esac
        done < <(tac /proc/self/mounts)
        rm -rf "$d"
    done
    _ag_netns_dir_cleanup
    return 0
}

# ag_on_cleanup [--after] CMD...: runs CMD at the start of ag_cluster_down
# (while the cluster still runs), or with --after at its end. Use it instead
# of your own trap EXIT, which would replace the harness's.
ag_on_cleanup() {
    if [ "$1" = --after ]; then
        shift
        AG_CLEANUP_AFTER+=("$(printf '%q ' "$@")")
    else
        AG_CLEANUP_HOOKS+=("$(printf '%q ' "$@")")
    fi
}

# The traps may fire inside a function whose stdout/stderr is redirected
# (ag_wait_for >/dev/null): teardown messages go to the saved descriptors.
_ag_restore_fds() {
    [ -n "${AG_OUT_FD-}" ] && exec 1>&"$AG_OUT_FD"
    [ -n "${AG_ERR_FD-}" ] && exec 2>&"$AG_ERR_FD"
    return 0
}
_ag_on_exit() {
    local rc=$?
    trap '' HUP INT PIPE TERM
    _ag_restore_fds
    ag_cluster_down
    exit $rc
}
_ag_on_signal() {
    # no second interruption of the teardown; a closed stdout/stderr (PIPE)
    # must not kill it either
    trap '' HUP INT PIPE TERM
    trap - EXIT
    _ag_restore_fds
    echo "ag: signal, tearing down" >&2
    ag_cluster_down
    exit "$1"
}

# ag_cluster_down: unmount, kill by PID, delete namespaces and the state dir.
# Idempotent; runs by itself at exit.
ag_cluster_down() {
    local t0=$EPOCHREALTIME mnt ns p pids=() h me st round
    [ -n "$AG_STATE" ] && [ -z "$AG_CLUSTER_DOWN_DONE" ] || return 0
    AG_CLUSTER_DOWN_DONE=1
    for h in "${AG_CLEANUP_HOOKS[@]}"; do eval "$h" || true; done
    if [ -n "${AG_KEEP_LOGS-}" ] && [ -d "$AG_STATE" ]; then
        AG_KEEP_LOGS=$(mkdir -p "$AG_KEEP_LOGS" && cd "$AG_KEEP_LOGS" && pwd) && (cd "$AG_STATE" &&
            find . -path ./mnt -prune -o \( -name '*.log' -o -name '*.out' -o -name '*.vol' \) \
                -type f -exec cp --parents {} "$AG_KEEP_LOGS" \;) 2>/dev/null
    fi
    # 1. FUSE mounts (the clients exit once unmounted; killed below anyway)
    if [ -s "$AG_STATE/mounts" ]; then
        while read -r mnt _; do
            if mountpoint -q "$mnt" 2>/dev/null || grep -q " $mnt " /proc/self/mounts; then
                timeout 10 umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
            fi
        done < <(tac "$AG_STATE/mounts")
    fi
    # 2. every process in our namespaces, plus stragglers naming our state
    # dir. Repeated until a sweep finds nothing: a command that entered a
    # namespace just before the holders died may still spawn something.
    [ ${#AG_BG_PIDS[@]} -eq 0 ] || kill -9 "${AG_BG_PIDS[@]}" 2>/dev/null
    AG_BG_PIDS=()
    me=" $$ $BASHPID "
    for round in 1 2 3 4 5; do
        pids=()
        if [ -f "$AG_STATE/netns.list" ]; then
            while read -r ns; do
                for p in $(ip netns pids "$ns" 2>/dev/null); do pids+=("$p"); done
            done <"$AG_STATE/netns.list"
        fi
        # (the pattern goes through a pipe: on grep's command line it would match grep)
        for p in $(grep -lsaFf <(printf '%s/\n' "$AG_STATE") /proc/[0-9]*/cmdline); do
            p=${p#/proc/} p=${p%/cmdline}
            case $me in *" $p "*) continue ;; esac
            _ag_alive "$p" && pids+=("$p")
        done
        [ ${#pids[@]} -gt 0 ] || break
        kill -9 "${pids[@]}" 2>/dev/null
        ag_wait_for 10 _ag_all_dead "${pids[@]}" || echo "ag: processes survived kill -9: ${pids[*]}" >&2
        [ "$round" = 1 ] && sleep 0.05
    done
    # 3. namespaces (a namespace with a live process would survive invisibly)
    if [ -f "$AG_STATE/netns.list" ]; then
        while read -r ns; do ip netns del "$ns" 2>/dev/null; done <"$AG_STATE/netns.list"
    fi
    _ag_netns_dir_cleanup
    # 4. anything still mounted below the state dir, then the state dir
    while read -r _ st _; do
        case $st in "$AG_STATE"|"$AG_STATE"/*) umount "$st" 2>/dev/null || umount -l "$st" 2>/dev/null ;; esac
    done < <(tac /proc/self/mounts)
    rm -rf "$AG_STATE"
    for h in "${AG_CLEANUP_AFTER[@]}"; do eval "$h" || true; done
    ag_log "cluster $AG_NS_PREFIX down: $(ag_since "$t0")s"
    AG_NS_PREFIX=
    AG_NHOSTS=0
    AG_XLATOR_SRC=
    AG_CLEANUP_HOOKS=()
    AG_CLEANUP_AFTER=()
    return 0
}

# ---------------------------------------------------------------- volumes

# ag_volume_create VOL: replica 3, brick N on host N (3 hosts) or 3 bricks
# on host 1 (1 host). Sets network.ping-timeout $AG_PING_TIMEOUT.
ag_volume_create() {
    local vol=$1 i bricks=() path
    : >"$AG_STATE/vols/$vol.bricks"
    for i in 1 2 3; do
        if [ "$AG_NHOSTS" = 3 ]; then
            path=$AG_STATE/h$i/bricks/$vol
            bricks+=("$(ag_host_ip "$i"):$path")
            echo "$(ag_host_ip "$i") $path $i" >>"$AG_STATE/vols/$vol.bricks"
        else
            path=$AG_STATE/h1/bricks/$vol-b$i
            bricks+=("$(ag_host_ip 1):$path")
            echo "$(ag_host_ip 1) $path 1" >>"$AG_STATE/vols/$vol.bricks"
        fi
    done
    ag_gluster "$(_ag_cli_host)" volume create "$vol" replica 3 "${bricks[@]}" force >/dev/null || {
        echo "ag: volume create $vol failed" >&2; return 1; }
    if [ -n "$AG_PING_TIMEOUT" ]; then
        ag_volume_set "$vol" network.ping-timeout "$AG_PING_TIMEOUT" || return 1
    fi
}

ag_volume_set() {
    ag_gluster "$(_ag_cli_host)" volume set "$1" "$2" "$3" >/dev/null || {
        echo "ag: volume set $1 $2 $3 failed" >&2; return 1; }
}

_ag_nbricks() { wc -l <"$AG_STATE/vols/$1.bricks"; }

# ag_brick_path VOL N / ag_brick_host VOL N (N = 1..3)
ag_brick_path() { awk -v n="$2" 'NR == n { print $2 }' "$AG_STATE/vols/$1.bricks"; }
ag_brick_host() { awk -v n="$2" 'NR == n { print $3 }' "$AG_STATE/vols/$1.bricks"; }

# _ag_status VOL: one line per brick/daemon: hostname path status pid
_ag_status() {
    ag_gluster "$(_ag_cli_host)" volume status "$1" --xml 2>/dev/null |
    awk 'BEGIN { RS = "<node>" }
         NR > 1 {
           h = p = s = pid = "-"
           if (match($0, /<hostname>[^<]*<\/hostname>/)) h = substr($0, RSTART + 10, RLENGTH - 21)
           if (match($0, /<path>[^<]*<\/path>/)) p = substr($0, RSTART + 6, RLENGTH - 13)
           if (match($0, /<status>[^<]*<\/status>/)) s = substr($0, RSTART + 8, RLENGTH - 17)
           if (match($0, /<pid>[^<]*<\/pid>/)) pid = substr($0, RSTART + 5, RLENGTH - 11)
           print h, p, s, pid
         }'
}

# ag_bricks_online VOL: number of bricks that glusterd reports online
ag_bricks_online() {
    _ag_status "$1" | awk '$2 ~ /^\// && $3 == 1 { n++ } END { print n + 0 }'
}

# ag_brick_pid VOL N: PID of brick N (fails if it is not online)
ag_brick_pid() {
    local ip path
    read -r ip path _ < <(awk -v n="$2" 'NR == n' "$AG_STATE/vols/$1.bricks")
    _ag_status "$1" | awk -v h="$ip" -v p="$path" '
        $1 == h && $2 == p && $3 == 1 && $4 > 0 { print $4; f = 1 } END { exit !f }'
}

_ag_wait_bricks() {
    ag_wait_eq "${3:-$AG_TIMEOUT}" "$2" ag_bricks_online "$1"
}

ag_volume_start() {
    ag_gluster "$(_ag_cli_host)" volume start "$1" >/dev/null || {
        echo "ag: volume start $1 failed" >&2; _ag_brick_log_tail "$1"; return 1; }
    _ag_wait_bricks "$1" "$(_ag_nbricks "$1")" || { _ag_brick_log_tail "$1"; return 1; }
}

ag_volume_stop() {
    local pids=() i p
    for i in $(seq 1 "$(_ag_nbricks "$1")"); do
        p=$(ag_brick_pid "$1" "$i" 2>/dev/null) && pids+=("$p")
    done
    ag_gluster "$(_ag_cli_host)" volume stop "$1" >/dev/null || {
        echo "ag: volume stop $1 failed" >&2; return 1; }
    [ ${#pids[@]} -eq 0 ] || ag_wait_for "$AG_TIMEOUT" _ag_all_gone "${pids[@]}"
}

# ag_volume_restart VOL: stop + start (loads added/removed user translators)
ag_volume_restart() { ag_volume_stop "$1" && ag_volume_start "$1"; }

# ag_kill_brick VOL N: kill -9 brick N and wait until glusterd sees it down
ag_kill_brick() {
    local pid want
    pid=$(ag_brick_pid "$1" "$2") || { echo "ag_kill_brick: brick $2 of $1 is not online" >&2; return 1; }
    want=$(( $(ag_bricks_online "$1") - 1 ))
    kill -9 "$pid"
    ag_wait_for 10 _ag_all_gone "$pid" && _ag_wait_bricks "$1" "$want" 10
}

# ag_start_brick VOL: volume start force (restarts dead bricks), waits until
# all bricks are online
ag_start_brick() {
    ag_gluster "$(_ag_cli_host)" volume start "$1" force >/dev/null || {
        echo "ag: volume start $1 force failed" >&2; return 1; }
    _ag_wait_bricks "$1" "$(_ag_nbricks "$1")"
}

# ag_brick_log VOL N: path (root view) of brick N's log
ag_brick_log() {
    local host path
    host=$(ag_brick_host "$1" "$2") path=$(ag_brick_path "$1" "$2")
    path=${path#/}
    printf '%s/h%s/log/bricks/%s.log\n' "$AG_STATE" "$host" "${path//\//-}"
}

# ag_brick_volfile VOL N: path (root view) of brick N's volfile
ag_brick_volfile() {
    local host path ip
    read -r ip path host < <(awk -v n="$2" 'NR == n' "$AG_STATE/vols/$1.bricks")
    path=${path#/}
    printf '%s/h%s/lib/vols/%s/%s.%s.%s.vol\n' "$AG_STATE" "$host" "$1" "$1" "$ip" "${path//\//-}"
}

_ag_brick_log_tail() {
    local i
    for i in $(seq 1 "$(_ag_nbricks "$1")"); do
        echo "--- brick $i log:" >&2
        tail -n 15 "$(ag_brick_log "$1" "$i")" >&2 2>/dev/null
    done
}

# ag_heal_count VOL [HOSTN]: total entries pending heal (glfsheal
# info-summary run inside the host's namespaces); fails if a brick is not
# connected or the output cannot be parsed.
ag_heal_count() {
    ag_in_host "${2:-$(_ag_cli_host)}" "$AG_GLFSHEAL" "$1" info-summary 2>&1 </dev/null |
    awk '/^Brick / { b++ }
         /^Status: / { if ($0 != "Status: Connected") bad = 1 }
         /^Total Number of entries:/ { n += $NF; c++ }
         END { if (bad || c == 0 || c < b) exit 1; print n }'
}

# ag_wait_healed VOL [TIMEOUT]
ag_wait_healed() { ag_wait_eq "${2:-$AG_TIMEOUT}" 0 ag_heal_count "$1"; }

# ---------------------------------------------------------------- clients

_ag_client_connected() {
    local mnt=$1 vol=$2 nb=$3 i
    for i in $(seq 0 $((nb - 1))); do
        grep -q 'connected = 1' "$mnt/.meta/graphs/active/$vol-client-$i/private" 2>/dev/null || return 1
    done
}

# ag_wait_connected MNT VOL [TIMEOUT]: until the FUSE client at MNT is
# connected to every brick of VOL again (glusterd reports a restarted brick
# online before the clients have reconnected to it)
ag_wait_connected() {
    ag_wait_for "${3:-$AG_TIMEOUT}" _ag_client_connected "$1" "$2" "$(_ag_nbricks "$2")"
}

# ag_mount VOL MNT [HOSTN]: FUSE mount of VOL at MNT by a glusterfs client in
# a new client namespace, volfile from host HOSTN (default 1, the others as
# backups). Returns once every client subvolume is connected.
ag_mount() {
    local vol=$1 mnt=$2 host=${3:-1} k ns i servers=() pid
    k=$(( $(cat "$AG_STATE/nclients") + 1 ))
    echo "$k" >"$AG_STATE/nclients"
    _ag_add_ns "c$k" "$AG_SUBNET.$((100 + k))" || return 1
    ns=$(_ag_ns "c$k")
    servers=(--volfile-server="$(ag_host_ip "$host")")
    for i in $(seq 1 "$AG_NHOSTS"); do
        [ "$i" = "$host" ] || servers+=(--volfile-server="$(ag_host_ip "$i")")
    done
    mkdir -p "$mnt"
    mnt=$(cd "$mnt" && pwd)
    echo "$mnt $ns $AG_STATE/clients/c$k.pid" >>"$AG_STATE/mounts"
    ( _ag_subshell_closefds && exec nsenter --net="/run/netns/$ns" glusterfs --process-name fuse \
        "${servers[@]}" --volfile-id="$vol" -l "$AG_STATE/clients/c$k.log" \
        -p "$AG_STATE/clients/c$k.pid" "$mnt" ) </dev/null >>"$AG_STATE/clients/c$k.out" 2>&1 || {
        echo "ag: glusterfs client for $vol failed:" >&2
        tail -n 20 "$AG_STATE/clients/c$k.log" >&2; return 1; }
    if ! ag_wait_for "$AG_TIMEOUT" _ag_client_connected "$mnt" "$vol" "$(_ag_nbricks "$vol")"; then
        tail -n 20 "$AG_STATE/clients/c$k.log" >&2
        return 1
    fi
    pid=$(cat "$AG_STATE/clients/c$k.pid")
    # shellcheck disable=SC2034  # for the tests
    AG_LAST_CLIENT_PID=$pid
}

# ag_mount_pid MNT: PID of the glusterfs client serving MNT
ag_mount_pid() {
    local m f
    m=$(cd "$1" 2>/dev/null && pwd) || m=$1
    f=$(awk -v m="$m" '$1 == m { f = $3 } END { print f }' "$AG_STATE/mounts")
    [ -n "$f" ] && cat "$f"
}

# ag_umount MNT: unmounts one mount made by ag_mount and kills its client
ag_umount() {
    local pid
    pid=$(ag_mount_pid "$1")
    timeout 10 umount "$1" 2>/dev/null || umount -l "$1"
    [ -z "$pid" ] || { ag_wait_for 5 _ag_all_dead "$pid" || kill -9 "$pid" 2>/dev/null; }
    return 0
}
