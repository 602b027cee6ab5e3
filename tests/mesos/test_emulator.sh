#!/bin/sh
# tests/mesos/test_emulator.sh: runs the Mesos master emulator's own
# conformance tests (test_emulator.py; Python 3 standard library).
here=$(cd "$(dirname "$0")" && pwd)
src=${abs_top_srcdir:-$here/../..}/tests/mesos
command -v python3 >/dev/null 2>&1 || { echo "python3 not found: skipped"; exit 77; }
exec python3 -W ignore::ResourceWarning "$src/test_emulator.py"
