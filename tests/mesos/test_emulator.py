#!/usr/bin/env python3
"""test_emulator.py: the Mesos master emulator checked against the
documented behaviour of the v1 scheduler API (mesos-v1-notes.md sections 1,
2 and 7, which cite src/master/http.cpp and master.cpp and the Mesos
scheduler_http_api_tests.cpp cases), so that a scheduler bug cannot hide
behind an emulator bug. Standard library only; the emulator is started and
stopped by PID for each test class."""

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(HERE, "mesos-master-emulator.py")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def free_run(n):
    while True:
        p = free_port()
        try:
            socks = []
            for i in range(n):
                s = socket.socket()
                s.bind(("127.0.0.1", p + i))
                socks.append(s)
            for s in socks:
                s.close()
            return p
        except OSError:
            for s in socks:
                s.close()


class Emulator:
    def __init__(self, *extra):
        self.dir = tempfile.mkdtemp(prefix="agl-emutest-")
        self.base, self.ctl = free_run(3), free_port()
        ready = os.path.join(self.dir, "ready")
        self.proc = subprocess.Popen(
            [sys.executable, EMULATOR, "--base-port", str(self.base), "--control-port",
             str(self.ctl), "--masters", "3", "--agents", "2", "--heartbeat", "0.3",
             "--allocation-interval", "0.1", "--status-retry", "0.3", "--ready-file", ready]
            + list(extra))
        for _ in range(200):
            if os.path.exists(ready):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("emulator did not start")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        subprocess.run(["rm", "-rf", self.dir], check=False)

    def post(self, port, body, headers=None, method="POST"):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        c.request(method, "/api/v1/scheduler", json.dumps(body) if body is not None else None, h)
        r = c.getresponse()
        return r, c

    def control(self, path, post=True):
        c = http.client.HTTPConnection("127.0.0.1", self.ctl, timeout=10)
        c.request("POST" if post else "GET", path, "" if post else None)
        return json.loads(c.getresponse().read())


class Stream:
    """A SUBSCRIBE stream read record by record (RecordIO over chunks)."""

    def __init__(self, resp):
        self.r, self.buf = resp, b""
        self.id = resp.getheader("Mesos-Stream-Id")
        self.skipped = []  # OFFERS seen while waiting for another type

    def event(self, timeout=5.0):
        self.r.fp.raw._sock.settimeout(timeout)
        while True:
            nl = self.buf.find(b"\n")
            if nl > 0:
                n = int(self.buf[:nl])
                if len(self.buf) >= nl + 1 + n:
                    rec, self.buf = self.buf[nl + 1:nl + 1 + n], self.buf[nl + 1 + n:]
                    return json.loads(rec)
            chunk = self.r.read1(65536)
            if not chunk:
                return None
            self.buf += chunk

    def until(self, typ, timeout=5.0):
        # An OFFERS event that arrives while we wait for something else is
        # kept: the emulator does not re-offer resources it has outstanding.
        for i, ev in enumerate(self.skipped):
            if ev["type"] == typ:
                return self.skipped.pop(i)
        end = time.time() + timeout
        while time.time() < end:
            ev = self.event(timeout)
            if ev is None:
                return None
            if ev["type"] == typ:
                return ev
            if ev["type"] == "OFFERS":
                self.skipped.append(ev)
        return None


SUB = {"type": "SUBSCRIBE", "subscribe": {"framework_info": {
    "user": "root", "name": "t", "failover_timeout": 1.0}}}


def leader_port(emu):
    return emu.control("/state", post=False)["leader"]


class HttpLayer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator()
        cls.port = leader_port(cls.emu)

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def test_get_is_405(self):
        r, _ = self.emu.post(self.port, None, method="GET")
        self.assertEqual(r.status, 405)

    def test_content_type_rules(self):
        r, _ = self.emu.post(self.port, SUB, {"Content-Type": None})
        self.assertEqual(r.status, 400)
        r, _ = self.emu.post(self.port, SUB, {"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(r.status, 415)

    def test_accept_406(self):
        r, _ = self.emu.post(self.port, SUB, {"Accept": "text/html"})
        self.assertEqual(r.status, 406)

    def test_subscribe_with_stream_id_400(self):
        r, _ = self.emu.post(self.port, SUB, {"Mesos-Stream-Id": "x"})
        self.assertEqual(r.status, 400)

    def test_follower_307_protocol_relative(self):
        follower = next(p for p in range(self.emu.base, self.emu.base + 3) if p != self.port)
        r, _ = self.emu.post(follower, SUB)
        self.assertEqual(r.status, 307)
        self.assertEqual(r.getheader("Location"), "//127.0.0.1:%d/api/v1/scheduler" % self.port)

    def test_subscribe_stream_and_call_rules(self):
        r, c = self.emu.post(self.port, SUB)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
        s = Stream(r)
        first = s.event()
        self.assertEqual(first["type"], "SUBSCRIBED")
        self.assertEqual(first["subscribed"]["heartbeat_interval_seconds"], 0.3)
        self.assertEqual(s.event()["type"], "HEARTBEAT")  # at once
        fid = first["subscribed"]["framework_id"]["value"]
        call = {"type": "REVIVE", "framework_id": {"value": fid}}
        r2, _ = self.emu.post(self.port, call)  # no stream id
        self.assertEqual(r2.status, 400)
        r2, _ = self.emu.post(self.port, call, {"Mesos-Stream-Id": "stale"})
        self.assertEqual(r2.status, 400)
        r2, _ = self.emu.post(self.port, call, {"Mesos-Stream-Id": s.id})
        self.assertEqual(r2.status, 202)
        bad_ack = {"type": "ACKNOWLEDGE", "framework_id": {"value": fid}, "acknowledge": {
            "agent_id": {"value": "a"}, "task_id": {"value": "t"}, "uuid": "bm90LWEtdXVpZA=="}}
        r2, _ = self.emu.post(self.port, bad_ack, {"Mesos-Stream-Id": s.id})
        self.assertEqual(r2.status, 400)
        unknown = {"type": "REVIVE", "framework_id": {"value": "nope"}}
        r2, _ = self.emu.post(self.port, unknown, {"Mesos-Stream-Id": s.id})
        self.assertEqual(r2.status, 400)
        c.close()


def task_info(tid, agent, ip="10.0.0.5"):
    return {"name": tid, "task_id": {"value": tid}, "agent_id": {"value": agent},
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                          {"name": "mem", "type": "SCALAR", "scalar": {"value": 32.0}}],
            "command": {"shell": False},
            "container": {"type": "DOCKER", "docker": {"image": "x", "network": "USER",
                          "parameters": [{"key": "ip", "value": ip}]},
                          "network_infos": [{"name": "net"}]}}


class Behaviour(unittest.TestCase):
    def setUp(self):
        self.emu = Emulator()
        self.port = leader_port(self.emu)

    def tearDown(self):
        self.emu.stop()

    def subscribe(self, fid=None):
        body = json.loads(json.dumps(SUB))
        if fid:
            body["framework_id"] = {"value": fid}
            body["subscribe"]["framework_info"]["id"] = {"value": fid}
        r, c = self.emu.post(self.port, body)
        s = Stream(r)
        ev = s.event()
        return s, c, ev

    def call(self, s, body):
        r, _ = self.emu.post(self.port, body, {"Mesos-Stream-Id": s.id})
        return r.status

    def launch(self, s, fid, tid, ip="10.0.0.5"):
        offer = s.until("OFFERS")["offers"]["offers"][0]
        acc = {"type": "ACCEPT", "framework_id": {"value": fid}, "accept": {
            "offer_ids": [offer["id"]], "operations": [{"type": "LAUNCH", "launch": {
                "task_infos": [task_info(tid, offer["agent_id"]["value"], ip)]}}]}}
        self.assertEqual(self.call(s, acc), 202)
        return offer

    def test_updates_retried_until_acked_then_failover_keeps_task(self):
        s, c, ev = self.subscribe()
        fid = ev["subscribed"]["framework_id"]["value"]
        self.launch(s, fid, "t1")
        up = s.until("UPDATE")["update"]["status"]
        self.assertEqual(up["state"], "TASK_STARTING")
        self.assertEqual(len(base64.b64decode(up["uuid"])), 16)
        again = s.until("UPDATE")["update"]["status"]  # not acked: the same one again
        self.assertEqual(again["uuid"], up["uuid"])
        ack = {"type": "ACKNOWLEDGE", "framework_id": {"value": fid}, "acknowledge": {
            "agent_id": up["agent_id"], "task_id": up["task_id"], "uuid": up["uuid"]}}
        self.assertEqual(self.call(s, ack), 202)
        run = s.until("UPDATE")["update"]["status"]
        self.assertEqual(run["state"], "TASK_RUNNING")
        self.assertEqual(run["container_status"]["network_infos"][0]["ip_addresses"][0]
                         ["ip_address"], "10.0.0.5")
        # A second scheduler with the same id: the first gets "Framework failed over".
        s2, c2, ev2 = self.subscribe(fid)
        self.assertEqual(ev2["subscribed"]["framework_id"]["value"], fid)
        err = s.until("ERROR")
        self.assertEqual(err["error"]["message"], "Framework failed over")
        # The unacknowledged RUNNING is delivered again on the new stream.
        self.assertEqual(s2.until("UPDATE")["update"]["status"]["state"], "TASK_RUNNING")
        # Reconciliation: explicit for a known and an unknown task.
        rec = {"type": "RECONCILE", "framework_id": {"value": fid}, "reconcile": {"tasks": [
            {"task_id": {"value": "t1"}}, {"task_id": {"value": "ghost"}}]}}
        self.assertEqual(self.call(s2, rec), 202)
        seen = {}
        while len(seen) < 2:
            st = s2.until("UPDATE")["update"]["status"]
            if st.get("reason") == "REASON_RECONCILIATION":
                self.assertNotIn("uuid", st)
                seen[st["task_id"]["value"]] = st["state"]
        self.assertEqual(seen, {"t1": "TASK_RUNNING", "ghost": "TASK_LOST"})
        c.close()
        c2.close()

    def test_failover_timeout_removes_framework(self):
        s, c, ev = self.subscribe()
        fid = ev["subscribed"]["framework_id"]["value"]
        self.launch(s, fid, "t1")
        s.until("UPDATE")
        c.close()
        s.r.close()
        time.sleep(2.0)  # failover_timeout 1 s
        st = self.emu.control("/state", post=False)
        self.assertIn(fid, st["removed"])
        self.assertEqual(st["tasks"], [])
        _, c2, ev2 = self.subscribe(fid)
        self.assertEqual(ev2["type"], "ERROR")
        self.assertEqual(ev2["error"]["message"], "Framework has been removed")
        c2.close()

    def test_decline_filter_suppress_revive(self):
        s, c, ev = self.subscribe()
        fid = ev["subscribed"]["framework_id"]["value"]
        o1 = s.until("OFFERS")["offers"]["offers"][0]
        o2 = s.until("OFFERS")["offers"]["offers"][0]
        dec = {"type": "DECLINE", "framework_id": {"value": fid}, "decline": {
            "offer_ids": [o1["id"], o2["id"]], "filters": {"refuse_seconds": 60.0}}}
        self.assertEqual(self.call(s, dec), 202)
        self.assertIsNone(s.until("OFFERS", timeout=0.8))  # filtered
        self.assertEqual(self.call(s, {"type": "REVIVE", "framework_id": {"value": fid}}), 202)
        self.assertIsNotNone(s.until("OFFERS", timeout=2))  # filters cleared
        self.assertEqual(self.call(s, {"type": "SUPPRESS", "framework_id": {"value": fid}}),
                         202)
        time.sleep(0.3)
        st = self.emu.control("/state", post=False)
        self.assertTrue(st["frameworks"][0]["suppressed"])
        c.close()

    def test_invalid_offer_and_duplicate_ip(self):
        s, c, ev = self.subscribe()
        fid = ev["subscribed"]["framework_id"]["value"]
        bad = {"type": "ACCEPT", "framework_id": {"value": fid}, "accept": {
            "offer_ids": [{"value": "no-such-offer"}], "operations": [{"type": "LAUNCH",
                "launch": {"task_infos": [task_info("t9", "x")]}}]}}
        self.assertEqual(self.call(s, bad), 202)
        st = s.until("UPDATE")["update"]["status"]
        self.assertEqual((st["state"], st["reason"]), ("TASK_LOST", "REASON_INVALID_OFFERS"))
        self.launch(s, fid, "a", "10.0.0.7")
        self.launch(s, fid, "b", "10.0.0.7")
        states = {}
        end = time.time() + 5
        while time.time() < end and states.get("b") != "TASK_FAILED":
            u = s.until("UPDATE", timeout=2)
            if u is None:
                break
            st = u["update"]["status"]
            states[st["task_id"]["value"]] = st["state"]
            if "uuid" in st:
                self.call(s, {"type": "ACKNOWLEDGE", "framework_id": {"value": fid},
                              "acknowledge": {"agent_id": st["agent_id"],
                                              "task_id": st["task_id"], "uuid": st["uuid"]}})
        self.assertEqual(states.get("b"), "TASK_FAILED")
        c.close()


if __name__ == "__main__":
    unittest.main(verbosity=1)
