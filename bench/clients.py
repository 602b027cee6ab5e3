#!/usr/bin/env python3
"""bench/clients.py: the load generators of bench/etcd-compare.sh.

  clients.py etcd-http  --urls U1,U2,U3 --clients C --ops N [--size 100]
      C threads, each N puts of SIZE-byte values through etcd's JSON gateway
      (POST /v3/kv/put), one HTTP connection per thread, sequential per
      thread; a failed put is retried on the next endpoint.
  clients.py etcd-cli   --endpoints E --clients C --ops N [--size 100]
      the same with one `etcdctl put` process per request.
  clients.py agora-cli  --configs CFG1,CFG2,... --netns NS --agoractl BIN
                        --keys DIR --clients C --ops N [--prefix p]
      C threads, each N `agoractl join` (a container member: id, host name,
      ip and a fresh ssh-ed25519 key: about 100 bytes of entry), each with
      its own config (its own origin: one request at a time per origin).
  clients.py etcd-first-put --urls U1,U2 [--timeout 30]
      puts until one succeeds; prints the CLOCK_MONOTONIC ns of the success
      (the first commit after a failover).

Prints one JSON object: {"latencies_ms": [...], "errors": n, "wall_s": s}."""
import argparse
import base64
import http.client
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

    def fn(k):
        cl = EtcdHttp(urls[k % len(urls):] + urls[:k % len(urls)])
        lat, e = [], 0
        for i in range(a.ops):
            t = time.monotonic()
            while not cl.put("bench/%d/%d" % (k, i), value):
                e += 1
                if time.monotonic() - t > 30:
                    break
            lat.append((time.monotonic() - t) * 1000)
        return lat, e
    return run_threads(a.clients, fn)


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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("etcd-http", "etcd-cli", "agora-cli", "etcd-first-put",
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
    p.add_argument("--agoractl")
    p.add_argument("--keys", default="/tmp/bench-keys")
    p.add_argument("--prefix", default="b")
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--ops", type=int, default=50)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--timeout", type=float, default=30)
    a = p.parse_args()
    f = {"etcd-http": etcd_http, "etcd-cli": etcd_cli, "agora-cli": agora_cli,
         "etcd-first-put": etcd_first_put, "agora-failover": agora_failover,
         "etcd-failover": etcd_failover, "wait-files": wait_files,
         "etcd-key-gone": etcd_key_gone}[a.mode]
    print(json.dumps(f(a)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
