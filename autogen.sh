#!/bin/sh
# Generates ./configure from configure.ac (autoconf, automake, libtool).
set -e
cd "$(dirname "$0")"
autoreconf --install --force --warnings=all
echo "autogen.sh: now run ./configure && make"
