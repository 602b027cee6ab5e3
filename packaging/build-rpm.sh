#!/bin/sh
# packaging/build-rpm.sh: builds the RPM packages of Agora from this tree.
#
#   packaging/build-rpm.sh [OUTDIR]        (default OUTDIR: ./_build/rpm)
#
# 1. exports the tree into a temporary folder (as build-deb.sh does),
#    runs ./autogen.sh and ./configure there (which makes
#    packaging/rpm/agora.spec from agora.spec.in) and `make dist`;
# 2. rpmbuild -bb with that spec and tarball, in a private _topdir;
# 3. moves the binary RPMs to OUTDIR and removes the temporary folder.
#
# On an RPM distribution this is `rpmbuild -tb agora-VERSION.tar.gz` with the
# BuildRequires of the spec installed. On Debian (the rpm package) the build
# dependencies are dpkg packages that rpm cannot see, so the script passes
# --nodeps there, and it turns off the debuginfo subpackages when
# find-debuginfo is missing.
set -eu

case ${1-} in
-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/_build/rpm}
mkdir -p "$out"
out=$(cd "$out" && pwd)

command -v rpmbuild >/dev/null 2>&1 ||
    { echo "build-rpm.sh: rpmbuild not found (Debian: apt-get install rpm)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/agora-rpm.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM HUP
src=$work/src
mkdir "$src"

echo "build-rpm.sh: exporting $top to $src"
sh "$top/packaging/export-tree.sh" "$top" "$src"

echo "build-rpm.sh: autogen, configure, make dist"
(cd "$src" && { [ -x configure ] || ./autogen.sh; } >"$work/autogen.log" 2>&1 &&
    ./configure --disable-integration >"$work/configure.log" 2>&1 &&
    make dist >"$work/dist.log" 2>&1) || {
    echo "build-rpm.sh: making the tarball failed:" >&2
    tail -n 30 "$work"/*.log >&2
    exit 1
}

set -- --define "_topdir $work/rpmbuild" --define "_sourcedir $src"
if [ -f /etc/debian_version ]; then
    set -- "$@" --nodeps
fi
if ! command -v find-debuginfo >/dev/null 2>&1 &&
   [ ! -x /usr/lib/rpm/find-debuginfo.sh ]; then
    set -- "$@" --define "debug_package %{nil}"
fi

echo "build-rpm.sh: rpmbuild -bb $* packaging/rpm/agora.spec"
rpmbuild -bb "$@" "$src/packaging/rpm/agora.spec"

n=0
for f in "$work"/rpmbuild/RPMS/*/*.rpm; do
    [ -e "$f" ] || continue
    mv -f "$f" "$out/"
    n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "build-rpm.sh: no package was built" >&2; exit 1; }
echo "build-rpm.sh: packages in $out:"
ls -1 "$out"/*.rpm
