# tests/fault/nemesis.sh: the faults of the fault-injection runs, sourced by
# schedule.sh after tests/integration/lib.sh. Every fault is applied, then
# stamped in $RUN/history/nemesis.jsonl (CLOCK_MONOTONIC, the clock of the
# agorads' histories): a kill is stamped once the process is gone, a pause
# once SIGSTOP was sent, so the checker's bounds are conservative. A heal is
# stamped once the thing is back (restarted, reconnected).
#
#   kill_agorad N    kill -9 agorad N          heal: start it again
#   stop_agorad N    SIGTERM (clean stop: the member leaves; on restart it
#                    joins again)              heal: start it again
#   pause_agorad N   SIGSTOP agorad N          heal: SIGCONT
#   kill_brick N     kill -9 brick N           heal: volume start force
#   pause_brick N    SIGSTOP brick N           heal: SIGCONT
#   kill_host N      kill -9 of every process of host N (glusterd, brick,
#                    shd, agorad, its keeper and command)
#                                              heal: glusterd, then agorad
#   partition N      host N's switch port down (silent: no FIN/RST)
#                                              heal: port up, volume heal
#   split N          hosts N and N%3+1 cannot reach each other (blackhole
#                    routes); both still reach the third host and the
#                    clients                   heal: routes removed, volume heal
# One fault at a time; after each heal the harness waits until all bricks
# are online and every mount is connected again before the next one.

# shellcheck shell=bash

FAULT_VOL=${FAULT_VOL:-fv}
declare -A AGD_PID AGD_HSTART
FAULT_PIDS=()      # every agorad and workload client ever started (cleanup)

mono() { python3 -c 'import time; print(time.monotonic_ns())'; }

# nem_rec EVENT WHAT TARGET [EXTRA-JSON]: one line of the nemesis history
nem_rec() {
    printf '{"t":%s,"node":"nemesis","event":"%s","what":"%s","target":%s%s}\n' \
        "$(mono)" "$1" "$2" "${3:-0}" "${4:+,$4}" >>"$RUN/history/nemesis.jsonl"
}

agd_host_ns() { printf '/run/netns/%s-h%s\n' "$AG_NS_PREFIX" "$1"; }
agd_alive() { [ -n "${AGD_PID[$1]-}" ] && _ag_alive "${AGD_PID[$1]}"; }

# agd_start N: agorad N in host N's network namespace (it keeps the test's
# mount namespace: it sees the FUSE mount with its inbox)
agd_start() {
    local n=$1 d=$AG_STATE/agd/h$1
    ( _ag_subshell_closefds && AGORAD_LOG_MONOTONIC=1 RUNTIME_DIRECTORY=$d/run \
        exec nsenter --net="$(agd_host_ns "$n")" "$AGORAD" -c "$d/agorad.json" ) \
        </dev/null >>"$RUN/logs/agorad-$n.log" 2>&1 &
    AGD_PID[$n]=$!
    FAULT_PIDS+=("$!")
    disown $!
    # this incarnation's history starts after the lines already there
    AGD_HSTART[$n]=$(( $(cat "$RUN/history/agorad-$n.jsonl" 2>/dev/null | wc -l) + 1 ))
}

# agd_wait_gone N [TIMEOUT]
agd_wait_gone() { ag_wait_for "${2:-10}" _ag_all_gone "${AGD_PID[$1]}"; }

# the host whose agorad holds the lease now (its last lease event), or ""
nem_leader() {
    local n last
    for n in 1 2 3; do
        agd_alive "$n" || continue
        last=$(tail -n +"${AGD_HSTART[$n]:-1}" "$RUN/history/agorad-$n.jsonl" 2>/dev/null |
            grep '"event":"lease_' | tail -n1)
        case $last in *lease_acquired*) echo "$n"; return 0 ;; esac
    done
    echo ""
}

# nem_whole: wait until the cluster is whole again (3 bricks online, every
# mount connected, every agorad running)
nem_whole() {
    local m n
    ag_wait_eq 40 3 ag_bricks_online "$FAULT_VOL" || return 1
    for m in "${FAULT_MOUNTS[@]}"; do ag_wait_connected "$m" "$FAULT_VOL" 30 || return 1; done
    for n in 1 2 3; do agd_alive "$n" || agd_start "$n"; done
    return 0
}

# nem_fault WHAT N HOLD_MS: applies one fault to host N, holds it, heals it
nem_fault() {
    local what=$1 n=$2 hold=$3 pid hs
    hs=$(awk -v m="$hold" 'BEGIN { printf "%.3f", m / 1000 }')
    case $what in
    kill_agorad)
        kill -9 "${AGD_PID[$n]}" 2>/dev/null; agd_wait_gone "$n"
        nem_rec fault "$what" "$n" "\"hold_ms\":$hold"
        sleep "$hs"; agd_start "$n" ;;
    stop_agorad)
        kill -TERM "${AGD_PID[$n]}" 2>/dev/null
        agd_wait_gone "$n" 15 || { kill -9 "${AGD_PID[$n]}" 2>/dev/null; agd_wait_gone "$n"; }
        nem_rec fault "$what" "$n" "\"hold_ms\":$hold"
        sleep "$hs"; agd_start "$n" ;;
    pause_agorad)
        kill -STOP "${AGD_PID[$n]}"
        nem_rec fault "$what" "$n" "\"hold_ms\":$hold"
        sleep "$hs"; kill -CONT "${AGD_PID[$n]}" ;;
    kill_brick)
        ag_kill_brick "$FAULT_VOL" "$n" || return 1
        nem_rec fault "$what" "$n" "\"hold_ms\":$hold"
        sleep "$hs"; ag_start_brick "$FAULT_VOL" || return 1 ;;
    pause_brick)
        pid=$(ag_brick_pid "$FAULT_VOL" "$n") || return 1
        kill -STOP "$pid"
        nem_rec fault "$what" "$n" "\"hold_ms\":$hold,\"pid\":$pid"
        sleep "$hs"; kill -CONT "$pid" ;;
    kill_host)
        ag_kill_host "$n" || return 1
        nem_rec fault "$what" "$n" "\"hold_ms\":$hold"
        sleep "$hs"
        ag_start_host "$n" || return 1
        ag_wait_eq 40 3 ag_bricks_online "$FAULT_VOL" || return 1
        agd_start "$n" ;;
    partition)
        ag_net_down "$n"
        nem_rec fault "$what" "$n" "\"hold_ms\":$hold"
        sleep "$hs"; ag_net_up "$n"
        # shd may not notice a short partition (notes P6): heal explicitly
        ( ag_gluster 1 volume heal "$FAULT_VOL" >/dev/null 2>&1 & ) ;;
    split)
        # hosts N and M = N % 3 + 1 lose each other (blackhole routes both
        # ways); both still reach the third host and every client
        local m=$(( n % 3 + 1 ))
        ip -n "$(_ag_ns "h$n")" route add blackhole "$(ag_host_ip "$m")/32" &&
            ip -n "$(_ag_ns "h$m")" route add blackhole "$(ag_host_ip "$n")/32" || return 1
        nem_rec fault "$what" "$n" "\"with\":$m,\"hold_ms\":$hold"
        sleep "$hs"
        ip -n "$(_ag_ns "h$n")" route del blackhole "$(ag_host_ip "$m")/32"
        ip -n "$(_ag_ns "h$m")" route del blackhole "$(ag_host_ip "$n")/32"
        ( ag_gluster 1 volume heal "$FAULT_VOL" >/dev/null 2>&1 & ) ;;
    *) echo "nemesis: unknown fault $what" >&2; return 1 ;;
    esac
    nem_whole || return 1
    nem_rec heal "$what" "$n"
}

# nem_schedule SEED STEPS LEASE_MS: the seeded schedule, one fault a line:
# WHAT TARGET HOLD_MS GAP_MS (TARGET: a host number or "leader")
nem_schedule() {
    python3 - "$1" "$2" "$3" <<'PY'
import random, sys
seed, steps, lease = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random("agora-fault-%s" % seed)
kinds = [("kill_agorad", 4), ("pause_agorad", 3), ("stop_agorad", 1), ("kill_brick", 2),
         ("pause_brick", 1), ("kill_host", 2), ("partition", 3), ("split", 2)]
pool = [k for k, w in kinds for _ in range(w)]
for _ in range(steps):
    what = r.choice(pool)
    if what.endswith("_brick"):
        target = str(r.randint(1, 3))
    else:  # half of the agorad and host faults hit the leader
        target = "leader" if r.random() < 0.5 else str(r.randint(1, 3))
    if what in ("pause_agorad", "pause_brick"):
        hold = int(lease * r.uniform(1.2, 2.5))   # longer than the lease
    elif what in ("partition", "split"):
        hold = r.randint(1500, 3 * lease + 2000)
    else:
        hold = r.randint(300, 2 * lease + 2000)
    print(what, target, hold, r.randint(500, 3000))
PY
}
