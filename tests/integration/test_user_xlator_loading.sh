#!/usr/bin/env bash
# test_user_xlator_loading.sh: proves the harness's --xlator-dir path. A
# trivial pass-through translator (source below) is compiled into a temp dir,
# which ag_cluster_up bind-mounts over GlusterFS's xlator/user directory inside
# the host's private mount namespace only. Then `volume set VOL
# user.xlator.agpass posix` + restart must put it into every brick graph:
# brick volfile, brick log (its init message), /proc/PID/maps, bricks online,
# I/O through a mount. The system directory must stay untouched.
# Exit 0 pass, 1 fail, 77 skip (not root, no compiler/headers), 99 setup error.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
ag_require_env

top=${abs_top_srcdir:-$here/../..}
gfconfig=$top/xlator/gf-config.h
cc=${CC:-cc}
[ -f "$gfconfig" ] || ag_skip "$gfconfig not found"
command -v "${cc%% *}" >/dev/null || ag_skip "no C compiler ($cc)"
[ -f /usr/include/glusterfs/xlator.h ] || ag_skip "libglusterfs-dev headers not installed"
[ -d /usr/include/urcu ] || [ -d /usr/include/x86_64-linux-gnu/urcu ] ||
    ag_skip "liburcu-dev not installed (glusterfs/xlator.h needs urcu/arch.h)"

check() {
    local what=$1
    shift
    if "$@"; then printf '    ok: %s\n' "$what"; else ag_fail "$what"; fi
}

build=$(mktemp -d "${AG_TMPDIR:-${TMPDIR:-/tmp}}/agora-xl.XXXXXX") || ag_die "mktemp"
trap 'rm -rf "$build"' EXIT   # replaced by the harness's trap once the cluster is up
mkdir -p "$build/xl"

cat >"$build/agpass.c" <<'EOF'
/* agpass: a brick translator that does nothing but say it was loaded.
 * Every fop it does not define is filled with a default_* pass-through. */
#include <unistd.h>
#include <glusterfs/xlator.h>
#include <glusterfs/defaults.h>
#include <glusterfs/logging.h>

static int32_t agpass_init(xlator_t *this)
{
    if (!this->children || this->children->next) {
        gf_msg(this->name, GF_LOG_ERROR, 0, 0, "agpass needs exactly one child");
        return -1;
    }
    gf_msg(this->name, GF_LOG_INFO, 0, 0, "agpass loaded: pid=%d child=%s",
           (int)getpid(), FIRST_CHILD(this)->name);
    return 0;
}

static void agpass_fini(xlator_t *this) { (void)this; }

static struct xlator_fops agpass_fops = {0};
static struct xlator_cbks agpass_cbks = {0};
static struct volume_options agpass_options[] = {{.key = {NULL}}};

xlator_api_t xlator_api = {
    .init = agpass_init,
    .fini = agpass_fini,
    .fops = &agpass_fops,
    .cbks = &agpass_cbks,
    .options = agpass_options,
    .identifier = "agpass",
    .op_version = {1},
    .category = GF_EXPERIMENTAL,
};
EOF
echo '{ global: xlator_api; local: *; };' >"$build/agpass.map"

t=$EPOCHREALTIME
# build command of gluster-xlator-notes.md / docs/xlator-build.md
# shellcheck disable=SC2086
$cc -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE -DGF_LINUX_HOST_OS \
    -include "$gfconfig" -I/usr/include/uuid \
    -fPIC -O2 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
    -o "$build/xl/agpass.so" "$build/agpass.c" \
    -shared -Wl,--no-undefined -Wl,--version-script="$build/agpass.map" -lglusterfs \
    >"$build/cc.log" 2>&1 || { cat "$build/cc.log" >&2; ag_die "compiling agpass.so failed"; }
printf '    %-44s %6ss\n' "compile agpass.so" "$(ag_since "$t")"
check "agpass.so exports only xlator_api" \
    test "$(nm -D --defined-only "$build/xl/agpass.so" | awk '{ print $3 }')" = xlator_api

t_all=$EPOCHREALTIME
userdir_before=$(ls -la "$(_ag_find_gluster && echo "$AG_GLUSTER_XLATORDIR")" | md5sum)
ag_cluster_up xltest 1 --xlator-dir "$build/xl" || ag_die "ag_cluster_up failed"
ag_on_cleanup --after rm -rf "$build"
XD=$AG_GLUSTER_XLATORDIR
check "host 1 sees agpass.so in $XD/user" ag_in_host 1 test -f "$XD/user/agpass.so"
check "host 1 still sees the stock translators" ag_in_host 1 test -f "$XD/storage/posix.so"
check "the root mount namespace's $XD is untouched" \
    test "$(ls -la "$XD" | md5sum)" = "$userdir_before"

ag_volume_create v0 || ag_die "volume create failed"
ag_volume_start v0 || ag_die "volume start failed"
printf '    %-44s %6ss\n' "cluster up + volume started (1 host, 3 bricks)" "$(ag_since "$t_all")"
check "agpass not in the brick graph before the set" eval '! grep -q user/agpass "$(ag_brick_volfile v0 1)"'

t=$EPOCHREALTIME
ag_volume_set v0 user.xlator.agpass posix || ag_fail "volume set user.xlator.agpass posix"
ag_volume_restart v0 || ag_fail "volume restart with agpass failed"
printf '    %-44s %6ss\n' "volume set + restart (3 bricks online)" "$(ag_since "$t")"

for b in 1 2 3; do
    vf=$(ag_brick_volfile v0 "$b")
    check "brick $b volfile has type user/agpass above posix" \
        awk '/^volume v0-agpass$/ { a = 1 } a && /type user\/agpass/ { t = 1 }
             a && /subvolumes v0-posix/ { s = 1 } /^end-volume/ { a = 0 }
             END { exit !(t && s) }' "$vf"
    pid=$(ag_brick_pid v0 "$b")
    check "brick $b (pid $pid) logged 'agpass loaded: pid=$pid'" \
        grep -q "agpass loaded: pid=$pid child=v0-posix" "$(ag_brick_log v0 "$b")"
    check "brick $b has $XD/user/agpass.so mapped" grep -q "/user/agpass.so" "/proc/$pid/maps"
done
check "3 bricks online" test "$(ag_bricks_online v0)" = 3

M=$AG_STATE/mnt/c1
ag_mount v0 "$M" || ag_fail "mount"
echo "through agpass" >"$M/f" || ag_fail "write through agpass"
check "read back through the mount" test "$(cat "$M/f")" = "through agpass"
check "file on all 3 bricks" eval 'for b in 1 2 3; do [ "$(cat "$(ag_brick_path v0 $b)/f")" = "through agpass" ] || exit 1; done'

state=$AG_STATE
ag_cluster_down
check "state dir removed" test ! -e "$state"
check "build dir removed" test ! -e "$build"
check "system xlator dir unchanged after teardown" test "$(ls -la "$XD" | md5sum)" = "$userdir_before"
printf '### total %ss\n' "$(ag_since "$t_all")"
exit 0
