#!/usr/bin/env bash
# test_xlator_standalone.sh: a brick run by `glusterfsd -f` from
# volfiles/agora-brick.vol.in, no glusterd (as GlusterFS's
# tests/basic/playground/template-xlator-sanity.t runs its template), and
# agora-xlctl speaking the control protocol to it over TCP.
#
#   restart rule; PROMISE / BALLOT rejections; ACCEPT + commit; FETCH;
#   wrong MAC -> EACCES; no key -> EACCES; replayed heartbeat refused;
#   kill -9 + restart: promise and commit survive; garbage appended to the
#   log: cut (logged) and the state intact; a brick without
#   key-file: starts, refuses control requests; statedump section; latency.
# (Reconfigure is tested through glusterd in test_xlator_cluster.sh.)
#
# The translator is found in a private mount namespace: the build's
# xlator/.libs is bind-mounted over GlusterFS's xlator/user folder there only.
# Exit 0 pass, 1 fail, 77 skip (not root, no glusterfsd), 99 setup error.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=${abs_top_srcdir:-$here/../..}
build=${abs_top_builddir:-$top}
XLDIR=${AGORA_XLATOR_DIR:-$build/xlator/.libs}
XLCTL=${AGORA_XLCTL:-$build/xlator/agora-xlctl}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; [ -f "$T/log/brick.log" ] && grep -E ' [EWC] \[|agora' "$T/log/brick.log" | tail -n 15; exit 1; }
pass() { echo "ok: $*"; }
expect() { case $3 in *$2*) pass "$1" ;; *) fail "$1: expected '$2' in: $3" ;; esac; }

[ "$(id -u)" = 0 ] || skip "needs root (mount namespace)"
command -v glusterfsd >/dev/null || skip "glusterfsd not installed"
[ -f "$XLDIR/agora.so" ] || skip "agora.so not built in $XLDIR"
[ -x "$XLCTL" ] || skip "agora-xlctl not built"
GFLIB=$(dirname "$(dirname "$(find /usr/lib* -path '*glusterfs/*/xlator/storage/posix.so' 2>/dev/null | head -n1)")")
[ -d "$GFLIB" ] || skip "GlusterFS translator folder not found"

T=$(mktemp -d /tmp/agora-sa.XXXXXX) || exit 99
PORT=$((24100 + $$ % 800))
PID=
cleanup() {
    [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/brick" "$T/log"
head -c 48 /dev/urandom | base64 >"$T/key" && chmod 600 "$T/key"
head -c 48 /dev/urandom | base64 >"$T/otherkey" && chmod 600 "$T/otherkey"

mkvol() { # KEYFILE LEASE [VIEWNAME]
    sed -e "s|@BRICK@|$T/brick|; s|@PORT@|$PORT|; s|@KEYFILE@|$1|; s|@LEASE_MS@|$2|" \
        "$top/volfiles/agora-brick.vol.in" >"$T/brick.vol"
    if [ -n "${3:-}" ]; then
        sed -i "s|    option lease-ms|    option view-name $3\n    option lease-ms|" "$T/brick.vol"
    fi
}
start() {
    : >"$T/log/brick.log"
    case ${1:-} in
    none) sed -i "/option key-file/d" "$T/brick.vol" ;;
    ?*) grep -q "option key-file" "$T/brick.vol" &&
            sed -i "s|option key-file .*|option key-file $1|" "$T/brick.vol" ||
            sed -i "s|    type user/agora|    type user/agora\n    option key-file $1|" "$T/brick.vol" ;;
    esac
    unshare -m --propagation private sh -c "mount --bind '$XLDIR' '$GFLIB/user' &&
        exec glusterfsd -f '$T/brick.vol' -l '$T/log/brick.log' -p '$T/brick.pid' --brick-name '$T/brick'" ||
        fail "glusterfsd -f did not start"
    for _ in $(seq 100); do grep -q "agora ready" "$T/log/brick.log" && break; sleep 0.05; done
    grep -q "agora ready" "$T/log/brick.log" || fail "agora did not initialise"
    PID=$(cat "$T/brick.pid")
    [ -z "${NOPROBE:-}" ] || return 0
    for _ in $(seq 100); do
        "$XLCTL" -H 127.0.0.1 -B agora-brick -P $PORT -k "$T/key" -n 99 -w 2000 heartbeat probe 2>&1 |
            grep -qE "^ACK|errno=13" && return 0
        sleep 0.05
    done
    fail "brick not answering on port $PORT"
}
stop9() { kill -9 "$PID"; while kill -0 "$PID" 2>/dev/null; do sleep 0.05; done; PID=; }
xl() { "$XLCTL" -H 127.0.0.1 -B agora-brick -P $PORT -k "$T/key" -n 7 -l "$T/log/xlctl.log" "$@"; }

LEASE=1500
mkdir -p "$GFLIB/user" 2>/dev/null   # the bind-mount target (empty by default)
[ -d "$GFLIB/user" ] || skip "$GFLIB/user missing and cannot be created"
mkvol "$T/key" $LEASE
start
pass "glusterfsd -f loaded the translator over posix"

out=$(xl prepare 1)
expect "restart rule: no promise within one lease" "reason=RESTART" "$out"
sleep 1.6
out=$(xl prepare 5 -- prepare 5 -- prepare 3 -- accept 5 1 2 noop raw:x -- accept 4 3 3 noop -- fetch 1)
echo "$out" | sed 's/^/    /'
expect "PROMISE 5.7" "PROMISE from=0 ballot=5.7" "$out"
expect "same ballot refused (BALLOT)" "REJECT from=0 ballot=5.7 slot=0 count=0 commit=0 snap=0 lease_holder=0 lease_left_ms=0 reason=BALLOT" "$out"
expect "ACCEPT stored, commit learned" "ACCEPTED from=0 ballot=5.7 slot=1 count=2 commit=2" "$out"
expect "lower ACCEPT refused" "REJECT from=0 ballot=5.7 slot=0 count=0 commit=2" "$out"
expect "FETCH returns the committed entries" "FETCHED from=0 ballot=0.0 slot=1 count=2 commit=2" "$out"

out=$(xl badmac-heartbeat m1)
expect "wrong MAC: EACCES" "errno=13" "$out"
out=$("$XLCTL" -H 127.0.0.1 -B agora-brick -P $PORT -k "$T/otherkey" -n 7 heartbeat m1)
expect "another cluster's key: EACCES" "errno=13" "$out"
out=$("$XLCTL" -H 127.0.0.1 -B agora-brick -P $PORT -n 7 heartbeat m1)
expect "no key: EACCES" "errno=13" "$out"
out=$(xl replay-heartbeat m1)
expect "replayed heartbeat refused" "ERROR replayed errno=114" "$out"
out=$(xl -T 1 heartbeat m1)
expect "older incarnation (tag) refused" "errno=114" "$out"

out=$(xl bench 1000 -- bench-accept 300 5 3)
echo "$out" | sed 's/^/    /'
expect "latency measured" "BENCH-ACCEPT n=300" "$out"

# statedump: SIGUSR1 writes /var/run/gluster/*.dump.*
if [ ! -d /var/run/gluster ]; then
    mkdir -p /var/run/gluster && made_rundir=1
fi
rm -f /var/run/gluster/*.$PID.dump.* 2>/dev/null
kill -USR1 "$PID"
for _ in $(seq 50); do ls /var/run/gluster/*.$PID.dump.* >/dev/null 2>&1 && break; sleep 0.1; done
d=$(ls /var/run/gluster/*.$PID.dump.* 2>/dev/null | head -n1)
if [ -n "$d" ]; then
    grep -q "xlator.user.agora.priv" "$d" && grep -q "^promised=5.7" "$d" &&
        grep -q "^auth_failures=" "$d" || fail "statedump section incomplete: $(grep -A30 agora.priv "$d")"
    pass "statedump has the agora section (promised, lease, commit, counters)"
    rm -f "$d"
else
    fail "no statedump file written"
fi
[ -n "${made_rundir:-}" ] && rmdir /var/run/gluster 2>/dev/null

# --- kill -9 and restart: the durable state survives ------------------------------------------
stop9
W=$T/brick/.glusterfs/agora/acceptor.wal
size=$(stat -c %s "$W")
start
out=$(xl prepare 6 -- fetch 300)
expect "after kill -9: restart rule, durable promise 5.7" "REJECT from=0 ballot=5.7 slot=0 count=0 commit=302" "$out"
expect "after kill -9: reason RESTART" "reason=RESTART" "$out"
expect "after kill -9: commit 302 kept" "FETCHED from=0 ballot=0.0 slot=300 count=302 commit=302" "$out"

# --- a torn tail: cut at start, state intact ---------------------------------------------------
stop9
printf '\x20\x00\x00\x00\xde\xad\xbe\xefpartial-record' >>"$W"
start
grep -q "cut a torn or corrupt tail of 22 bytes" "$T/log/brick.log" || fail "torn tail not reported"
pass "torn tail detected and cut (logged)"
[ "$(stat -c %s "$W")" = "$size" ] || fail "log not truncated to $size bytes: $(stat -c %s "$W")"
pass "log truncated to the valid prefix ($size bytes)"
sleep 1.6
out=$(xl prepare 6)
expect "after the cut: promise 6.7 granted" "PROMISE from=0 ballot=6.7" "$out"

# --- no key-file: starts, serves, refuses every control request -------------------------------
stop9
start none
grep -q "no cluster key: option key-file is not set" "$T/log/brick.log" || fail "no-key reason not logged"
out=$(xl heartbeat m1)
expect "no key-file: requests refused (EACCES)" "errno=13" "$out"
stop9
chmod 644 "$T/key"
NOPROBE=1 start "$T/key"
grep -q "must be 0600" "$T/log/brick.log" || fail "mode 0644 key not refused"
pass "a key file readable by others is refused (logged)"
chmod 600 "$T/key"
echo "# all checks passed"
exit 0
