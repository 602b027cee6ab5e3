#!/bin/sh
# check-purity.sh: proves that the core (lib/) stays pure — no I/O, clocks,
# threads, processes or writable globals — by reading the symbol tables of
# its object files with nm.
#
#   check-purity.sh                 self-test, then check the core of this build
#   check-purity.sh FILE...         check these objects or archives only
#
# Every UNDEFINED symbol of every object must match a "call" line of
# purity-allowed.txt (a line may restrict a pattern to one object, e.g. the
# C allocator to alloc.o). No object may DEFINE a writable variable (nm types
# B b C D d G g S s V, outside .rodata and .data.rel.ro) unless it matches a
# "data" line (sanitizer and coverage instrumentation only). Read-only tables
# are fine, including tables of pointers (.data.rel.ro in PIC objects).
#
# Environment: NM (default nm), CC (default cc, for the self-test),
# top_builddir and top_srcdir (default ..), PURITY_SELFTEST=0 to skip the
# self-test, PURITY_ALLOWED (default $top_srcdir/tests/purity-allowed.txt).
# Exit status: 0 pure, 1 impure, 99 the check itself could not run.
set -u

me=check-purity
NM=${NM:-nm}
CC=${CC:-cc}
top_builddir=${top_builddir:-..}
top_srcdir=${top_srcdir:-..}
here=$(cd "$(dirname "$0")" && pwd)
PURITY_ALLOWED=${PURITY_ALLOWED:-$here/purity-allowed.txt}

die() { echo "$me: ERROR: $*" >&2; exit 99; }

[ -r "$PURITY_ALLOWED" ] || die "allowlist $PURITY_ALLOWED not readable"

# Object name as the allowlist names it: automake's per-target prefix
# (libagoracore_la-) and any directory dropped.
objname() {
    n=${1##*/}
    case $n in *_la-*) n=${n#*_la-} ;; esac
    echo "$n"
}

# allowed KIND SYMBOL OBJECT: 0 when the allowlist lets OBJECT have SYMBOL.
# A "deny" line wins over everything; a line naming an object makes the
# pattern exclusive to that object; then any plain line of KIND matches.
allowed() {
    verdict=no owners=
    while read -r kind pat only rest; do
        case $kind in call|data|deny) ;; *) continue ;; esac
        # shellcheck disable=SC2254
        case $2 in $pat) ;; *) continue ;; esac
        if [ "$kind" = deny ]; then
            why="denied by purity-allowed.txt"
            return 1
        fi
        [ "$kind" = "$1" ] || continue
        if [ -n "$only" ]; then
            if [ "$only" = "$3" ]; then
                verdict=yes
            elif [ "$verdict" != yes ]; then
                verdict=exclusive owners="${owners:+$owners, }$only"
            fi
        elif [ "$verdict" = no ]; then
            verdict=plain
        fi
    done < "$PURITY_ALLOWED"
    case $verdict in
    yes|plain) return 0 ;;
    exclusive) why="allowed only in $owners"; return 1 ;;
    *) why="not in purity-allowed.txt"; return 1 ;;
    esac
}

# symbols FILE: prints "OBJECT CLASS NAME SECTION" for every symbol of FILE
# (an object or an archive). nm's System V format names each symbol's
# section: a table of pointers is class d in PIC code, but it lives in
# .data.rel.ro (read-only once relocated), not in writable data.
symbols() {
    LC_ALL=C $NM -f sysv "$1" 2>/dev/null | awk -v file="$(objname "$1")" '
        BEGIN { obj = file }
        /^Symbols from / {
            obj = $0; sub(/^Symbols from /, "", obj); sub(/:$/, "", obj)
            if (obj ~ /\]$/) { sub(/^.*\[/, "", obj); sub(/\]$/, "", obj) }
            n = split(obj, p, "/"); obj = p[n]; sub(/^.*_la-/, "", obj); next }
        /\|/ {
            n = split($0, f, "|"); if (n < 7) next
            name = f[1]; cls = f[3]; sec = f[7]
            gsub(/[ \t]/, "", name); gsub(/[ \t]/, "", cls); gsub(/[ \t]/, "", sec)
            if (name == "" || cls == "") next
            print obj, cls, name, (sec == "" ? "-" : sec) }'
}

# members FILE: the object names in FILE (an archive's members, or FILE).
members() {
    LC_ALL=C $NM -f sysv "$1" 2>/dev/null | awk -v file="$(objname "$1")" '
        /^Symbols from .*\]:$/ { obj = $0; sub(/^.*\[/, "", obj); sub(/\]:$/, "", obj)
                                n = split(obj, p, "/"); obj = p[n]; sub(/^.*_la-/, "", obj)
                                print obj; seen = 1 }
        END { if (!seen) print file }'
}

# check FILE...: prints one line per violation; returns 1 if any.
check() {
    bad=0
    nobj=0
    # Calls between the objects checked are calls within the core: fine.
    nl='
'
    defined=$(for f in "$@"; do symbols "$f"; done |
        awk '$2 ~ /^[A-Z]$/ && $2 != "U" { print $3 }' | sort -u)
    for f in "$@"; do
        [ -r "$f" ] || die "$f: not readable"
        LC_ALL=C $NM "$f" >/dev/null 2>&1 || die "$NM cannot read $f"
        list=$(symbols "$f") || die "$NM failed on $f"
        objs=$(echo "$list" | awk 'NF { print $1 }' | sort -u | wc -l)
        nobj=$((nobj + objs))
        # Read from a here-document so that $bad survives the loop.
        while read -r obj type name section; do
            [ -n "$name" ] || continue
            case $section in
            .rodata*|.data.rel.ro*) continue ;; # read-only (after relocation)
            esac
            case $type in
            U|w|v)
                case $nl$defined$nl in *"$nl$name$nl"*) continue ;; esac
                if ! allowed call "$name" "$obj"; then
                    echo "$me: $obj calls $name ($why)"
                    bad=1
                fi ;;
            B|b|C|D|d|G|g|S|s|V)
                if ! allowed data "$name" "$obj"; then
                    echo "$me: $obj defines writable global/static '$name' (nm type $type, section $section): the core keeps no global state"
                    bad=1
                fi ;;
            esac
        done <<EOF
$list
EOF
    done
    checked_objects=$nobj
    return $bad
}

# --- self-test: the check must reject what it is meant to reject -------------
selftest() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/purity.XXXXXX") || die "mktemp failed"
    trap 'rm -rf "$tmp"' EXIT INT TERM
    cat > "$tmp/clock.c" <<'EOF'
#define _POSIX_C_SOURCE 200809L
#include <time.h>
long now_ns(void);
long now_ns(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_nsec; }
EOF
    cat > "$tmp/global.c" <<'EOF'
int agora_counter;
int agora_bump(void);
int agora_bump(void) { return ++agora_counter; }
EOF
    cat > "$tmp/static.c" <<'EOF'
int agora_next(void);
int agora_next(void) { static int n = 5; return n++; }
EOF
    cat > "$tmp/frame.c" <<'EOF'
#include <stdlib.h>
void *agora_grab(unsigned long n);
void *agora_grab(unsigned long n) { return malloc(n); }
EOF
    cat > "$tmp/dup.c" <<'EOF'
#define _POSIX_C_SOURCE 200809L
#include <string.h>
char *agora_copy(const char *s);
char *agora_copy(const char *s) { return strdup(s); }
EOF
    cat > "$tmp/alloc.c" <<'EOF'
#include <stdlib.h>
void *agora_grab(unsigned long n);
void *agora_grab(unsigned long n) { return malloc(n); }
EOF
    cat > "$tmp/pure.c" <<'EOF'
#include <stdio.h>
#include <string.h>
static const char table[4] = { 1, 2, 3, 4 };
static const char *const names[] = { "zero", "one" };
int agora_fmt(char *b, unsigned long n, const char *s, int i);
int agora_fmt(char *b, unsigned long n, const char *s, int i)
{ memcpy(b, table, 4); return snprintf(b, n, "%s %zu %s", s, strlen(s), names[i & 1]); }
EOF
    for c in clock global static frame dup alloc pure; do
        $CC -std=c11 -O0 -fPIC -c "$tmp/$c.c" -o "$tmp/$c.o" 2>"$tmp/cc.err" ||
            { cat "$tmp/cc.err" >&2; die "self-test: $CC cannot compile $c.c"; }
    done
    expect_fail() { # OBJECT WHAT: the check must fail and name WHAT
        out=$(check "$tmp/$1.o") && die "self-test: $1.o ($2) was NOT rejected"
        case $out in
        *"$1.o "*"$2"*) echo "$me: self-test: $1.o rejected as expected: $out" ;;
        *) die "self-test: $1.o rejected without naming '$2': $out" ;;
        esac
    }
    expect_fail clock clock_gettime
    expect_fail global agora_counter
    expect_fail static writable
    expect_fail frame malloc
    expect_fail dup strdup
    out=$(check "$tmp/alloc.o" "$tmp/pure.o") ||
        die "self-test: pure objects rejected: $out"
    echo "$me: self-test: alloc.o (malloc) and pure.o (memcpy, snprintf, const tables) accepted"
    rm -rf "$tmp"
    trap - EXIT INT TERM
}

# --- main ----------------------------------------------------------------------
if [ $# -gt 0 ]; then
    check "$@"
    rc=$?
    [ $rc -eq 0 ] && echo "$me: $checked_objects object(s) pure"
    exit $rc
fi

if [ "${PURITY_SELFTEST:-1}" != 0 ]; then
    selftest
fi

# The core as libtool builds it: a convenience archive of PIC objects.
lib=$top_builddir/lib
if [ -f "$lib/.libs/libagoracore.a" ]; then
    set -- "$lib/.libs/libagoracore.a"
elif [ -f "$lib/libagoracore.a" ]; then
    set -- "$lib/libagoracore.a"
else
    set -- "$lib"/.libs/*.o
    [ -f "$1" ] || set -- "$lib"/*.o
    [ -f "$1" ] || die "no core objects under $lib (build lib/ first)"
fi

# Every source of the core must be among the objects checked, so that a
# renamed archive or a missed object cannot make the check vacuous.
srcs=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$top_srcdir/lib/Makefile.am" |
    sed -n 's/^libagoracore_la_SOURCES[ \t]*=//p' | tr '\t' ' ' | tr -s ' ' '\n' | sed -n 's/\.c$//p')
[ -n "$srcs" ] || die "no libagoracore_la_SOURCES in $top_srcdir/lib/Makefile.am"
have=$(for f in "$@"; do members "$f"; done)
for s in $srcs; do
    echo "$have" | grep -qx "${s##*/}.o" || die "core source $s.c has no object in $*"
done

check "$@"
rc=$?
if [ $rc -ne 0 ]; then
    echo "$me: FAIL: the core is not pure (see DESIGN.md section 1 and docs/building.md)"
    exit 1
fi
echo "$me: PASS: $checked_objects core object(s) in $*: no forbidden calls, no writable globals"
exit 0
