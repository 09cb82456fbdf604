#!/usr/bin/python3
"""Conformance checks for a halhub server, written from the protocol specification.

Usage: conformance.py PATH/TO/halhub

The script starts the server itself (twice, with different configurations), talks to it
over a small RFC 6455 client of its own, prints one PASS/FAIL line per check and ends
with "N passed, M failed". The exit code is non-zero when a check failed.
"""

import base64
import hashlib
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zlib

import msgpack

# ---------------------------------------------------------------------------
# Results

_results_lock = threading.Lock()
_passed = 0
_failed = 0


def report(name, ok, detail=""):
    global _passed, _failed
    with _results_lock:
        if ok:
            _passed += 1
            print(f"PASS {name}", flush=True)
        else:
            _failed += 1
            print(f"FAIL {name}: {detail}", flush=True)
    return ok


def check(name, ok, detail=""):
    return report(name, bool(ok), detail)


def check_eq(name, got, want):
    return report(name, got == want, f"got {short(got)}, expected {short(want)}")


def short(value, limit=600):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def run(name, fn, *args):
    """Runs one group of checks; an exception (timeout, unexpected close) fails the group."""
    try:
        fn(*args)
    except Exception as exc:  # noqa: BLE001 - every failure must become a FAIL line
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" (line {tb[-1].lineno})" if tb else ""
        report(name, False, f"{type(exc).__name__}: {short(str(exc))}{where}")


# ---------------------------------------------------------------------------
# RFC 6455 client

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class HandshakeRefused(Exception):
    def __init__(self, status, head):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.head = head


class Closed(Exception):
    """The peer closed the WebSocket (code None: the TCP connection ended without a close frame)."""

    def __init__(self, code, reason=""):
        super().__init__(f"closed with {code} {reason!r}")
        self.code = code
        self.reason = reason


def mask_bytes(data, key):
    if not data:
        return b""
    n = len(data)
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


class WebSocket:
    def __init__(self, host, port, path="/ws/hardware", headers=None, timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = bytearray()
        self.auto_pong = True
        self.pings_received = 0
        self.pongs = []
        self.close_code = None
        self.close_sent = False
        self.protocol_errors = []
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            self._fill(deadline)
        end = self.buf.index(b"\r\n\r\n") + 4
        head = bytes(self.buf[:end]).decode("latin-1")
        del self.buf[:end]
        status_line = head.split("\r\n", 1)[0]
        match = re.match(r"HTTP/1\.1 (\d{3})", status_line)
        status = int(match.group(1)) if match else 0
        if status != 101:
            self.sock.close()
            raise HandshakeRefused(status, head)
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        fields = {}
        for line in head.split("\r\n")[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                fields[k.strip().lower()] = v.strip()
        if fields.get("sec-websocket-accept") != accept:
            self.protocol_errors.append("bad Sec-WebSocket-Accept")

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no data from server in time")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(262144)
        except socket.timeout:
            raise TimeoutError("no data from server in time") from None
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            raise Closed(None, "connection ended without close frame")
        self.buf += data

    def send_frame(self, opcode, payload=b"", fin=True, rsv=0):
        header = bytearray([(0x80 if fin else 0) | rsv | opcode])
        n = len(payload)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header.append(0x80 | 126)
            header += struct.pack(">H", n)
        else:
            header.append(0x80 | 127)
            header += struct.pack(">Q", n)
        key = os.urandom(4)
        self.sock.sendall(bytes(header) + key + mask_bytes(payload, key))

    def send_text(self, data):
        self.send_frame(OP_TEXT, data.encode() if isinstance(data, str) else data)

    def send_binary(self, data):
        self.send_frame(OP_BINARY, data)

    def send_close(self, code=1000, reason=b""):
        self.close_sent = True
        self.send_frame(OP_CLOSE, struct.pack(">H", code) + reason)

    def _parse(self):
        b = self.buf
        if len(b) < 2:
            return None
        fin, rsv, op = b[0] & 0x80, b[0] & 0x70, b[0] & 0x0F
        masked, n, i = b[1] & 0x80, b[1] & 0x7F, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, i = struct.unpack(">H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, i = struct.unpack(">Q", b[2:10])[0], 10
        key = None
        if masked:
            if len(b) < i + 4:
                return None
            key, i = bytes(b[i:i + 4]), i + 4
        if len(b) < i + n:
            return None
        payload = bytes(b[i:i + n])
        del b[:i + n]
        if masked:
            self.protocol_errors.append("server frame is masked")
            payload = mask_bytes(payload, key)
        if rsv:
            self.protocol_errors.append("server frame has RSV bits")
        return bool(fin), op, payload

    def recv_frame(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            frame = self._parse()
            if frame is not None:
                return frame
            self._fill(deadline)

    def recv_message(self, timeout):
        """Returns (opcode, payload) of the next data message; answers pings on the way."""
        deadline = time.monotonic() + timeout
        parts, first_op = [], None
        while True:
            fin, op, payload = self.recv_frame(max(0.0, deadline - time.monotonic()) or 0.001)
            if op == OP_PING:
                self.pings_received += 1
                if self.auto_pong:
                    self.send_frame(OP_PONG, payload)
                continue
            if op == OP_PONG:
                self.pongs.append(payload)
                continue
            if op == OP_CLOSE:
                code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                reason = payload[2:].decode("utf-8", "replace")
                self.close_code = code
                if not self.close_sent:
                    try:
                        self.send_close(code if code and code < 5000 else 1000)
                    except OSError:
                        pass
                raise Closed(code, reason)
            if op in (OP_TEXT, OP_BINARY):
                first_op, parts = op, [payload]
            elif op == OP_CONT:
                parts.append(payload)
            else:
                self.protocol_errors.append(f"unknown opcode {op}")
                continue
            if fin:
                return first_op, b"".join(parts)

    def close(self, code=1000, timeout=2.0):
        """Clean close: sends a close frame and waits for the server's."""
        try:
            if not self.close_sent:
                self.send_close(code)
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                self.recv_message(end - time.monotonic())
        except (Closed, TimeoutError, OSError):
            pass
        finally:
            self.sock.close()


# ---------------------------------------------------------------------------
# Protocol client

def encode(msg, form):
    if form == "json":
        return OP_TEXT, json.dumps(msg).encode()
    if form == "msgpack":
        return OP_BINARY, b"\x00" + msgpack.packb(msg, use_bin_type=True)
    if form == "zmsgpack":
        return OP_BINARY, b"\x01" + zlib.compress(msgpack.packb(msg, use_bin_type=True))
    if form == "zjson":
        return OP_BINARY, b"\x02" + zlib.compress(json.dumps(msg).encode())
    raise ValueError(form)


class Msg:
    """One decoded server message with the wire form it came in."""

    def __init__(self, data, form, size):
        self.data = data
        self.form = form   # "json" (text), "msgpack" (0x00), "zmsgpack" (0x01), "zjson" (0x02)
        self.size = size   # JSON text or MessagePack bytes, without header, inflated


def decode(op, payload):
    if op == OP_TEXT:
        return Msg(json.loads(payload.decode("utf-8")), "json", len(payload))
    if not payload:
        raise ValueError("empty binary frame from server")
    head, body = payload[0], payload[1:]
    if head == 0x00:
        return Msg(msgpack.unpackb(body, raw=False, strict_map_key=False), "msgpack", len(body))
    if head == 0x01:
        inner = zlib.decompress(body)
        return Msg(msgpack.unpackb(inner, raw=False, strict_map_key=False), "zmsgpack", len(inner))
    if head == 0x02:
        inner = zlib.decompress(body)
        return Msg(json.loads(inner.decode("utf-8")), "zjson", len(inner))
    raise ValueError(f"unknown binary header byte {head}")


class Client:
    _next_id = 1
    _id_lock = threading.Lock()

    def __init__(self, server, headers=None, path=None):
        self.server = server
        self.ws = WebSocket(server.host, server.port, path or server.path, headers)
        self.inbox = []

    @classmethod
    def new_id(cls):
        with cls._id_lock:
            cls._next_id += 1
            return cls._next_id

    def send(self, msg, form="json"):
        op, payload = encode(msg, form)
        self.ws.send_frame(op, payload)

    def recv(self, timeout):
        op, payload = self.ws.recv_message(timeout)
        return decode(op, payload)

    def wait(self, pred, timeout=3.0, what="message"):
        """Removes and returns the first message (Msg) matching pred, buffering the others."""
        for i, m in enumerate(self.inbox):
            if pred(m.data):
                return self.inbox.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {what} within {timeout}s")
            m = self.recv(remaining)
            if pred(m.data):
                return m
            self.inbox.append(m)

    def wait_data(self, pred, timeout=3.0, what="message"):
        return self.wait(pred, timeout, what).data

    def request(self, msg, form="json", timeout=3.0):
        """Sends msg with a fresh id (unless it has one) and returns the reply carrying that id."""
        if "id" not in msg:
            msg = dict(msg, id=Client.new_id())
        self.send(msg, form)
        rid = msg["id"]
        return self.wait_data(lambda d: d.get("id") == rid and d.get("type") not in ("telemetry", "event"),
                              timeout, f"reply to {msg.get('type')} id={rid}")

    def request_msg(self, msg, form="json", timeout=3.0):
        if "id" not in msg:
            msg = dict(msg, id=Client.new_id())
        self.send(msg, form)
        rid = msg["id"]
        return self.wait(lambda d: d.get("id") == rid, timeout, f"reply to {msg.get('type')}")

    def error_for_raw(self, op, payload, timeout=3.0):
        """Sends a raw frame and returns the next error message."""
        self.ws.send_frame(op, payload)
        return self.wait_data(lambda d: d.get("type") == "error", timeout, "error")

    def collect(self, duration, pred=lambda d: True):
        """Returns the buffered messages matching pred, then reads for duration seconds."""
        out = [m.data for m in self.inbox if pred(m.data)]
        self.inbox = [m for m in self.inbox if not pred(m.data)]
        end = time.monotonic() + duration
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                return out
            try:
                m = self.recv(remaining)
            except TimeoutError:
                return out
            if pred(m.data):
                out.append(m.data)
            else:
                self.inbox.append(m)

    def telemetry(self, stream, duration):
        return self.collect(duration, lambda d: d.get("type") == "telemetry" and d.get("stream") == stream)

    def expect_close(self, timeout=3.0):
        """Reads until the server closes; returns the close code (None: no close frame)."""
        end = time.monotonic() + timeout
        try:
            while True:
                self.ws.recv_message(max(0.001, end - time.monotonic()))
        except Closed as c:
            return c.code

    def hello(self, **fields):
        return self.request(dict({"type": "hello"}, **fields))

    def close(self):
        self.ws.close()


# ---------------------------------------------------------------------------
# Server process

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, config, name, workdir):
        self.config = config
        path = os.path.join(workdir, f"{name}.json")
        with open(path, "w") as f:
            json.dump(config, f)
        port = free_port()
        env = dict(os.environ)
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        if "HALHUB_PLUGIN_PATH" not in env:
            guess = os.path.join(os.path.dirname(os.path.abspath(binary)), "plugins")
            if os.path.isdir(guess):
                env["HALHUB_PLUGIN_PATH"] = guess
        self.output = []
        self.proc = subprocess.Popen([binary, "--headless", "--port", str(port), "--config", path],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                     cwd=workdir)
        self.listening = threading.Event()
        self.host, self.port, self.path = "127.0.0.1", port, "/ws/hardware"
        threading.Thread(target=self._read, args=(self.proc.stdout, True), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, False), daemon=True).start()
        if not self.listening.wait(15):
            self.proc.kill()
            raise RuntimeError(f"{name}: no 'listening on' line; output: {self.output[-20:]}")

    def _read(self, stream, is_stdout):
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip()
            self.output.append(line)
            m = re.search(r"listening on (wss?)://([^/\s]+):(\d+)(/\S*)", line)
            if is_stdout and m and not self.listening.is_set():
                host = m.group(2).strip("[]")
                self.host, self.port, self.path = host, int(m.group(3)), m.group(4)
                self.listening.set()

    def client(self, **kw):
        return Client(self, **kw)


# ---------------------------------------------------------------------------
# Helpers for checks

NOW_TOLERANCE_US = 10_000_000
SIM_CHANNELS = ["noise", "ramp", "sine", "step"]
SIM_COMMANDS = ["echo", "fail", "set", "sleep", "unplug"]


def now_us():
    return int(time.time() * 1_000_000)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_float(v):
    return isinstance(v, float)


def is_number(v):
    return (is_int(v) or is_float(v))


def err_code(reply):
    return (reply.get("type"), reply.get("code"))


def expect_error(name, client, msg, code, form="json", with_id=True):
    """Sends msg (with an id) and checks that the reply is error `code` carrying that id."""
    if with_id and "id" not in msg:
        msg = dict(msg, id=Client.new_id())
    if with_id:
        reply = client.request(msg, form)
        ok = reply.get("type") == "error" and reply.get("code") == code and reply.get("id") == msg["id"]
        return report(name, ok, f"sent {short(msg)}; got {short(reply)}; expected error {code} with id {msg['id']!r}")
    client.send(msg, form)
    reply = client.wait_data(lambda d: d.get("type") == "error", 3, "error")
    return report(name, reply.get("code") == code, f"sent {short(msg)}; got {short(reply)}; expected error {code}")


def raw_error(name, client, op, payload, code, want_id=None):
    reply = client.error_for_raw(op, payload)
    ok = reply.get("code") == code
    if want_id is not None:
        ok = ok and reply.get("id") == want_id
    return report(name, ok, f"sent {short(payload)}; got {short(reply)}; expected error {code}"
                  + (f" with id {want_id!r}" if want_id is not None else ""))


def still_alive(client):
    reply = client.request({"type": "ping"})
    return reply.get("type") == "pong"


def subscribe(client, **fields):
    return client.request(dict({"type": "subscribe"}, **fields))


def command(client, device, name, params=None, **extra):
    msg = {"type": "command", "id": Client.new_id(), "device": device, "command": name}
    if params is not None:
        msg["params"] = params
    msg.update(extra)
    return msg


def run_command(client, device, name, params=None, timeout=5.0, **extra):
    """Sends a command and returns (ack, result); ack is the error when refused."""
    msg = command(client, device, name, params, **extra)
    ack = client.request(msg)
    if ack.get("type") != "ack":
        return ack, None
    result = client.wait_data(lambda d: d.get("type") == "result" and d.get("command_id") == ack.get("command_id")
                              and d.get("id") == msg["id"], timeout, f"result of {name}")
    return ack, result


# ---------------------------------------------------------------------------
# Checks on the main server

def t_handshake(srv):
    try:
        WebSocket(srv.host, srv.port, "/wrong/path").sock.close()
        report("handshake: wrong path is HTTP 404", False, "upgrade accepted")
    except HandshakeRefused as r:
        check_eq("handshake: wrong path is HTTP 404", r.status, 404)
    for origin in ("http://localhost.evil.example", "http://example.com", "http://127.0.0.1.evil.example:80"):
        try:
            WebSocket(srv.host, srv.port, srv.path, {"Origin": origin}).close()
            report(f"handshake: foreign Origin {origin} is HTTP 403", False, "upgrade accepted")
        except HandshakeRefused as r:
            check_eq(f"handshake: foreign Origin {origin} is HTTP 403", r.status, 403)
    for origin in ("http://localhost:1234", "https://127.0.0.1:8443", "http://[::1]:3000", "http://localhost", None):
        headers = {"Origin": origin} if origin else {}
        label = origin or "no Origin header"
        try:
            ws = WebSocket(srv.host, srv.port, srv.path, headers)
            check(f"handshake: {label} is allowed (101) with a valid Sec-WebSocket-Accept",
                  not ws.protocol_errors, ws.protocol_errors)
            ws.close()
        except HandshakeRefused as r:
            report(f"handshake: {label} is allowed (101) with a valid Sec-WebSocket-Accept", False, f"HTTP {r.status}")


def t_welcome(srv):
    c = srv.client()
    w = c.hello(client="conformance")
    check_eq("welcome: type", w.get("type"), "welcome")
    s = w.get("session")
    check("welcome: session is a string of >= 128 bits (>= 22 chars)", isinstance(s, str) and len(s) >= 22, s)
    check_eq("welcome: resumed false", w.get("resumed"), False)
    check("welcome: server is halhub/VERSION", isinstance(w.get("server"), str) and w["server"].startswith("halhub/")
          and len(w["server"]) > 7, w.get("server"))
    check_eq("welcome: protocol 1", w.get("protocol"), 1)
    check_eq("welcome: encoding json by default", w.get("encoding"), "json")
    check_eq("welcome: compression false by default", w.get("compression"), False)
    check_eq("welcome: heartbeat_ms as configured", w.get("heartbeat_ms"), srv.config["server"]["heartbeat_ms"])
    lim = srv.config["limits"]
    want = {k: lim[k] for k in ("rate_limit_per_min", "max_rate_hz", "max_streams", "max_message_bytes")}
    got = w.get("limits") or {}
    check_eq("welcome: limits as configured", {k: got.get(k) for k in want}, want)
    check("welcome: limits are integers (max_rate_hz a number)",
          all(is_int(got.get(k)) for k in want if k != "max_rate_hz") and is_number(got.get("max_rate_hz")), got)
    c2 = srv.client()
    w2 = c2.hello()
    check("welcome: sessions of two connections differ", w2.get("session") != s, (s, w2.get("session")))
    w3 = c.hello(token="not-a-jwt", client="again")
    check("hello: token ignored without auth; hello may come twice",
          w3.get("type") == "welcome", w3)
    w4 = c.request({"type": "hello", "encoding": None, "compression": None, "client": None})
    check("hello: null fields count as absent", w4.get("type") == "welcome" and w4.get("encoding") == "json", w4)
    for field, value in (("encoding", "xml"), ("encoding", 1), ("compression", "yes"), ("compression", 1),
                         ("last_seq", {"s1": -1}), ("last_seq", [1]), ("results_seen", "c1"),
                         ("results_seen", [1]), ("client", 5), ("resume", 5)):
        expect_error(f"hello: {field}={json.dumps(value)} is invalid_params", c,
                     {"type": "hello", field: value}, "invalid_params")
    # A refused hello changes nothing: a request with a bad compression and a valid encoding.
    expect_error("hello: refused hello with msgpack + bad field", c,
                 {"type": "hello", "encoding": "msgpack", "compression": "x"}, "invalid_params")
    m = c.request_msg({"type": "ping"})
    check_eq("hello: a refused hello changes nothing (replies stay JSON)", m.form, "json")
    c.close()
    c2.close()


def t_ping(srv):
    c = srv.client()
    before = now_us()
    p = c.request({"type": "ping", "id": 7})
    after = now_us()
    check("ping: pong carries id", p.get("type") == "pong" and p.get("id") == 7, p)
    check("ping without t: pong has no t", "t" not in p, p)
    st = p.get("server_time")
    check("pong: server_time integer microseconds near now", is_int(st) and before - 1_000_000 <= st <= after + 1_000_000,
          f"{st} not in [{before}, {after}]")
    for t in (0, "text", 1.5, [1, {"a": None}], {"x": [True, False]}, -5):
        p = c.request({"type": "ping", "t": t})
        check(f"ping: t={json.dumps(t)} echoed", p.get("type") == "pong" and p.get("t") == t
              and type(p.get("t")) is type(t), p)
    p = c.request({"type": "ping", "id": "abc", "extra_field": 1})
    check("ping: unknown fields ignored, string id echoed", p.get("type") == "pong" and p.get("id") == "abc", p)
    c.close()


def t_forms_in(srv):
    c = srv.client()
    for form in ("json", "msgpack", "zmsgpack", "zjson"):
        m = c.request_msg({"type": "ping", "t": form}, form)
        check(f"input form {form} accepted; reply in the connection's encoding (JSON text)",
              m.data.get("type") == "pong" and m.data.get("t") == form and m.form == "json", (m.form, m.data))
    # Fragmented text message with a control ping in the middle.
    body = json.dumps({"type": "ping", "id": 4242, "t": "fragmented"}).encode()
    c.ws.send_frame(OP_TEXT, body[:5], fin=False)
    c.ws.send_frame(OP_PING, b"mid")
    c.ws.send_frame(OP_CONT, body[5:12], fin=False)
    c.ws.send_frame(OP_CONT, body[12:], fin=True)
    p = c.wait_data(lambda d: d.get("id") == 4242)
    check("frames: fragmented text message reassembled", p.get("t") == "fragmented", p)
    check("frames: ping answered with pong carrying its payload", b"mid" in c.ws.pongs, c.ws.pongs)
    body = b"\x00" + msgpack.packb({"type": "ping", "id": 4243})
    c.ws.send_frame(OP_BINARY, body[:3], fin=False)
    c.ws.send_frame(OP_CONT, body[3:], fin=True)
    p = c.wait_data(lambda d: d.get("id") == 4243)
    check("frames: fragmented binary message reassembled", p.get("type") == "pong", p)
    check("frames: server frames unmasked, no RSV bits", not c.ws.protocol_errors, c.ws.protocol_errors)
    c.ws.send_close(1000)
    code = c.expect_close()
    check_eq("frames: close 1000 from client is answered with close 1000", code, 1000)
    c.ws.sock.close()


def t_encodings_out(srv):
    # msgpack: the welcome is already msgpack.
    c = srv.client()
    m = c.request_msg({"type": "hello", "encoding": "msgpack"})
    check("encoding msgpack: welcome is a 0x00 frame", m.form == "msgpack" and m.data.get("type") == "welcome"
          and m.data.get("encoding") == "msgpack", (m.form, m.data))
    m = c.request_msg({"type": "list_devices"})
    check("encoding msgpack: devices (> 1024 bytes) stays 0x00 without compression",
          m.form == "msgpack" and m.size > 1024, (m.form, m.size))
    m = c.request_msg({"type": "hello", "encoding": "json"})
    check("encoding json again: welcome is a text frame", m.form == "json" and m.data.get("encoding") == "json",
          (m.form, m.data))
    c.close()
    for enc, small_form, big_form in (("json", "json", "zjson"), ("msgpack", "msgpack", "zmsgpack")):
        c = srv.client()
        m = c.request_msg({"type": "hello", "encoding": enc, "compression": True})
        check(f"{enc}+compression: welcome (small) in chosen encoding, uncompressed",
              m.form == small_form and m.data.get("compression") is True, (m.form, m.data))
        m = c.request_msg({"type": "list_devices"})
        check(f"{enc}+compression: devices ({m.size} bytes) compressed", m.form == big_form and m.size > 1024,
              (m.form, m.size))
        # Find the pong size for a known t, then aim at exactly 1024 and 1025 bytes.
        pid = 10**9 + Client.new_id()  # fixed width id
        m = c.request_msg({"type": "ping", "id": pid, "t": "x" * 400})
        base = m.size
        for target, want in ((1024, small_form), (1025, big_form), (1023, small_form)):
            n = 400 + target - base
            m = c.request_msg({"type": "ping", "id": pid, "t": "x" * n})
            check(f"{enc}+compression: pong of {m.size} bytes is {want}",
                  m.size == target and m.form == want, f"size {m.size} (aimed at {target}), form {m.form}")
        c.close()


def t_list_devices(srv):
    c = srv.client()
    d = c.request({"type": "list_devices", "id": "ld"})
    check("list_devices: devices reply with id", d.get("type") == "devices" and d.get("id") == "ld", d)
    devs = {e.get("id"): e for e in d.get("devices", [])}
    want_ids = {e["id"] for e in srv.config["devices"]}
    check_eq("list_devices: every configured device listed", set(devs), want_ids)
    for cfg in srv.config["devices"]:
        e = devs.get(cfg["id"], {})
        ok = (e.get("plugin") == "sim" and isinstance(e.get("name"), str) and e.get("state") == "connected"
              and e.get("rate_hz") == cfg["rate_hz"] and "port" not in e)
        check(f"list_devices: {cfg['id']} plugin/name/state/rate_hz", ok, e)
    e = devs.get("sim0", {})
    chans = {ch.get("name"): ch for ch in e.get("channels", [])}
    check_eq("list_devices: sim channels", sorted(chans), SIM_CHANNELS)
    check("list_devices: sim channel types float", all(ch.get("type") == "float" for ch in chans.values()), chans)
    cmds = {cm.get("name"): cm for cm in e.get("commands", [])}
    check_eq("list_devices: sim commands", sorted(cmds), SIM_COMMANDS)
    types = {"number", "integer", "bool", "string", "list", "any"}
    ok = all(set((cm.get("params") or {}).values()) <= types for cm in cmds.values())
    check("list_devices: command params types are from the documented set", ok, cmds)
    c.close()


def t_get_metrics(srv):
    c = srv.client()
    c.request({"type": "subscribe", "device": "sim0", "rate_hz": 10})
    time.sleep(0.3)
    m = c.request({"type": "get_metrics", "id": 99})
    check("get_metrics: metrics reply with id", m.get("type") == "metrics" and m.get("id") == 99, m)
    lat = m.get("latency") or {}
    fl = ["avg_latency_ms", "p50_latency_ms", "p95_latency_ms", "p99_latency_ms", "min_latency_ms",
          "max_latency_ms", "throughput_msg_per_sec"]
    check("get_metrics: latency figures are floats", all(is_float(lat.get(k)) for k in fl), lat)
    check("get_metrics: latency message_count integer > 0", is_int(lat.get("message_count")) and lat["message_count"] > 0, lat)
    check_eq("get_metrics: clients counts the one open connection", m.get("clients"), 1)
    c2 = srv.client()
    m2 = c2.request({"type": "get_metrics"})
    check_eq("get_metrics: clients counts a second connection", m2.get("clients"), 2)
    c2.close()
    check("get_metrics: streams integer >= 1", is_int(m.get("streams")) and m["streams"] >= 1, m)
    check_eq("get_metrics: devices", m.get("devices"), len(srv.config["devices"]))
    check("get_metrics: uptime_s integer", is_int(m.get("uptime_s")) and m["uptime_s"] >= 0, m)
    c.close()


def deep_json(levels):
    """A ping whose message map is level 1 and whose t nests arrays down to `levels` in total."""
    arrays = levels - 1
    return '{"type":"ping","id":1,"t":' + "[" * arrays + "]" * arrays + "}"


def mp_str_raw(data):
    return bytes([0xA0 | len(data)]) + data


def t_errors(srv):
    c = srv.client()
    T, B = OP_TEXT, OP_BINARY
    raw_error("invalid_message: undecodable JSON", c, T, b'{"type": "ping",', "invalid_message")
    raw_error("invalid_message: JSON array, not a map", c, T, b'[1,2]', "invalid_message")
    raw_error("invalid_message: JSON scalar", c, T, b'"ping"', "invalid_message")
    raw_error("invalid_message: type missing", c, T, b'{"id":1}', "invalid_message")
    raw_error("invalid_message: type not a string", c, T, b'{"type":5,"id":1}', "invalid_message")
    raw_error("invalid_message: msgpack array", c, B, b"\x00" + msgpack.packb([1, 2]), "invalid_message")
    raw_error("invalid_message: truncated msgpack", c, B, b"\x00\x82\xa4type", "invalid_message")
    raw_error("invalid_message: unknown header byte 0x07", c, B, b"\x07" + msgpack.packb({"type": "ping"}),
              "invalid_message")
    raw_error("invalid_message: empty binary frame", c, B, b"", "invalid_message")
    raw_error("invalid_message: 0x01 not zlib", c, B, b"\x01not zlib at all", "invalid_message")
    raw_error("invalid_message: 0x02 zlib of non-JSON", c, B, b"\x02" + zlib.compress(b"nope"), "invalid_message")
    raw_error("invalid_message: command without id", c, T,
              json.dumps({"type": "command", "device": "simc", "command": "echo"}).encode(), "invalid_message")
    reply = c.error_for_raw(T, b'[1,2]')
    check("invalid_message: no id when none could be read", "id" not in reply, reply)
    expect_error("unknown_type: with id", c, {"type": "no_such_type"}, "unknown_type")
    expect_error("unknown_device: subscribe", c, {"type": "subscribe", "device": "nope"}, "unknown_device")
    expect_error("unknown_device: command", c, command(c, "nope", "echo"), "unknown_device")
    expect_error("unknown_command", c, command(c, "simc", "no_such_command"), "unknown_command")
    expect_error("unknown_stream: unsubscribe", c, {"type": "unsubscribe", "stream": "s999999"}, "unknown_stream")
    expect_error("not_found: cancel of an unknown command", c, {"type": "cancel", "command_id": "c0000000000000000"},
                 "not_found")
    expect_error("invalid_params: unsubscribe without stream", c, {"type": "unsubscribe"}, "invalid_params")
    expect_error("invalid_params: cancel without command_id", c, {"type": "cancel"}, "invalid_params")
    expect_error("invalid_params: cancel command_id not a string", c, {"type": "cancel", "command_id": 5},
                 "invalid_params")
    check("errors: connection still usable after every error", still_alive(c), "")
    c.close()


def t_values(srv):
    c = srv.client()
    T, B = OP_TEXT, OP_BINARY
    edges = [(2**64 - 1, "2^64-1"), (-2**63, "-2^63"), (2**63 - 1, "2^63-1"), (2**63, "2^63")]
    for value, label in edges:
        for form in ("json", "msgpack"):
            p = c.request({"type": "ping", "t": value}, form)
            check(f"values: integer {label} accepted and echoed exactly ({form})",
                  p.get("type") == "pong" and p.get("t") == value and is_int(p.get("t")), p)
    for text, label in (("18446744073709551616", "2^64"), ("-9223372036854775809", "-2^63-1"),
                        ("1e400", "1e400"), ("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity")):
        raw_error(f"values: {label} refused (invalid_message)", c, T,
                  ('{"type":"ping","t":' + text + '}').encode(), "invalid_message")
    for name, value in (("NaN", float("nan")), ("Infinity", float("inf"))):
        raw_error(f"values: msgpack float {name} refused", c, B,
                  b"\x00" + msgpack.packb({"type": "ping", "t": value}), "invalid_message")
    p = c.request({"type": "ping", "t": 1.5e300})
    check("values: large finite float accepted", p.get("t") == 1.5e300, p)
    raw_error("values: lone high surrogate \\ud800 refused (JSON)", c, T, b'{"type":"ping","t":"\\ud800"}',
              "invalid_message")
    raw_error("values: lone low surrogate \\udc00 refused (JSON)", c, T, b'{"type":"ping","t":"a\\udc00b"}',
              "invalid_message")
    p = c.request({"type": "ping", "t": "\U0001F600"})
    check("values: surrogate pair (astral char) accepted", p.get("t") == "\U0001F600", p)
    mp = (b"\x00\x82" + msgpack.packb("type") + msgpack.packb("ping") + msgpack.packb("t")
          + mp_str_raw(b"\xed\xa0\x80"))
    raw_error("values: surrogate encoded in a msgpack string refused", c, B, mp, "invalid_message")
    mp = (b"\x00\x82" + msgpack.packb("type") + msgpack.packb("ping") + msgpack.packb("t") + mp_str_raw(b"\xff\xfe"))
    raw_error("values: invalid UTF-8 in a msgpack string refused", c, B, mp, "invalid_message")
    raw = deep_json(64)
    c.ws.send_text(raw)
    r = c.wait_data(lambda d: d.get("id") == 1 and d.get("type") in ("pong", "error"))
    depth_ok = r.get("type") == "pong"
    t = r.get("t")
    levels = 1
    while isinstance(t, list):
        levels += 1
        t = t[0] if t else None
    check("values: nesting depth 64 accepted (JSON)", depth_ok and levels == 64, f"{short(r)}; levels {levels}")
    raw_error("values: nesting depth 65 refused (JSON)", c, T, deep_json(65).encode(), "invalid_message")
    nested = []
    for _ in range(62):
        nested = [nested]
    p = c.request({"type": "ping", "t": nested}, "msgpack")
    check("values: nesting depth 64 accepted (msgpack)", p.get("type") == "pong", short(p, 200))
    raw_error("values: nesting depth 65 refused (msgpack)", c, B,
              b"\x00" + msgpack.packb({"type": "ping", "t": [nested]}), "invalid_message")
    raw_error("values: msgpack bin refused", c, B,
              b"\x00" + msgpack.packb({"type": "ping", "t": b"\x01\x02"}, use_bin_type=True), "invalid_message")
    raw_error("values: msgpack ext refused", c, B,
              b"\x00" + msgpack.packb({"type": "ping", "t": msgpack.ExtType(5, b"ab")}), "invalid_message")
    raw_error("values: msgpack non-string key (nested) refused", c, B,
              b"\x00" + msgpack.packb({"type": "ping", "t": {1: 2}}), "invalid_message")
    raw_error("values: msgpack non-string key (top level) refused", c, B,
              b"\x00" + msgpack.packb({"type": "ping", 1: 2}), "invalid_message")
    raw_error("values: msgpack timestamp ext refused", c, B,
              b"\x00\x82" + msgpack.packb("type") + msgpack.packb("ping") + msgpack.packb("t")
              + b"\xd6\xff\x00\x00\x00\x01", "invalid_message")
    raw_error("invalid_message: type missing keeps the readable id", c, T, b'{"id":31}', "invalid_message", want_id=31)
    raw_error("invalid_message: type not a string keeps the readable id", c, T, b'{"type":["ping"],"id":"x32"}',
              "invalid_message", want_id="x32")
    check("values: connection still usable", still_alive(c), "")
    c.close()


def t_ids(srv):
    c = srv.client()
    big = 2**53 - 1
    for rid, label in ((big, "2^53-1"), (-big, "-(2^53-1)"), (0, "0"), ("a", "1 char string"),
                       ("x" * 64, "64 chars"), ("\U0001F600" * 64, "64 astral code points"),
                       ("é" * 64, "64 two-byte code points")):
        for form in ("json", "msgpack"):
            p = c.request({"type": "ping", "id": rid}, form)
            check(f"id {label} accepted and echoed ({form})", p.get("type") == "pong" and p.get("id") == rid, short(p, 200))
    for raw, label in (('2**53', str(2**53)), ('-2**53', str(-2**53)), ('1.5', "1.5"), ('1.0', "1.0"),
                       ('""', "empty string"), ('"' + "x" * 65 + '"', "65 chars"),
                       ('"' + "\\ud83d\\ude00" * 65 + '"', "65 astral code points"), ("true", "true"),
                       ("[1]", "list"), ('{"a":1}', "map")):
        text = raw if not raw.startswith(("2**", "-2**")) else label
        raw_error(f"id {label} refused (invalid_message)", c, OP_TEXT,
                  ('{"type":"ping","id":' + text + '}').encode(), "invalid_message")
    raw_error("id 2^53 refused (msgpack)", c, OP_BINARY, b"\x00" + msgpack.packb({"type": "ping", "id": 2**53}),
              "invalid_message")
    raw_error("id float refused (msgpack)", c, OP_BINARY, b"\x00" + msgpack.packb({"type": "ping", "id": 3.0}),
              "invalid_message")
    for t, msg in (("list_devices", {"type": "list_devices"}), ("get_metrics", {"type": "get_metrics"}),
                   ("unknown_type error", {"type": "zzz"})):
        r = c.request(dict(msg, id="id-" + t))
        check(f"id: reply to {t} carries the id", r.get("id") == "id-" + t, short(r, 200))
    c.close()


def t_size_limits(srv):
    limit = srv.config["limits"]["max_message_bytes"]
    c = srv.client()
    pad = "x" * (limit + 10)
    c.send({"type": "ping", "id": 5, "t": pad})
    r = c.wait_data(lambda d: d.get("type") in ("error", "pong"))
    check("message_too_large: text message over the limit", r.get("type") == "error"
          and r.get("code") == "message_too_large", short(r, 200))
    ok_msg = {"type": "ping", "id": 6}
    ok_msg["t"] = "y" * (limit - len(json.dumps(dict(ok_msg, t=""))) - 1)
    r = c.request(ok_msg)
    check("message_too_large: a message just under the limit is fine", r.get("type") == "pong", short(r, 200))
    bomb = b"\x02" + zlib.compress(json.dumps({"type": "ping", "id": 8, "t": "z" * (limit * 40)}).encode(), 9)
    check("message_too_large: test bomb is small on the wire", len(bomb) < limit, len(bomb))
    c.ws.send_binary(bomb)
    r = c.wait_data(lambda d: d.get("type") in ("error", "pong"))
    check("message_too_large: 0x02 inflating over the limit", r.get("code") == "message_too_large", short(r, 200))
    bomb = b"\x01" + zlib.compress(msgpack.packb({"type": "ping", "id": 9, "t": "z" * (limit * 40)}), 9)
    c.ws.send_binary(bomb)
    r = c.wait_data(lambda d: d.get("type") in ("error", "pong"))
    check("message_too_large: 0x01 inflating over the limit", r.get("code") == "message_too_large", short(r, 200))
    check("message_too_large: connection stays open", still_alive(c), "")
    # Over 16 x the limit: announce the frame and send only its start; the server must not wait for it.
    n = 16 * limit + 100
    header = bytes([0x80 | OP_TEXT, 0x80 | 127]) + struct.pack(">Q", n) + os.urandom(4)
    c.ws.sock.sendall(header + b"{" * 1000)
    check_eq("message over 16 x limit closes with 1009", c.expect_close(5), 1009)
    c.ws.sock.close()
    # A fragmented message whose fragments add up to over 16 x the limit.
    c = srv.client()
    chunk = b"a" * (4 * limit)
    try:
        c.ws.send_frame(OP_TEXT, b'{"type":"ping","t":"' + chunk, fin=False)
        for _ in range(5):
            c.ws.send_frame(OP_CONT, chunk, fin=False)
    except OSError:
        pass
    check_eq("fragmented message over 16 x limit closes with 1009", c.expect_close(5), 1009)
    c.ws.sock.close()
    c = srv.client()
    c.ws.send_frame(OP_TEXT, b'{"type":"ping","t":"\xff\xfe"}')
    check_eq("text frame that is not UTF-8 closes with 1007", c.expect_close(3), 1007)
    c.ws.sock.close()


def check_frames(name, frames, stream, device, first_seq=1, key_always=False):
    """Common telemetry rules over consecutive frames of one stream."""
    if not check(f"{name}: frames received", frames, "no telemetry"):
        return
    seqs = [f.get("seq") for f in frames]
    check_eq(f"{name}: seq from {first_seq} without gaps", seqs, list(range(first_seq, first_seq + len(frames))))
    bad = [f for f in frames if not (is_int(f.get("ts")) and is_int(f.get("sent")))]
    check(f"{name}: ts and sent are integers", not bad, short(bad[:2]))
    n = now_us()
    bad = [f for f in frames if is_int(f.get("ts")) and not (n - NOW_TOLERANCE_US < f["ts"] <= n + 1_000_000)]
    check(f"{name}: ts in microseconds since the epoch", not bad, short(bad[:2]))
    bad = [f for f in frames if is_int(f.get("ts")) and is_int(f.get("sent")) and f["sent"] < f["ts"]]
    check(f"{name}: sent >= ts", not bad, short(bad[:2]))
    bad = [f for f in frames if "id" in f]
    check(f"{name}: telemetry never carries id", not bad, short(bad[:2]))
    bad = [f for f in frames if f.get("device") != device or f.get("stream") != stream
           or not isinstance(f.get("values"), dict)]
    check(f"{name}: stream, device and values present", not bad, short(bad[:2]))
    if key_always:
        bad = [f for f in frames if f.get("key") is not True]
        check(f"{name}: every frame has key: true", not bad, short(bad[:2]))
    bad = [f for f in frames if "gap" in f]
    check(f"{name}: no gap flag on a live stream", not bad, short(bad[:2]))


def t_subscribe_full(srv):
    c = srv.client()
    msg = {"type": "subscribe", "id": Client.new_id(), "device": "sim0", "rate_hz": 20}
    c.send(msg)
    first = None
    order = []
    end = time.monotonic() + 1.2
    while time.monotonic() < end:
        try:
            m = c.recv(end - time.monotonic()).data
        except TimeoutError:
            break
        order.append(m)
    sub = next((m for m in order if m.get("id") == msg["id"]), {})
    check("subscribe full: subscribed reply", sub.get("type") == "subscribed" and isinstance(sub.get("stream"), str)
          and sub.get("device") == "sim0" and sub.get("mode") == "full", sub)
    check_eq("subscribe full: default channels are all", sorted(sub.get("channels") or []), SIM_CHANNELS)
    stream = sub.get("stream")
    frames = [m for m in order if m.get("type") == "telemetry" and m.get("stream") == stream]
    first = next((i for i, m in enumerate(order) if m.get("type") == "telemetry" and m.get("stream") == stream), None)
    check("subscribe: subscribed sent before the stream's first frame",
          first is not None and order.index(sub) < first, f"subscribed at {order.index(sub) if sub in order else None}, first frame at {first}")
    check_frames("subscribe full", frames, stream, "sim0", key_always=True)
    bad = [f for f in frames if sorted(f.get("values", {})) != SIM_CHANNELS]
    check("subscribe full: every frame carries every channel", not bad, short(bad[:1]))
    bad = [f for f in frames if not all(is_float(v) for v in f.get("values", {}).values())]
    check("subscribe full: sim values are floats", not bad, short(bad[:1]))
    check("subscribe full: 20 Hz gives about 20 frames a second", 15 <= len(frames) <= 27, len(frames))
    # Explicit channels with a duplicate.
    s2 = subscribe(c, device="sim0", rate_hz=10, channels=["sine", "ramp", "sine"])
    check("subscribe: duplicate channels ignored", s2.get("type") == "subscribed"
          and sorted(s2.get("channels") or []) == ["ramp", "sine"], s2)
    frames = c.telemetry(s2.get("stream"), 0.5)
    bad = [f for f in frames if sorted(f.get("values", {})) != ["ramp", "sine"]]
    check("subscribe: frames carry only the subscribed channels", frames and not bad, short(frames[:1]))
    check("subscribe: stream ids differ", s2.get("stream") != stream, (stream, s2.get("stream")))
    # unsubscribe
    u = c.request({"type": "unsubscribe", "stream": stream})
    check("unsubscribe: unsubscribed with stream and id", u.get("type") == "unsubscribed" and u.get("stream") == stream, u)
    late = [m for m in c.inbox if m.data.get("stream") == stream and m.data.get("type") == "telemetry"]
    c.inbox = [m for m in c.inbox if m.data.get("stream") != stream]
    later = c.telemetry(stream, 0.4)
    check("unsubscribe: no frame of that stream follows", not later, short(later[:1]))
    expect_error("unsubscribe: twice is unknown_stream", c, {"type": "unsubscribe", "stream": stream}, "unknown_stream")
    other = srv.client()
    expect_error("unsubscribe: another connection's stream is unknown_stream", other,
                 {"type": "unsubscribe", "stream": s2.get("stream")}, "unknown_stream")
    other.close()
    del late
    c.close()


def t_subscribe_refusals(srv):
    c = srv.client()
    cases = [
        ("device missing", {}, "invalid_params"),
        ("device not a string", {"device": 5}, "invalid_params"),
        ("unknown mode", {"device": "sim0", "mode": "turbo"}, "invalid_params"),
        ("rate_hz 0", {"device": "sim0", "rate_hz": 0}, "invalid_params"),
        ("rate_hz -1", {"device": "sim0", "rate_hz": -1}, "invalid_params"),
        ("rate_hz 1000.5", {"device": "sim0", "rate_hz": 1000.5}, "invalid_params"),
        ("rate_hz string", {"device": "sim0", "rate_hz": "10"}, "invalid_params"),
        ("channels empty", {"device": "sim0", "channels": []}, "invalid_params"),
        ("channels unknown name", {"device": "sim0", "channels": ["sine", "nope"]}, "invalid_params"),
        ("channels not a list", {"device": "sim0", "channels": "sine"}, "invalid_params"),
        ("channels with a number", {"device": "sim0", "channels": [1]}, "invalid_params"),
        ("deadband string", {"device": "sim0", "mode": "delta", "deadband": "1"}, "invalid_params"),
        ("deadband map with string", {"device": "sim0", "mode": "delta", "deadband": {"sine": "x"}}, "invalid_params"),
        ("keyframe_ms 0", {"device": "sim0", "mode": "delta", "keyframe_ms": 0}, "invalid_params"),
        ("keyframe_ms 3600001", {"device": "sim0", "mode": "delta", "keyframe_ms": 3600001}, "invalid_params"),
        ("keyframe_ms 500.5", {"device": "sim0", "mode": "delta", "keyframe_ms": 500.5}, "invalid_params"),
        ("sampled without rate_hz", {"device": "sim0", "mode": "sampled"}, "invalid_params"),
        ("custom without custom", {"device": "sim0", "mode": "custom"}, "invalid_params"),
        ("custom not a map", {"device": "sim0", "mode": "custom", "custom": [1]}, "invalid_params"),
        ("custom unknown channel", {"device": "sim0", "mode": "custom", "custom": {"nope": {"rate_hz": 1}}},
         "invalid_params"),
        ("custom rate_hz 0", {"device": "sim0", "mode": "custom", "custom": {"sine": {"rate_hz": 0}}},
         "invalid_params"),
        ("custom rate_hz 2000", {"device": "sim0", "mode": "custom", "custom": {"sine": {"rate_hz": 2000}}},
         "invalid_params"),
        ("custom deadband string", {"device": "sim0", "mode": "custom", "custom": {"sine": {"deadband": "x"}}},
         "invalid_params"),
        ("unknown device", {"device": "nope"}, "unknown_device"),
    ]
    for label, fields, code in cases:
        expect_error(f"subscribe refused: {label} -> {code}", c, dict({"type": "subscribe"}, **fields), code)
    r = subscribe(c, device="sim0", rate_hz=1000)
    check("subscribe: rate_hz 1000 is accepted", r.get("type") == "subscribed", r)
    r = subscribe(c, device="sim0", rate_hz=None, mode=None, channels=None)
    check("subscribe: null optional fields count as absent", r.get("type") == "subscribed" and r.get("mode") == "full", r)
    c.close()


def t_granted_rate(srv):
    mx = srv.config["limits"]["max_rate_hz"]
    c = srv.client()
    for dev, native, req in (("sim0", 100, 80), ("sim0", 100, 10), ("sim1", 20, 40), ("sim1", 20, 5),
                             ("sim0", 100, 2.5)):
        r = subscribe(c, device=dev, rate_hz=req)
        want = min(req, native, mx)
        check(f"granted rate_hz = min(requested {req}, native {native}, max {mx}) = {want}",
              r.get("type") == "subscribed" and r.get("rate_hz") == want, r)
        c.request({"type": "unsubscribe", "stream": r.get("stream")})
    r = subscribe(c, device="sim0", rate_hz=5)
    frames = c.telemetry(r.get("stream"), 1.2)
    check("granted rate: 5 Hz stream sends about 5 frames a second", 4 <= len(frames) <= 8, len(frames))
    c.close()


def t_too_many_streams(srv):
    n = srv.config["limits"]["max_streams"]
    c = srv.client()
    streams = []
    for i in range(n):
        r = subscribe(c, device="sim1", rate_hz=1)
        streams.append(r.get("stream"))
    check(f"max_streams: {n} streams accepted", all(streams), streams)
    expect_error("too_many_streams: one stream over max_streams", c,
                 {"type": "subscribe", "device": "sim1", "rate_hz": 1}, "too_many_streams")
    c.request({"type": "unsubscribe", "stream": streams[0]})
    r = subscribe(c, device="sim1", rate_hz=1)
    check("max_streams: a slot freed by unsubscribe can be used again", r.get("type") == "subscribed", r)
    c2 = srv.client()
    r = subscribe(c2, device="sim1", rate_hz=1)
    check("max_streams counts per session: another connection may subscribe", r.get("type") == "subscribed", r)
    c.close()
    c2.close()


def t_delta(srv):
    c = srv.client()
    dev = "simd"
    for ch, v in (("sine", 5.0), ("step", 0.0)):
        ack, res = run_command(c, dev, "set", {"channel": ch, "value": v})
        check(f"sim set {ch}={v}: ok with null result", res and res.get("status") == "ok" and res.get("result") is None,
              (ack, res))
    time.sleep(0.1)
    r = subscribe(c, device=dev, mode="delta", channels=["sine", "step"], deadband=1, keyframe_ms=3600000)
    check("subscribe delta: subscribed with mode delta", r.get("type") == "subscribed" and r.get("mode") == "delta", r)
    s = r.get("stream")
    frames = c.telemetry(s, 0.4)
    check("delta: exactly one (key) frame while nothing changes", len(frames) == 1, short(frames))
    if frames:
        f = frames[0]
        check("delta: first frame is key with every channel", f.get("key") is True
              and f.get("values") == {"sine": 5.0, "step": 0.0}, f)
        check_eq("delta: first frame seq 1", f.get("seq"), 1)
    run_command(c, dev, "set", {"channel": "sine", "value": 5.5})
    frames = c.telemetry(s, 0.3)
    check("delta: change within deadband (0.5 <= 1) sends nothing", not frames, short(frames))
    run_command(c, dev, "set", {"channel": "sine", "value": 7.0})
    frames = c.telemetry(s, 0.3)
    check("delta: change over deadband (2 > 1) sends one frame with only that channel",
          len(frames) == 1 and frames[0].get("values") == {"sine": 7.0}, short(frames))
    if frames:
        check("delta: partial frame has no key flag", "key" not in frames[0], frames[0])
        check_eq("delta: seq continues without gap", frames[0].get("seq"), 2)
    run_command(c, dev, "set", {"channel": "sine", "value": 8.0})
    frames = c.telemetry(s, 0.3)
    check("delta: change equal to the deadband (|8-7| = 1) sends nothing", not frames, short(frames))
    run_command(c, dev, "set", {"channel": "sine", "value": 8.5})
    frames = c.telemetry(s, 0.3)
    check("delta: deadband measured from the last value sent (|8.5-7| > 1)",
          len(frames) == 1 and frames[0].get("values") == {"sine": 8.5}, short(frames))
    run_command(c, dev, "set", {"channel": "step", "value": 0.5})
    frames = c.telemetry(s, 0.3)
    check("delta: per-stream scalar deadband also applies to other channels (0.5 <= 1: nothing)", not frames,
          short(frames))
    # Per-channel deadband map and keyframe_ms.
    r = subscribe(c, device=dev, mode="delta", channels=["sine", "step"], deadband={"sine": 0.1}, keyframe_ms=250)
    s2 = r.get("stream")
    frames = c.telemetry(s2, 1.15)
    keys = [f for f in frames if f.get("key") is True]
    check("delta keyframe_ms=250: about 4-5 key frames a second with held values", 3 <= len(keys) <= 6,
          f"{len(keys)} key frames in 1.15 s: {short(frames)}")
    check("delta keyframe_ms: key frames carry every channel",
          keys and all(sorted(f["values"]) == ["sine", "step"] for f in keys), short(keys[:2]))
    check("delta keyframe_ms: nothing but key frames while values are held", len(keys) == len(frames), short(frames))
    run_command(c, dev, "set", {"channel": "step", "value": 0.7})
    frames = c.telemetry(s2, 0.15)
    check("delta: deadband map leaves unnamed channels at 0 (0.2 change sent)",
          any(f.get("values", {}).get("step") == 0.7 for f in frames), short(frames))
    for ch in ("sine", "step"):
        run_command(c, dev, "set", {"channel": ch, "value": None})
    c.request({"type": "unsubscribe", "stream": s2})
    c.inbox = [m for m in c.inbox if m.data.get("stream") != s2]
    frames = c.telemetry(s, 0.3)
    check("delta: released channels vary again and frames follow", frames, "no frame after release")
    c.close()


def t_sampled(srv):
    c = srv.client()
    c.hello(encoding="msgpack")
    r = subscribe(c, device="sim0", mode="sampled", rate_hz=4)
    check("subscribe sampled: subscribed with mode sampled and rate 4",
          r.get("type") == "subscribed" and r.get("mode") == "sampled" and r.get("rate_hz") == 4, r)
    s = r.get("stream")
    frames = c.telemetry(s, 1.4)
    check_frames("sampled (msgpack)", frames, s, "sim0", key_always=True)
    check("sampled: about 4 frames a second", 4 <= len(frames) <= 7, len(frames))
    bad = []
    for i, f in enumerate(frames):
        vals = f.get("values", {})
        if sorted(vals) != SIM_CHANNELS:
            bad.append(("channels", f))
            continue
        for ch, st in vals.items():
            if not isinstance(st, dict) or sorted(st) != ["last", "max", "mean", "min", "n"]:
                bad.append(("keys", ch, st))
            elif not (is_int(st["n"]) and (10 <= st["n"] <= 40 or (i == 0 and st["n"] >= 1))):
                bad.append(("n", ch, st))
            elif not (is_float(st["mean"]) and st["min"] <= st["mean"] <= st["max"]
                      and st["min"] <= st["last"] <= st["max"]):
                bad.append(("order", ch, st))
    check("sampled: values are {min,max,mean,last,n}, n ~25 per 0.25 s window, min <= mean, last <= max",
          frames and not bad, short(bad[:3]))
    ramp = [f["values"]["ramp"] for f in frames[1:] if "ramp" in f.get("values", {})]
    bad = [st for st in ramp if st["max"] - st["min"] < 9 and not (0.1 < st["max"] - st["min"] < 0.45)]
    check("sampled: ramp spread covers the 0.25 s window", ramp and not bad, short(bad[:2]))
    c.close()


def t_custom(srv):
    c = srv.client()
    r = subscribe(c, device="sim0", mode="custom", keyframe_ms=3600000,
                  custom={"sine": {"rate_hz": 10}, "ramp": {"rate_hz": 2}, "noise": {"rate_hz": 10, "deadband": 1000}})
    check("subscribe custom: subscribed", r.get("type") == "subscribed" and r.get("mode") == "custom", r)
    check_eq("custom: without channels the stream's channels are the keys of custom",
             sorted(r.get("channels") or []), ["noise", "ramp", "sine"])
    s = r.get("stream")
    frames = c.telemetry(s, 2.05)
    check_frames("custom", frames, s, "sim0")
    count = {ch: sum(1 for f in frames if ch in f.get("values", {})) for ch in ("sine", "ramp", "noise", "step")}
    check("custom: sine at 10 Hz (about 20 frames in 2 s)", 17 <= count["sine"] <= 23, count)
    check("custom: ramp at 2 Hz (about 4 in 2 s)", 3 <= count["ramp"] <= 6, count)
    check("custom: noise with deadband 1000 only in the first (key) frame", count["noise"] == 1, count)
    check("custom: step not subscribed", count["step"] == 0, count)
    check("custom: channels due at the same tick share one frame (frames <= sine frames + 1)",
          len(frames) <= count["sine"] + 1, f"{len(frames)} frames, {count}")
    if frames:
        check("custom: first frame is a key frame with every channel",
              frames[0].get("key") is True and sorted(frames[0].get("values", {})) == ["noise", "ramp", "sine"],
              frames[0])
    r = subscribe(c, device="sim0", mode="custom", channels=["sine", "step"], rate_hz=4,
                  custom={"sine": {"rate_hz": 10}})
    check_eq("custom with channels: stream channels are the list", sorted(r.get("channels") or []), ["sine", "step"])
    frames = c.telemetry(r.get("stream"), 1.55)
    count = {ch: sum(1 for f in frames if ch in f.get("values", {})) for ch in ("sine", "step")}
    check("custom: a channel missing from custom uses the stream's rate_hz (4 Hz)", 5 <= count["step"] <= 8, count)
    check("custom: the channel in custom uses its own rate (10 Hz)", 13 <= count["sine"] <= 18, count)
    expect_error("custom: entry outside an explicit channels list is invalid_params", c,
                 {"type": "subscribe", "device": "sim0", "mode": "custom", "channels": ["sine"],
                  "custom": {"ramp": {"rate_hz": 1}}}, "invalid_params")
    c.close()


CMD_ID = re.compile(r"^c[0-9a-f]{16}$")


def t_commands(srv):
    c = srv.client()
    dev = "simc"
    msg = command(c, dev, "echo", {"a": 1, "b": [True, "x"], "c": {"d": None}})
    c.send(msg)
    ack = c.wait_data(lambda d: d.get("id") == msg["id"] and d.get("type") in ("ack", "error"), 3, "ack")
    check("command: ack with id and command_id", ack.get("type") == "ack" and isinstance(ack.get("command_id"), str),
          ack)
    res = c.wait_data(lambda d: d.get("type") == "result" and d.get("command_id") == ack.get("command_id"), 3, "result")
    check("command echo: result ok returning its params", res.get("status") == "ok"
          and res.get("result") == msg["params"], res)
    check("command: result carries id, device, command", res.get("id") == msg["id"] and res.get("device") == dev
          and res.get("command") == "echo", res)
    check("command: attempts 1 and duration_ms integer", res.get("attempts") == 1 and is_int(res.get("duration_ms"))
          and res["duration_ms"] >= 0, res)
    check("command: ok result has no error", "error" not in res or res.get("error") is None, res)
    ack, res = run_command(c, dev, "echo")
    check("command echo without params: result {}", res and res.get("result") == {}, (ack, res))
    ack, res = run_command(c, dev, "fail")
    check("command fail: status error, code device_error with message",
          res and res.get("status") == "error" and (res.get("error") or {}).get("code") == "device_error"
          and isinstance(res["error"].get("message"), str) and res.get("attempts") == 1, res)
    ack, res = run_command(c, dev, "fail", retries=2)
    check("command fail retries=2: attempts 3, status error", res and res.get("status") == "error"
          and res.get("attempts") == 3, res)
    t0 = time.monotonic()
    ack, res = run_command(c, dev, "sleep", {"ms": 600}, timeout_ms=150)
    el = time.monotonic() - t0
    check("command sleep 600 timeout_ms=150: status timeout, error code timeout, attempts 1",
          res and res.get("status") == "timeout" and (res.get("error") or {}).get("code") == "timeout"
          and res.get("attempts") == 1, res)
    check("command timeout: result after about 150 ms", 0.14 <= el < 0.5, el)
    t0 = time.monotonic()
    ack, res = run_command(c, dev, "sleep", {"ms": 600}, timeout_ms=100, retries=2)
    el = time.monotonic() - t0
    check("command timeout retries=2: attempts 3, status timeout", res and res.get("status") == "timeout"
          and res.get("attempts") == 3, res)
    check("command timeout retries=2: about 300 ms in total", 0.29 <= el < 0.7, el)
    ack, res = run_command(c, dev, "sleep", {"ms": 50})
    check("command: device takes the next command after a timeout", res and res.get("status") == "ok", res)
    for label, extra, code in (
            ("params not a map", {"params": [1]}, "invalid_params"),
            ("timeout_ms 0", {"timeout_ms": 0}, "invalid_params"),
            ("timeout_ms 60001", {"timeout_ms": 60001}, "invalid_params"),
            ("timeout_ms string", {"timeout_ms": "5"}, "invalid_params"),
            ("retries 6", {"retries": 6}, "invalid_params"),
            ("retries -1", {"retries": -1}, "invalid_params"),
            ("key empty", {"key": ""}, "invalid_params"),
            ("key 65 chars", {"key": "k" * 65}, "invalid_params"),
            ("key not a string", {"key": 5}, "invalid_params"),
            ("device missing", {"device": None}, "invalid_params"),
            ("command missing", {"command": None}, "invalid_params")):
        msg = command(c, dev, "echo")
        msg.update(extra)
        msg = {k: v for k, v in msg.items() if v is not None}
        expect_error(f"command refused: {label} -> {code}", c, msg, code)
    expect_error("command sleep ms -1 -> invalid_params", c, command(c, dev, "sleep", {"ms": -1}), "invalid_params")
    expect_error("command sleep ms 60001 -> invalid_params", c, command(c, dev, "sleep", {"ms": 60001}), "invalid_params")
    expect_error("command sleep ms string -> invalid_params", c, command(c, dev, "sleep", {"ms": "x"}), "invalid_params")
    ack, res = run_command(c, dev, "echo", {"v": 1}, timeout_ms=60000, retries=5, key="k" * 64)
    check("command: timeout_ms 60000, retries 5, 64-char key accepted", res and res.get("status") == "ok", (ack, res))
    # Refused commands get no ack.
    c.inbox.clear()
    c.request(command(c, dev, "sleep", {"ms": -1}))
    stray = c.collect(0.2, lambda d: d.get("type") in ("ack", "result"))
    check("command: a refused command gets no ack and no result", not stray, short(stray))
    c.close()


def t_cancel(srv):
    c = srv.client()
    other = srv.client()
    dev = "simc"
    run_msg = command(c, dev, "sleep", {"ms": 700})
    a1 = c.request(run_msg)
    q_msg = command(c, dev, "echo", {"q": 1})
    a2 = c.request(q_msg)
    q2_msg = command(c, dev, "echo", {"q": 2})
    a3 = c.request(q2_msg)
    check("cancel: commands acked", a1.get("type") == a2.get("type") == a3.get("type") == "ack", (a1, a2, a3))
    time.sleep(0.1)
    expect_error("cancel: a running command is not_found", c, {"type": "cancel", "command_id": a1.get("command_id")},
                 "not_found")
    expect_error("cancel: another session's queued command is not_found", other,
                 {"type": "cancel", "command_id": a2.get("command_id")}, "not_found")
    cid = Client.new_id()
    c.send({"type": "cancel", "id": cid, "command_id": a2.get("command_id")})
    got = c.wait_data(lambda d: d.get("id") == cid, 3, "cancelled")
    check("cancel: queued command -> cancelled with id and command_id",
          got.get("type") == "cancelled" and got.get("command_id") == a2.get("command_id"), got)
    res = c.wait_data(lambda d: d.get("type") == "result" and d.get("command_id") == a2.get("command_id"), 3, "result")
    check("cancel: the command's result has status cancelled and its own id",
          res.get("status") == "cancelled" and res.get("id") == q_msg["id"], res)
    res1 = c.wait_data(lambda d: d.get("type") == "result" and d.get("command_id") == a1.get("command_id"), 3, "result")
    check("cancel: the running command still finishes ok", res1.get("status") == "ok", res1)
    res3 = c.wait_data(lambda d: d.get("type") == "result" and d.get("command_id") == a3.get("command_id"), 3, "result")
    check("cancel: the other queued command runs afterwards", res3.get("status") == "ok"
          and res3.get("result") == {"q": 2}, res3)
    expect_error("cancel: a finished command is not_found", c, {"type": "cancel", "command_id": a3.get("command_id")},
                 "not_found")
    other.close()
    c.close()


def t_idempotency(srv):
    c = srv.client()
    dev = "simc"
    key = f"idem-{os.getpid()}-{time.time()}"
    m1 = command(c, dev, "sleep", {"ms": 300}, key=key)
    a1 = c.request(m1)
    m2 = command(c, dev, "sleep", {"ms": 300}, key=key)
    a2 = c.request(m2)
    check("idempotency: repeat while running gets ack with the first command_id and its own id",
          a2.get("type") == "ack" and a2.get("command_id") == a1.get("command_id") and a2.get("id") == m2["id"], (a1, a2))
    got = c.collect(0.8, lambda d: d.get("type") == "result" and d.get("command_id") == a1.get("command_id"))
    ids = sorted(str(r.get("id")) for r in got)
    check("idempotency: the result is delivered once per request, each with its own id",
          ids == sorted([str(m1["id"]), str(m2["id"])]), short(got))
    check("idempotency: the command ran once (one sleep, results identical)",
          len(got) == 2 and got[0].get("duration_ms") == got[1].get("duration_ms")
          and got[0].get("attempts") == got[1].get("attempts") == 1, short(got))
    t0 = time.monotonic()
    m3 = command(c, dev, "sleep", {"ms": 300}, key=key)
    a3 = c.request(m3)
    r3 = c.wait_data(lambda d: d.get("type") == "result" and d.get("id") == m3["id"], 2, "result")
    check("idempotency: repeat of a finished command gets its result at once",
          a3.get("command_id") == a1.get("command_id") and r3.get("status") == "ok"
          and time.monotonic() - t0 < 0.2, (a3, r3, time.monotonic() - t0))
    expect_error("idempotency: same key with other params is invalid_params", c,
                 command(c, dev, "sleep", {"ms": 301}, key=key), "invalid_params")
    expect_error("idempotency: same key with another command is invalid_params", c,
                 command(c, dev, "echo", {"ms": 300}, key=key), "invalid_params")
    expect_error("idempotency: same key with another device is invalid_params", c,
                 command(c, "simq", "sleep", {"ms": 300}, key=key), "invalid_params")
    other = srv.client()
    ack, res = run_command(other, dev, "echo", {"k": 1}, key=key)
    check("idempotency: another session's key is independent (without auth)",
          ack.get("type") == "ack" and ack.get("command_id") != a1.get("command_id") and res.get("result") == {"k": 1},
          (ack, res))
    other.close()
    c.close()


def t_queue_full(srv):
    c = srv.client()
    dev = "simq"
    first = c.request(command(c, dev, "sleep", {"ms": 1500}, timeout_ms=5000))
    time.sleep(0.1)
    queued = []
    for i in range(64):
        m = command(c, dev, "echo", {"i": i})
        c.send(m)
        queued.append(m)
    acks = [c.wait_data(lambda d, m=m: d.get("id") == m["id"], 3, "ack") for m in queued]
    check("queue: 64 commands wait in the queue", all(a.get("type") == "ack" for a in acks),
          short([a for a in acks if a.get("type") != "ack"][:2]))
    expect_error("queue_full: the 65th waiting command", c, command(c, dev, "echo", {"i": 64}), "queue_full")
    for a in acks[1:]:
        c.send({"type": "cancel", "id": Client.new_id(), "command_id": a.get("command_id")})
    res = c.collect(1.8, lambda d: d.get("type") == "result")
    by = {r.get("command_id"): r for r in res}
    order = [r.get("result", {}).get("i") if isinstance(r.get("result"), dict) else None
             for r in res if r.get("status") == "ok" and r.get("command") == "echo"]
    check("queue: cancelled commands end cancelled", all(by.get(a.get("command_id"), {}).get("status") == "cancelled"
                                                           for a in acks[1:]), short(res[:3]))
    check("queue: commands run in order of acceptance after the running one",
          first.get("type") == "ack" and by.get(first.get("command_id"), {}).get("status") == "ok"
          and order == [0], (order, by.get(first.get("command_id"))))
    c.close()


def t_events_unplug(srv):
    dev = "sim2"
    a = srv.client()
    b = srv.client()
    b.hello(encoding="msgpack")
    r = subscribe(a, device=dev, rate_hz=20, channels=["sine"])
    s = r.get("stream")
    before = a.telemetry(s, 0.3)
    ack, res = run_command(a, dev, "unplug", {"ms": 800})
    check("sim unplug: answers ok", res and res.get("status") == "ok", (ack, res))
    evs = {}
    for name, cl in (("A", a), ("B", b)):
        d = cl.wait_data(lambda m: m.get("type") == "event" and m.get("event") == "device_disconnected", 3,
                         "device_disconnected")
        evs[name] = d
        check(f"event device_disconnected reaches connection {name}", d.get("device") == dev and is_int(d.get("ts"))
              and "id" not in d, d)
    st = {e.get("id"): e.get("state") for e in b.request({"type": "list_devices"}).get("devices", [])}
    check("list_devices: an unplugged device is disconnected", st.get(dev) == "disconnected", st)
    expect_error("device_unavailable: command for a disconnected device (no ack)", b, command(b, dev, "echo"),
                 "device_unavailable")
    r2 = subscribe(b, device=dev, rate_hz=10)
    check("subscribe to a disconnected device is allowed", r2.get("type") == "subscribed", r2)
    for name, cl in (("A", a), ("B", b)):
        d = cl.wait_data(lambda m: m.get("type") == "event" and m.get("event") == "device_connected", 3,
                         "device_connected")
        check(f"event device_connected follows on connection {name}", d.get("device") == dev and "id" not in d
              and is_int(d.get("ts")) and d["ts"] >= evs[name].get("ts", 0), d)
    after = a.telemetry(s, 0.5)
    frames = before + after
    seqs = [f.get("seq") for f in frames]
    check("stream outlives a device disconnect and resumes without a seq gap",
          after and seqs == list(range(1, len(seqs) + 1)), seqs)
    frames_b = b.telemetry(r2.get("stream"), 0.4)
    check("stream made while the device was away gets frames once it is back", frames_b, "no frames")
    ack, res = run_command(b, dev, "echo", {"back": True})
    check("commands work again after device_connected", res and res.get("status") == "ok", (ack, res))
    a.close()
    b.close()


def t_resume(srv):
    # Results: one delivered, one pending at disconnect.
    c1 = srv.client()
    sess = c1.hello().get("session")
    ack0, res0 = run_command(c1, "simr", "echo", {"n": 0})
    m1 = command(c1, "simr", "sleep", {"ms": 400})
    ack1 = c1.request(m1)
    m2 = command(c1, "simr", "echo", {"n": 2})
    ack2 = c1.request(m2)
    c1.close()
    time.sleep(0.7)
    c2 = srv.client()
    w = c2.hello(resume=sess, results_seen=[ack0.get("command_id")])
    check("resume: welcome resumed true with the same session", w.get("resumed") is True and w.get("session") == sess, w)
    check("resume: welcome carries streams (empty list)", w.get("streams") == [], w)
    got = c2.collect(0.5, lambda d: d.get("type") == "result")
    ids = [r.get("command_id") for r in got]
    check("resume: results finished while detached are replayed, results_seen excluded",
          sorted(ids) == sorted([ack1.get("command_id"), ack2.get("command_id")]), short(got))
    ok = [r for r in got if r.get("command_id") == ack1.get("command_id")]
    check("resume: replayed result keeps its id and status", ok and ok[0].get("id") == m1["id"]
          and ok[0].get("status") == "ok", short(ok))
    c2.close()
    c3 = srv.client()
    w = c3.hello(resume=sess)
    got = c3.collect(0.4, lambda d: d.get("type") == "result")
    check("resume: without results_seen every result of the grace window is replayed (delivered or not)",
          sorted(r.get("command_id") for r in got)
          == sorted([ack0.get("command_id"), ack1.get("command_id"), ack2.get("command_id")]), short(got))
    c3.close()

    # Streams: one named in last_seq, one not.
    c1 = srv.client()
    sess = c1.hello().get("session")
    sa = subscribe(c1, device="sim0", rate_hz=10, channels=["sine", "ramp"]).get("stream")
    sb = subscribe(c1, device="sim0", mode="delta", rate_hz=10).get("stream")
    fa = c1.telemetry(sa, 0.45)
    last_a = fa[-1]["seq"] if fa else 0
    seen_b = [m.data for m in c1.inbox if m.data.get("stream") == sb]
    last_b = seen_b[-1]["seq"] if seen_b else 0
    c1.close()
    time.sleep(0.6)
    c2 = srv.client()
    w = c2.hello(resume=sess, last_seq={sa: last_a})
    check("resume: welcome resumed with both streams", w.get("resumed") is True
          and sorted(s.get("stream") for s in w.get("streams", [])) == sorted([sa, sb]), w)
    st = {s.get("stream"): s for s in w.get("streams", [])}
    check("resume: streams described as in subscribed", st.get(sa, {}).get("device") == "sim0"
          and st.get(sa, {}).get("mode") == "full" and st.get(sa, {}).get("rate_hz") == 10
          and sorted(st.get(sa, {}).get("channels") or []) == ["ramp", "sine"], st.get(sa))
    fa2 = c2.telemetry(sa, 0.5)
    seqs = [f.get("seq") for f in fa2]
    check("resume: last_seq replay continues without a gap", seqs[:1] == [last_a + 1]
          and seqs == list(range(last_a + 1, last_a + 1 + len(seqs))) and len(seqs) >= 8,
          f"last seen {last_a}, then {seqs}")
    check("resume: replayed frames carry no gap flag", all("gap" not in f for f in fa2), short(fa2[:2]))
    fb = [m.data for m in c2.inbox if m.data.get("stream") == sb]
    if fb:
        f = fb[0]
        check("resume: unnamed stream's next frame is key+gap with every channel",
              f.get("key") is True and f.get("gap") is True and sorted(f.get("values", {})) == SIM_CHANNELS, f)
        check("resume: seq continues across the resume (unnamed stream)", f.get("seq", 0) > last_b + 1,
              (last_b, f.get("seq")))
    else:
        report("resume: unnamed stream's next frame is key+gap with every channel", False, "no frame")
    # Take-over: resume the session of a connection that is still open.
    c3 = srv.client()
    w3 = c3.hello(resume=sess)
    check("resume take-over: new connection resumes", w3.get("resumed") is True, w3)
    check_eq("resume take-over: the old connection is closed with 4409", c2.expect_close(3), 4409)
    c3.close()
    c2.ws.sock.close()

    # Refusals.
    c0 = srv.client()
    s0 = c0.hello().get("session")
    c0.close()
    time.sleep(0.2)
    c = srv.client()
    subscribe(c, device="sim0", rate_hz=1)
    expect_error("resume refused after subscribe (invalid_params)", c, {"type": "hello", "resume": s0}, "invalid_params")
    c.close()
    c = srv.client()
    expect_error("unknown_device subscribe first", c, {"type": "subscribe", "device": "nope"}, "unknown_device")
    expect_error("resume refused after a refused subscribe (invalid_params)", c, {"type": "hello", "resume": s0},
                 "invalid_params")
    c.close()
    c = srv.client()
    run_command(c, "simr", "echo")
    expect_error("resume refused after a command (invalid_params)", c, {"type": "hello", "resume": s0},
                 "invalid_params")
    c.close()
    c = srv.client()
    w = c.hello(resume="no-such-session-0123456789abcdef")
    check("resume of an unknown session: resumed false, a session id", w.get("resumed") is False
          and isinstance(w.get("session"), str) and w.get("session") != "no-such-session-0123456789abcdef", w)
    w = c.hello(resume=s0)
    check("resume after ping-only traffic is honoured", w.get("resumed") is True and w.get("session") == s0, w)
    c.close()


# ---------------------------------------------------------------------------
# Checks on the second server (small limits)

def t_max_clients(srv):
    n = srv.config["server"]["max_clients"]
    conns = [srv.client() for _ in range(n)]
    try:
        WebSocket(srv.host, srv.port, srv.path).close()
        report(f"handshake: connection {n + 1} over max_clients={n} is HTTP 503", False, "upgrade accepted")
    except HandshakeRefused as r:
        check_eq(f"handshake: connection {n + 1} over max_clients={n} is HTTP 503", r.status, 503)
    conns[0].close()
    time.sleep(0.2)
    try:
        c = srv.client()
        report("handshake: a slot freed by a closed connection is usable", True)
        c.close()
    except HandshakeRefused as r:
        report("handshake: a slot freed by a closed connection is usable", False, f"HTTP {r.status}")
    for c in conns[1:]:
        c.close()
    time.sleep(0.2)


def t_heartbeat(srv):
    hb = srv.config["server"]["heartbeat_ms"] / 1000
    c = srv.client()
    t0 = time.monotonic()
    times = []
    send = c.ws.send_frame

    def note_pong(op, payload=b"", fin=True, rsv=0):
        if op == OP_PONG:
            times.append(time.monotonic() - t0)
        return send(op, payload, fin, rsv)

    c.ws.send_frame = note_pong
    c.collect(hb * 10 + hb / 2)
    c.ws.send_frame = send
    gaps = [b - a for a, b in zip([0.0] + times, times)]
    check(f"heartbeat: server sends a WebSocket ping every heartbeat_ms ({hb * 1000:.0f} ms)",
          len(times) >= 9 and max(gaps) <= hb * 1.5,
          f"{len(times)} pings in {hb * 10.5:.2f} s, at {[round(t, 3) for t in times]}")
    check("heartbeat: a connection that answers pings stays open", still_alive(c), "")
    c.close()
    c = srv.client()
    w = c.hello()
    c.ws.auto_pong = False
    t0 = time.monotonic()
    code = c.expect_close(hb * 3 + 3)
    el = time.monotonic() - t0
    check_eq("heartbeat: a silent connection is closed with 4408", code, 4408)
    check("heartbeat: closed after about 3 heartbeats", hb * 2.9 <= el <= hb * 3 + 1.5, f"{el:.2f} s")
    c.ws.sock.close()
    c2 = srv.client()
    w2 = c2.hello(resume=w.get("session"))
    check("heartbeat: the session of a 4408 connection is kept for resume", w2.get("resumed") is True, w2)
    c2.close()


def t_resume_expired(srv):
    grace = srv.config["server"]["resume_grace_ms"] / 1000
    c = srv.client()
    s = c.hello().get("session")
    c.close()
    time.sleep(grace + 0.7)
    c = srv.client()
    w = c.hello(resume=s)
    check("resume after resume_grace_ms: resumed false", w.get("resumed") is False and w.get("session") != s, w)
    c.close()


def t_rate_limited(srv):
    per_min = srv.config["limits"]["rate_limit_per_min"]
    c = srv.client()
    for i in range(2 * per_min):
        c.ws.send_frame(OP_PING, b"control")
    c.collect(0.2)
    for i in range(per_min):
        c.send({"type": "ping", "id": i + 1})
    c.send({"type": "ping", "id": per_min + 1})
    c.send({"type": "ping", "id": per_min + 2})
    got = c.collect(1.0, lambda d: d.get("type") in ("pong", "error"))
    pongs = [g for g in got if g.get("type") == "pong"]
    errors = [g for g in got if g.get("type") == "error"]
    check(f"rate limit: a burst of {per_min} messages is served (control frames do not count)", len(pongs) >= per_min,
          f"{len(pongs)} pongs, errors {short(errors[:2])}")
    check("rate limit: messages beyond the burst get rate_limited",
          errors and all(e.get("code") == "rate_limited" for e in errors), short(errors))
    check("rate_limited: retry_after_ms integer >= 1 (about the refill time)",
          errors and all(is_int(e.get("retry_after_ms")) and 1 <= e["retry_after_ms"] <= 60000 / per_min + 100
                         for e in errors), short(errors))
    c.collect(1.1)
    r = c.request({"type": "ping"})
    check("rate limit: a token is back after retry_after_ms", r.get("type") == "pong", r)
    c.close()


def t_abuse(srv):
    per_min = srv.config["limits"]["rate_limit_per_min"]
    per_sec = 2 * per_min / 60
    c = srv.client()
    t0 = time.monotonic()
    code = None
    try:
        while time.monotonic() - t0 < 14:
            second = time.monotonic()
            for _ in range(int(per_sec) + 2):
                c.send({"type": "ping"})
            c.collect(max(0.0, 1.0 - (time.monotonic() - second)))
    except Closed as cl:
        code = cl.code
    except OSError:
        code = c.ws.close_code
    el = time.monotonic() - t0
    check_eq(f"abuse: more than {per_sec:g} messages/s for 10 s closes with 4429", code, 4429)
    check("abuse: closed after about 10 s", 9.0 <= el <= 12.5, f"{el:.1f} s")
    c.ws.sock.close()


def t_abuse_below(srv):
    """Exactly the allowed pace for 11 s is not abuse."""
    per_min = srv.config["limits"]["rate_limit_per_min"]
    per_sec = int(2 * per_min / 60)
    c = srv.client()
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 11:
            second = time.monotonic()
            for _ in range(per_sec):
                c.send({"type": "ping"})
            c.collect(max(0.0, 1.0 - (time.monotonic() - second)))
        ok, detail = still_alive(c), ""
    except Closed as cl:
        ok, detail = False, f"closed with {cl.code}"
    check(f"abuse: {per_sec} messages/s (not more than the limit) keeps the connection open", ok, detail)
    c.close()


def t_shutdown(srv, label):
    c = srv.client()
    c.hello()
    srv.proc.send_signal(signal.SIGTERM)
    t0 = time.monotonic()
    time.sleep(0.05)
    try:
        WebSocket(srv.host, srv.port, srv.path).sock.close()
        report(f"shutdown ({label}): no upgrade after the signal (503)", False, "upgrade accepted")
    except HandshakeRefused as r:
        check_eq(f"shutdown ({label}): no upgrade after the signal (503)", r.status, 503)
    except OSError as e:
        report(f"shutdown ({label}): no upgrade after the signal (503)", True, str(e))
    ev = None
    code = None
    try:
        while True:
            m = c.recv(3).data
            if m.get("type") == "event" and m.get("event") == "server_shutdown":
                ev = m
    except Closed as cl:
        code = cl.code
    except TimeoutError:
        pass
    check(f"shutdown ({label}): server_shutdown event", ev is not None and "id" not in ev, ev)
    check_eq(f"shutdown ({label}): close 1001", code, 1001)
    check(f"shutdown ({label}): close within 1 s", time.monotonic() - t0 <= 1.5, time.monotonic() - t0)
    try:
        rc = srv.proc.wait(6)
    except subprocess.TimeoutExpired:
        srv.proc.kill()
        rc = "still running after 6 s"
    check_eq(f"shutdown ({label}): exit code 0", rc, 0)
    c.ws.sock.close()


# ---------------------------------------------------------------------------

def sim(dev_id, rate):
    return {"id": dev_id, "plugin": "sim", "rate_hz": rate}


def main():
    if len(sys.argv) < 2:
        print("usage: conformance.py PATH/TO/halhub", file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="halhub-conformance-")
    main_cfg = {
        "server": {"host": "127.0.0.1", "heartbeat_ms": 10000, "resume_grace_ms": 30000, "max_clients": 100},
        "limits": {"rate_limit_per_min": 100000, "rate_limit_per_user_per_min": 1000000,
                   "rate_limit_per_ip_per_min": 1000000, "max_rate_hz": 50, "max_streams": 4,
                   "max_message_bytes": 8192},
        "devices": [sim("sim0", 100), sim("sim1", 20), sim("sim2", 100), sim("simc", 100), sim("simq", 100),
                    sim("simd", 50), sim("simr", 100)],
    }
    small_cfg = {
        "server": {"host": "127.0.0.1", "heartbeat_ms": 300, "resume_grace_ms": 1000, "max_clients": 3},
        "limits": {"rate_limit_per_min": 60},
        "devices": [sim("sim0", 10)],
    }
    servers = []
    try:
        a = Server(binary, main_cfg, "main", workdir)
        servers.append(a)
        b = Server(binary, small_cfg, "small", workdir)
        servers.append(b)
    except Exception as exc:  # noqa: BLE001
        report("server starts and prints its URL", False, str(exc))
        for s in servers:
            s.proc.kill()
        print(f"{_passed} passed, {_failed} failed")
        return 1
    report("server starts and prints 'listening on ws://...'", True)

    def small_server_checks():
        run("max_clients", t_max_clients, b)
        run("heartbeat", t_heartbeat, b)
        run("resume expiry", t_resume_expired, b)
        run("rate_limited", t_rate_limited, b)
        run("abuse 4429", t_abuse, b)
        run("abuse below limit", t_abuse_below, b)

    side = threading.Thread(target=small_server_checks)
    side.start()
    for name, fn in (("handshake", t_handshake), ("welcome/hello", t_welcome), ("ping", t_ping),
                     ("input forms", t_forms_in), ("output encodings", t_encodings_out),
                     ("list_devices", t_list_devices), ("get_metrics", t_get_metrics), ("errors", t_errors),
                     ("values", t_values), ("ids", t_ids), ("size limits", t_size_limits),
                     ("subscribe full", t_subscribe_full), ("subscribe refusals", t_subscribe_refusals),
                     ("granted rate", t_granted_rate), ("too_many_streams", t_too_many_streams),
                     ("delta", t_delta), ("sampled", t_sampled), ("custom", t_custom),
                     ("commands", t_commands), ("cancel", t_cancel), ("idempotency", t_idempotency),
                     ("queue_full", t_queue_full), ("events", t_events_unplug), ("resume", t_resume)):
        run(name, fn, a)
    side.join()
    run("shutdown main", t_shutdown, a, "main")
    run("shutdown small", t_shutdown, b, "small")
    for s in servers:
        if s.proc.poll() is None:
            s.proc.kill()
    print(f"run time {time.monotonic() - started:.1f} s", flush=True)
    print(f"{_passed} passed, {_failed} failed", flush=True)
    return 1 if _failed else 0


if __name__ == "__main__":
    sys.exit(main())
