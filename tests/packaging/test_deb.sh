#!/usr/bin/env bash
# test_deb.sh: the Debian packages on this machine, as an operator meets them
# (the README's install section, step by step).
#
#   1. packaging/build-deb.sh builds glusterfs-agora and agorad; lintian
#      reports no error
#   2. apt-get install ./agorad_*.deb ./glusterfs-agora_*.deb
#   3. a fresh replica-3 volume (tests/integration/lib.sh: three glusterds in
#      network namespaces), started; then the documented commands:
#      gluster volume set VOL user.xlator.agora posix, ...key-file, restart;
#      the bricks load the INSTALLED agora.so (no --xlator-dir)
#   4. /etc/agora/agorad.json edited, agorad started the documented way:
#      systemctl start agorad when systemd is PID 1; otherwise the unit's
#      ExecStart run the way systemd would (said so in the output)
#   5. /.agora/hosts appears on a mount; agoractl status shows a leader
#   6. agorad stopped (SIGTERM, KillMode=mixed), the translator disabled by
#      the documented commands (volume reset: GlusterFS 10.3 cannot reset one
#      user.* option), the volume restarts without it
#   7. apt-get remove leaves only the conffile; apt-get purge leaves nothing
#
# Runs only with AGORA_PACKAGING_TEST=1 (it installs packages on this
# machine), as root, with the packages of scripts/setup-debian.sh. Refuses to
# run when agorad or glusterfs-agora is installed already. Whatever happens,
# the packages are purged and every process it started is stopped by PID.
# Exit 0 pass, 1 fail, 77 skip, 99 hard error.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=${abs_top_srcdir:-$here/../..}
build=${abs_top_builddir:-$top}

if [ "${AGORA_PACKAGING_TEST-}" != 1 ]; then
    echo "SKIP: set AGORA_PACKAGING_TEST=1 to build, install and purge the Debian packages" >&2
    exit 77
fi
# shellcheck source=../integration/lib.sh
. "$top/tests/integration/lib.sh"
set -o pipefail

pass() { printf 'ok: %s\n' "$*"; }
note() { printf 'NOTE: %s\n' "$*"; }
step() { printf '\n=== test_deb: %s\n' "$*"; }

ag_require_env
for c in dpkg-buildpackage dh lintian apt-get ssh-keygen python3 setpriv unshare; do
    command -v "$c" >/dev/null 2>&1 || ag_skip "'$c' not found (scripts/setup-debian.sh installs it)"
done
PKGS=(agorad glusterfs-agora)
installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null; }
for p in "${PKGS[@]}"; do
    st=$(installed "$p")
    case $st in ''|not-installed) ;; *) ag_die "package $p is already on this machine ($st): refusing to touch it" ;; esac
done
[ ! -e /etc/agora ] || ag_die "/etc/agora exists already: refusing to touch it"
LOCK=/run/lock/agora-packaging-test.lock
exec 8>"$LOCK"
flock -n 8 || ag_die "another packaging test is running ($LOCK)"
trap 'rm -f "$LOCK"' EXIT      # until ag_cluster_up installs the harness's traps

OUT=$build/tests/packaging/deb
M=

# --- 1. build and lintian ------------------------------------------------------------
step "1. packaging/build-deb.sh"
rm -rf "$OUT"
"$top/packaging/build-deb.sh" "$OUT" >"$build/tests/packaging/build-deb.out" 2>&1 || {
    tail -n 40 "$build/tests/packaging/build-deb.out" >&2; ag_fail "build-deb.sh failed"; }
DEBS=()
for p in "${PKGS[@]}"; do
    f=$(ls "$OUT/${p}_"*.deb 2>/dev/null | head -n1)
    [ -n "$f" ] || ag_fail "no $p package in $OUT"
    DEBS+=("$f")
done
pass "built: ${DEBS[*]##*/}"
lint=$(lintian --pedantic "$OUT"/*.changes 2>&1 | grep -v 'running with root privileges')
[ -n "$lint" ] || lint="(no tags; overrides in packaging/debian/*.lintian-overrides)"
printf '%s\n' "$lint" | sed 's/^/    lintian --pedantic: /'
if printf '%s\n' "$lint" | grep -q '^E: '; then ag_fail "lintian reports errors"; fi
pass "lintian: no errors ($(printf '%s\n' "$lint" | grep -c '^[WEIP]: ') tags shown above)"

GFV=$(dpkg-deb -c "${DEBS[1]}" | sed -n 's,.*/glusterfs/\([^/]*\)/xlator/user/agora.so$,\1,p')
SYSV=$(glusterfsd --version | awk 'NR == 1 { print $2 }')
[ -n "$GFV" ] && [ "$GFV" = "$SYSV" ] || ag_fail "agora.so is for GlusterFS '$GFV', the system runs '$SYSV'"
dpkg-deb -f "${DEBS[1]}" Depends | grep -q "glusterfs-server (>= $GFV)" ||
    ag_fail "glusterfs-agora does not depend on glusterfs-server >= $GFV"
pass "glusterfs-agora is for GlusterFS $GFV: $(dpkg-deb -f "${DEBS[1]}" Depends | grep -o 'glusterfs-server[^,]*, glusterfs-server[^,]*')"

# --- the cluster; from here on the harness's teardown runs at exit ---------------------
step "2. cluster and apt-get install"
ag_cluster_up pkg 3 || ag_die "cluster"
purge_all() {
    local p left=()
    for p in "${PKGS[@]}"; do
        case $(installed "$p") in ''|not-installed) ;; *) left+=("$p") ;; esac
    done
    [ ${#left[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "${left[@]}" >/dev/null 2>&1 ||
        echo "test_deb: cleanup: apt-get purge ${left[*]} failed" >&2
}
ag_on_cleanup --after purge_all
ag_on_cleanup --after rm -f "$LOCK"

# as the README: in the output folder, apt-get install ./agorad_*.deb ./glusterfs-agora_*.deb
(cd "$OUT" && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./agorad_*.deb ./glusterfs-agora_*.deb) \
    >"$AG_STATE/apt-install.out" 2>&1 ||
    { cat "$AG_STATE/apt-install.out" >&2; ag_fail "apt-get install"; }
for p in "${PKGS[@]}"; do
    [ "$(installed "$p")" = installed ] || { cat "$AG_STATE/apt-install.out" >&2; ag_fail "$p not installed"; }
done
pass "apt-get install ${DEBS[*]##*/}"
XL=$(dpkg -L glusterfs-agora | grep '/xlator/user/agora.so$')
[ -f "$XL" ] || ag_fail "agora.so not installed"
pass "translator at $XL"
UNIT=$(dpkg -L agorad | grep '/systemd/system/agorad.service$')
[ -f "$UNIT" ] && [ -f /etc/agora/agorad.json ] || ag_fail "unit or default configuration missing"
[ "$(stat -c %a /etc/agora)" = 755 ] || ag_fail "/etc/agora mode $(stat -c %a /etc/agora)"
pass "unit $UNIT, conffile /etc/agora/agorad.json"

# --- 3. enable the translator on a fresh replica-3 volume (README, docs) -----------------------
step "3. the translator on a replica-3 volume"
V=pkgv
ag_volume_create $V || ag_die "volume create"
ag_volume_start $V || ag_die "volume start"
# as the README: the cluster key, once, on every host (here all hosts share /etc)
(umask 077; head -c 32 /dev/urandom | base64 >/etc/agora/cluster.key)
run_gluster() {
    local o
    echo "    # gluster $*"
    o=$(ag_gluster 1 "$@" 2>&1) || { printf '%s\n' "$o" | sed 's/^/    /' >&2; return 1; }
}
run_gluster volume set $V user.xlator.agora posix || ag_fail "volume set user.xlator.agora posix"
run_gluster volume set $V user.xlator.agora.key-file /etc/agora/cluster.key || ag_fail "volume set key-file"
echo "    # gluster volume stop $V && gluster volume start $V"
ag_volume_restart $V || ag_fail "volume restart"
for n in 1 2 3; do
    grep -q 'type user/agora' "$(ag_brick_volfile $V $n)" || ag_fail "brick $n volfile has no user/agora"
    ag_wait_for 10 grep -q "agora ready" "$(ag_brick_log $V $n)" || ag_fail "brick $n: no 'agora ready' in its log"
    pid=$(ag_brick_pid $V $n) || ag_fail "brick $n offline"
    grep -qF "$XL" "/proc/$pid/maps" || ag_fail "brick $n (pid $pid) did not map the installed $XL"
done
pass "three bricks loaded the installed translator ($XL)"

# --- 4. agorad, the documented way ---------------------------------------------------------
step "4. agorad"
# The member's SSH key: an operator names /etc/ssh/ssh_host_ed25519_key.pub
# (the shipped default). The test makes one in host 1's own /run (the
# harness's $AG_STATE/h1/run): not /etc, which it must leave as it found it,
# and not under /tmp, which PrivateTmp hides from agorad.
KEYDIR=/run/agora-test
mkdir -p "$AG_STATE/h1/run/agora-test"
ssh-keygen -q -t ed25519 -N '' -C pkg-h1 -f "$AG_STATE/h1/run/agora-test/h1_ssh_key" >/dev/null || ag_die "ssh-keygen"
bricks_json=$(for n in 1 2 3; do
    printf '{"host": "%s", "path": "%s"}\n' "$(ag_host_ip "$(ag_brick_host $V $n)")" "$(ag_brick_path $V $n)"
done | paste -sd, -)
# the operator's edit of the shipped conffile: this host's identity and the bricks
python3 - "$KEYDIR/h1_ssh_key.pub" "$(ag_host_ip 1)" "[$bricks_json]" <<'EOF' || ag_die "editing agorad.json"
import json, sys
p = "/etc/agora/agorad.json"
c = json.load(open(p))
c.update({"id": 1, "name": "h1", "hostname": "h1", "ip": sys.argv[2],
          "ssh_public_key_file": sys.argv[1], "bricks": json.loads(sys.argv[3])})
open(p, "w").write(json.dumps(c, indent=2) + "\n")
EOF
ag_in_host 1 /usr/sbin/agorad --check || ag_fail "agorad --check refused the edited configuration"

AGORAD_PID=
AGORAD_LOG=$AG_STATE/agorad.journal
stop_agorad() {  # KillMode=mixed: SIGTERM to the main process; TimeoutStopSec=90s
    [ -n "$AGORAD_PID" ] || return 0
    kill -TERM "$AGORAD_PID" 2>/dev/null
    ag_wait_for 90 _ag_all_dead "$AGORAD_PID" 2>/dev/null || kill -9 "$AGORAD_PID" 2>/dev/null
    wait "$AGORAD_PID" 2>/dev/null; AGORAD_RC=$?
    AGORAD_PID=
}
ag_on_cleanup stop_agorad
if [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ] && [ -d /run/systemd/system ]; then
    # Not exercised on the machines this was written on (PID 1 is not systemd there).
    mkdir -p /run/systemd/system/agorad.service.d
    printf '[Service]\nNetworkNamespacePath=/run/netns/%s\n' "$(_ag_ns h1)" \
        >/run/systemd/system/agorad.service.d/agora-test.conf
    ag_on_cleanup --after rm -rf /run/systemd/system/agorad.service.d
    systemctl daemon-reload && systemctl start agorad || ag_fail "systemctl start agorad"
    ag_on_cleanup systemctl stop agorad
    AGORAD_PID=$(systemctl show -p MainPID --value agorad)
    echo "    # systemctl start agorad   (a runtime drop-in puts it into host 1's network namespace)"
    agorad_log() { journalctl -u agorad --no-pager -o cat; }
    systemd=yes
else
    # systemd is not PID 1: run the unit's ExecStart the way systemd would.
    exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
    rt=$(sed -n 's/^RuntimeDirectory=//p' "$UNIT")
    rtmode=$(sed -n 's/^RuntimeDirectoryMode=//p' "$UNIT")
    [ -n "$exec_start" ] && [ -n "$rt" ] || ag_fail "unit has no ExecStart or RuntimeDirectory"
    note "PID 1 is '$(ps -p 1 -o comm=)', not systemd: starting the unit's ExecStart ($exec_start)" \
         "in host 1 as systemd would: stdin /dev/null, clean environment, cwd /," \
         "RuntimeDirectory=/run/$rt (mode $rtmode, \$RUNTIME_DIRECTORY), PrivateTmp (private /tmp)," \
         "ProtectSystem=full (/usr, /boot, /efi, /etc read-only), NoNewPrivileges (setpriv)." \
         "Not emulated: Restart=, StartLimit*, LockPersonality, RestrictRealtime, the journal."
    ag_in_host 1 sh -c "mkdir -p /run/$rt && chmod $rtmode /run/$rt" || ag_die "runtime directory"
    # shellcheck disable=SC2086
    { _ag_subshell_closefds && cd / && exec nsenter -t "$(ag_holder_pid 1)" -m -n -- \
        unshare -m --propagation slave sh -c '
            mount -t tmpfs -o mode=1777 agora-private-tmp /tmp &&
            for d in /usr /boot /efi /etc; do
                [ -d "$d" ] || continue
                mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" "$d" || exit 1
            done &&
            exec setpriv --no-new-privs env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                LANG=C.UTF-8 RUNTIME_DIRECTORY="$0" "$@"' "/run/$rt" $exec_start; } \
        </dev/null >"$AGORAD_LOG" 2>&1 &
    AGORAD_PID=$!
    agorad_log() { cat "$AGORAD_LOG"; }
    systemd=no
fi
ag_wait_for 5 grep -q . "$AGORAD_LOG" 2>/dev/null || true
_ag_alive "$AGORAD_PID" || { agorad_log >&2; ag_fail "agorad exited at once"; }
pass "agorad running (pid $AGORAD_PID)"

# --- 5. /.agora/hosts on a mount, agoractl status shows a leader ------------------------------------
step "5. /.agora/ and agoractl"
M=$AG_STATE/mnt/c1
ag_mount $V "$M" || ag_die "mount"
if ! ag_wait_for 60 grep -qw h1 "$M/.agora/hosts"; then
    agorad_log | tail -n 30 >&2
    ag_fail "/.agora/hosts does not name h1 within 60 s"
fi
sed 's/^/    hosts: /' "$M/.agora/hosts"
pass "/.agora/hosts on the mount names the member h1"

# agoractl reads /etc/agora/agorad.json and asks the bricks itself
out=$(ag_in_host 1 agoractl status --json 2>&1); rc=$?
via="agoractl status"
printf '%s\n' "$out" | sed 's/^/    /'
[ $rc = 0 ] || ag_fail "$via exited $rc"
read -r leader reach < <(printf '%s\n' "$out" | python3 -c 'import json, sys
s = json.load(sys.stdin)
print(s.get("leader") or "-", sum(1 for b in s.get("bricks") or [] if b.get("reachable")))') ||
    ag_fail "$via: not JSON"
[ "$leader" = h1 ] || ag_fail "$via shows leader '$leader', expected h1"
[ "$reach" = 3 ] || ag_fail "$via shows $reach reachable bricks, expected 3"
pass "$via shows the leader h1 and 3 reachable bricks"

# reload as systemctl reload does (ExecReload=/bin/kill -HUP $MAINPID)
if [ $systemd = no ]; then
    reload=$(sed -n 's/^ExecReload=//p' "$UNIT")
    ${reload//\$MAINPID/$AGORAD_PID} || ag_fail "ExecReload ($reload) failed"
    sleep 0.5
    _ag_alive "$AGORAD_PID" || { agorad_log | tail >&2; ag_fail "agorad died on SIGHUP"; }
    pass "ExecReload (SIGHUP) keeps agorad running"
fi

# --- 6. stop, disable the translator -----------------------------------------------------------------
step "6. stop agorad, disable the translator"
if [ $systemd = yes ]; then
    systemctl stop agorad || ag_fail "systemctl stop agorad"
    AGORAD_PID=
else
    stop_agorad
    [ "$AGORAD_RC" = 0 ] || { agorad_log | tail >&2; ag_fail "agorad exited $AGORAD_RC on SIGTERM"; }
fi
pass "agorad stopped cleanly"
ag_umount "$M"
# GlusterFS 10.3 cannot reset one user.* option ("Option user.xlator.agora
# does not exist"), nor set it to off: only a reset of every option removes
# it. As the README says: note the other options, reset, restart, set them again.
others=$(ag_gluster 1 volume info $V | awk '/^Options Reconfigured:/ { f = 1; next }
    f && /^[a-z]/ && $1 !~ /^user\.xlator\.agora/ { sub(/:$/, "", $1); print $1, $2 }')
run_gluster volume reset $V || ag_fail "volume reset"
echo "    # gluster volume stop $V && gluster volume start $V"
ag_volume_restart $V || ag_fail "volume restart without the translator"
for n in 1 2 3; do
    ! grep -q 'type user/agora' "$(ag_brick_volfile $V $n)" || ag_fail "brick $n still has user/agora"
done
after=$(ag_gluster 1 volume info $V)
while read -r k v; do
    [ -n "$k" ] || continue
    case $after in *$'\n'"$k: "*) continue ;; esac   # kept (options a reset never touches)
    if [ "$k" = cluster.granular-entry-heal ]; then   # volume set refuses this one
        [ "$v" = on ] && v=enable || v=disable
        run_gluster volume heal $V granular-entry-heal "$v" || ag_fail "volume heal granular-entry-heal $v"
    else
        run_gluster volume set $V "$k" "$v" || ag_fail "volume set $k $v again"
    fi
done <<<"$others"
after=$(ag_gluster 1 volume info $V)
case $after in *user.xlator.agora*) ag_fail "user.xlator.agora still set" ;; esac
echo "    # options now: $(printf '%s\n' "$after" | sed -n '/^Options Reconfigured:/,$p' | tail -n +2 | tr '\n' ' ')"
pass "translator disabled; the volume runs without it"

# --- 7. remove, then purge -------------------------------------------------------------------------
step "7. apt-get remove, apt-get purge"
files_of() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }'; }
all_files=$(for d in "${DEBS[@]}"; do files_of "$d"; done | sort)
DEBIAN_FRONTEND=noninteractive apt-get remove -y -q "${PKGS[@]}" >"$AG_STATE/apt-remove.out" 2>&1 ||
    { cat "$AG_STATE/apt-remove.out" >&2; ag_fail "apt-get remove"; }
left=$(while read -r f; do [ -e "$f" ] && echo "$f"; done <<<"$all_files")
[ "$left" = /etc/agora/agorad.json ] || ag_fail "after remove, left: $(echo $left) (want only the conffile)"
[ "$(installed agorad)" = config-files ] || ag_fail "agorad status after remove: $(installed agorad)"
pass "apt-get remove leaves only the conffile /etc/agora/agorad.json"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "${PKGS[@]}" >"$AG_STATE/apt-purge.out" 2>&1 ||
    { cat "$AG_STATE/apt-purge.out" >&2; ag_fail "apt-get purge"; }
left=$(while read -r f; do [ -e "$f" ] && echo "$f"; done <<<"$all_files")
[ -z "$left" ] || ag_fail "after purge, left: $(echo $left)"
for d in /etc/agora "$(dirname "$XL")" /usr/share/agora; do
    [ ! -e "$d" ] || ag_fail "after purge, $d is left: $(ls -A "$d" | tr '\n' ' ')"
done
for p in "${PKGS[@]}"; do
    case $(installed "$p") in ''|not-installed) ;; *) ag_fail "$p still known to dpkg: $(installed "$p")" ;; esac
done
pass "apt-get purge leaves nothing (conffile, cluster key, translator folder gone)"
echo "test_deb: PASS"
exit 0
