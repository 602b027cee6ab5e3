#!/usr/bin/env bash
# test_agorad_config.sh: bad agorad.json files through the real agorad
# binary. test_config.c checks every rule in-process; this checks what an
# operator sees: for each bad file, both `agorad -c FILE --check` and a plain
# start-up `agorad -c FILE` exit 78 (EX_CONFIG, agorad(8)) and name the file
# and the field (or, for a file that is not JSON, the line and column) on
# stderr, and nothing is started. A valid file passes --check (exit 0), so
# the bad cases fail for their one bad value. The "mesos" object too: the
# masters' syntax (checked by the launcher's own parser, agl_masters_check,
# only in the real binary), and, as root, zk:// masters with libzookeeper-mt
# hidden (a bind mount in a private mount namespace): exit 78 naming the
# Debian package.
#
# No cluster, no root needed (as root, the unreadable-file case runs agorad
# as nobody, since root reads a mode-000 file).
# Exit 0 pass, 1 fail, 77 skip, 99 setup error.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=${abs_top_srcdir:-$here/../..}
build=${abs_top_builddir:-$top}
AGORAD=$build/coordinator/agorad

skip() { echo "SKIP: $*" >&2; exit 77; }
[ -x "$AGORAD" ] || skip "agorad not built ($AGORAD)"
command -v ssh-keygen >/dev/null || skip "ssh-keygen missing"
command -v timeout >/dev/null || skip "timeout missing"

D=$(mktemp -d "${TMPDIR:-/tmp}/agd-config-sh.XXXXXX") || { echo "ERROR: mktemp" >&2; exit 99; }
trap 'rm -rf "$D"' EXIT
chmod 755 "$D" # the unreadable-file case runs as nobody
ssh-keygen -q -t ed25519 -N '' -C host1 -f "$D/id" >/dev/null || { echo "ERROR: ssh-keygen" >&2; exit 99; }
(umask 077 && head -c 32 /dev/urandom | base64 >"$D/cluster.key")
head -c 32 /dev/urandom | base64 >"$D/open.key"
chmod 644 "$D/open.key"

failed=0
pass() { printf 'ok: %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; failed=$((failed + 1)); }

# cfg NAME [VAR=VALUE...]: writes $D/NAME.json, a valid file with the named
# values replaced (JSON text); prints its path
cfg() {
    local name=$1 id=1 ip='"10.0.0.1"' pub='"id.pub"' key='"cluster.key"' lease=3000 hb=300 \
        volume='{"name": "agora", "servers": ["10.0.0.2"]}' extra=''
    shift
    [ $# -eq 0 ] || local "$@"
    cat >"$D/$name.json" <<JSON
{
  "id": $id, "name": "host1", "hostname": "host1.example", "ip": $ip,
  "ssh_public_key_file": $pub, "key_file": $key,
  "volume": $volume,
  "lease_ms": $lease, "heartbeat_ms": $hb$extra
}
JSON
    printf '%s\n' "$D/$name.json"
}

# run_agorad OUT-PREFIX ARGS...: agorad with a bound (a regression that
# starts instead of refusing must not hang the test); stdout and stderr to
# OUT-PREFIX.out/.err, exit status on stdout (124: still running after 10 s)
run_agorad() {
    local out=$1 rc=0
    shift
    timeout -k 2 10 "${RUN_AS[@]}" "$AGORAD" "$@" </dev/null >"$out.out" 2>"$out.err" || rc=$?
    echo "$rc"
}
RUN_AS=()

# expect_bad WHAT FILE NEEDLE...: --check and a plain start-up both exit 78
# with an error that names FILE and contains every NEEDLE
expect_bad() {
    local what=$1 file=$2 mode rc n ok
    shift 2
    for mode in --check start-up; do
        if [ "$mode" = --check ]; then
            rc=$(run_agorad "$D/run" -c "$file" --check)
        else
            rc=$(run_agorad "$D/run" -c "$file")
        fi
        ok=1
        if [ "$rc" != 78 ]; then
            fail "$what ($mode): exit $rc, expected 78 (bad configuration)"
            ok=0
        fi
        if ! grep -qF -- "$file: " "$D/run.err"; then
            fail "$what ($mode): stderr does not name the file $file"
            ok=0
        fi
        for n in "$@"; do
            if ! grep -qF -- "$n" "$D/run.err"; then
                fail "$what ($mode): stderr lacks \"$n\""
                ok=0
            fi
        done
        if grep -q 'configuration OK' "$D/run.out"; then
            fail "$what ($mode): says the configuration is OK"
            ok=0
        fi
        if [ "$ok" = 1 ]; then
            pass "$what ($mode): exit 78, $(tr -d '\n' <"$D/run.err")"
        else
            sed 's/^/    stderr: /' "$D/run.err"
        fi
    done
}

# --- the valid file passes: each bad case below differs from it in one value ---
good=$(cfg good)
rc=$(run_agorad "$D/run" -c "$good" --check)
if [ "$rc" = 0 ] && grep -qF "$good: configuration OK" "$D/run.out"; then
    pass "a valid file: --check exits 0 and says \"configuration OK\""
else
    fail "the valid file: --check exit $rc: $(cat "$D/run.out" "$D/run.err")"
fi

# --- one bad value each ---
expect_bad "unknown field" "$(cfg unknown extra=', "lease": 3000')" \
    "field 'lease': unknown field"
expect_bad "unknown field in an object" \
    "$(cfg unknown2 volume='{"name": "agora", "servers": ["10.0.0.2"], "replica": 3}')" \
    "field 'volume.replica': unknown field"
expect_bad "wrong type (string for an integer)" "$(cfg type_lease lease='"3000"')" \
    "field 'lease_ms': must be an integer between 100 and 60000, got \"3000\""
expect_bad "wrong type (string for the id)" "$(cfg type_id id='"1"')" \
    "field 'id': must be an integer"
expect_bad "lease_ms below its range" "$(cfg lease_low lease=50)" \
    "field 'lease_ms': must be between 100 and 60000, got 50"
expect_bad "lease_ms above its range" "$(cfg lease_high lease=60001)" \
    "field 'lease_ms': must be between 100 and 60000, got 60001"
expect_bad "heartbeat_ms below its range" "$(cfg hb_low hb=5)" \
    "field 'heartbeat_ms': must be between 10 and 30000, got 5"
expect_bad "heartbeat_ms above half the lease" "$(cfg hb_half hb=1600)" \
    "field 'heartbeat_ms': must be at most half of lease_ms (1500), got 1600"
expect_bad "bad IP (octet > 255)" "$(cfg ip_octet ip='"10.0.0.256"')" "field 'ip': "
expect_bad "bad IP (a name)" "$(cfg ip_name ip='"host1"')" "field 'ip': "
expect_bad "missing cluster key file" "$(cfg key_missing key='"none.key"')" \
    "field 'key_file': " "none.key"
expect_bad "cluster key file readable by others" "$(cfg key_open key='"open.key"')" \
    "field 'key_file': " "open.key"
expect_bad "missing ssh public key file" "$(cfg pub_missing pub='"none.pub"')" \
    "field 'ssh_public_key_file': cannot open" "none.pub"

# --- the Mesos launcher's settings ---
M_OK='"masters": "http://10.0.0.5:5050,10.0.0.6:5050"'
mesos() { printf ', "launcher": "mesos", "mesos": {%s}' "$1"; }
good_mesos=$(cfg good_mesos extra="$(mesos "$M_OK"', "framework_name": "agora", "user": "root",
  "role": "ops/agora", "principal": "agora", "failover_timeout_s": 3600')")
rc=$(run_agorad "$D/run" -c "$good_mesos" --check)
if [ "$rc" = 0 ] && grep -qF "$good_mesos: configuration OK" "$D/run.out"; then
    pass "a valid \"mesos\" object (http:// masters, every field): --check exits 0"
else
    fail "the valid mesos file: --check exit $rc: $(cat "$D/run.out" "$D/run.err")"
fi
expect_bad "launcher mesos without masters" "$(cfg m_none extra=', "launcher": "mesos"')" \
    "field 'mesos.masters': missing"
expect_bad "mesos without masters" "$(cfg m_empty extra="$(mesos '')")" \
    "field 'mesos.masters': missing"
expect_bad "mesos with launcher local" \
    "$(cfg m_local extra=', "launcher": "local", "mesos": {'"$M_OK"'}')" \
    "field 'mesos': given, but \"launcher\" is \"local\""
expect_bad "mesos not an object" "$(cfg m_type extra=', "launcher": "mesos", "mesos": "m:5050"')" \
    "field 'mesos': must be an object"
expect_bad "masters of the wrong type" "$(cfg m_mtype extra="$(mesos '"masters": ["m:5050"]')")" \
    "field 'mesos.masters': must be a string, got [\"m:5050\"]"
expect_bad "unknown field in mesos" "$(cfg m_unknown extra="$(mesos "$M_OK"', "master": "x"')")" \
    "field 'mesos.master': unknown field"
# bad_masters WHAT NAME MASTERS REASON: "launcher": "mesos" with these
# masters, refused with "field 'mesos.masters': REASON..."
bad_masters() {
    expect_bad "masters: $1" "$(cfg "$2" extra="$(mesos "\"masters\": \"$3\"")")" \
        "field 'mesos.masters': $4"
}
bad_masters "a master without a port" m_noport "http://10.0.0.5:5050,m2" 'master "m2" is not host:port'
bad_masters "port out of range" m_port "http://m1:65536" 'bad address "m1:65536": port not in 1..65535'
bad_masters "not a host name" m_host "http://m_1:5050" \
    'bad address "m_1:5050": not an IP address nor a host name'
bad_masters "neither http:// nor zk://" m_scheme "https://m1:5050" \
    'masters "https://m1:5050": expected http:// or zk://'
bad_masters "zk:// without a path" m_zkpath "zk://z1:2181/" \
    '"zk://z1:2181/": expected zk://host:port[,...]/path'
bad_masters "zk:// server without a port" m_zkport "zk://z1:2181,z2/mesos" \
    'bad address "z2": expected host:port'
zk17=$(for i in $(seq 1 17); do printf 'z%d:2181,' "$i"; done)
bad_masters "more zk:// servers than agorad resolves" m_zkmany "zk://${zk17%,}/mesos" \
    'more than 16 ZooKeeper servers'
expect_bad "failover_timeout_s below its range" \
    "$(cfg m_fo extra="$(mesos "$M_OK"', "failover_timeout_s": 59')")" \
    "field 'mesos.failover_timeout_s': must be between 60 and 31536000, got 59"
expect_bad "failover_timeout_s of the wrong type" \
    "$(cfg m_fotype extra="$(mesos "$M_OK"', "failover_timeout_s": "1h"')")" \
    "field 'mesos.failover_timeout_s': must be an integer between 60 and 31536000, got \"1h\""
expect_bad "a role that Mesos refuses" "$(cfg m_role extra="$(mesos "$M_OK"', "role": "-x"')")" \
    "field 'mesos.role': \"-x\": a role must not start with '-'"

# zk:// masters: libzookeeper-mt is loaded by --check and at start
zk=$(cfg m_zk extra="$(mesos '"masters": "zk://10.0.0.7:2181,10.0.0.8:2181/mesos"')")
zklib=$(ldconfig -p 2>/dev/null | awk '/libzookeeper_mt\.so\.2 / { print $NF; exit }')
if [ -z "$zklib" ]; then
    expect_bad "zk:// masters without libzookeeper-mt (not installed)" "$zk" \
        "field 'mesos.masters': " "libzookeeper-mt2"
elif [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    rc=$(run_agorad "$D/run" -c "$zk" --check)
    if [ "$rc" = 0 ]; then
        pass "zk:// masters, libzookeeper-mt installed: --check exits 0"
    else
        fail "zk:// masters: --check exit $rc: $(cat "$D/run.err")"
    fi
    # the library hidden behind an empty file, in a private mount namespace
    RUN_AS=(unshare -m --propagation private sh -c 'mount --bind /dev/null "$0" && exec "$@"'
            "$(readlink -f "$zklib")")
    expect_bad "zk:// masters, libzookeeper-mt missing" "$zk" \
        "field 'mesos.masters': a zk:// URL needs libzookeeper-mt: cannot load libzookeeper_mt.so.2" \
        "install the Debian package libzookeeper-mt2"
    RUN_AS=()
else
    echo "note: the missing-libzookeeper case needs root and unshare; not run"
fi

# --- files that are not valid configuration at all ---
printf '{\n  "id": 1,\n  "name": }\n' >"$D/syntax.json"
expect_bad "not JSON (names line and column)" "$D/syntax.json" "line 3 column 11: not valid JSON"
printf '[1, 2]\n' >"$D/array.json"
expect_bad "not an object" "$D/array.json" "the top level must be a JSON object"
expect_bad "missing file" "$D/none.json" "cannot open" "No such file"
expect_bad "a directory" "$D" "Is a directory"

# unreadable: mode 000; root reads it anyway, so as root run agorad as nobody
cp "$good" "$D/unreadable.json"
chmod 000 "$D/unreadable.json"
if [ "$(id -u)" = 0 ]; then
    if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
        # a copy of the binary that nobody can reach (the build tree may be private)
        install -m 755 "$AGORAD" "$D/agorad"
        AGORAD=$D/agorad
        RUN_AS=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
        expect_bad "unreadable file (as nobody)" "$D/unreadable.json" "cannot open" "Permission denied"
        RUN_AS=()
    else
        echo "note: the unreadable-file case needs setpriv and the user nobody as root; not run"
    fi
else
    expect_bad "unreadable file" "$D/unreadable.json" "cannot open" "Permission denied"
fi

if [ "$failed" -gt 0 ]; then
    echo "FAIL: $failed check(s) failed" >&2
    exit 1
fi
exit 0
