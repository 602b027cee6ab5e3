#!/usr/bin/env bash
# scripts/demo.sh: the main job of Agora on one machine (make demo).
#
# On a fresh Debian 12 machine, as root:
#   1. installs the Debian packages (scripts/setup-debian.sh; --no-setup
#      skips it),
#   2. builds (in place if the tree is configured, else in _build/demo),
#   3. starts a one-machine cluster with tests/integration/lib.sh: three
#      "hosts" (network namespaces, a glusterd each), a replica-3 volume with
#      the agora translator (gluster volume set VOL user.xlator.agora posix),
#      the cluster key, a FUSE mount at BUILD/demo/mnt,
#   4. writes each host's agorad config to BUILD/demo/hostN/agorad.json and
#      starts three agorad; the leader-only command (standing in for
#      Jupyter) appends to BUILD/demo/leader-command.out,
#   5. registers a container through the inbox (BUILD/demo/mnt/.agora-inbox),
#   6. prints where to look, and keeps everything running until Ctrl-C,
#      SIGTERM (make demo-down) or --for SECONDS; then tears it all down by
#      PID: nothing stays running or mounted.
#   5b. the leader's local launcher starts the example cluster spec's five
#      containers (processes in their own namespaces; no images), which
#      appear in /.agora/hosts as etcd-0..4,
#
# Usage: scripts/demo.sh [--no-setup] [--for SECONDS]
set -euo pipefail

setup=yes duration=
while [ $# -gt 0 ]; do
    case $1 in
    --no-setup) setup=no ;;
    --for) duration=$2; shift ;;
    --cluster) break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
start=$SECONDS
step() { printf '\n=== demo.sh: %s (%ds)\n' "$*" "$((SECONDS - start))"; }

# --- stage 1: packages and build, then the cluster in a fresh process ------------------
if [ "${1-}" != --cluster ]; then
    [ "$(id -u)" -eq 0 ] || { echo "demo.sh: the cluster needs root (namespaces, FUSE)" >&2; exit 1; }
    if [ "$setup" = yes ]; then
        step "installing Debian packages (scripts/setup-debian.sh)"
        "$top/scripts/setup-debian.sh"
    fi
    if [ -n "${DEMO_BUILD_DIR-}" ]; then
        bld=$DEMO_BUILD_DIR          # make demo: the tree make runs in
    elif [ -f "$top/config.status" ]; then
        bld=$top
    else
        bld=$top/_build/demo
    fi
    if [ ! -f "$bld/config.status" ]; then
        step "./autogen.sh and ./configure in $bld"
        [ -x "$top/configure" ] || (cd "$top" && ./autogen.sh)
        mkdir -p "$bld"
        (cd "$bld" && "$top/configure")
    fi
    step "building in $bld"
    make --no-print-directory -C "$bld" -j"$(nproc 2>/dev/null || echo 2)"
    exec "$0" --cluster "$bld" "$duration"
fi

# --- stage 2: the cluster (lib.sh re-executes this script once, see its header) --------
bld=$(cd "$2" && pwd)
duration=${3-}
# shellcheck source=../tests/integration/lib.sh
. "$top/tests/integration/lib.sh"
# shellcheck source=../tests/coordinator/agd_lib.sh
. "$top/tests/coordinator/agd_lib.sh"
D=$bld/demo
AGORAD=$bld/coordinator/agorad
AGORACTL=$bld/coordinator/agoractl
V=agora
[ -x "$AGORAD" ] || { echo "demo.sh: $AGORAD was not built" >&2; exit 1; }
if [ -f "$D/demo.pid" ] && kill -0 "$(cat "$D/demo.pid")" 2>/dev/null; then
    echo "demo.sh: a demo is running already (PID $(cat "$D/demo.pid")); make demo-down stops it" >&2
    exit 1
fi
rm -rf "$D"
mkdir -p "$D"
echo $$ >"$D/demo.pid"

step "cluster: 3 hosts (network namespaces), a glusterd each"
ag_cluster_up demo 3 --xlator-dir "$bld/xlator/.libs" || exit 1
AGD_DIR=$D AGD_HOSTDIR=host   # agd_lib.sh: host N's files in $D/hostN
demo_down() {
    local p
    for p in "${AGD_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${AGD_PIDS[@]}"; do
        for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    done
    agd_stop_all
    rm -f "$D/demo.pid"
}
ag_on_cleanup demo_down

step "replica-3 volume '$V' with the agora translator, cluster key, FUSE mount"
head -c 48 /dev/urandom | base64 >"$D/cluster.key"
chmod 600 "$D/cluster.key"
AGD_KEY=$D/cluster.key
agd_volume $V || exit 1
ag_mount $V "$D/mnt" || exit 1

# An uplink from this machine's network namespace to the cluster's switch,
# so that agoractl -c demo/hostN/agorad.json works from a plain shell. It
# goes away with the switch's namespace at teardown.
ip link add agdemo0 type veth peer name p-demo netns "$AG_NS_PREFIX-sw"
ip -n "$AG_NS_PREFIX-sw" link set p-demo master br0 up
ip addr add "$AG_SUBNET.250/24" dev agdemo0
ip link set agdemo0 up

# The example cluster spec (docs/examples/seed-cluster.json) made for one
# machine: the local launcher runs no images, so each of the five "etcd"
# containers runs a shell command in its own mount/UTS/PID namespaces, with
# a loopback address and the volume's folder shared/ mounted.
mkdir -p "$D/mnt/shared" "$D/task-root"
cat >"$D/cluster.json" <<JSON
{
  "version": 1,
  "name": "demo",
  "primary": "etcd",
  "networks": {"loopback": {"type": "calico", "subnet": "127.0.77.0/24"}},
  "apps": [
    {
      "id": "etcd",
      "instances": 5,
      "cpus": 0.2,
      "mem": 128,
      "hostname": "cluster",
      "hostsName": "etcd-{index}",
      "cmd": "echo \"\$AGORA_HOSTNAME (\$AGORA_TASK_IP, task \$AGORA_TASK_ID) up, host name \$(hostname)\" >>$D/task-root/shared/tasks.log; exec sleep infinity",
      "container": {
        "type": "DOCKER",
        "docker": {"image": "etcd_image"},
        "volumes": [{"hostPath": "$D/mnt/shared", "containerPath": "$D/task-root/shared", "mode": "RW"}]
      },
      "network": {"name": "loopback", "ipPool": ["127.0.77.100-127.0.77.104"]}
    }
  ]
}
JSON
AGD_EXTRA_JSON=' "cluster_spec": "'$D'/cluster.json", "launcher": "local",'

step "three agorad (configs in $D/hostN/agorad.json)"
for n in 1 2 3; do
    agd_config $n $V "$D/mnt" "$top/tests/coordinator/leader_cmd_demo.sh" "host$n" \
        "$D/leader-command.out" || exit 1
    agd_start $n
done
has_leader() { [ -n "$(agd_leader_of "$D/mnt")" ]; }
ag_wait_for 30 has_leader || { tail -n 20 "$D"/host*/agorad.log; exit 1; }

step "a container registers through the inbox"
ssh-keygen -q -t ed25519 -N '' -C web-1 -f "$D/web-1.key" >/dev/null
mkdir -p "$D/mnt/.agora-inbox"
printf 'host: web-1\nip: 10.77.1.11\nkey: %s\n' "$(cat "$D/web-1.key.pub")" \
    >"$D/mnt/.agora-inbox/web-1"
ag_wait_for 15 grep -q web-1 "$D/mnt/.agora/hosts" || echo "(web-1 not registered yet)"

step "the cluster spec's five containers, started by the leader's local launcher"
tasks_running() { [ "$(grep -c 'etcd-' "$D/mnt/.agora/hosts")" -ge 5 ]; }
if ag_wait_for 30 tasks_running; then
    grep 'etcd-' "$D/mnt/.agora/hosts"
else
    echo "(not all five tasks are running yet; see $D/host*/agorad.log)"
fi

step "running"
"$AGORACTL" -c "$D/host1/agorad.json" status || true
cat <<EOF

Where to look (from this shell, as root):
  cat $D/mnt/.agora/hosts               live members, aliases, the leader alias
  cat $D/mnt/.agora/authorized_keys     their SSH keys (sshd AuthorizedKeysFile)
  cat $D/mnt/.agora/leader              the leader
  tail -f $D/leader-command.out         the leader-only command (moves with the leader)
  tail -f $D/host1/agorad.log           host1's agorad (host2, host3 alike)
  $AGORACTL -c $D/host1/agorad.json status
  $AGORACTL -c $D/host1/agorad.json log
  kill -9 \$(cat $D/host1/agorad.pid)     kill host1's agorad: watch the failover
  ls $D/mnt/.agora-inbox                 the inbox (web-1 and its verdict)
  cat $D/mnt/shared/tasks.log            the five containers' greetings (local launcher)
  $D/cluster.json                        the cluster spec (SIGHUP to agorad reloads it)
Stop: Ctrl-C, or make demo-down from the build tree.
EOF
for n in 1 2 3; do echo "${AGD_PID[$n]}" >"$D/host$n/agorad.pid"; done
# sleep in the background: a signal's trap runs at once during `wait`
if [ -n "$duration" ]; then
    sleep "$duration" &
    wait $!
    step "--for $duration: stopping"
    "$AGORACTL" -c "$D/host1/agorad.json" status || true
else
    while :; do sleep 3600 & wait $!; done
fi
exit 0
