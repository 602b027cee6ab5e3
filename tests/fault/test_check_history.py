#!/usr/bin/env python3
"""test_check_history.py: the history checker catches planted violations.

Builds a clean synthetic run (three agorads handing the lease over, a
leader command, a workload, a nemesis, final logs and mount views) and
checks that check_history.py passes it; then plants one violation at a
time and checks that the checker fails with that rule, the seed and a
history excerpt. No cluster, a fraction of a second: part of make check.
Exit 0 pass, 1 fail, 77 skip (automake)."""
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "check_history.py")
S = 1_000_000_000
MS = 1_000_000
T0 = 1000 * S


def ev(t_ms, node, event, **kw):
    d = {"t": T0 + t_ms * MS, "node": node, "event": event}
    d.update(kw)
    return d


def clean_run():
    """A run of 20 s: node 1 leads, is killed at 5 s, node 2 leads from
    6.5 s, is paused at 12 s for 2 s, node 3 leads from 13.5 s; a client
    joins a, b, c and leaves a; the nemesis heals at 14 s."""
    h = {"agorad-1": [], "agorad-2": [], "agorad-3": [], "cmd-1": [], "cmd-2": [], "cmd-3": [],
         "workload": [], "nemesis": []}
    h["agorad-1"] += [ev(100, 1, "lease_acquired", ballot="1.1", lease_end=T0 + 1050 * MS),
                      ev(110, 1, "cmd_started", keeper=11), ev(111, 1, "cmd_pid", pid=101)]
    h["cmd-1"] += [ev(112, 1, "cmd_exec", pid=101)] + \
        [ev(t, 1, "cmd_tick", pid=101) for t in range(150, 5000, 50)]
    h["nemesis"] += [ev(5000, "nemesis", "fault", what="kill_agorad", target=1),
                     ev(7000, "nemesis", "heal", what="kill_agorad", target=1)]
    h["agorad-2"] += [ev(6500, 2, "lease_acquired", ballot="3.2", lease_end=T0 + 7450 * MS),
                      ev(6510, 2, "cmd_started", keeper=22), ev(6511, 2, "cmd_pid", pid=202)]
    h["cmd-2"] += [ev(6512, 2, "cmd_exec", pid=202)] + \
        [ev(t, 2, "cmd_tick", pid=202) for t in range(6550, 12700, 50)]
    h["nemesis"] += [ev(12000, "nemesis", "fault", what="pause_agorad", target=2),
                     ev(14000, "nemesis", "heal", what="pause_agorad", target=2)]
    # node 2 notices at its resume: stamps after the pause are bounded by it
    h["agorad-2"] += [ev(14010, 2, "cmd_stopped", pid=202, status="signal 9"),
                      ev(14011, 2, "lease_lost", ballot="3.2")]
    h["agorad-3"] += [ev(13500, 3, "lease_acquired", ballot="4.3", lease_end=T0 + 14450 * MS),
                      ev(13510, 3, "cmd_started", keeper=33), ev(13511, 3, "cmd_pid", pid=303)]
    h["cmd-3"] += [ev(13512, 3, "cmd_exec", pid=303)] + \
        [ev(t, 3, "cmd_tick", pid=303) for t in range(13550, 18900, 50)]
    # node 3 loses its lease at 19 s; it reports the end it computed
    h["agorad-3"] += [ev(18950, 3, "cmd_stopped", pid=303, status="signal 15"),
                      ev(19000, 3, "lease_end", ballot="4.3", lease_end=T0 + 18990 * MS),
                      ev(19000, 3, "lease_lost", ballot="4.3")]
    h["nemesis"] += [ev(14000, "nemesis", "quiet")]
    w = h["workload"]
    for i, (op, mid, t) in enumerate([("join", "a", 1000), ("join", "b", 2000),
                                      ("join", "c", 8000), ("leave", "a", 9000),
                                      ("join", "d", 14200)]):
        w.append(ev(t, "wl1", "submitted", req="wl1-%d" % i, op=op, id=mid, client="wl1"))
        w.append(ev(t + 400, "wl1", "acknowledged", req="wl1-%d" % i, op=op, id=mid, client="wl1"))
    log = [
        {"slot": 1, "kind": "leader", "id": "host1", "ballot": "1.1"},
        {"slot": 2, "kind": "member_join", "origin": "host1", "seq": 5, "id": "host1",
         "host": "host1.test", "ip": "10.77.0.1", "member_kind": "host"},
        {"slot": 3, "kind": "member_join", "origin": "ctl:wl1", "seq": 10, "id": "a",
         "host": "a.test", "ip": "10.9.0.1", "member_kind": "container"},
        {"slot": 4, "kind": "member_join", "origin": "ctl:wl1", "seq": 20, "id": "b",
         "host": "b.test", "ip": "10.9.0.2", "member_kind": "container"},
        {"slot": 5, "kind": "leader", "id": "host2", "ballot": "3.2"},
        {"slot": 6, "kind": "member_join", "origin": "ctl:wl1", "seq": 30, "id": "c",
         "host": "c.test", "ip": "10.9.0.3", "member_kind": "container"},
        # a re-proposed request: skipped by the state machine (seq not above)
        {"slot": 7, "kind": "member_join", "origin": "ctl:wl1", "seq": 30, "id": "c",
         "host": "c.test", "ip": "10.9.0.3", "member_kind": "container"},
        {"slot": 8, "kind": "member_leave", "origin": "ctl:wl1", "seq": 40, "id": "a"},
        {"slot": 9, "kind": "leader", "id": "host3", "ballot": "4.3"},
        {"slot": 10, "kind": "member_join", "origin": "ctl:wl1", "seq": 50, "id": "d",
         "host": "d.test", "ip": "10.9.0.4", "member_kind": "container"},
    ]
    # node 3's committed events, one per slot it applied (slot 7: stale),
    # before the last heal (the liveness case needs no commit after it)
    for x in log:
        kw = {"origin": x["origin"], "seq": x["seq"]} if "origin" in x else {}
        h["agorad-3"].append(ev(12000 + x["slot"], 3, "committed", index=x["slot"],
                                result="stale" if x["slot"] == 7 else "ok", **kw))
    h["agorad-3"].sort(key=lambda e: e["t"])
    hosts = ("# /.agora/hosts at applied index 10; generated by agora, do not edit\n"
             "10.9.0.2\tb.test cluster-1\n10.9.0.3\tc.test cluster-2\n"
             "10.9.0.4\td.test cluster-0\n10.77.0.1\thost1.test cluster-3\n")
    keys = ("# /.agora/authorized_keys at applied index 10; generated by agora, do not edit\n"
            "ssh-ed25519 AAAAb agora-member:b\nssh-ed25519 AAAAc agora-member:c\n"
            "ssh-ed25519 AAAAd agora-member:d\nssh-ed25519 AAAAh agora-member:host1\n")
    return {"meta": {"seed": 4242, "lease_ms": 1000, "liveness_slack_ms": 3000},
            "history": h,
            "logs": {"b1": log, "b2": log[:9], "b3": copy.deepcopy(log)},
            "files": {"expected.hosts": hosts, "expected.authorized_keys": keys,
                      "mount-c1.hosts": hosts, "mount-c1.authorized_keys": keys,
                      "mount-c2.hosts": hosts, "mount-c2.authorized_keys": keys},
            "converge": {"c1": 0.4, "c2": 0.6}}


def write(run, d):
    os.makedirs(os.path.join(d, "history"))
    os.makedirs(os.path.join(d, "final"))
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(run["meta"], f)
    for name, evs in run["history"].items():
        with open(os.path.join(d, "history", name + ".jsonl"), "w") as f:
            for e in evs:
                f.write(json.dumps(e) + "\n")
    for name, log in run["logs"].items():
        with open(os.path.join(d, "final", "log-%s.json" % name), "w") as f:
            json.dump(log, f)
    for name, text in run["files"].items():
        with open(os.path.join(d, "final", name), "w") as f:
            f.write(text)
    with open(os.path.join(d, "final", "converge.json"), "w") as f:
        json.dump(run["converge"], f)


def check(run, tmp, name):
    d = os.path.join(tmp, name)
    write(run, d)
    p = subprocess.run([sys.executable, CHECKER, d], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


# --- the planted violations: name -> (expected rule, mutation) ---
def two_leaders(r):
    # node 1 takes the lease again while node 3 holds it (its own ballot)
    r["history"]["agorad-1"] += [ev(15000, 1, "lease_acquired", ballot="5.1",
                                    lease_end=T0 + 15950 * MS),
                                 ev(16500, 1, "lease_lost", ballot="5.1")]


def same_ballot(r):
    r["history"]["agorad-1"].append(ev(16000, 1, "lease_acquired", ballot="4.3",
                                       lease_end=T0 + 16950 * MS))


def overlapping_commands(r):
    # node 2's command still ticking after node 3's started (the keeper failed)
    r["history"]["cmd-2"] += [ev(t, 2, "cmd_tick", pid=202) for t in range(12700, 13700, 50)]


def lost_write(r):
    for k in r["logs"]:
        r["logs"][k] = [x for x in r["logs"][k] if x.get("id") != "b"]
    for k in r["files"]:  # the views agree with the (bad) log
        r["files"][k] = "\n".join(l for l in r["files"][k].split("\n") if "b.test" not in l
                                  and "agora-member:b" not in l)


def diverging_logs(r):
    r["logs"]["b2"] = copy.deepcopy(r["logs"]["b2"])
    r["logs"]["b2"][5]["id"] = "x"   # slot 6 holds another value on brick 2


def duplicated_request(r):
    for k in ("b1", "b3"):  # the retried join applied again under a new seq
        r["logs"][k].append({"slot": 11, "kind": "member_join", "origin": "ctl:wl1", "seq": 60,
                             "id": "c", "host": "c.test", "ip": "10.9.0.3",
                             "member_kind": "container"})


def stale_mount(r):
    r["files"]["mount-c2.hosts"] = r["files"]["mount-c2.hosts"].replace("index 10", "index 9") \
        .replace("10.9.0.4\td.test cluster-0\n", "")


def departed_still_shown(r):
    # the view agrees with itself but still lists a (left) member
    for k in r["files"]:
        if k.endswith("hosts"):
            r["files"][k] += "10.9.0.1\ta.test\n"


def never_converged(r):
    r["converge"]["c2"] = None


def no_progress(r):
    w = r["history"]["workload"]
    for e in w:
        if e.get("req") == "wl1-4" and e["event"] == "acknowledged":
            e["t"] = T0 + 25000 * MS   # 11 s after the last heal, lease 1 s + slack 3 s


def lease_end_overlap(r):
    # node 1 (restarted) takes the lease 10 ms before node 3's reported
    # lease_end: within the stamp tolerance, but lease_end is exact
    r["meta"]["stamp_tolerance_ms"] = 50
    r["history"]["agorad-1"] += [ev(18980, 1, "lease_acquired", ballot="5.1",
                                    lease_end=T0 + 19900 * MS)]


def decided_twice(r):
    # node 2 applied the request of slot 6 again, as a new decision
    r["history"]["agorad-2"].append(ev(16000, 2, "committed", index=11, origin="ctl:wl1",
                                       seq=30, result="ok"))


def committed_differently(r):
    # node 2's slot 4 is another request than node 3's
    r["history"]["agorad-2"].append(ev(16000, 2, "committed", index=4, origin="ctl:wl1",
                                       seq=21, result="ok"))


PLANTED = {
    "a lease taken before the last holder's lease_end": ("leases", lease_end_overlap),
    "one request decided at two indexes": ("duplicate", decided_twice),
    "committed events that disagree": ("prefix", committed_differently),
    "two overlapping leaders": ("leases", two_leaders),
    "one ballot, two nodes": ("ballot", same_ballot),
    "overlapping leader commands": ("command", overlapping_commands),
    "a lost acknowledged write": ("acked", lost_write),
    "diverging learner logs": ("prefix", diverging_logs),
    "a duplicated request": ("duplicate", duplicated_request),
    "a mount showing an old state": ("converge", stale_mount),
    "a mount that never converged": ("converge", never_converged),
    "a departed member still in hosts": ("converge", departed_still_shown),
    "no commit after the last heal": ("liveness", no_progress),
}


def main():
    if not os.path.exists(CHECKER):
        print("checker missing: %s" % CHECKER)
        return 99
    tmp = tempfile.mkdtemp(prefix="agora-check-")
    fails = 0
    try:
        rc, out = check(clean_run(), tmp, "clean")
        if rc != 0:
            print("FAIL: the clean run is reported as a violation:\n" + out)
            fails += 1
        else:
            print("ok: clean run passes: " + out.strip().splitlines()[0])
        for i, (name, (rule, plant)) in enumerate(PLANTED.items()):
            r = clean_run()
            plant(r)
            rc, out = check(r, tmp, "planted%d" % i)
            tag = "VIOLATION [%s] seed 4242" % rule
            if rc == 1 and tag in out and "replay: tests/fault/run.sh --seed 4242" in out:
                first = [l for l in out.splitlines() if l.startswith("VIOLATION [%s]" % rule)][0]
                print("ok: %s caught: %s" % (name, first))
            else:
                print("FAIL: %s: expected %s, exit %d:\n%s" % (name, tag, rc, out))
                fails += 1
        # the excerpt: a leases violation shows the events around it
        r = clean_run()
        two_leaders(r)
        _, out = check(r, tmp, "excerpt")
        if "lease_acquired" not in out or '"ballot": "5.1"' not in out:
            print("FAIL: no history excerpt in:\n" + out)
            fails += 1
        else:
            print("ok: a violation prints the history excerpt")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
