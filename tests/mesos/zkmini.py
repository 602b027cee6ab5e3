"""zkmini.py: the few ZooKeeper client operations the Mesos master emulator
needs, spoken over ZooKeeper's own wire protocol (jute framing, Python 3
standard library only): connect a session, create (ephemeral, sequential),
get children, get data, ping, and close -- or drop the TCP connection without
closing, which is what a crashed Mesos master does: the server then expires
the session and removes its ephemeral znodes after the session timeout.

Wire format (ZooKeeper's jute records, big-endian): every frame is an int32
length then the record. Requests: int32 xid, int32 type, body. Replies:
int32 xid, int64 zxid, int32 err, body. Strings and buffers are an int32
length then the bytes (-1 = null). Pings use xid -2, watch events xid -1.
"""

import socket
import struct
import threading
import time

CREATE, GET_DATA, GET_CHILDREN, PING, CLOSE = 1, 4, 8, 11, -11
EPHEMERAL, SEQUENCE = 1, 2
NODE_EXISTS = -110
OPEN_ACL_UNSAFE = [(31, "world", "anyone")]


class ZKError(Exception):
    def __init__(self, code, what):
        super().__init__("%s: zookeeper error %d" % (what, code))
        self.code = code


def _ustr(s):
    b = s.encode()
    return struct.pack(">i", len(b)) + b


def _buf(b):
    if b is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(b)) + b


class Reader:
    def __init__(self, data):
        self.d, self.o = data, 0

    def i32(self):
        v = struct.unpack_from(">i", self.d, self.o)[0]
        self.o += 4
        return v

    def i64(self):
        v = struct.unpack_from(">q", self.d, self.o)[0]
        self.o += 8
        return v

    def buf(self):
        n = self.i32()
        if n < 0:
            return None
        v = self.d[self.o:self.o + n]
        self.o += n
        return v

    def ustr(self):
        b = self.buf()
        return None if b is None else b.decode()


class Session:
    """One ZooKeeper session on one TCP connection (hosts: "h:p,h:p")."""

    def __init__(self, hosts, timeout_ms=2000):
        self.lock = threading.Lock()
        self.xid = 0
        self.sock = None
        last = None
        for hp in hosts.split(","):
            host, port = hp.rsplit(":", 1)
            try:
                self.sock = socket.create_connection((host, int(port)), timeout=5)
                break
            except OSError as e:
                last = e
        if self.sock is None:
            raise last
        req = struct.pack(">iqiq", 0, 0, timeout_ms, 0) + _buf(b"\0" * 16) + b"\0"
        self._send(req)
        r = Reader(self._recv())
        r.i32()
        self.timeout_ms = r.i32()
        self.session_id = r.i64()
        self.closed = False
        self.pinger = threading.Thread(target=self._ping_loop, daemon=True)
        self.pinger.start()

    def _send(self, rec):
        self.sock.sendall(struct.pack(">i", len(rec)) + rec)

    def _recvn(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("zookeeper closed the connection")
            out += chunk
        return out

    def _recv(self):
        n = struct.unpack(">i", self._recvn(4))[0]
        return self._recvn(n)

    def _call(self, typ, body, what):
        with self.lock:
            if self.closed:
                raise ConnectionError("session closed")
            self.xid += 1
            xid = self.xid
            self._send(struct.pack(">ii", xid, typ) + body)
            while True:
                r = Reader(self._recv())
                rxid, _zxid, err = r.i32(), r.i64(), r.i32()
                if rxid == xid:
                    if err != 0:
                        raise ZKError(err, what)
                    return r
                # pings (-2) and watch events (-1) are skipped

    def _ping_loop(self):
        while True:
            time.sleep(self.timeout_ms / 3000.0)
            with self.lock:
                if self.closed:
                    return
                try:
                    self._send(struct.pack(">ii", -2, PING))
                    r = Reader(self._recv())
                    while r.i32() != -2:
                        r = Reader(self._recv())
                except OSError:
                    self.closed = True
                    return

    def create(self, path, data=b"", flags=0):
        body = _ustr(path) + _buf(data) + struct.pack(">i", len(OPEN_ACL_UNSAFE))
        for perms, scheme, ident in OPEN_ACL_UNSAFE:
            body += struct.pack(">i", perms) + _ustr(scheme) + _ustr(ident)
        body += struct.pack(">i", flags)
        return self._call(CREATE, body, "create " + path).ustr()

    def ensure_path(self, path):
        cur = ""
        for part in [p for p in path.split("/") if p]:
            cur += "/" + part
            try:
                self.create(cur)
            except ZKError as e:
                if e.code != NODE_EXISTS:
                    raise

    def children(self, path):
        r = self._call(GET_CHILDREN, _ustr(path) + b"\0", "children " + path)
        return [r.ustr() for _ in range(r.i32())]

    def get(self, path):
        return self._call(GET_DATA, _ustr(path) + b"\0", "get " + path).buf()

    def close(self):
        """A clean close: the server deletes the ephemeral znodes at once."""
        with self.lock:
            if self.closed:
                return
            try:
                self.xid += 1
                self._send(struct.pack(">ii", self.xid, CLOSE))
            except OSError:
                pass
            self.closed = True
            self.sock.close()

    def drop(self):
        """A crash: the TCP connection just goes; the session expires later."""
        with self.lock:
            self.closed = True
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
