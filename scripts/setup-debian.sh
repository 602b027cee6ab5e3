#!/bin/sh
# Installs every Debian 12 package that building, testing and running Agora need.
# Run as root on a fresh machine; safe to run again (apt-get is idempotent).
set -eu

BUILD="build-essential autoconf automake libtool pkg-config clang llvm
libclang-rt-14-dev git"
LIBS="libcmocka-dev libjansson-dev libzookeeper-mt-dev
libssl-dev uuid-dev liburcu-dev libglusterfs-dev glusterfs-common libacl1-dev"
TEST="spin glusterfs-server glusterfs-client zookeeperd attr iproute2
procps psmisc util-linux dpkg-dev debhelper devscripts lintian rpm openssh-client
etcd-server etcd-client"

if [ "$(id -u)" -ne 0 ]; then
    echo "setup-debian.sh: must run as root (it calls apt-get)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup-debian.sh: apt-get update"
apt-get update -q
echo "setup-debian.sh: installing build, library and test packages"
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $BUILD $LIBS $TEST

# openssh-server, for tests/coordinator/test_ssh_login.sh, which runs a
# private sshd of its own: installing it must not start the system's sshd.
# While apt-get runs, a policy-rc.d that answers 101 (action forbidden)
# stops invoke-rc.d and deb-systemd-invoke from starting it; an existing
# policy-rc.d is left as it is. If an sshd was started all the same (its
# init script's /run/sshd.pid appeared), it is stopped by that PID.
if ! dpkg-query -W -f='${Status}\n' openssh-server 2>/dev/null | grep -q ' installed$'; then
    policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        trap 'rm -f "$policy"' EXIT
        printf '#!/bin/sh\n# setup-debian.sh: start no service while installing openssh-server\nexit 101\n' >"$policy"
        chmod 755 "$policy"
    fi
    had_pid=no
    [ ! -e /run/sshd.pid ] || had_pid=yes
    echo "setup-debian.sh: installing openssh-server (no service started)"
    rc=0
    apt-get install -y -q --no-install-recommends openssh-server || rc=$?
    if [ -n "$policy" ]; then rm -f "$policy"; trap - EXIT; fi
    if [ "$had_pid" = no ] && [ -s /run/sshd.pid ]; then
        pid=$(cat /run/sshd.pid)
        if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/sbin/sshd ]; then
            echo "setup-debian.sh: the package started sshd (PID $pid): stopping it"
            kill "$pid"
        fi
    fi
    [ "$rc" = 0 ] || exit "$rc"
fi
echo "setup-debian.sh: done"
