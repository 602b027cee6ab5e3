#!/bin/sh
# Installs every Debian 12 package that building, testing and running Agora need.
# Run as root on a fresh machine; safe to run again (apt-get is idempotent).
set -eu

BUILD="build-essential autoconf automake libtool pkg-config clang llvm
libclang-rt-14-dev git"
LIBS="libcmocka-dev libjansson-dev libcurl4-openssl-dev libzookeeper-mt-dev
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
echo "setup-debian.sh: done"
