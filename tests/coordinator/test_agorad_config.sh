#!/usr/bin/env bash
# test_agorad_config.sh: bad agorad.json files through the real agorad
# binary. test_config.c checks every rule in-process; this checks what an
# operator sees: for each bad file, both `agorad -c FILE --check` and a plain
# start-up `agorad -c FILE` exit 78 (EX_CONFIG, agorad(8)) and name the file
# and the field (or, for a file that is not JSON, the line and column) on
# stderr, and nothing is started. A valid file passes --check (exit 0), so
# the bad cases fail for their one bad value.
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
