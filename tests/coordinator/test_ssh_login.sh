#!/usr/bin/env bash
# test_ssh_login.sh: the mounted /.agora/authorized_keys is what a real sshd
# reads. Three agorad against a real replica-3 volume with the translator
# (tests/integration/lib.sh, agd_lib.sh), two FUSE mounts, and a private
# sshd (openssh-server: its own config, host key, port and pid file) in
# host 1's network namespace whose AuthorizedKeysFile is the mounted file,
# with StrictModes on.
#
#   1. a member joins (agoractl join) with a fresh ssh-ed25519 key: its line
#      is in /.agora/hosts and its key in /.agora/authorized_keys on both
#      mounts
#   2. from host 2's network namespace, `ssh -i KEY -o BatchMode=yes` logs
#      in to host 1's sshd and runs a command there (its output names host
#      1's network namespace); sshd logs the member's key fingerprint and
#      never refused the file (StrictModes)
#   3. a key that is not in the file is refused
#   4. the member leaves (agoractl leave): its key is gone from both mounts
#      and the same login is refused
#
# StrictModes: sshd accepts an AuthorizedKeysFile only if it and every
# folder above it are owned by root (or the user) and not writable by group
# or others. /tmp is world-writable, so this test keeps the harness's state
# folder (a tmpfs), and the mounts in it, under a root-owned 0755 folder
# ($AGORA_SSH_TMPDIR, default /var/lib/agora-ssh-test, removed at the end if
# it made it and it is empty) instead of turning StrictModes off. (Not
# under /run: the harness's hosts shadow /run with a private folder.)
#
# sshd's privilege separation needs /run/sshd (normally made by the ssh
# service, which we never start): made here if missing, removed at the end
# unless another sshd runs by then.
# sshd is stopped by its PID.
#
# Needs root, FUSE, glusterd, the built translator, agorad/agoractl, sshd
# and ssh. Exit 0 pass, 1 fail, 77 skip, 99 setup error.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=${abs_top_srcdir:-$here/../..}
build=${abs_top_builddir:-$top}
# shellcheck source=../integration/lib.sh
. "$top/tests/integration/lib.sh"
# shellcheck source=agd_lib.sh
. "$here/agd_lib.sh"

SSHD=${SSHD:-/usr/sbin/sshd}
agd_require
[ -x "$SSHD" ] || ag_skip "sshd missing ($SSHD; Debian: openssh-server, scripts/setup-debian.sh installs it)"
command -v ssh >/dev/null || ag_skip "ssh missing (openssh-client)"
id sshd >/dev/null 2>&1 || ag_skip "no user sshd (sshd's privilege separation; made by openssh-server)"
[ "$(id -u)" = 0 ] || ag_skip "needs root"

pass() { printf 'ok: %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else ag_fail "$what"; fi; }

# the state folder (and so the mounts) under a folder that passes StrictModes
AG_TMPDIR=${AGORA_SSH_TMPDIR:-/var/lib/agora-ssh-test}
made_tmpdir=
if [ ! -d "$AG_TMPDIR" ]; then
    mkdir -m 755 "$AG_TMPDIR" || ag_die "mkdir $AG_TMPDIR"
    made_tmpdir=1
fi
made_privsep=
if [ ! -d /run/sshd ]; then
    mkdir -m 755 /run/sshd || ag_die "mkdir /run/sshd"
    made_privsep=1
fi
# another sshd (another run of this test) may still need /run/sshd
other_sshd() {
    local e
    for e in /proc/[0-9]*/exe; do [ "$(readlink "$e" 2>/dev/null)" = "$SSHD" ] && return 0; done
    return 1
}
cleanup_dirs() {
    [ -z "$made_privsep" ] || other_sshd || rmdir /run/sshd 2>/dev/null || true
    [ -z "$made_tmpdir" ] || rmdir "$AG_TMPDIR" 2>/dev/null || true
}
trap cleanup_dirs EXIT # until ag_cluster_up sets its own trap; then the --after hook
ag_on_cleanup --after cleanup_dirs

V=av
agd_cluster_up sshl $V
M=$AG_STATE/mnt/c1
M2=$AG_STATE/mnt/c2
ag_mount $V "$M" 1 || ag_die "mount 1"
ag_mount $V "$M2" 2 || ag_die "mount 2"
agd_start_all $V "$M"
agd_wait_leader "$M"
pass "leader $(agd_leader_of "$M") elected"

# --- the private sshd, in host 1's network namespace -----------------------------------------
S=$AG_STATE/sshd
mkdir -p "$S"
: >"$S/sshd.log"
AK=$M/.agora/authorized_keys
SSH_IP=$(ag_host_ip 1)
SSH_PORT=2222
ssh-keygen -q -t ed25519 -N '' -C agora-test-host -f "$S/ssh_host_ed25519_key" >/dev/null ||
    ag_die "host key"
cat >"$S/sshd_config" <<EOF
# test_ssh_login.sh's private sshd
ListenAddress $SSH_IP:$SSH_PORT
HostKey $S/ssh_host_ed25519_key
PidFile $S/sshd.pid
AuthorizedKeysFile $AK
AuthorizedPrincipalsFile none
StrictModes yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
PermitRootLogin prohibit-password
AllowUsers root
UsePAM no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
LoginGraceTime 30
LogLevel VERBOSE
EOF
"$SSHD" -t -f "$S/sshd_config" || ag_die "sshd -t rejects the test's sshd_config"

# the file's path, as sshd's StrictModes sees it (a setup error, not a test
# failure: it would mean the harness put the mount somewhere unsuitable)
strict_ok() {
    local p
    p=$(realpath "$AK") || return 1
    while :; do
        if [ "$(stat -c %u "$p")" != 0 ] || [ $(( 0$(stat -c %a "$p") & 022 )) != 0 ]; then
            echo "StrictModes: $p is $(stat -c '%U %A' "$p")" >&2
            return 1
        fi
        [ "$p" = / ] && return 0
        p=$(dirname "$p")
    done
}
strict_ok || ag_die "the mounted authorized_keys would fail sshd's StrictModes"

stop_sshd() {
    [ -n "${SSHD_PID-}" ] || return 0
    kill -TERM "$SSHD_PID" 2>/dev/null
    ag_wait_for 5 _ag_all_dead "$SSHD_PID" 2>/dev/null || kill -9 "$SSHD_PID" 2>/dev/null
    SSHD_PID=
}
ag_on_cleanup stop_sshd
( _ag_subshell_closefds && exec nsenter --net="$(agd_host_ns 1)" "$SSHD" -D -e -f "$S/sshd_config" ) \
    </dev/null >>"$S/sshd.log" 2>&1 &
SSHD_PID=$!
ag_wait_for 10 grep -q "Server listening on $SSH_IP port $SSH_PORT" "$S/sshd.log" ||
    { cat "$S/sshd.log"; ag_die "sshd did not start"; }
[ "$(readlink "/proc/$SSHD_PID/exe")" = "$SSHD" ] || ag_die "PID $SSHD_PID is not sshd"
[ "$(cat "$S/sshd.pid" 2>/dev/null)" = "$SSHD_PID" ] || ag_die "sshd's pid file does not name $SSHD_PID"
NETNS1=$(readlink "/proc/$SSHD_PID/ns/net")
pass "sshd (PID $SSHD_PID) listens on $SSH_IP:$SSH_PORT in host 1's network namespace ($NETNS1)"
printf '[%s]:%s %s\n' "$SSH_IP" "$SSH_PORT" "$(cut -d' ' -f1,2 "$S/ssh_host_ed25519_key.pub")" >"$S/known_hosts"

# login KEY: ssh as root from host 2's network namespace to host 1's sshd,
# running a command that prints a marker and the network namespace it runs
# in; stdout to $S/out, stderr to $S/err, exit status returned
login() {
    timeout 30 nsenter --net="$(agd_host_ns 2)" ssh -F /dev/null -i "$1" \
        -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none \
        -o PreferredAuthentications=publickey -o StrictHostKeyChecking=yes \
        -o UserKnownHostsFile="$S/known_hosts" -o GlobalKnownHostsFile=/dev/null \
        -o ConnectTimeout=10 -o LogLevel=ERROR -p "$SSH_PORT" "root@$SSH_IP" \
        'echo agora-login-ok; readlink /proc/self/ns/net' </dev/null >"$S/out" 2>"$S/err"
}
want_out=$(printf 'agora-login-ok\n%s' "$NETNS1")
expect_login() { # WHAT KEY
    local rc=0
    login "$2" || rc=$?
    [ "$rc" = 0 ] || { sed 's/^/    ssh: /' "$S/err"; tail -n 5 "$S/sshd.log" | sed 's/^/    sshd: /'; ag_fail "$1: ssh exited $rc"; }
    [ "$(cat "$S/out")" = "$want_out" ] || ag_fail "$1: the command printed '$(cat "$S/out")', expected '$want_out'"
    pass "$1: logged in, the command ran in host 1's network namespace"
}
expect_refused() { # WHAT KEY
    local rc=0
    login "$2" || rc=$?
    [ "$rc" = 255 ] || ag_fail "$1: ssh exited $rc (output '$(cat "$S/out")'), expected 255 (refused)"
    grep -q 'Permission denied (publickey)' "$S/err" ||
        ag_fail "$1: refused, but not for the key: $(cat "$S/err")"
    [ ! -s "$S/out" ] || ag_fail "$1: the command ran: $(cat "$S/out")"
    pass "$1: refused (Permission denied (publickey))"
}

# --- 1. a member joins ----------------------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C user1@agora-test -f "$S/user1" >/dev/null || ag_die "user key"
ssh-keygen -q -t ed25519 -N '' -C stranger@agora-test -f "$S/stranger" >/dev/null || ag_die "stranger key"
ukey=$(awk '{print $2}' "$S/user1.pub")
ufpr=$(ssh-keygen -l -f "$S/user1.pub" | awk '{print $2}')
# before the join the member's key cannot log in (the file exists and is read)
check "authorized_keys is on the mount" test -f "$AK"
expect_refused "before the join, user1's key" "$S/user1"
agd_ctl 1 join user1 user1.test 10.9.3.1 "$S/user1.pub" | sed 's/^/    /'
[ "${PIPESTATUS[0]}" = 0 ] || ag_fail "agoractl join user1"
for mnt in "$M" "$M2"; do
    check "user1's line in $mnt/.agora/hosts" \
        ag_wait_for 15 grep -Eq '^10\.9\.3\.1[[:space:]].*user1\.test' "$mnt/.agora/hosts"
    check "user1's key in $mnt/.agora/authorized_keys" \
        ag_wait_for 15 grep -qF "$ukey" "$mnt/.agora/authorized_keys"
done

# --- 2. ssh login with the member's key -----------------------------------------------------------------
expect_login "user1's key (joined)" "$S/user1"
check "sshd accepted user1's key ($ufpr)" grep -qF "Accepted publickey for root from $(ag_host_ip 2) port" "$S/sshd.log"
grep "Accepted publickey" "$S/sshd.log" | grep -qF "$ufpr" || ag_fail "sshd's log does not name user1's key $ufpr"
if grep -q 'Authentication refused' "$S/sshd.log"; then
    grep 'Authentication refused' "$S/sshd.log" | sed 's/^/    /'
    ag_fail "sshd refused to read the mounted authorized_keys (StrictModes)"
fi
pass "sshd read the mounted authorized_keys with StrictModes on"

# --- 3. a key that is not in the file ---------------------------------------------------------------
expect_refused "a key that is not in authorized_keys" "$S/stranger"

# --- 4. the member leaves -------------------------------------------------------------------------
agd_ctl 1 leave user1 | sed 's/^/    /'
[ "${PIPESTATUS[0]}" = 0 ] || ag_fail "agoractl leave user1"
for mnt in "$M" "$M2"; do
    check "user1's key gone from $mnt/.agora/authorized_keys" \
        ag_wait_for 15 bash -c "! grep -qF '$ukey' '$mnt/.agora/authorized_keys'"
    check "user1's line gone from $mnt/.agora/hosts" \
        bash -c "! grep -q 'user1\.test' '$mnt/.agora/hosts'"
done
expect_refused "after the leave, user1's key" "$S/user1"

pid=$SSHD_PID
stop_sshd
check "sshd (PID $pid) stopped by its PID" _ag_all_dead "$pid"
exit 0
