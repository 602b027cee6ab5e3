#!/usr/bin/env python3
"""check_history.py RUNDIR: the history checker of the fault-injection runs
(docs/fault-injection.md, DESIGN.md section 6).

RUNDIR holds what one run recorded; every time is CLOCK_MONOTONIC in ns of
the one machine, so all files merge on one time line:

  meta.json            {"seed": S, "lease_ms": L, "liveness_slack_ms": X, ...}
  history/*.jsonl      JSON lines {"t": ns, "node": N, "event": E, ...}:
    agorad (coordinator/history.h): lease_acquired {ballot, lease_end},
        lease_end {ballot, lease_end} (just before lease_lost: the end of
        the lease as the node computed it), lease_lost {ballot, [why]},
        cmd_started, cmd_pid, cmd_stopped; committed {index (or slot),
        result, [origin, seq], [digest]} for every slot the node applied
    leader-command ticker (tests/fault/ticker.c): cmd_exec, cmd_tick {pid}
    workload (tests/fault/workload.py): submitted / acknowledged / failed
        {req, op, id, client}
    nemesis (tests/fault/nemesis.sh): fault / heal {what, target}, quiet
  final/log-NAME.json  the committed log of one learner (agoractl log --json
                       against one brick: a JSON array of entries)
  final/expected.FILE  agoractl's rendering of the final state (FILE = hosts,
                       authorized_keys); final/mount-NAME.FILE what mount
                       NAME showed at the end; final/converge.json
                       {"NAME": seconds or null} how long each took

Checks (a failure prints the seed, the rule and the history around it):
  ballot      at most one node acquired each ballot (and a ballot r.n is
              node n's); in the final log one leader id per ballot
  leases      no two nodes held the lease at the same time (a node's hold
              ends at the lease_end it reports, else at lease_lost, at the
              latest at its kill; see hold_intervals for paused nodes);
              stamp_tolerance_ms in meta.json allows for a lease_lost
              stamped late by a busy machine, and does not apply between
              two holds whose ends are reported lease_ends
  command     leader-only commands never ran at the same instant (the
              command's own ticks; agorad's cmd_started/cmd_stopped
              intervals where agorad was neither paused nor killed)
  acked       every acknowledged request is applied in the final log
              exactly once (applied: the state machine's rule, an entry
              whose seq is above its origin's last applied seq)
  duplicate   no request (op, member id of the workload) applied twice;
              no (origin, seq) decided (result ok or rejected) at two
              indexes by the committed events
  prefix      every learner's committed log is a prefix of the longest;
              the committed events of all nodes agree index by index
  converge    every mount's hosts and authorized_keys equal the rendering
              of the final state, whose live members are those of the log
  liveness    after the last fault healed, a request submitted then was
              acknowledged within lease + slack (or a committed event)
Exit 0 clean, 1 violation, 2 unusable input."""
import glob
import json
import os
import sys

NS = 1_000_000_000
MS = 1_000_000


class Run:
    def __init__(self, d):
        self.dir = d
        self.meta = {}
        p = os.path.join(d, "meta.json")
        if os.path.exists(p):
            with open(p) as f:
                self.meta = json.load(f)
        self.seed = self.meta.get("seed", "?")
        self.lease = int(self.meta.get("lease_ms", 1000)) * MS
        self.slack = int(self.meta.get("liveness_slack_ms", 5000)) * MS
        self.tolerance = int(self.meta.get("stamp_tolerance_ms", 0)) * MS
        self.events = []
        for path in sorted(glob.glob(os.path.join(d, "history", "*.jsonl"))):
            src = os.path.basename(path)
            with open(path) as f:
                for no, line in enumerate(f, 1):
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        e = json.loads(line)
                    except ValueError:
                        # a torn last line of a process killed by -9
                        print("note: %s:%d: not JSON, skipped: %.80s" % (src, no, line))
                        continue
                    if "t" not in e or "event" not in e:
                        continue
                    e["_src"] = src
                    self.events.append(e)
        self.events.sort(key=lambda e: e["t"])
        self.t0 = self.events[0]["t"] if self.events else 0
        self.logs = {}
        for path in sorted(glob.glob(os.path.join(d, "final", "log-*.json"))):
            name = os.path.basename(path)[4:-5]
            with open(path) as f:
                try:
                    self.logs[name] = json.load(f)
                except ValueError:
                    self.logs[name] = None
        self.violations = []

    def rel(self, t):
        return "%.3f" % ((t - self.t0) / NS)

    def fmt(self, e):
        extra = {k: v for k, v in e.items() if k not in ("t", "node", "event", "_src")}
        return "  %9s  %-10s %-14s %s" % (self.rel(e["t"]), str(e.get("node")), e["event"],
                                          json.dumps(extra, sort_keys=True) if extra else "")

    def excerpt(self, a, b, max_lines=40):
        # (a command's ticks would drown the rest: its exec and its last
        # tick in the window are shown)
        sel, last_tick = [], {}
        for e in self.events:
            if not a - 2 * NS <= e["t"] <= b + 2 * NS:
                continue
            if e["event"] == "cmd_tick":
                last_tick[(e["node"], e.get("pid"))] = e
                continue
            sel.append(e)
        sel = sorted(sel + list(last_tick.values()), key=lambda e: e["t"])
        lines = [self.fmt(e) for e in sel]
        if len(lines) > max_lines:
            lines = lines[:max_lines * 3 // 4] + ["  ..."] + lines[-max_lines // 4:]
        return lines

    def violation(self, rule, msg, a=None, b=None, extra=None):
        text = ["VIOLATION [%s] seed %s: %s" % (rule, self.seed, msg)]
        if extra:
            text += ["  " + x for x in extra]
        if a is not None:
            text.append("  history from %s s to %s s (s since the first event):" %
                        (self.rel(a - 2 * NS), self.rel((b if b is not None else a) + 2 * NS)))
            text += self.excerpt(a, b if b is not None else a)
        self.violations.append("\n".join(text))

    # ------------------------------------------------------------ the nemesis
    def node_disruptions(self):
        """node -> list of (kind, t): kills and pause starts of its agorad
        (a host kill kills the agorad too)."""
        out = {}
        for e in self.events:
            if e.get("node") != "nemesis" or e["event"] != "fault":
                continue
            what, tgt = e.get("what"), e.get("target")
            if what in ("kill_agorad", "kill_host"):
                out.setdefault(tgt, []).append(("kill", e["t"]))
            elif what == "pause_agorad":
                out.setdefault(tgt, []).append(("pause", e["t"]))
        return out

    # ------------------------------------------------------------ checks
    def check_ballots(self):
        by_ballot = {}
        for e in self.events:
            if e["event"] == "lease_acquired" and "ballot" in e:
                by_ballot.setdefault(e["ballot"], []).append(e)
        for b, evs in sorted(by_ballot.items()):
            nodes = sorted({str(e["node"]) for e in evs})
            owner = b.split(".")[-1]
            if len(nodes) > 1:
                self.violation("ballot", "ballot %s acquired by nodes %s" % (b, ", ".join(nodes)),
                               evs[0]["t"], evs[-1]["t"])
            elif owner != nodes[0]:
                self.violation("ballot", "ballot %s acquired by node %s" % (b, nodes[0]),
                               evs[0]["t"])
        for name, log in self.logs.items():
            seen = {}
            for x in log or []:
                if x.get("kind") == "leader":
                    if x.get("ballot") in seen and seen[x["ballot"]] != x.get("id"):
                        self.violation("ballot", "log %s: ballot %s names leaders %s and %s" %
                                       (name, x["ballot"], seen[x["ballot"]], x.get("id")))
                    seen[x.get("ballot")] = x.get("id")

    def hold_intervals(self, start_ev, stop_ev, is_lease):
        """Per node: intervals from start_ev to stop_ev. A stop is stamped
        when the node noticed; that is when it stopped unless its agorad
        was killed or paused in between:
          - killed (the nemesis stamps the kill once the process is gone):
            the hold ends at the kill at the latest;
          - paused: a lease_lost that reports its lease_end ends there (a
            paused leader cannot renew); otherwise, and for commands (the
            keeper enforces those without agorad), the recorded end is not
            usable and the interval is left out (the command's own ticks
            still cover commands).
        A hold without a stop ends at the first kill (a restarted agorad
        starts a new history) or at the end of the run.
        stop_ev may be a tuple of event names (the first one closes).
        Returns [(start, end, node, reliable, exact)]: exact when the end is
        a lease_end the node reported (not a stamp that may come late)."""
        stops = stop_ev if isinstance(stop_ev, tuple) else (stop_ev,)
        disr = self.node_disruptions()
        last_t = self.events[-1]["t"] + 1 if self.events else 0
        res, open_ = [], {}

        def close(n, end, lease_end=None):
            s = open_.pop(n)
            exact = lease_end is not None and lease_end <= end
            if lease_end is not None:
                end = min(end, lease_end)
            dis = [(k, t) for k, t in disr.get(n, []) if s <= t <= end]
            kills = [t for k, t in dis if k == "kill"]
            if kills:
                res.append((s, min(end, kills[0]), n, True, exact and kills[0] >= end))
            elif dis and not (is_lease and lease_end is not None):
                res.append((s, end, n, False, False))
            else:
                res.append((s, end, n, True, exact))

        for e in self.events:
            n = e.get("node")
            if not isinstance(n, int):
                continue
            if e["event"] == start_ev:
                if n in open_:  # restarted without a stop: closed by its kill
                    close(n, e["t"])
                open_[n] = e["t"]
            elif e["event"] in stops and n in open_:
                le = e.get("lease_end")
                close(n, e["t"], le if isinstance(le, int) else None)
        for n in list(open_):
            close(n, last_t)
        return res

    def overlaps(self, ivs, rule, what, tolerance=0):
        ivs = sorted(ivs, key=lambda x: x[0])
        for i, (s1, e1, n1, r1, x1) in enumerate(ivs):
            for s2, e2, n2, r2, x2 in ivs[i + 1:]:
                if s2 >= e1:
                    break
                if n1 == n2 or not (r1 and r2):
                    continue
                ov = min(e1, e2) - s2
                # the earlier hold's end: a reported lease_end is exact
                if ov > (0 if x1 else tolerance):
                    self.violation(rule, "%s of node %s [%s, %s] and node %s [%s, %s] overlap by %.1f ms"
                                   % (what, n1, self.rel(s1), self.rel(e1), n2, self.rel(s2),
                                      self.rel(e2), ov / MS), s2, min(e1, e2))

    def check_leases(self):
        ivs = self.hold_intervals("lease_acquired", ("lease_end", "lease_lost"), True)
        self.overlaps(ivs, "leases", "lease", self.tolerance)

    def check_commands(self):
        # 1. the command's own ticks: [cmd_exec, last tick] is inside the real
        # run time, so any overlap is a real one
        runs = {}
        for e in self.events:
            if e["event"] in ("cmd_exec", "cmd_tick") and "pid" in e:
                k = (e["node"], e["pid"])
                a, b = runs.get(k, (e["t"], e["t"]))
                runs[k] = (min(a, e["t"]), max(b, e["t"]))
        ivs = [(a, b, k[0], True, True) for k, (a, b) in runs.items()]
        self.overlaps(ivs, "command", "leader command (own ticks)")
        # 2. agorad's stamps (cmd_started before the fork, cmd_stopped after
        # the group is gone) where agorad could stamp them in time
        ivs = self.hold_intervals("cmd_started", "cmd_stopped", False)
        self.overlaps(ivs, "command", "leader command (agorad's stamps)")

    @staticmethod
    def applied(log):
        """Entries the state machine applies: per origin, seq must rise."""
        last = {}
        out = []
        for x in log:
            o, s = x.get("origin"), x.get("seq")
            if o and s:
                if s <= last.get(o, 0):
                    continue
                last[o] = s
            out.append(x)
        return out

    def final_log(self):
        best = None
        for name, log in self.logs.items():
            if log is not None and (best is None or len(log) > len(self.logs[best])):
                best = name
        return best

    def check_prefix(self):
        best = self.final_log()
        if best is None:
            if self.logs:
                self.violation("prefix", "no learner's final log is readable")
            return
        ref = self.logs[best]
        for name, log in sorted(self.logs.items()):
            if log is None:
                self.violation("prefix", "learner %s: final log unreadable" % name)
                continue
            for a, b in zip(log, ref):
                if a != b:
                    self.violation("prefix", "learner %s disagrees with %s at slot %s" %
                                   (name, best, a.get("slot")),
                                   extra=["%s: %s" % (name, json.dumps(a, sort_keys=True)),
                                          "%s: %s" % (best, json.dumps(b, sort_keys=True))])
                    break
        # the committed events of the agorads, if they record them
        commits = {}
        for e in self.events:
            slot = e.get("slot", e.get("index"))
            if e["event"] == "committed" and slot is not None:
                d = commits.setdefault(e["node"], {})
                key = self.commit_key(e)
                if slot in d and d[slot] != key:
                    self.violation("prefix", "node %s committed slot %s twice, differently" %
                                   (e["node"], slot), e["t"])
                d[slot] = key
        slots = {}
        for n, d in commits.items():
            for s, key in d.items():
                if s in slots and slots[s][1] != key:
                    self.violation("prefix", "nodes %s and %s committed different entries at slot %s"
                                   % (slots[s][0], n, s))
                slots.setdefault(s, (n, key))

    @staticmethod
    def commit_key(e):
        """what identifies a committed entry in a committed event"""
        if "digest" in e or "kind" in e:
            return e.get("digest", e.get("kind"))
        return (e.get("origin"), e.get("seq"), e.get("result"))

    def check_once(self):
        """(origin, seq) is decided at one index at most: a retried request
        applies once (the state machine's rule, seen through the committed
        events of every node)"""
        first = {}
        for e in self.events:
            if e["event"] != "committed" or not e.get("origin") or not e.get("seq"):
                continue
            if e.get("result") not in ("ok", "rejected"):
                continue
            k, idx = (e["origin"], e["seq"]), e.get("index", e.get("slot"))
            if k in first and first[k][0] != idx:
                self.violation("duplicate", "request %s/%s decided at index %s (node %s) and at "
                               "index %s (node %s)" % (k[0], k[1], first[k][0], first[k][1], idx,
                                                       e["node"]), first[k][2], e["t"])
                continue
            first.setdefault(k, (idx, e["node"], e["t"]))

    def check_requests(self):
        best = self.final_log()
        subs, acks = {}, {}
        for e in self.events:
            if e["event"] == "submitted":
                subs[e["req"]] = e
            elif e["event"] == "acknowledged":
                acks[e["req"]] = e
        if best is None:
            if acks:
                self.violation("acked", "%d acknowledged requests but no final log" % len(acks))
            return
        applied = self.applied(self.logs[best])
        count = {}
        for x in applied:
            if x.get("kind") in ("member_join", "member_leave"):
                k = (x["kind"][7:], x.get("id"))
                count[k] = count.get(k, 0) + 1
        for req, a in sorted(acks.items(), key=lambda kv: kv[1]["t"]):
            s = subs.get(req, a)
            k = (s.get("op"), s.get("id"))
            if count.get(k, 0) == 0:
                self.violation("acked", "acknowledged request %s (%s %s) is not in the final "
                               "log (%s): a lost write" % (req, k[0], k[1], best), s["t"], a["t"])
        ops = {(s.get("op"), s.get("id")): s for s in subs.values()}
        for k, n in sorted(count.items()):
            if n > 1 and k in ops:
                s = ops[k]
                self.violation("duplicate", "request %s (%s %s) is applied %d times in the final "
                               "log (%s)" % (s["req"], k[0], k[1], n, best), s["t"])

    def check_converge(self):
        fdir = os.path.join(self.dir, "final")
        for fname in ("hosts", "authorized_keys"):
            exp_p = os.path.join(fdir, "expected." + fname)
            if not os.path.exists(exp_p):
                continue
            with open(exp_p) as f:
                exp = f.read()
            for p in sorted(glob.glob(os.path.join(fdir, "mount-*." + fname))):
                with open(p) as f:
                    got = f.read()
                if got != exp:
                    self.violation("converge", "%s differs from the rendering of the final state"
                                   % os.path.basename(p),
                                   extra=["expected: " + l for l in exp.splitlines()[:8]] +
                                         ["got:      " + l for l in got.splitlines()[:8]])
            # the rendering against the log: the live members, independently
            best = self.final_log()
            if best is None:
                continue
            live = {}
            for x in self.applied(self.logs[best]):
                k = x.get("kind")
                if k == "member_join":
                    live[x["id"]] = x
                elif k in ("member_leave", "member_expire"):
                    live.pop(x.get("id"), None)
            body = [l for l in exp.splitlines() if l and not l.startswith("#")]
            if fname == "authorized_keys":
                got_ids = sorted(l.rsplit("agora-member:", 1)[-1] for l in body)
                if got_ids != sorted(live):
                    self.violation("converge", "authorized_keys names %s, the log's live members "
                                   "are %s" % (got_ids, sorted(live)))
            else:
                names = set()
                for l in body:
                    names.update(l.split("\t", 1)[-1].split())
                missing = [m for m, x in live.items() if x.get("host") not in names]
                if missing:
                    self.violation("converge", "hosts lacks live members %s" % missing)
                live_hosts = {x.get("host") for x in live.values()}
                gone = sorted({x.get("host") for x in self.applied(self.logs[best])
                               if x.get("kind") == "member_join"} - live_hosts)
                stale = [h for h in gone if h in names]
                if stale:
                    self.violation("converge", "hosts still names departed members %s" % stale)
        cp = os.path.join(fdir, "converge.json")
        if os.path.exists(cp):
            with open(cp) as f:
                conv = json.load(f)
            for name, secs in sorted(conv.items()):
                if secs is None:
                    self.violation("converge", "mount %s never converged after the faults stopped"
                                   % name)

    def check_liveness(self):
        heals = [e for e in self.events if e.get("node") == "nemesis" and e["event"] in ("heal", "quiet")]
        if not heals:
            return
        t_heal = max(e["t"] for e in heals)
        deadline = t_heal + self.lease + self.slack
        subs = {e["req"]: e for e in self.events if e["event"] == "submitted" and e["t"] >= t_heal}
        firsts = [e["t"] for e in self.events
                  if (e["event"] == "acknowledged" and e["req"] in subs) or
                  (e["event"] == "committed" and e["t"] >= t_heal)]
        if not firsts:
            self.violation("liveness", "nothing was committed after the last heal at %s s"
                           % self.rel(t_heal), t_heal)
        elif min(firsts) > deadline:
            self.violation("liveness", "first commit after the last heal took %.2f s (lease %.1f s "
                           "+ slack %.1f s)" % ((min(firsts) - t_heal) / NS, self.lease / NS,
                                                self.slack / NS), t_heal, min(firsts))
        else:
            self.liveness_s = (min(firsts) - t_heal) / NS

    def run(self):
        self.liveness_s = None
        for c in (self.check_ballots, self.check_leases, self.check_commands, self.check_prefix,
                  self.check_requests, self.check_once, self.check_converge,
                  self.check_liveness):
            c()
        return self.violations


def summary(r):
    ev = r.events
    n = lambda name: sum(1 for e in ev if e["event"] == name)
    faults = sum(1 for e in ev if e.get("node") == "nemesis" and e["event"] == "fault")
    best = r.final_log()
    return ("seed %s: %d events, %d faults, %d leases acquired, %d commands started, "
            "%d requests submitted, %d acknowledged, %d failed, final log %s entries "
            "(%d learners)%s"
            % (r.seed, len(ev), faults, n("lease_acquired"), n("cmd_started"), n("submitted"),
               n("acknowledged"), n("failed"), len(r.logs[best]) if best else "-", len(r.logs),
               "" if r.liveness_s is None else ", first commit %.2f s after the last heal"
               % r.liveness_s))


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print("usage: check_history.py RUNDIR", file=sys.stderr)
        return 2
    r = Run(argv[1])
    if not r.events:
        print("check_history: no events in %s/history" % argv[1], file=sys.stderr)
        return 2
    v = r.run()
    print(summary(r))
    for x in v:
        print(x)
    if v:
        print("replay: tests/fault/run.sh --seed %s%s" % (
            r.seed, " --steps %s" % r.meta["steps"] if "steps" in r.meta else ""))
    return 1 if v else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
