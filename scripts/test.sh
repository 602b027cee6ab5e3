#!/usr/bin/env bash
# scripts/test.sh: the whole test suite, as the README and CI run it.
#
# On a fresh Debian 12 machine, as root:  ./scripts/test.sh
#   1. scripts/setup-debian.sh             (skipped when not root, or --no-setup)
#   2. ./autogen.sh
#   3. build in _build/main:     configure, make, make check (every test)
#   4. build in _build/sanitize: configure --enable-sanitize, make, and the
#      unit tests, purity check and simulation again under ASan + UBSan
#   5. make distcheck (from _build/main; --no-distcheck skips it)
# Exits non-zero if any step fails; on a test failure prints test-suite.log
# (which holds every failing test's log).
#
# Options: --no-setup --no-sanitize --no-distcheck -j N
# Builds are out of tree (_build/), so an in-tree ./configure is cleaned
# first (automake cannot build out of tree from a configured source tree).
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit "${1:-0}"
}

setup=yes sanitize=yes distcheck=yes jobs=$(nproc 2>/dev/null || echo 2)
while [ $# -gt 0 ]; do
    case $1 in
    --no-setup) setup=no ;;
    --no-sanitize) sanitize=no ;;
    --no-distcheck) distcheck=no ;;
    -j) jobs=$2; shift ;;
    -j*) jobs=${1#-j} ;;
    -h|--help) usage 0 ;;
    *) echo "test.sh: unknown option $1" >&2; usage 2 >&2 ;;
    esac
    shift
done

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
build=$top/_build
failed=()
passed=0 failed_n=0 skipped=0
start=$SECONDS

step() { printf '\n=== test.sh: %s (%ds)\n' "$*" "$((SECONDS - start))"; }

# report DIR LABEL: prints the summary of a make check in DIR, and on failure
# every test-suite.log (automake puts the failing tests' logs in it).
report() {
    local dir=$1 label=$2 log n
    while IFS= read -r log; do
        echo "--- $label: ${log#"$dir"/}"
        sed -n '/^# TOTAL/,/^# ERROR/p' "$log"
        n=$(sed -n 's/^# PASS: *//p' "$log"); passed=$((passed + ${n:-0}))
        n=$(sed -n 's/^# SKIP: *//p' "$log"); skipped=$((skipped + ${n:-0}))
        n=$(sed -n 's/^# XFAIL: *//p' "$log"); passed=$((passed + ${n:-0}))
        for k in FAIL XPASS ERROR; do
            n=$(sed -n "s/^# $k: *//p" "$log"); failed_n=$((failed_n + ${n:-0}))
        done
    done < <(find "$dir" -name test-suite.log 2>/dev/null | sort)
}

show_failures() {
    local dir=$1 log
    while IFS= read -r log; do
        if grep -q '^# \(FAIL\|XPASS\|ERROR\): *[1-9]' "$log"; then
            echo "=================== $log"
            cat "$log"
        fi
    done < <(find "$dir" -name test-suite.log 2>/dev/null | sort)
}

# build NAME CONFIGURE-ARGS...: configure and make in _build/NAME.
build() {
    local name=$1; shift
    rm -rf "${build:?}/$name"
    mkdir -p "$build/$name"
    echo "test.sh: configure $* (output in _build/$name/configure.out)"
    if ! (cd "$build/$name" && "$top/configure" "$@" > configure.out 2>&1); then
        tail -n 30 "$build/$name/configure.out"
        return 1
    fi
    sed -n '/^configure: *$/,$p' "$build/$name/configure.out"
    make --no-print-directory -C "$build/$name" -j"$jobs"
}

# 1. packages
if [ "$setup" = yes ]; then
    if [ "$(id -u)" -eq 0 ]; then
        step "installing Debian packages (scripts/setup-debian.sh)"
        "$top/scripts/setup-debian.sh"
    else
        echo "test.sh: not root: skipping scripts/setup-debian.sh (configure names any missing package)"
    fi
fi

# 2. generate configure
step "./autogen.sh"
if [ -f "$top/config.status" ]; then
    echo "test.sh: the source tree is configured in place: make distclean first"
    make -C "$top" distclean >/dev/null || rm -f "$top/config.status"
fi
./autogen.sh

# 3. the main build: every test
step "build and make check in _build/main"
if build main; then
    if make --no-print-directory -C "$build/main" -j"$jobs" check; then
        report "$build/main" main
    else
        report "$build/main" main
        show_failures "$build/main"
        failed+=("make check")
    fi
else
    failed+=("build (_build/main)")
fi

# 4. the sanitizer build: unit tests, purity and simulation again
if [ "$sanitize" = yes ]; then
    step "build with --enable-sanitize in _build/sanitize"
    if build sanitize --enable-sanitize --disable-integration; then
        # Every test but the model check (spin compiles its own verifier, so
        # the sanitizers would not reach it).
        tests=$(make -s -C "$build/sanitize/tests" -f Makefile -f - agora-print-tests <<'EOF'
agora-print-tests: ; @echo $(TESTS)
EOF
        )
        tests=$(for t in $tests; do case $t in spin/*) ;; *) printf '%s ' "$t" ;; esac; done)
        echo "test.sh: under ASan+UBSan: $tests"
        if make --no-print-directory -C "$build/sanitize/tests" -j"$jobs" check TESTS="$tests"; then
            report "$build/sanitize" sanitize
        else
            report "$build/sanitize" sanitize
            show_failures "$build/sanitize"
            failed+=("make check under sanitizers")
        fi
    else
        failed+=("build (_build/sanitize)")
    fi
fi

# 5. the tarball builds and passes its own make check
if [ "$distcheck" = yes ]; then
    step "make distcheck"
    if [ -f "$build/main/Makefile" ] &&
       make --no-print-directory -C "$build/main" distcheck > "$build/distcheck.out" 2>&1; then
        sed -n '/archives ready/,$p' "$build/distcheck.out"
        echo "test.sh: distcheck passed"
    else
        tail -n 60 "$build/distcheck.out" 2>/dev/null || true
        show_failures "$build/main"
        failed+=("make distcheck")
    fi
fi

step "done"
if [ ${#failed[@]} -gt 0 ]; then
    printf 'test.sh: FAILED: %s\n' "${failed[@]}"
    [ "$failed_n" -gt 0 ] || failed_n=${#failed[@]}
fi
echo "test.sh: $passed passed, $failed_n failed, $skipped skipped"
[ ${#failed[@]} -eq 0 ]
