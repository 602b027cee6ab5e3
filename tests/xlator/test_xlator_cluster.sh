#!/usr/bin/env bash
# test_xlator_cluster.sh: the agora translator in a real replica-3 volume
# (three glusterds in network namespaces, tests/integration/lib.sh), loaded
# with `gluster volume set VOL user.xlator.agora posix` and a restart.
#
#   1. it loads into all three bricks; volume status shows them online
#   2. agora-xlctl speaks to each brick on its own: restart rule, PROMISE,
#      ACCEPT with commit, BALLOT rejections, heartbeat/poll registers
#   3. wrong MAC -> EACCES, replayed heartbeat -> refused (EALREADY), no key
#      through a mount (setfattr agora.call) -> EACCES
#   4. FUSE: cat /.agora/hosts shows the committed member; ls lists the
#      files; echo >, >>, rm, mv, touch, chmod, setfattr, mkdir fail (EROFS,
#      EIO for >> through open-behind, EEXIST for mkdir of the directory);
#      no .agora in any brick, no index entry for the virtual gfids
#   5. ssh-keygen -l accepts every line of the mounted authorized_keys
#   6. a new commit shows through the mount within 1 s
#   7. kill -9 of a brick: the view is still served; after restart the
#      brick's promise survived and it refuses promises for one lease; after
#      heal nothing of .glusterfs/agora was copied between bricks
#
# Needs: root, FUSE, glusterd, the built translator (AGORA_XLATOR_DIR or
# $abs_top_builddir/xlator/.libs) and agora-xlctl. Exit 0/1/77/99.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=${abs_top_srcdir:-$here/../..}
build=${abs_top_builddir:-$top}
# shellcheck source=../integration/lib.sh
. "$top/tests/integration/lib.sh"

XLDIR=${AGORA_XLATOR_DIR:-$build/xlator/.libs}
XLCTL=${AGORA_XLCTL:-$build/xlator/agora-xlctl}
[ -f "$XLDIR/agora.so" ] || ag_skip "agora.so not built in $XLDIR"
[ -x "$XLCTL" ] || ag_skip "agora-xlctl not built ($XLCTL)"
command -v ssh-keygen >/dev/null || ag_skip "ssh-keygen missing"
command -v setfattr >/dev/null || ag_skip "setfattr missing (attr)"

pass() { printf 'ok: %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else ag_fail "$what"; fi; }
LEASE=3000

ag_cluster_up xlc 3 --xlator-dir "$XLDIR" || ag_die "cluster"
V=xv
KEY=$AG_STATE/cluster.key
head -c 48 /dev/urandom | base64 >"$KEY" && chmod 600 "$KEY"
ssh-keygen -q -t ed25519 -N '' -C t1 -f "$AG_STATE/k1" >/dev/null || ag_die "ssh-keygen"
ssh-keygen -q -t ed25519 -N '' -C t2 -f "$AG_STATE/k2" >/dev/null || ag_die "ssh-keygen"

ag_volume_create $V || ag_die "volume create"
ag_volume_set $V user.xlator.agora posix || ag_die "set user.xlator.agora"
ag_volume_set $V user.xlator.agora.key-file "$KEY" || ag_die "set key-file"
ag_volume_set $V user.xlator.agora.lease-ms $LEASE || ag_die "set lease-ms"
ag_volume_set $V performance.cache-invalidation on || ag_die "set cache-invalidation"
ag_volume_start $V || ag_die "volume start"

# --- 1. loaded everywhere -----------------------------------------------------------
check "three bricks online" test "$(ag_bricks_online $V)" = 3
for n in 1 2 3; do
    check "brick $n volfile has user/agora" grep -q 'type user/agora' "$(ag_brick_volfile $V $n)"
    check "brick $n log: agora ready" ag_wait_for 10 grep -q "agora ready" "$(ag_brick_log $V $n)"
done

# xl N ARGS...: agora-xlctl against brick N, run in host N's namespaces
xl() {
    local n=$1; shift
    ag_in_host "$n" "$XLCTL" -H "$(ag_brick_host_ip $V "$n")" -B "$(ag_brick_path $V "$n")" \
        -k "$KEY" -n 7 -l "$AG_STATE/xlctl-$n.log" "$@"
}
ag_brick_host_ip() { ag_host_ip "$(ag_brick_host "$1" "$2")"; }
expect() { # WHAT PATTERN OUTPUT
    case $3 in *$2*) pass "$1" ;; *) ag_fail "$1: expected '$2' in: $3" ;; esac
}

# --- 2. Paxos rounds, brick by brick ---------------------------------------------------
for n in 1 2 3; do
    out=$(xl $n prepare 1)
    expect "brick $n: restart rule refuses the first promise" "reason=RESTART" "$out"
done
sleep $((LEASE / 1000 + 1))
for n in 1 2 3; do
    out=$(xl $n prepare 5 -- prepare 5 -- prepare 4 -- \
        accept 5 1 2 "join:m1,node-one,10.9.0.1,$AG_STATE/k1.pub" "leader:m1" -- \
        accept 4 3 3 noop -- heartbeat m1 -- poll 5 -- poll 4)
    echo "$out" | sed 's/^/    /'
    expect "brick $n: PROMISE for 5.7" "PROMISE from=0 ballot=5.7" "$out"
    expect "brick $n: same ballot again refused" "REJECT from=0 ballot=5.7 slot=0 count=0 commit=0" "$out"
    expect "brick $n: ACCEPT 5.7 commits 2" "ACCEPTED from=0 ballot=5.7 slot=1 count=2 commit=2" "$out"
    expect "brick $n: ACCEPT 4.7 refused" "REJECT from=0 ballot=5.7 slot=0 count=0 commit=2" "$out"
    expect "brick $n: heartbeat registered" "REGISTERS promised=5.7 applied=2 commit=2 members=1 m1:7" "$out"
    expect "brick $n: poll below the promise fenced" "status=fenced" "$out"
done

# --- 3. authentication ---------------------------------------------------------------------
out=$(xl 1 badmac-heartbeat m9)
expect "wrong MAC refused with EACCES" "errno=13" "$out"
out=$(xl 1 replay-heartbeat m2)
expect "replayed heartbeat refused" "ERROR replayed errno=114" "$out"
out=$(xl 1 poll 5)
case $out in *m2:*) pass "the first m2 heartbeat counted" ;; *) ag_fail "m2 missing: $out" ;; esac
out=$(ag_in_host 1 "$XLCTL" -H "$(ag_host_ip 1)" -B "$(ag_brick_path $V 1)" -n 8 heartbeat m3)
expect "request without the key refused with EACCES" "errno=13" "$out"
grep -q "wrong MAC" "$(ag_brick_log $V 1)" || ag_fail "brick log does not mention the wrong MAC"

# --- reconfigure: glusterd accepts anything; the brick refuses a bad value
ag_volume_set $V user.xlator.agora.lease-ms 50 || ag_die "volume set lease-ms 50"
ag_wait_for 10 grep -q "reconfigure refused" "$(ag_brick_log $V 1)" || ag_fail "lease-ms 50 not refused"
grep "reconfigure refused" "$(ag_brick_log $V 1)" | tail -n1 | sed 's/^/    /'
out=$(xl 1 status)
expect "bad lease-ms refused, old lease kept" "\"duration_ms\": $LEASE" "$out"
ag_volume_set $V user.xlator.agora.view-name "a/b" || ag_die "volume set view-name"
ag_wait_for 10 bash -c "grep -c 'reconfigure refused' '$(ag_brick_log $V 1)' | grep -qv '^1$'" ||
    ag_fail "view-name a/b not refused"
ag_volume_set $V user.xlator.agora.lease-ms $LEASE || ag_die "volume set lease-ms back"
ag_volume_set $V user.xlator.agora.view-name .agora || ag_die "volume set view-name back"
ag_wait_for 10 grep -q "reconfigured: lease $LEASE ms, view /.agora" "$(ag_brick_log $V 1)" ||
    ag_fail "good values not applied"
pass "reconfigure refuses bad values with a log line and applies good ones"

# --- 4. the view through FUSE ------------------------------------------------------------------
M=$AG_STATE/mnt/c1
ag_mount $V "$M" || ag_die "mount"
check "ls /.agora lists the files" bash -c "ls '$M/.agora' | sort | tr '\n' ' ' | grep -q 'authorized_keys hosts leader members.json status.json tasks.json'"
check "hosts shows the committed member" grep -q "10.9.0.1.*node-one" "$M/.agora/hosts"
check "leader shows m1" grep -q "m1" "$M/.agora/leader"
check "members.json names m1" grep -q '"m1"' "$M/.agora/members.json"
stat -c '%a %U %s' "$M/.agora/authorized_keys" | grep -q '^444 root' || ag_fail "authorized_keys mode"
pass "authorized_keys is 0444 root"

# setfattr agora.call from a mount: valid path, no key
env=$("$XLCTL" -n 9 envelope-hex m9)
err=$(setfattr -n agora.call -v "$env" "$M" 2>&1)
expect "agora.call from a mount without the key refused" "Permission denied" "$err"

erofs() { # WHAT CMD...: CMD must fail; its message must name EROFS (or $ALT)
    local what=$1 msg; shift
    if msg=$("$@" 2>&1); then ag_fail "$what succeeded"; fi
    case $msg in
    *"Read-only file system"*) pass "$what: EROFS" ;;
    *"${ALT:-@@}"*) pass "$what: ${ALT} (documented)" ;;
    *"I/O error"*) [ "$ALT" = "Input/output error" ] && pass "$what: EIO (documented)" ||
        ag_fail "$what: $msg" ;;
    *) ag_fail "$what: $msg" ;;
    esac
}
erofs "echo x > hosts" sh -c "echo x > '$M/.agora/hosts'"
ALT="Input/output error" erofs "echo x >> hosts" sh -c "echo x >> '$M/.agora/hosts'"
erofs "rm hosts" rm -f "$M/.agora/hosts"
erofs "mv hosts" mv "$M/.agora/hosts" "$M/.agora/hosts2"
erofs "mv into the view" sh -c "echo y > '$M/outside' && mv '$M/outside' '$M/.agora/x'"
ALT="Input/output error" erofs "touch hosts" touch "$M/.agora/hosts"
erofs "touch new file" touch "$M/.agora/newfile"
erofs "chmod hosts" chmod 600 "$M/.agora/hosts"
erofs "setfattr hosts" setfattr -n user.x -v 1 "$M/.agora/hosts"
erofs "mkdir in the view" mkdir "$M/.agora/d"
ALT="File exists" erofs "mkdir the view" mkdir "$M/.agora"
check "hosts unchanged" grep -q "node-one" "$M/.agora/hosts"

for n in 1 2 3; do
    b=$(ag_brick_path $V "$n")
    check "brick $n has no .agora entry" test ! -e "$b/.agora"
    check "brick $n keeps its acceptor log" test -s "$b/.glusterfs/agora/acceptor.wal"
    left=$(find "$b/.glusterfs/indices" -name '61676f72-*' 2>/dev/null)
    [ -z "$left" ] || ag_fail "brick $n index entries for the view: $left"
    pass "brick $n: no index entry for the view"
done

# --- 5. ssh-keygen accepts every line ------------------------------------------------------------
n=0
while IFS= read -r line; do
    case $line in ''|'#'*) continue ;; esac
    printf '%s\n' "$line" >"$AG_STATE/one.pub"
    ssh-keygen -l -f "$AG_STATE/one.pub" >/dev/null || ag_fail "ssh-keygen rejects: $line"
    n=$((n + 1))
done <"$M/.agora/authorized_keys"
[ $n -ge 1 ] || ag_fail "no key line in authorized_keys"
pass "ssh-keygen -l accepts all $n key line(s)"

# --- 6. freshness: a new commit shows within a second ------------------------------------------
cat "$M/.agora/hosts" >/dev/null
for n in 1 2 3; do
    xl $n accept 5 3 3 "join:m2,node-two,10.9.0.2,$AG_STATE/k2.pub" >/dev/null &
done
wait
t0=$EPOCHREALTIME
ag_wait_for 5 grep -q node-two "$M/.agora/hosts" || ag_fail "new member not visible"
echo "    visible after $(ag_since "$t0") s"
awk -v t="$(ag_since "$t0")" 'BEGIN { exit !(t < 1.0) }' || ag_fail "took over 1 s"
pass "a commit is visible through the mount within 1 s"
up=0
for n in 1 2 3; do
    u=$(xl $n status | grep -o '"upcalls": [0-9]*' | head -n1 | grep -o '[0-9]*$')
    up=$((up + ${u:-0}))
done
echo "    upcall invalidations sent by the bricks so far: $up"
[ "$up" -gt 0 ] || ag_fail "no upcall invalidation was pushed (performance.cache-invalidation on)"
pass "bricks push cache invalidations to the mount"

# --- 7. a brick dies and comes back ---------------------------------------------------------------
ag_kill_brick $V 2 || ag_die "kill brick 2"
check "view served with brick 2 dead" grep -q node-two "$M/.agora/hosts"
check "ls still works" ls "$M/.agora/members.json"
echo data >"$M/written-while-down" || ag_fail "write with brick 2 down"
ag_start_brick $V || ag_die "restart brick 2"
out=$(xl 2 prepare 6)
expect "restarted brick refuses promises for one lease" "REJECT from=0 ballot=5.7" "$out"
expect "... with reason RESTART and the durable promise" "reason=RESTART" "$out"
out=$(xl 2 fetch 1)
expect "restarted brick kept commit 3" "commit=3" "$out"
# make brick 1's acceptor state differ from the others (a promise only it
# gave), then heal: each brick must keep its own file, byte for byte
out=$(xl 1 prepare 8)
expect "brick 1 alone promises 8.7" "PROMISE from=0 ballot=8.7" "$out"
declare -A before
for n in 1 2 3; do
    w=$(ag_brick_path $V "$n")/.glusterfs/agora/acceptor.wal
    before[$n]="$(stat -c '%i %s' "$w") $(md5sum <"$w")"
done
ag_gluster 1 volume heal $V >/dev/null 2>&1
ag_wait_healed $V 60 || ag_fail "heal did not finish"
check "healed file reached brick 2" test -f "$(ag_brick_path $V 2)/written-while-down"
for n in 1 2 3; do
    w=$(ag_brick_path $V "$n")/.glusterfs/agora/acceptor.wal
    now="$(stat -c '%i %s' "$w") $(md5sum <"$w")"
    [ "$now" = "${before[$n]}" ] || ag_fail "brick $n acceptor.wal changed by heal: ${before[$n]} -> $now"
    [ ! -e "$w.new" ] || ag_fail "leftover $w.new"
done
[ "${before[1]#* * }" != "${before[2]#* * }" ] || ag_fail "brick 1 and 2 logs should differ"
out=$(xl 2 poll 0)
expect "brick 2 still has its own promise (5.7), not brick 1's" "promised=5.7" "$out"
pass "heal copied nothing of .glusterfs/agora between bricks"
echo "# all checks passed"
exit 0
