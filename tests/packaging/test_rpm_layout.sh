#!/usr/bin/env bash
# test_rpm_layout.sh: the RPM packages build (packaging/build-rpm.sh,
# rpmbuild -bb with Debian's rpm) and install the same files, in the same
# packages, with the same permissions, as the Debian packages; and
# `make install DESTDIR=...` installs that same layout.
#
# Compared after mapping what legitimately differs between the distributions
# (docs/packaging.md, "Layout"):
#   libdir      Debian /usr/lib/<multiarch>     RPM %{_libdir} (/usr/lib64)
#   unit dir    Debian /lib/systemd/system      RPM %{_unitdir} (/usr/lib/systemd/system)
#               (the same folder on merged-/usr Debian 12)
#   man pages   compressed or not (.gz dropped)
#   *.so        0644 on Debian, 0755 on RPM distributions (x bits ignored)
#   left out    /usr/share/doc/<pkg>/ (Debian's copyright and changelog),
#               /usr/share/lintian/overrides/ (Debian),
#               /usr/lib/.build-id/ (RPM), directories
#
# Runs only with AGORA_PACKAGING_TEST=1 (it builds both package formats,
# a few minutes). Needs dpkg-buildpackage, debhelper and rpmbuild. Installs
# nothing on the machine. Exit 0 pass, 1 fail, 77 skip, 99 hard error.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=${abs_top_srcdir:-$here/../..}
build=${abs_top_builddir:-$top}

if [ "${AGORA_PACKAGING_TEST-}" != 1 ]; then
    echo "SKIP: set AGORA_PACKAGING_TEST=1 to build and compare the RPM and Debian packages" >&2
    exit 77
fi
for c in dpkg-buildpackage dh rpmbuild rpm dpkg-deb; do
    command -v "$c" >/dev/null 2>&1 || { echo "SKIP: '$c' not found" >&2; exit 77; }
done
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$build/tests/packaging/layout
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/agora-layout.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "=== building the Debian packages"
"$top/packaging/build-deb.sh" "$out/deb" >"$out/build-deb.out" 2>&1 ||
    { tail -n 40 "$out/build-deb.out" >&2; fail "build-deb.sh"; }
echo "=== building the RPM packages"
"$top/packaging/build-rpm.sh" "$out/rpm" >"$out/build-rpm.out" 2>&1 ||
    { tail -n 40 "$out/build-rpm.out" >&2; fail "build-rpm.sh"; }
ls -1 "$out"/deb/*.deb "$out"/rpm/*.rpm | sed 's,.*/,    ,'

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
rpm_libdir=$(rpm --eval '%{_libdir}')

# canon: reads "PKG PERMS PATH", prints the canonical form, sorted
canon() {
    awk -v ml="/usr/lib/$multiarch/" -v rl="$rpm_libdir/" '
        $2 ~ /^d/ { next }
        $3 ~ "^/usr/share/doc/" || $3 ~ "^/usr/share/lintian/" || $3 ~ "^/usr/lib/\\.build-id/" { next }
        {
            p = $3
            if (index(p, ml) == 1) p = "LIBDIR/" substr(p, length(ml) + 1)
            else if (index(p, rl) == 1) p = "LIBDIR/" substr(p, length(rl) + 1)
            sub("^(/usr)?/lib/systemd/system/", "UNITDIR/", p)
            if (p ~ "^/usr/share/man/") sub(/\.gz$/, "", p)
            m = $2
            if (p ~ /\.so$/) gsub(/x/, "-", m)
            print $1, m, p
        }' | sort
}

for f in "$out"/deb/*.deb; do
    case $f in *-dbgsym_*) continue ;; esac
    pkg=$(dpkg-deb -f "$f" Package)
    dpkg-deb -c "$f" | awk -v pkg="$pkg" '{ p = $6; sub(/^\./, "", p); print pkg, $1, p }'
done | canon >"$out/deb.layout"
for f in "$out"/rpm/*.rpm; do
    case $f in *-debuginfo-*|*-debugsource-*) continue ;; esac
    pkg=$(rpm -qp --qf '%{NAME}' "$f" 2>/dev/null)
    rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$f" 2>/dev/null | awk -v pkg="$pkg" '{ print pkg, $1, $2 }'
done | canon >"$out/rpm.layout"

echo "=== Debian layout (canonical)"
sed 's/^/    /' "$out/deb.layout"
[ -s "$out/deb.layout" ] || fail "empty Debian layout"
if ! diff -u "$out/deb.layout" "$out/rpm.layout" >"$out/layout.diff"; then
    cat "$out/layout.diff" >&2
    fail "the RPM packages differ from the Debian packages (- deb, + rpm)"
fi
echo "ok: rpm -qlp shows the same files, packages and permissions as the .debs"

# The RPM requires the same GlusterFS range as the .deb depends on.
gf_deb=$(dpkg-deb -f "$(ls "$out"/deb/glusterfs-agora_*.deb)" Depends | grep -o 'glusterfs-server ([^)]*)' | tr -d '()' | sort | tr '\n' ' ')
gf_rpm=$(rpm -qpR "$(ls "$out"/rpm/glusterfs-agora-[0-9]*.rpm)" 2>/dev/null | grep '^glusterfs-server' | sort | tr '\n' ' ')
echo "    deb: $gf_deb"
echo "    rpm: $gf_rpm"
norm() { sed 's/>= /GE /g; s/<< /LT /g; s/< /LT /g'; }
[ "$(echo "$gf_deb" | norm)" = "$(echo "$gf_rpm" | norm)" ] || fail "GlusterFS version range differs"
echo "ok: both require the same glusterfs-server range"
# %systemd_* scriptlets in agorad
scripts=$(rpm -qp --scripts "$(ls "$out"/rpm/agorad-[0-9]*.rpm)" 2>/dev/null)
for want in 'preset agorad.service' 'disable --now agorad.service' 'try-restart agorad.service'; do
    printf '%s\n' "$scripts" | grep -q -- "$want" || fail "agorad.rpm scriptlets lack '$want'"
done
rpm -qpc "$(ls "$out"/rpm/agorad-[0-9]*.rpm)" 2>/dev/null | grep -qx /etc/agora/agorad.json ||
    fail "agorad.rpm: /etc/agora/agorad.json is not %config"
echo "ok: agorad.rpm has the %systemd_* scriptlets and /etc/agora/agorad.json as %config"

# make install DESTDIR=... from an export of the tree, configured as the
# Debian build configures it: the union of the packages' files.
echo "=== make install DESTDIR=..."
src=$work/src
mkdir -p "$src"
if [ -d "$top/.git" ] && command -v git >/dev/null 2>&1; then
    (cd "$top" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -cf -) | tar -C "$src" -xf -
else
    (cd "$top" && tar --exclude=./_build -cf - .) | tar -C "$src" -xf -
fi
(cd "$src" && { [ -x configure ] || ./autogen.sh; } && \
    ./configure --prefix=/usr --sysconfdir=/etc --libdir="/usr/lib/$multiarch" \
        --disable-integration --disable-werror && \
    make -j"$(nproc 2>/dev/null || echo 2)" && make install DESTDIR="$work/dest") \
    >"$out/make-install.out" 2>&1 || { tail -n 30 "$out/make-install.out" >&2; fail "make install"; }
(cd "$work/dest" && find . ! -type d -printf '%M %p\n') | awk '{ p = $2; sub(/^\./, "", p); print "-", $1, p }' |
    canon >"$out/install.layout"
awk '{ $1 = "-"; print }' "$out/deb.layout" | sort >"$out/deb-union.layout"
if ! diff -u "$out/deb-union.layout" "$out/install.layout" >"$out/install.diff"; then
    cat "$out/install.diff" >&2
    fail "make install DESTDIR differs from the packages' files (- deb, + make install)"
fi
echo "ok: make install DESTDIR=... installs the same files with the same permissions"
echo "test_rpm_layout: PASS"
exit 0
