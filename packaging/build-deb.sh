#!/bin/sh
# packaging/build-deb.sh: builds the Debian packages of Agora from this tree.
#
#   packaging/build-deb.sh [OUTDIR]        (default OUTDIR: ./_build/deb)
#
# 1. exports the tree into a fresh temporary folder: the files git knows plus
#    untracked ones that are not ignored (so work in progress is packaged as
#    it is, and no configured or built file of the checkout comes along); in
#    an unpacked release tarball (no .git), every file;
# 2. copies packaging/debian to debian/ there (Debian wants it at the top);
# 3. runs dpkg-buildpackage -us -uc -b (dh: autoreconf, configure with the
#    multiarch libdir, make, make install, dh_* helpers);
# 4. moves the .deb, .buildinfo and .changes files to OUTDIR and removes the
#    temporary folder.
#
# Needs the Build-Depends of packaging/debian/control (scripts/setup-debian.sh
# installs them) and dpkg-dev/debhelper. Runs as any user (Rules-Requires-Root:
# no). `make check` is not run during the package build (CI runs it):
# DEB_BUILD_OPTIONS=nocheck unless you pass --with-tests.
set -eu

with_tests=no
case ${1-} in
--with-tests) with_tests=yes; shift ;;
-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/_build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

for c in dpkg-buildpackage dh; do
    command -v "$c" >/dev/null 2>&1 ||
        { echo "build-deb.sh: '$c' not found: apt-get install dpkg-dev debhelper" >&2; exit 1; }
done

# The package version must be the one configure.ac declares.
ver=$(sed -n 's/^AC_INIT(\[agora\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
debver=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
case $debver in
"$ver"|"$ver"-*) ;;
*) echo "build-deb.sh: packaging/debian/changelog has version $debver but configure.ac says $ver;" \
        "add a changelog entry (dch -c packaging/debian/changelog -v $ver-1)" >&2; exit 1 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/agora-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM HUP
src=$work/agora-$ver
mkdir "$src"

echo "build-deb.sh: exporting $top to $src"
sh "$top/packaging/export-tree.sh" "$top" "$src"
rm -rf "$src/debian"
cp -a "$top/packaging/debian" "$src/debian"

opts=${DEB_BUILD_OPTIONS-}
[ "$with_tests" = yes ] || opts="nocheck $opts"
case $opts in *parallel=*) ;; *) opts="$opts parallel=$(nproc 2>/dev/null || echo 2)" ;; esac

echo "build-deb.sh: dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS='$opts')"
(cd "$src" && DEB_BUILD_OPTIONS=$opts dpkg-buildpackage -us -uc -b)

n=0
for f in "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes; do
    [ -e "$f" ] || continue
    mv -f "$f" "$out/"
    n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "build-deb.sh: no package was built" >&2; exit 1; }
echo "build-deb.sh: packages in $out:"
ls -1 "$out"/*.deb
