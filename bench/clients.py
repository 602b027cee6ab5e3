#!/usr/bin/env python3
"""bench/clients.py: the load generators of bench/etcd-compare.sh.

  clients.py etcd-http  --urls U1,U2,U3 --clients C --ops N [--size 100]
      C threads, each N puts of SIZE-byte values through etcd's JSON gateway
      (POST /v3/kv/put), one HTTP connection per thread, sequential per
      thread; a failed put is retried on the next endpoint.
      --duration S instead of --ops: until S seconds have passed; --record
      FILE as for agora-api (index "-").
  clients.py etcd-cli   --endpoints E --clients C --ops N [--size 100]
      the same with one `etcdctl put` process per request.
  clients.py agora-cli  --configs CFG1,CFG2,... --netns NS --agoractl BIN
                        --keys DIR --clients C --ops N [--prefix p]
      C threads, each N `agoractl join` (a container member: id, host name,
      ip and a fresh ssh-ed25519 key: about 100 bytes of entry), each with
      its own config (its own origin: one request at a time per origin).
  clients.py agora-api  --sockets S1,S2,S3 --clients C (--ops N | --duration S)
                        [--prefix p] [--record FILE]
      C threads, each with its own connection to agorad's client API
      (docs/coordinator.md, "The client API") and its own origin, each
      request a join of a container member (id, host name, ip and a fresh
      ssh-ed25519 key: about 100 bytes of entry) sent when the previous one
      was answered; the leader is found by `status` on each socket (given in
      node id order); a not_leader, lost_lease, timeout or a broken
      connection makes the client retry the same (origin, seq) there. Each
      latency is from the first send to the answer. --record FILE: one line
      per commit "t_sent_ns t_answered_ns index tries" (CLOCK_MONOTONIC).
  clients.py pauses --record FILE --since-ns T [--timeout 3]
      from a record: the commits answered in [T, T + timeout] (and the one
      in flight at T): {"n", "p99_ms", "max_ms", "max_gap_ms"}, the gap being
      the longest time from T or an answer to the next answer.
  clients.py etcd-first-put --urls U1,U2 [--timeout 30]
      puts until one succeeds; prints the CLOCK_MONOTONIC ns of the success
      (the first commit after a failover).

Prints one JSON object: {"latencies_ms": [...], "errors": n, "wall_s": s}."""
import argparse
import base64
import http.client
import socket
import struct
import json
import mmap
import os
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


class EtcdHttp:
    def __init__(self, urls, timeout=5.0):
        self.urls = [urlparse(u) for u in urls]
        self.i = 0
        self.timeout = timeout
        self.conn = None

    def _conn(self):
        if self.conn is None:
            u = self.urls[self.i % len(self.urls)]
            self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=self.timeout)
        return self.conn

    def put(self, key, value):
        body = json.dumps({"key": b64(key), "value": b64(value)})
        try:
            c = self._conn()
            c.request("POST", "/v3/kv/put", body, {"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            if r.status == 200 and b"header" in data:
                return True
        except (OSError, http.client.HTTPException):
            pass
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        self.i += 1
        return False


def fake_ed25519(rnd):
    """an ssh-ed25519 public key line with random key bytes (well-formed:
    what the state machine checks; nobody will log in with it)"""
    t = b"ssh-ed25519"
    blob = struct.pack(">I", len(t)) + t + struct.pack(">I", 32) + rnd
    return "ssh-ed25519 " + base64.b64encode(blob).decode()


class AgoraApi:
    """one connection to agorad's client API, following the leader"""

    RETRY = ("not_leader", "lost_lease", "timeout", "busy")

    def __init__(self, sockets, timeout=5.0):
        self.socks = sockets
        self.timeout = timeout
        self.s = None
        self.f = None

    def close(self):
        if self.s is not None:
            self.s.close()
        self.s = self.f = None

    def _open(self, path):
        self.close()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(path)
        self.s, self.f = s, s.makefile("rb")

    def call(self, obj):
        self.s.sendall(json.dumps(obj).encode() + b"\n")
        line = self.f.readline()
        if not line:
            raise OSError("connection closed")
        return json.loads(line)

    def find_leader(self, hint=0):
        order = list(range(len(self.socks)))
        if 0 < hint <= len(self.socks):
            order.remove(hint - 1)
            order.insert(0, hint - 1)
        for i in order:
            try:
                self._open(self.socks[i])
                if self.call({"op": "status"}).get("leading"):
                    return True
            except (OSError, ValueError):
                pass
        self.close()
        return False

    def submit(self, req, deadline):
        """(answer, tries): retried with the same (origin, seq) until an
        answer that is not worth retrying, or the deadline"""
        tries, hint = 0, 0
        while time.monotonic() < deadline:
            tries += 1
            try:
                if self.s is None and not self.find_leader(hint):
                    time.sleep(0.005)
                    continue
                a = self.call(req)
            except (OSError, ValueError):
                self.close()
                continue
            if a.get("ok") or a.get("error") not in self.RETRY:
                return a, tries
            hint = a.get("leader_node") or 0
            if a.get("error") != "busy":
                self.close()
            time.sleep(0.002)
        return {"ok": False, "error": "deadline"}, tries


LOCK = threading.Lock()
WHY = []   # the first few errors, as the clients reported them


def run_threads(n, fn):
    res, errs = [], [0]
    lock = threading.Lock()

    def body(k):
        lat, e = fn(k)
        with lock:
            res.extend(lat)
            errs[0] += e
    t0 = time.monotonic()
    ts = [threading.Thread(target=body, args=(k,)) for k in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return {"latencies_ms": res, "errors": errs[0], "wall_s": time.monotonic() - t0, "why": WHY}


def etcd_http(a):
    urls = a.urls.split(",")
    value = "v" * a.size
    rec = open(a.record, "w") if a.record else None
    t_end = time.monotonic() + a.duration if a.duration else None

    def fn(k):
        cl = EtcdHttp(urls[k % len(urls):] + urls[:k % len(urls)])
        lat, e = [], 0
        i = 0
        while (i < a.ops) if t_end is None else (time.monotonic() < t_end):
            t = time.monotonic_ns()
            tries = 1
            while not cl.put("bench/%s%d/%d" % (a.prefix, k, i), value):
                e += 1
                tries += 1
                if time.monotonic_ns() - t > 30 * 10**9:
                    break
            t1 = time.monotonic_ns()
            i += 1
            lat.append((t1 - t) / 1e6)
            if rec is not None:
                with LOCK:
                    rec.write("%d %d - %d\n" % (t, t1, tries))
        return lat, e
    r = run_threads(a.clients, fn)
    if rec is not None:
        rec.close()
    return r


def etcd_cli(a):
    value = "v" * a.size

    def fn(k):
        lat, e = [], 0
        for i in range(a.ops):
            t = time.monotonic()
            p = subprocess.run(["etcdctl", "--endpoints", a.endpoints, "put",
                                "cli/%d/%d" % (k, i), value], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=dict(os.environ, ETCDCTL_API="3"))
            if p.returncode != 0:
                e += 1
                continue
            lat.append((time.monotonic() - t) * 1000)
        return lat, e
    return run_threads(a.clients, fn)


def agora_cli(a):
    cfgs = a.configs.split(",")
    os.makedirs(a.keys, exist_ok=True)

    def fn(k):
        lat, e = [], 0
        cfg = cfgs[k % len(cfgs)]
        for i in range(a.ops):
            mid = "%s%d-%d" % (a.prefix, k, i)
            key = os.path.join(a.keys, mid)
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", mid, "-f", key],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            # unique per run (prefix), client and request
            ip = "10.%d.%d.%d" % (100 + ord(a.prefix[0]) % 100, k % 256, i % 250 + 1)
            t = time.monotonic()
            p = subprocess.run(["nsenter", "--net=" + a.netns, a.agoractl, "-c", cfg, "join", mid,
                                mid + ".b", ip, key + ".pub"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if p.returncode != 0:
                e += 1
                with LOCK:
                    if len(WHY) < 5:
                        WHY.append("rc %d: %s" % (p.returncode, p.stderr.strip()[-160:]))
                continue
            lat.append((time.monotonic() - t) * 1000)
        return lat, e
    return run_threads(a.clients, fn)


def agora_api(a):
    socks = a.sockets.split(",")
    rec = open(a.record, "w") if a.record else None
    t_end = time.monotonic() + a.duration if a.duration else None
    base = time.time_ns() // 1000  # seq: above anything an earlier run used

    def fn(k):
        cl = AgoraApi(socks)
        lat, e = [], 0
        origin = "api:%s%d" % (a.prefix, k)
        mid = "%s%d" % (a.prefix, k)
        i = 0
        while (i < a.ops) if t_end is None else (time.monotonic() < t_end):
            req = {"op": "join", "origin": origin, "seq": base + i, "id": mid,
                   "hostname": mid + ".b", "ip": "10.%d.%d.%d" % (
                       100 + ord(a.prefix[0]) % 100, k % 256, i % 250 + 1),
                   "key": fake_ed25519(os.urandom(32))}
            i += 1
            t0 = time.monotonic_ns()
            ans, tries = cl.submit(req, time.monotonic() + 30)
            t1 = time.monotonic_ns()
            if not ans.get("ok"):
                e += 1
                with LOCK:
                    if len(WHY) < 5:
                        WHY.append("%s: %s" % (ans.get("error"), ans.get("message", "")[:160]))
                continue
            lat.append((t1 - t0) / 1e6)
            if rec is not None:
                with LOCK:
                    rec.write("%d %d %s %d\n" % (t0, t1, ans.get("index", "-"), tries))
        # the member leaves again, so runs do not fill the member table
        cl.submit({"op": "leave", "origin": origin, "seq": base + i, "id": mid},
                  time.monotonic() + 10)
        cl.close()
        return lat, e
    r = run_threads(a.clients, fn)
    if rec is not None:
        rec.close()
    return r


def etcd_first_put(a):
    cl = EtcdHttp(a.urls.split(","), timeout=0.5)
    end = time.monotonic() + a.timeout
    i = 0
    while time.monotonic() < end:
        i += 1
        if cl.put("failover/%d" % i, "x"):
            return {"t_ns": time.monotonic_ns(), "tries": i}
        time.sleep(0.005)
    return {"t_ns": None, "tries": i}


def read_direct(path):
    """reads a FUSE file with O_DIRECT: past the kernel's page cache (a
    view file whose size did not change can stay cached for seconds)"""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    try:
        buf = mmap.mmap(-1, 65536)   # page-aligned, as O_DIRECT wants
        n = os.readv(fd, [buf])
        return buf[:n].decode()
    finally:
        os.close(fd)


def agora_failover(a):
    """kill -9 agorad PID, then poll the mount's /.agora/leader (O_DIRECT)
    until it names another member: the new leader's LEADER entry, its first
    commit, was committed and applied by the brick this mount reads."""
    old = a.old
    os.kill(a.pid, 9)
    t0 = time.monotonic_ns()
    end = time.monotonic() + a.timeout
    while time.monotonic() < end:
        try:
            for line in read_direct(a.leader_file).splitlines():
                    w = line.split()
                    if len(w) == 2 and w[0] == "id" and w[1] not in ("-", old):
                        return {"t_kill_ns": t0, "t_ns": time.monotonic_ns(),
                                "dt_ms": (time.monotonic_ns() - t0) / 1e6, "new": w[1]}
        except OSError:
            pass
        time.sleep(0.002)
    return {"t_kill_ns": t0, "t_ns": None, "dt_ms": None}


def etcd_failover(a):
    """kill -9 the etcd leader PID, then put through the other members
    until one put succeeds: the first commit of the new leader."""
    cl = EtcdHttp(a.urls.split(","), timeout=0.3)
    os.kill(a.pid, 9)
    t0 = time.monotonic_ns()
    end = time.monotonic() + a.timeout
    i = 0
    while time.monotonic() < end:
        i += 1
        if cl.put("failover/%d" % i, "x"):
            t = time.monotonic_ns()
            return {"t_kill_ns": t0, "t_ns": t, "dt_ms": (t - t0) / 1e6, "tries": i}
        time.sleep(0.002)
    return {"t_kill_ns": t0, "t_ns": None, "dt_ms": None}


def wait_files(a):
    """poll FILES until every one contains (--present) or lacks (--absent)
    WORD; prints the ms from --since-ns (or the start) to that moment"""
    t0 = a.since_ns or time.monotonic_ns()
    end = time.monotonic() + a.timeout
    files = a.files.split(",")
    while time.monotonic() < end:
        ok = True
        for p in files:
            try:
                with open(p) as f:
                    has = a.word in f.read()
            except OSError:
                has = None
            if has is None or has != (not a.absent):
                ok = False
                break
        if ok:
            return {"dt_ms": (time.monotonic_ns() - t0) / 1e6}
        time.sleep(0.005)
    return {"dt_ms": None}


def etcd_key_gone(a):
    """kill -9 PID (the lease keeper), then get KEY until it is gone"""
    cl = EtcdHttp(a.urls.split(","), timeout=1)
    os.kill(a.pid, 9)
    t0 = time.monotonic_ns()
    end = time.monotonic() + a.timeout
    body = json.dumps({"key": b64(a.key)})
    while time.monotonic() < end:
        try:
            c = cl._conn()
            c.request("POST", "/v3/kv/range", body, {"Content-Type": "application/json"})
            r = json.loads(c.getresponse().read())
            if not r.get("kvs"):
                return {"dt_ms": (time.monotonic_ns() - t0) / 1e6}
        except (OSError, http.client.HTTPException, ValueError):
            cl.conn = None
        time.sleep(0.005)
    return {"dt_ms": None}


def pauses(a):
    """reads a --record FILE: the commits answered in [--since-ns,
    --since-ns + --timeout s] (and the one in flight at --since-ns): their
    p99 and longest latency, and the longest time without any answer (from
    --since-ns on, all clients merged)"""
    rows = []
    with open(a.record) as f:
        for line in f:
            w = line.split()
            if len(w) >= 2:
                rows.append((int(w[0]), int(w[1])))
    rows.sort(key=lambda r: r[1])
    lo, hi = a.since_ns, a.since_ns + int(a.timeout * 1e9)
    sel = [r for r in rows if r[1] > lo and r[0] <= hi]
    lat = sorted((t1 - t0) / 1e6 for t0, t1 in sel)
    prev, gap = lo, 0.0
    for _, t1 in sel:
        gap = max(gap, (t1 - prev) / 1e6)
        prev = t1
    q = (lambda p: lat[min(len(lat) - 1, int(round((len(lat) - 1) * p)))]) if lat else (lambda p: None)
    return {"n": len(lat), "p99_ms": q(0.99), "max_ms": lat[-1] if lat else None,
            "max_gap_ms": gap}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("etcd-http", "etcd-cli", "agora-cli", "agora-api",
                                    "pauses", "etcd-first-put",
                                    "agora-failover", "etcd-failover", "wait-files",
                                    "etcd-key-gone"))
    p.add_argument("--pid", type=int)
    p.add_argument("--old")
    p.add_argument("--leader-file")
    p.add_argument("--files")
    p.add_argument("--word")
    p.add_argument("--absent", action="store_true")
    p.add_argument("--since-ns", type=int)
    p.add_argument("--key")
    p.add_argument("--urls")
    p.add_argument("--endpoints")
    p.add_argument("--configs")
    p.add_argument("--netns")
    p.add_argument("--sockets")
    p.add_argument("--record")
    p.add_argument("--duration", type=float)
    p.add_argument("--agoractl")
    p.add_argument("--keys", default="/tmp/bench-keys")
    p.add_argument("--prefix", default="b")
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--ops", type=int, default=50)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--timeout", type=float, default=30)
    a = p.parse_args()
    f = {"etcd-http": etcd_http, "etcd-cli": etcd_cli, "agora-cli": agora_cli,
         "agora-api": agora_api, "pauses": pauses,
         "etcd-first-put": etcd_first_put, "agora-failover": agora_failover,
         "etcd-failover": etcd_failover, "wait-files": wait_files,
         "etcd-key-gone": etcd_key_gone}[a.mode]
    print(json.dumps(f(a)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
