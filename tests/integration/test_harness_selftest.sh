#!/usr/bin/env bash
# test_harness_selftest.sh: proves tests/integration/lib.sh end to end on a
# real GlusterFS: 3 hosts, replica-3 volume, FUSE mount, write lands on all
# three bricks, kill -9 of one brick, write while it is down, restart, self-
# heal to 0 pending entries (glfsheal), teardown, and nothing left behind.
# Exit 0 pass, 1 fail, 77 skip (not root, no FUSE/netns), 99 setup error.
# Prints the time of every phase.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
ag_require_env

phase_t=
phase() { phase_t=$EPOCHREALTIME; printf '### %s\n' "$*"; }
done_() { printf '    %-44s %6ss\n' "$1" "$(ag_since "$phase_t")"; }
check() { # check DESCRIPTION CMD...
    local what=$1
    shift
    if "$@"; then printf '    ok: %s\n' "$what"; else ag_fail "$what"; fi
}

# root mount namespace's GlusterFS directories before (nothing may appear)
snapshot() { find /var/lib/glusterd /var/log/glusterfs /run/gluster /run/glusterd.socket 2>/dev/null | sort; }
before=$(snapshot)

t_all=$EPOCHREALTIME
phase "cluster up (3 hosts), replica-3 volume, mount"
ag_cluster_up selftest 3 || ag_die "ag_cluster_up failed"
done_ "ag_cluster_up"
t=$EPOCHREALTIME
ag_volume_create v0 || ag_die "volume create failed"
ag_volume_start v0 || ag_die "volume start failed"
printf '    %-44s %6ss\n' "volume create + start (3 bricks online)" "$(ag_since "$t")"
t=$EPOCHREALTIME
M=$AG_STATE/mnt/c1
ag_mount v0 "$M" || ag_die "mount failed"
printf '    %-44s %6ss\n' "mount (3 client subvolumes connected)" "$(ag_since "$t")"
done_ "total up"
state=$AG_STATE prefix=$AG_NS_PREFIX
client_pid=$(ag_mount_pid "$M")
check "client pid $client_pid recorded and alive" _ag_alive "$client_pid"
isolated() { # every process of every host: own netns and a private mount ns
    local i p n=0 me_mnt me_net
    me_mnt=$(readlink /proc/$$/ns/mnt) me_net=$(readlink /proc/$$/ns/net)
    for i in 1 2 3; do
        for p in $(ip netns pids "$(_ag_ns "h$i")"); do
            [ "$(readlink "/proc/$p/ns/mnt")" != "$me_mnt" ] &&
            [ "$(readlink "/proc/$p/ns/net")" != "$me_net" ] || { echo "    pid $p shares our namespaces" >&2; return 1; }
            n=$((n + 1))
        done
    done
    [ "$n" -ge 12 ]   # per host: holder, glusterd, brick, shd
}
check "hosts' processes all in private net+mount namespaces" isolated

phase "write, the file is on all three bricks"
echo "hello $$" >"$M/f1" || ag_fail "write f1"
gfid() { getfattr -n trusted.gfid -e hex --only-values "$1" 2>/dev/null; }
same_on_bricks() { # same_on_bricks FILE CONTENT [BRICKS...]
    local f=$1 want=$2 b g0="" g
    shift 2
    for b in "$@"; do
        [ "$(cat "$(ag_brick_path v0 "$b")/$f" 2>/dev/null)" = "$want" ] || { echo "    brick $b: wrong content of $f" >&2; return 1; }
        g=$(gfid "$(ag_brick_path v0 "$b")/$f")
        [ -n "$g" ] || { echo "    brick $b: no gfid on $f" >&2; return 1; }
        [ -z "$g0" ] || [ "$g" = "$g0" ] || { echo "    brick $b: gfid $g != $g0" >&2; return 1; }
        g0=$g
    done
}
check "f1 identical (content, trusted.gfid) on bricks 1 2 3" same_on_bricks f1 "hello $$" 1 2 3
check "heal info: 0 pending" ag_wait_healed v0 10
done_ "write + verify"

phase "kill -9 brick 3, write while it is down"
pid3=$(ag_brick_pid v0 3)
ag_kill_brick v0 3 || ag_fail "ag_kill_brick"
done_ "ag_kill_brick (glusterd sees it offline)"
check "brick 3 (pid $pid3) is dead" _ag_all_dead "$pid3"
check "2 bricks online" test "$(ag_bricks_online v0)" = 2
t=$EPOCHREALTIME
echo "second $$" >"$M/f2" || ag_fail "write f2 with brick 3 down"
echo "changed $$" >"$M/f1" || ag_fail "overwrite f1 with brick 3 down"
printf '    %-44s %6ss\n' "writes with one brick down" "$(ag_since "$t")"
check "f2 on bricks 1 2" same_on_bricks f2 "second $$" 1 2
check "f2 not on brick 3" test ! -e "$(ag_brick_path v0 3)/f2"
check "heal info reports brick 3 down" eval '! ag_heal_count v0 >/dev/null'

phase "restart brick 3 (volume start force), wait for self-heal"
ag_start_brick v0 || ag_fail "ag_start_brick"
done_ "ag_start_brick (3 bricks online)"
check "brick 3 has a new pid" test "$(ag_brick_pid v0 3)" != "$pid3"
t=$EPOCHREALTIME
ag_wait_healed v0 30 || ag_fail "heal did not reach 0 within 30 s"
printf '    %-44s %6ss\n' "heal info-summary reaches 0" "$(ag_since "$t")"
check "f1 and f2 identical on bricks 1 2 3" eval 'same_on_bricks f2 "second $$" 1 2 3 && same_on_bricks f1 "changed $$" 1 2 3'
check "client reconnected to brick 3" ag_wait_connected "$M" v0 10
check "read through the mount" test "$(cat "$M/f2")" = "second $$"
check "ag_in_host runs in host 2's namespaces" \
    test "$(ag_in_host 2 ip -4 -o addr show dev eth0 | awk '{ print $4 }')" = "$(ag_host_ip 2)/24"
check "gluster CLI on host 3 sees 3 peers" test "$(ag_gluster 3 pool list | grep -c Connected)" = 3

phase "teardown"
ag_cluster_down
done_ "ag_cluster_down"
check "no namespace $prefix-* left" eval '! ip netns list | grep -q "^$prefix-"'
check "no mount under $state" eval '! grep -qF "$state" /proc/self/mountinfo'
leftover=$(grep -lsaFf <(echo "$state") /proc/[0-9]*/cmdline | grep -v "^/proc/$$/")
check "no process naming $state${leftover:+ ($leftover)}" test -z "$leftover"
check "client pid $client_pid gone" _ag_all_dead "$client_pid"
check "state dir removed" test ! -e "$state"
after=$(snapshot)
new=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after"))
check "nothing new under /var/lib/glusterd, /var/log/glusterfs, /run/gluster${new:+: $new}" test -z "$new"
printf '### total %ss\n' "$(ag_since "$t_all")"
exit 0
