#!/bin/sh
# Generates ./configure from configure.ac (autoconf, automake, libtool,
# pkg-config's pkg.m4). Run once after a checkout and after editing
# configure.ac; generated files are not committed.
set -e
cd "$(dirname "$0")"

need() { # TOOL DEBIAN-PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "autogen.sh: '$1' not found: install the Debian package '$2' (apt-get install $2), or run scripts/setup-debian.sh" >&2
        exit 1
    fi
}
need autoreconf autoconf
need automake automake
need libtoolize libtool
need pkg-config pkg-config
if [ ! -f "$(aclocal --print-ac-dir)/pkg.m4" ]; then
    echo "autogen.sh: pkg.m4 not found: install the Debian package 'pkg-config', or run scripts/setup-debian.sh" >&2
    exit 1
fi

mkdir -p m4
autoreconf --install --force --warnings=all
echo "autogen.sh: now run ./configure && make"
