#!/usr/bin/env python3
"""mesos-master-emulator.py: a Mesos master EMULATOR for Agora's tests.

Real Mesos cannot be installed on the test machines, so this program plays
several Mesos masters (one leading) and their agents in one process, from
the Mesos v1 scheduler HTTP API as documented and as the Mesos source
implements it (../shared/mesos-v1-notes.md, section 7 lists the behaviours;
docs/launchers.md says which are covered). It is not Mesos: no registry,
no real containerizer, one process. Python 3 standard library only.

What it does:
  * HTTP/1.1 /api/v1/scheduler per master: exact Content-Type, Accept, the
    Mesos-Stream-Id rules, 307 with a protocol-relative Location from
    non-leaders, 503 while no leader is known, 202 for async calls.
  * SUBSCRIBE: 200 chunked RecordIO stream (SUBSCRIBED, HEARTBEAT at once and
    every --heartbeat seconds), framework failover within failover_timeout
    keeping tasks ("Framework failed over" to the old stream), removal after
    it (ERROR "Framework has been removed"), TEARDOWN.
  * Agents with cpus/mem, offers every --allocation-interval, DECLINE
    filters with refuse_seconds, SUPPRESS/REVIVE, ACCEPT with LAUNCH
    validation (TASK_ERROR / TASK_LOST+REASON_INVALID_OFFERS), KILL,
    RECONCILE (explicit and implicit, as Master::reconcile answers).
  * Tasks are local processes (sleep): STARTING, RUNNING (network_infos with
    the requested network and the docker "ip" parameter), FAILED when the
    process dies, KILLED on KILL; an IP already held by a live task fails
    the launch as docker run would. Status updates carry a uuid and are
    retried (--status-retry, doubling) until ACKNOWLEDGEd, one in flight per
    task; master-generated updates carry none.
  * Leader election published in a real ZooKeeper (--zk h:p/path): every
    master creates an ephemeral sequential json.info_ znode with its
    MasterInfo JSON, and the lowest sequence leads. Killing the leader drops
    its ZooKeeper connection (the session expires, as when a master
    crashes); agents re-register with the new leader after
    --reregister-delay, until then explicit reconciliation gets no answer.

Test control (HTTP on --control-port, on the --bind address): GET /state
(leader, masters, frameworks, removed ids, tasks, and every SUBSCRIBE and
TEARDOWN call in order, with the caller's address); POST /kill-leader,
/stall (the leader keeps the streams open but writes nothing, heartbeats
included), /unstall, /drop-streams, /fail-task?id=ID.

--bind ADDR (default 127.0.0.1): the IPv4 address every master and the
control port listen on, and that MasterInfo and 307 Locations name (a test
whose schedulers run in other network namespaces binds a bridge address).
"""

import argparse
import base64
import ctypes
import collections
import http.server
import json
import os
import queue
import socket
import struct
import random
import signal
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zkmini  # noqa: E402

LOCK = threading.RLock()
TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST",
            "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR"}
OPT = None
CLUSTER = None


def log(*a):
    if OPT.verbose:
        print("[emulator %.3f]" % time.monotonic(), *a, file=sys.stderr, flush=True)


def new_uuid_b64():
    return base64.b64encode(uuid.uuid4().bytes).decode()


class Stream:
    """One subscription connection: records queued for the HTTP thread."""

    def __init__(self, fw):
        self.fw = fw
        self.id = str(uuid.uuid4())
        self.q = queue.Queue()
        self.closed = False
        self.killed = False

    def send(self, ev):
        if not self.closed:
            self.q.put(json.dumps(ev).encode())

    def close(self, killed=False):
        if not self.closed:
            self.closed, self.killed = True, killed
            self.q.put(None)


class Task:
    def __init__(self, fid, agent, info):
        self.id = info["task_id"]["value"]
        self.fid, self.agent, self.info = fid, agent, info
        self.state = "TASK_STAGING"
        self.proc = None
        self.kill_requested = False
        self.updates = collections.deque()   # unacknowledged, head in flight
        self.retry_at = 0.0
        self.retry_interval = OPT.status_retry
        self.sent_head = None
        self.cpus, self.mem = resources_of(info)
        self.ip, self.network = docker_ip(info), network_name(info)
        self.launch_at = time.monotonic() + OPT.launch_delay


class Agent:
    def __init__(self, n, cpus, mem):
        self.id = "%s-S%d" % (CLUSTER_ID, n)
        self.hostname = "agent%d" % n
        self.cpus, self.mem = cpus, mem
        self.tasks = {}                     # task id -> Task
        self.registered_with = None         # master id
        self.reregister_at = 0.0


class Framework:
    def __init__(self, fid, info):
        self.id, self.info = fid, info
        self.stream = None
        self.disconnected_at = None
        self.suppressed = False
        self.filters = {}                   # agent id -> (until, cpus, mem)
        self.offers = {}                    # offer id -> (agent, cpus, mem)

    def capable(self, cap):
        return any(c.get("type") == cap for c in self.info.get("capabilities", []))


class Master:
    def __init__(self, n, port):
        self.n, self.port = n, port
        self.mid = str(uuid.uuid4())
        self.alive, self.stalled = True, False
        self.frameworks, self.removed = {}, set()
        self.offer_seq, self.fw_seq = 0, 0
        self.server = None
        self.zk = None
        self.znode = None

    def info(self):
        # MasterInfo.ip: the address's bytes in network order read as a
        # little-endian uint32 (127.0.0.1 -> 16777343), as Mesos fills it
        ip = struct.unpack("<I", socket.inet_aton(OPT.bind))[0]
        return {"id": self.mid, "ip": ip, "port": self.port, "pid": "master@%s:%d"
                % (OPT.bind, self.port), "hostname": OPT.bind, "version": "1.11.0-emulator",
                "address": {"hostname": OPT.bind, "ip": OPT.bind, "port": self.port}}


CLUSTER_ID = str(uuid.uuid4())


class Cluster:
    def __init__(self):
        self.masters = [Master(i, OPT.base_port + i) for i in range(OPT.masters)]
        self.agents = [Agent(i, OPT.agent_cpus, OPT.agent_mem) for i in range(OPT.agents)]
        self.leader = None
        self.observer = None
        self.subscribes = []                # {"from", "framework_id", "answer"} per SUBSCRIBE
        self.teardowns = []                 # {"from", "framework_id"} per TEARDOWN

    def set_leader(self, m):
        if m is self.leader:
            return
        log("leader:", m.port if m else None)
        self.leader = m
        if m is None:
            return
        delay = OPT.reregister_delay if any(a.registered_with for a in self.agents) else 0
        for a in self.agents:
            a.registered_with = None
            a.reregister_at = time.monotonic() + delay

    def agent(self, aid):
        return next((a for a in self.agents if a.id == aid), None)

    def live_tasks(self):
        for a in self.agents:
            for t in a.tasks.values():
                yield a, t


# ---- JSON helpers (protobuf JSON as stout writes it) ---------------------------------------

def scalar(res, name):
    return sum(float(r.get("scalar", {}).get("value", 0)) for r in res if r.get("name") == name)


def resources_of(info):
    res = info.get("resources", [])
    return scalar(res, "cpus"), scalar(res, "mem")


def docker_ip(info):
    for p in info.get("container", {}).get("docker", {}).get("parameters", []):
        if p.get("key") == "ip":
            return p.get("value")
    return None


def network_name(info):
    nis = info.get("container", {}).get("network_infos", [])
    return nis[0].get("name") if nis else None


def offer_json(m, fw, oid, agent, cpus, mem):
    res = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": round(cpus, 3)}, "role": "*"},
           {"name": "mem", "type": "SCALAR", "scalar": {"value": round(mem, 3)}, "role": "*"}]
    return {"id": {"value": oid}, "framework_id": {"value": fw.id},
            "agent_id": {"value": agent.id}, "hostname": agent.hostname, "resources": res}


def status_json(t, agent, state, source, reason=None, message="", uuid_b64=None):
    st = {"task_id": {"value": t.id}, "state": state, "source": source,
          "agent_id": {"value": agent.id}, "timestamp": time.time(), "message": message}
    if reason:
        st["reason"] = reason
    if uuid_b64:
        st["uuid"] = uuid_b64
    if state == "TASK_RUNNING" or (source == "SOURCE_MASTER" and t.state == "TASK_RUNNING"):
        ni = {"ip_addresses": [{"protocol": "IPv4", "ip_address": t.ip or "127.0.0.1"}]}
        if t.network:
            ni["name"] = t.network
        st["container_status"] = {"network_infos": [ni]}
    return st


# ---- agents: task processes and reliable status updates ------------------------------------

def agent_update(agent, t, state, reason=None, message=""):
    """An executor/agent update: new uuid, queued, retried until acked."""
    t.state = state
    t.updates.append(status_json(t, agent, state, "SOURCE_EXECUTOR", reason, message,
                                 new_uuid_b64()))
    if len(t.updates) == 1:
        t.retry_at = 0.0


def framework_reachable(fid):
    m = CLUSTER.leader
    fw = m.frameworks.get(fid) if m else None
    return m, fw if fw and fw.stream and not fw.stream.closed else None


def deliver_updates(now):
    for a, t in list(CLUSTER.live_tasks()):
        m, fw = framework_reachable(t.fid)
        if not t.updates or fw is None or a.registered_with != m.mid or m.stalled:
            continue
        if now >= t.retry_at:
            head = t.updates[0]
            if t.sent_head is head:
                t.retry_interval = min(t.retry_interval * 2, OPT.status_retry_max)
            t.sent_head = head
            t.retry_at = now + t.retry_interval
            fw.stream.send({"type": "UPDATE", "update": {"status": head}})


def ack(fw, aid, tid, uid):
    a = CLUSTER.agent(aid)
    if a is None or a.registered_with != CLUSTER.leader.mid:
        return  # dropped: the agent resends later
    t = a.tasks.get(tid)
    if t is None or t.fid != fw.id or not t.updates or t.updates[0].get("uuid") != uid:
        return
    head = t.updates.popleft()
    t.sent_head, t.retry_interval, t.retry_at = None, OPT.status_retry, 0.0
    if head["state"] in TERMINAL and not t.updates:
        del a.tasks[tid]  # terminal acked: the master forgets it


def start_process(a, t):
    live_ip = [x for _, x in CLUSTER.live_tasks() if x is not t and x.ip and x.ip == t.ip and
               x.network == t.network and x.state not in TERMINAL and x.state != "TASK_STAGING"]
    if live_ip:
        agent_update(a, t, "TASK_FAILED", "REASON_CONTAINER_LAUNCH_FAILED",
                     "docker: Error response from daemon: Address already in use (%s)" % t.ip)
        return
    t.proc = subprocess.Popen(["sleep", "1000000"], start_new_session=True,
                              preexec_fn=die_with_emulator)
    agent_update(a, t, "TASK_STARTING")
    agent_update(a, t, "TASK_RUNNING")


def run_agents(now):
    for a, t in list(CLUSTER.live_tasks()):
        if t.state == "TASK_STAGING" and now >= t.launch_at and a.registered_with:
            start_process(a, t)
        elif t.proc is not None and t.proc.poll() is not None:
            code = t.proc.returncode
            t.proc = None
            if t.kill_requested:
                agent_update(a, t, "TASK_KILLED", None, "killed")
            else:
                agent_update(a, t, "TASK_FAILED", "REASON_COMMAND_EXECUTOR_FAILED",
                             "Container exited with status %d" % code)


def die_with_emulator():
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: no orphans


def kill_process(t, sig=signal.SIGTERM):
    if t.proc is not None and t.proc.poll() is None:
        t.proc.send_signal(sig)


# ---- masters: offers, failover timers, heartbeats -------------------------------------------

def free_resources(agent, m):
    cpus = agent.cpus - sum(t.cpus for t in agent.tasks.values() if t.state not in TERMINAL)
    mem = agent.mem - sum(t.mem for t in agent.tasks.values() if t.state not in TERMINAL)
    for fw in m.frameworks.values():
        for (ag, c, mm) in fw.offers.values():
            if ag is agent:
                cpus, mem = cpus - c, mem - mm
    return cpus, mem


def allocate(m, now):
    for fw in list(m.frameworks.values()):
        if fw.stream is None or fw.stream.closed or fw.suppressed:
            continue
        for a in CLUSTER.agents:
            if a.registered_with != m.mid:
                continue
            cpus, mem = free_resources(a, m)
            if cpus < 0.01 or mem < 1:
                continue
            until, fc, fmem = fw.filters.get(a.id, (0, 0, 0))
            if now < until and cpus <= fc + 1e-6 and mem <= fmem + 1e-6:
                continue
            m.offer_seq += 1
            oid = "%s-O%d" % (m.mid, m.offer_seq)
            fw.offers[oid] = (a, cpus, mem)
            fw.stream.send({"type": "OFFERS", "offers": {"offers": [
                offer_json(m, fw, oid, a, cpus, mem)]}})


def disconnect(m, fw):
    if fw.stream is not None:
        fw.stream.close()
    fw.stream = None
    fw.offers.clear()
    fw.disconnected_at = time.monotonic()


def remove_framework(m, fw, why):
    log("remove framework", fw.id, why)
    disconnect(m, fw)
    m.frameworks.pop(fw.id, None)
    m.removed.add(fw.id)
    for a, t in list(CLUSTER.live_tasks()):
        if t.fid == fw.id:
            t.kill_requested = True
            kill_process(t, signal.SIGKILL)
            del a.tasks[t.id]  # shut down without updates


def ticker():
    last_alloc = last_hb = 0.0
    while True:
        time.sleep(0.02)
        now = time.monotonic()
        with LOCK:
            m = CLUSTER.leader
            for a in CLUSTER.agents:
                if m and a.registered_with is None and now >= a.reregister_at:
                    a.registered_with = m.mid
            run_agents(now)
            if m is None or not m.alive:
                continue
            for fw in list(m.frameworks.values()):
                if fw.stream is None and fw.disconnected_at is not None and \
                        now - fw.disconnected_at > float(fw.info.get("failover_timeout", 0)):
                    remove_framework(m, fw, "failover timeout")
            if m.stalled:
                continue
            deliver_updates(now)
            if now - last_alloc >= OPT.allocation_interval:
                last_alloc = now
                allocate(m, now)
            if now - last_hb >= OPT.heartbeat:
                last_hb = now
                for fw in m.frameworks.values():
                    if fw.stream and not fw.stream.closed:
                        fw.stream.send({"type": "HEARTBEAT"})


# ---- calls ----------------------------------------------------------------------------------

class CallError(Exception):
    def __init__(self, code, msg):
        super().__init__(msg)
        self.code, self.msg = code, msg


def master_update(fw, t_id, aid, state, reason, message):
    st = {"task_id": {"value": t_id}, "state": state, "source": "SOURCE_MASTER",
          "reason": reason, "message": message, "timestamp": time.time()}
    if aid:
        st["agent_id"] = {"value": aid}
    fw.stream.send({"type": "UPDATE", "update": {"status": st}})


def validate_task(fw, info, agent, cpus_left, mem_left):
    tid = info.get("task_id", {}).get("value", "")
    if not tid or tid in (".", "..") or "/" in tid:
        return "Task ID '%s' is invalid" % tid
    if any(t.id == tid and t.fid == fw.id for _, t in CLUSTER.live_tasks()):
        return "Task has duplicate ID: " + tid
    if info.get("agent_id", {}).get("value") != agent.id:
        return "Task uses invalid agent"
    if ("command" in info) == ("executor" in info):
        return "Task should have at least one (but not both) of CommandInfo or ExecutorInfo"
    ct = info.get("container")
    if ct and ct.get("type") == "DOCKER" and "docker" not in ct:
        return "DockerInfo 'docker' is not set for DOCKER typed ContainerInfo"
    if ct and any(p.get("key") == "name" for p in ct.get("docker", {}).get("parameters", [])):
        return "Parameter in DockerInfo must not be 'name'"
    cpus, mem = resources_of(info)
    if cpus <= 0 and mem <= 0:
        return "Task uses no resources"
    if cpus > cpus_left + 1e-6 or mem > mem_left + 1e-6:
        return "Task uses more resources than available in the offer"
    return None


def refuse_filter(call):
    f = call.get("filters")
    r = float(f.get("refuse_seconds", 5.0)) if f else 5.0
    return 5.0 if r < 0 else min(r, 365 * 86400.0)


def do_accept(m, fw, body):
    acc = body.get("accept") or {}
    oids = [o.get("value") for o in acc.get("offer_ids", [])]
    offers = [fw.offers.get(o) for o in oids]
    tasks = [ti for op in acc.get("operations", []) if op.get("type") == "LAUNCH"
             for ti in op.get("launch", {}).get("task_infos", [])]
    agents = {o[0].id for o in offers if o}
    for o in oids:
        fw.offers.pop(o, None)
    if not oids or None in offers or len(agents) != 1 or len(set(oids)) != len(oids):
        state = "TASK_DROPPED" if fw.capable("PARTITION_AWARE") else "TASK_LOST"
        for ti in tasks:
            master_update(fw, ti["task_id"]["value"], None, state, "REASON_INVALID_OFFERS",
                          "Task launched with invalid offers")
        return
    agent = offers[0][0]
    cpus = sum(o[1] for o in offers)
    mem = sum(o[2] for o in offers)
    for ti in tasks:
        err = validate_task(fw, ti, agent, cpus, mem)
        if err:
            master_update(fw, ti.get("task_id", {}).get("value", ""), agent.id, "TASK_ERROR",
                          "REASON_TASK_INVALID", err)
            continue
        t = Task(fw.id, agent, ti)
        cpus, mem = cpus - t.cpus, mem - t.mem
        agent.tasks[t.id] = t
        log("launch", t.id, "on", agent.id, "ip", t.ip)
    r = refuse_filter(acc)
    if r > 0 and (cpus > 0.01 or mem > 1):
        fw.filters[agent.id] = (time.monotonic() + r, cpus, mem)


def do_decline(fw, body):
    d = body.get("decline") or {}
    r = refuse_filter(d)
    for o in d.get("offer_ids", []):
        off = fw.offers.pop(o.get("value"), None)
        if off and r > 0:
            fw.filters[off[0].id] = (time.monotonic() + r, off[1], off[2])


def do_kill(m, fw, body):
    k = body.get("kill") or {}
    tid = k.get("task_id", {}).get("value")
    for a, t in CLUSTER.live_tasks():
        if t.id == tid and t.fid == fw.id and a.registered_with == m.mid:
            t.kill_requested = True
            if t.state == "TASK_STAGING":
                agent_update(a, t, "TASK_KILLED", "REASON_TASK_KILLED_DURING_LAUNCH")
            else:
                kill_process(t)
            return
    reconcile_one(m, fw, tid, k.get("agent_id", {}).get("value"))


def reconcile_one(m, fw, tid, aid):
    """Master::reconcile for one task (mesos-v1-notes.md section 2.8)."""
    pa = fw.capable("PARTITION_AWARE")
    for a, t in CLUSTER.live_tasks():
        if t.id == tid and t.fid == fw.id and a.registered_with == m.mid:
            st = status_json(t, a, t.state, "SOURCE_MASTER", "REASON_RECONCILIATION",
                             "Reconciliation: Latest task state")
            fw.stream.send({"type": "UPDATE", "update": {"status": st}})
            return
    if aid:
        a = CLUSTER.agent(aid)
        if a is not None and a.registered_with is None:
            return  # recovered agent not yet re-registered: no reply
        state = ("TASK_GONE" if a else "TASK_UNKNOWN") if pa else "TASK_LOST"
    else:
        if any(a.registered_with is None for a in CLUSTER.agents):
            return
        state = "TASK_UNKNOWN" if pa else "TASK_LOST"
    master_update(fw, tid, aid, state, "REASON_RECONCILIATION",
                  "Reconciliation: Task is unknown")


def do_reconcile(m, fw, body):
    tasks = (body.get("reconcile") or {}).get("tasks") or []
    if tasks:
        for t in tasks:
            reconcile_one(m, fw, t.get("task_id", {}).get("value"),
                          t.get("agent_id", {}).get("value"))
        return
    for a, t in CLUSTER.live_tasks():
        if t.fid == fw.id and a.registered_with == m.mid:
            st = status_json(t, a, t.state, "SOURCE_MASTER", "REASON_RECONCILIATION",
                             "Reconciliation: Latest task state")
            fw.stream.send({"type": "UPDATE", "update": {"status": st}})


def check_ack(body):
    a = body.get("acknowledge") or {}
    try:
        raw = base64.b64decode(a.get("uuid", ""), validate=True)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 16:
        raise CallError(400, "Failed to validate scheduler::Call: Not a valid UUID")
    return a["agent_id"]["value"], a["task_id"]["value"], a["uuid"]


def call_fid(body):
    """A call's framework_id.value, or None."""
    return (body.get("framework_id") or {}).get("value")


def handle_call(m, body, stream_id):
    """Every call but SUBSCRIBE; raises CallError for a non-202 answer."""
    fid = call_fid(body)
    typ = body.get("type")
    if not typ:
        raise CallError(400, "Failed to validate scheduler::Call: Expecting 'type' to be present")
    if not fid:
        raise CallError(400, "Failed to validate scheduler::Call: Expecting 'framework_id'")
    fw = m.frameworks.get(fid)
    if fw is None:
        raise CallError(400, "Framework cannot be found")
    if fw.stream is None or fw.stream.closed:
        raise CallError(403, "Framework is not subscribed")
    if stream_id != fw.stream.id:
        raise CallError(400, "The stream ID '%s' included in this request didn't match the stream "
                        "ID currently associated with framework ID %s" % (stream_id, fid))
    if typ == "ACCEPT":
        do_accept(m, fw, body)
    elif typ == "DECLINE":
        do_decline(fw, body)
    elif typ == "REVIVE":
        fw.suppressed = False
        fw.filters.clear()
    elif typ == "SUPPRESS":
        fw.suppressed = True
    elif typ == "KILL":
        do_kill(m, fw, body)
    elif typ == "ACKNOWLEDGE":
        ack(fw, *check_ack(body))
    elif typ == "RECONCILE":
        do_reconcile(m, fw, body)
    elif typ == "TEARDOWN":
        remove_framework(m, fw, "teardown")
    elif typ == "UNKNOWN":
        raise CallError(501, "Received an unexpected UNKNOWN call")


def subscribe(m, body):
    """Returns (stream, error message) for a SUBSCRIBE call."""
    sub = body.get("subscribe") or {}
    info = sub.get("framework_info")
    if not isinstance(info, dict) or "user" not in info or "name" not in info:
        raise CallError(400, "Failed to validate scheduler::Call: Expecting 'subscribe' "
                        "with framework_info (user, name)")
    top = call_fid(body)
    inner = (info.get("id") or {}).get("value")
    if top != inner:
        raise CallError(400, "'framework_id' differs from 'subscribe.framework_info.id'")
    if inner in m.removed:
        return None, "Framework has been removed"
    fw = m.frameworks.get(inner) if inner else None
    if fw is None:
        if not inner:
            m.fw_seq += 1
            inner = "%s-%04d" % (m.mid, m.fw_seq - 1)
        fw = m.frameworks[inner] = Framework(inner, info)
    fw.info = dict(info, id={"value": inner})
    if fw.stream is not None and not fw.stream.closed:
        fw.stream.send({"type": "ERROR", "error": {"message": "Framework failed over"}})
        fw.stream.close()
    fw.offers.clear()
    fw.stream = Stream(fw)
    fw.disconnected_at = None
    fw.suppressed = False
    for r in sub.get("suppressed_roles") or []:
        fw.suppressed = fw.suppressed or r in (info.get("roles") or [info.get("role", "*")])
    fw.stream.send({"type": "SUBSCRIBED", "subscribed": {
        "framework_id": {"value": fw.id}, "heartbeat_interval_seconds": float(OPT.heartbeat),
        "master_info": m.info()}})
    fw.stream.send({"type": "HEARTBEAT"})
    for _, t in CLUSTER.live_tasks():
        if t.fid == fw.id and t.updates:
            t.retry_at, t.sent_head = 0.0, None  # re-deliver pending updates promptly
    return fw.stream, None


# ---- HTTP -------------------------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    master = None

    def log_message(self, fmt, *args):
        if OPT.verbose > 1:
            log("http", self.server.server_address[1], fmt % args)

    def reply(self, code, text="", headers=()):
        body = text.encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if body:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)

    def to_leader(self, lead, path="/api/v1/scheduler"):
        """307 to the leading master lead (path appended to its address)."""
        return self.reply(307, "", [("Location", "//%s:%d%s" % (OPT.bind, lead.port, path))])

    def do_GET(self):
        m = self.server.master
        if self.path.rstrip("/") in ("/master/redirect", "/redirect"):
            with LOCK:
                lead = CLUSTER.leader
            if lead is None:
                return self.reply(503, "No leader elected")
            return self.to_leader(lead, "")
        if self.path.startswith("/api/v1/scheduler") or \
                self.path.startswith("/master/api/v1/scheduler"):
            return self.reply(405, "Expecting a 'POST' request, received '%s'" % self.command)
        self.reply(404 if m.alive else 503, "Not found")

    def read_body(self):
        n = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(n) if n > 0 else b""

    def do_POST(self):
        m = self.server.master
        raw = self.read_body()
        if self.path not in ("/api/v1/scheduler", "/master/api/v1/scheduler"):
            return self.reply(404, "Not found")
        with LOCK:
            lead = CLUSTER.leader
        if lead is None:
            return self.reply(503, "No leader elected")
        if lead is not m:
            return self.to_leader(lead)
        ctype = self.headers.get("Content-Type")
        if ctype is None:
            return self.reply(400, "Expecting 'Content-Type' to be present")
        if ctype not in ("application/json", "application/x-protobuf"):
            return self.reply(415, "Expecting 'Content-Type' of application/json or "
                                   "application/x-protobuf")
        if ctype != "application/json":
            return self.reply(415, "This emulator speaks JSON only")
        try:
            body = json.loads(raw.decode() or "null")
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError as e:
            return self.reply(400, "Failed to parse body into JSON: %s" % e)
        if body.get("type") == "SUBSCRIBE":
            return self.do_subscribe(m, body)
        sid = self.headers.get("Mesos-Stream-Id")
        if sid is None:
            return self.reply(400, "All non-subscribe calls should include the 'Mesos-Stream-Id' "
                                   "header")
        try:
            with LOCK:
                if CLUSTER.leader is not m:
                    raise CallError(307, "")
                handle_call(m, body, sid)
                if body.get("type") == "TEARDOWN":
                    CLUSTER.teardowns.append({"from": self.client_address[0],
                                              "framework_id": call_fid(body)})
        except CallError as e:
            if e.code == 307:
                return self.to_leader(CLUSTER.leader)
            return self.reply(e.code, e.msg)
        self.reply(202)

    def do_subscribe(self, m, body):
        if "Mesos-Stream-Id" in self.headers:
            return self.reply(400, "Subscribe calls should not include the 'Mesos-Stream-Id' "
                                   "header")
        accept = self.headers.get("Accept", "*/*")
        if not any(a.strip().split(";")[0] in ("application/json", "*/*", "application/*")
                   for a in accept.split(",")):
            return self.reply(406, "Expecting 'Accept' to allow application/json")
        try:
            with LOCK:
                stream, err = subscribe(m, body)
                CLUSTER.subscribes.append({
                    "from": self.client_address[0],
                    "framework_id": call_fid(body),
                    "answer": stream.fw.id if stream is not None else err})
        except CallError as e:
            return self.reply(e.code, e.msg)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        if stream is not None:
            self.send_header("Mesos-Stream-Id", stream.id)
        self.end_headers()
        if stream is None:
            self.write_record(json.dumps({"type": "ERROR", "error": {"message": err}}).encode())
            self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True
            return
        log("subscribed", stream.fw.id, "stream", stream.id)
        self.pump(m, stream)

    def write_record(self, rec):
        data = b"%d\n" % len(rec) + rec
        pieces = [data]
        if OPT.rechunk:  # split records across chunks to exercise the client's parser
            cut = random.randint(0, len(data))
            pieces = [p for p in (data[:cut], data[cut:]) if p]
        for p in pieces:
            self.wfile.write(b"%x\r\n" % len(p) + p + b"\r\n")
        self.wfile.flush()

    def pump(self, m, stream):
        try:
            while True:
                try:
                    rec = stream.q.get(timeout=0.5)
                except queue.Empty:
                    if not m.alive:
                        stream.killed = True
                        break
                    continue
                if rec is None:
                    break
                self.write_record(rec)
            if not stream.killed:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        finally:
            self.close_connection = True
            with LOCK:
                fw = stream.fw
                if fw.stream is stream and m.frameworks.get(fw.id) is fw:
                    log("stream of", fw.id, "ended: framework disconnected")
                    disconnect(m, fw)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, OSError)):
            super().handle_error(request, client_address)


class Control(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with LOCK:
            self.answer(state())

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0") or "0")
        if n:
            self.rfile.read(n)
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        with LOCK:
            lead = CLUSTER.leader
            if url.path == "/kill-leader" and lead is not None:
                kill_master(lead)
            elif url.path == "/stall" and lead is not None:
                lead.stalled = True
            elif url.path == "/unstall" and lead is not None:
                lead.stalled = False
            elif url.path == "/drop-streams" and lead is not None:
                for fw in list(lead.frameworks.values()):
                    if fw.stream:
                        fw.stream.close(killed=True)
            elif url.path == "/fail-task":
                for _, t in CLUSTER.live_tasks():
                    if t.id == q.get("id"):
                        kill_process(t, signal.SIGKILL)
            self.answer(state())


def state():
    lead = CLUSTER.leader
    tasks = [{"id": t.id, "framework_id": t.fid, "agent_id": a.id, "state": t.state,
              "ip": t.ip, "unacked": len(t.updates), "pid": t.proc.pid if t.proc else None}
             for a, t in CLUSTER.live_tasks()]
    fws = [{"id": fw.id, "connected": bool(fw.stream and not fw.stream.closed),
            "suppressed": fw.suppressed, "offers": len(fw.offers),
            "filters": len(fw.filters)} for fw in (lead.frameworks.values() if lead else [])]
    return {"leader": lead.port if lead else None, "masters": [
        {"port": m.port, "alive": m.alive, "id": m.mid} for m in CLUSTER.masters],
        "frameworks": fws, "removed": sorted(lead.removed) if lead else [], "tasks": tasks,
        "subscribes": CLUSTER.subscribes, "teardowns": CLUSTER.teardowns}


def kill_master(m):
    """A crash: listener closed, streams cut, ZooKeeper connection dropped."""
    log("killing master", m.port)
    m.alive = False
    for fw in m.frameworks.values():
        if fw.stream:
            fw.stream.close(killed=True)
    threading.Thread(target=lambda: (m.server.shutdown(), m.server.server_close()),
                     daemon=True).start()
    if m.zk is not None:
        m.zk.drop()
    else:
        alive = [x for x in CLUSTER.masters if x.alive]
        CLUSTER.set_leader(alive[0] if alive else None)
    if CLUSTER.leader is m:
        CLUSTER.leader = None


# ---- leader election in ZooKeeper -------------------------------------------------------------

def zk_parse(spec):
    hosts, _, path = spec.partition("/")
    return hosts, "/" + path.strip("/")


def zk_publish(m, hosts, path):
    m.zk = zkmini.Session(hosts, OPT.zk_session_ms)
    m.zk.ensure_path(path)
    m.znode = m.zk.create(path + "/json.info_", json.dumps(m.info()).encode(),
                          zkmini.EPHEMERAL | zkmini.SEQUENCE).rsplit("/", 1)[1]
    log("master", m.port, "published", m.znode)


def zk_observe(hosts, path):
    """Leadership as Mesos reads it: the lowest json.info_ sequence leads."""
    obs = zkmini.Session(hosts, OPT.zk_session_ms)
    while True:
        kids = sorted(k for k in obs.children(path) if k.startswith("json.info_"))
        with LOCK:
            lead = next((m for m in CLUSTER.masters if kids and m.znode == kids[0] and m.alive),
                        None)
            if lead is not CLUSTER.leader:
                CLUSTER.set_leader(lead)
        time.sleep(0.05)


def main():
    global OPT, CLUSTER
    ap = argparse.ArgumentParser(description="Mesos master emulator (tests only)")
    ap.add_argument("--masters", type=int, default=3)
    ap.add_argument("--base-port", type=int, required=True)
    ap.add_argument("--control-port", type=int, required=True)
    ap.add_argument("--agents", type=int, default=3)
    ap.add_argument("--agent-cpus", type=float, default=1.0)
    ap.add_argument("--agent-mem", type=float, default=1024.0)
    ap.add_argument("--zk", help="h:p,h:p/path: publish leadership in ZooKeeper")
    ap.add_argument("--zk-session-ms", type=int, default=2000)
    ap.add_argument("--heartbeat", type=float, default=15.0)
    ap.add_argument("--allocation-interval", type=float, default=1.0)
    ap.add_argument("--status-retry", type=float, default=10.0)
    ap.add_argument("--status-retry-max", type=float, default=600.0)
    ap.add_argument("--reregister-delay", type=float, default=0.5)
    ap.add_argument("--launch-delay", type=float, default=0.05)
    ap.add_argument("--rechunk", action="store_true")
    ap.add_argument("--ready-file")
    ap.add_argument("--bind", default="127.0.0.1",
                    help="IPv4 address to listen on and to name in MasterInfo and redirects")
    ap.add_argument("-v", "--verbose", action="count", default=0)
    OPT = ap.parse_args()
    CLUSTER = Cluster()
    for m in CLUSTER.masters:
        m.server = Server((OPT.bind, m.port), Handler)
        m.server.master = m
        threading.Thread(target=m.server.serve_forever, daemon=True).start()
    if OPT.zk:
        hosts, path = zk_parse(OPT.zk)
        for m in CLUSTER.masters:
            zk_publish(m, hosts, path)
        threading.Thread(target=zk_observe, args=(hosts, path), daemon=True).start()
    else:
        CLUSTER.set_leader(CLUSTER.masters[0])
    ctl = Server((OPT.bind, OPT.control_port), Control)
    threading.Thread(target=ticker, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if OPT.ready_file:
        with open(OPT.ready_file + ".tmp", "w") as f:
            f.write("ready\n")
        os.rename(OPT.ready_file + ".tmp", OPT.ready_file)
    try:
        ctl.serve_forever()
    finally:
        with LOCK:
            for _, t in CLUSTER.live_tasks():
                kill_process(t, signal.SIGKILL)


if __name__ == "__main__":
    main()
