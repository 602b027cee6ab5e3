#!/usr/bin/env python3
"""workload.py: one client of the fault-injection runs. Submits requests one
at a time until STOPFILE exists, and records each in its history
(JSON lines, CLOCK_MONOTONIC ns, read by check_history.py):

  submitted     {req, op, id, client, via}   just before the request leaves
  acknowledged  {req, op, id, client, via, secs}  the client was told "done"
  failed        {req, op, id, client, via, rc, why}  not acknowledged (it may
                still be committed later: the checker only demands that
                acknowledged requests are applied exactly once)

Requests (--via ctl):  agoractl join ID HOST IP KEYFILE / agoractl leave ID,
run in the client's network namespace; acknowledged = exit 0 (agoractl
waits until the request is decided).
Requests (--via inbox): a request file MNT/.agora-inbox/ID (join; ack =
the verdict says "accepted") or its removal (leave; ack = the verdict is
gone, which the leader does once the leave is committed).

One request at a time per client: agoractl's seq is per origin (ctl:NAME),
and a later seq would make an earlier, still undecided one a duplicate.

  workload.py --client wl1 --history H --stop STOPFILE --seed S
              [--via ctl --config CFG --netns /run/netns/NS --agoractl BIN]
              [--via inbox --mount MNT] [--keys DIR] [--max-members 12]"""
import argparse
import json
import os
import random
import subprocess
import sys
import time


def mono():
    return time.monotonic_ns()


class Client:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random("%s/%s" % (a.seed, a.client))
        self.hist = open(a.history, "a", buffering=1)
        self.n = 0   # joins
        self.k = 0   # requests
        self.members = []        # acknowledged joins not yet left
        self.pending_join = {}   # not acknowledged: may or may not be a member
        os.makedirs(a.keys, exist_ok=True)
        self.idx = int(a.client.lstrip("abcdefghijklmnopqrstuvwxyz-") or 0)

    def rec(self, event, **kw):
        d = {"t": mono(), "node": self.a.client, "event": event, "client": self.a.client,
             "via": self.a.via}
        d.update(kw)
        self.hist.write(json.dumps(d) + "\n")

    def keyfile(self, mid):
        p = os.path.join(self.a.keys, mid)
        if not os.path.exists(p + ".pub"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", mid, "-f", p],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
        return p + ".pub"

    def ctl(self, args):
        cmd = ["nsenter", "--net=" + self.a.netns, self.a.agoractl, "-c", self.a.config] + args
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=self.a.timeout)
            return p.returncode, (p.stderr or p.stdout).strip()[-200:]
        except subprocess.TimeoutExpired:
            return -1, "timeout %d s" % self.a.timeout

    def inbox(self, op, mid, host, ip, key):
        d = os.path.join(self.a.mount, ".agora-inbox")
        req, verdict = os.path.join(d, mid), os.path.join(d, mid + ".verdict")
        try:
            if op == "join":
                with open(key) as f:
                    k = f.read().strip()
                tmp = os.path.join(d, "." + mid + ".tmp")
                with open(tmp, "w") as f:
                    f.write("host: %s\nip: %s\nkey: %s\n" % (host, ip, k))
                os.rename(tmp, req)
            else:
                os.unlink(req)
        except OSError as e:
            return -2, str(e)
        end = time.monotonic() + self.a.timeout
        while time.monotonic() < end:
            try:
                if op == "join":
                    with open(verdict) as f:
                        v = f.read()
                    if v.startswith("accepted"):
                        return 0, ""
                    if v.startswith("rejected"):
                        return 1, v.strip()[:200]
                elif not os.path.exists(verdict):
                    return 0, ""
            except OSError:
                pass
            time.sleep(0.1)
        return -1, "no verdict within %d s" % self.a.timeout

    def one(self):
        leave = self.members and (len(self.members) >= self.a.max_members or
                                  self.rng.random() < 0.35)
        if leave:
            mid = self.members[self.rng.randrange(len(self.members))]
            op, host, ip, key = "leave", None, None, None
        else:
            self.n += 1
            mid = "%s-%d" % (self.a.client, self.n)
            op, host = "join", "%s.test" % mid
            ip = "10.%d.%d.%d" % (100 + self.idx % 100, self.n // 250, self.n % 250 + 1)
            key = self.keyfile(mid)
        self.k += 1
        req = "%s/r%d" % (self.a.client, self.k)
        self.rec("submitted", req=req, op=op, id=mid)
        t0 = time.monotonic()
        if self.a.via == "ctl":
            args = ["join", mid, host, ip, key] if op == "join" else ["leave", mid]
            rc, why = self.ctl(args)
        else:
            rc, why = self.inbox(op, mid, host, ip, key)
        if rc == 0:
            self.rec("acknowledged", req=req, op=op, id=mid, secs=round(time.monotonic() - t0, 3))
            if op == "join":
                self.members.append(mid)
            else:
                self.members.remove(mid)
        else:
            self.rec("failed", req=req, op=op, id=mid, rc=rc, why=why)
            if op == "leave" and self.a.via == "inbox":
                # the request file is gone: the leave will happen; never
                # reuse the member
                self.members.remove(mid)
            time.sleep(0.3)

    def run(self):
        while not os.path.exists(self.a.stop):
            self.one()
            time.sleep(self.rng.uniform(0, self.a.think))
        self.rec("stopped")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--client", required=True)
    p.add_argument("--history", required=True)
    p.add_argument("--stop", required=True)
    p.add_argument("--seed", default="1")
    p.add_argument("--via", choices=("ctl", "inbox"), default="ctl")
    p.add_argument("--config")
    p.add_argument("--netns")
    p.add_argument("--agoractl")
    p.add_argument("--mount")
    p.add_argument("--keys", default="keys")
    p.add_argument("--max-members", type=int, default=12)
    p.add_argument("--timeout", type=int, default=25)
    p.add_argument("--think", type=float, default=0.3)
    a = p.parse_args()
    if a.via == "ctl" and not (a.config and a.netns and a.agoractl):
        p.error("--via ctl needs --config, --netns and --agoractl")
    if a.via == "inbox" and not a.mount:
        p.error("--via inbox needs --mount")
    Client(a).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
