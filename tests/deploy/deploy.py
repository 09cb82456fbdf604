#!/usr/bin/python3
"""halhub installed the way a lab server has it, tried from the outside.

Usage: deploy.py --build-dir DIR --source-dir DIR --cmake CMAKE --cpack CPACK

1. `cmake --install` of the build tree into a fresh prefix: the installed binaries
   and plugins name no path of the build or source tree and find their libraries by
   themselves; <prefix>/bin/halhub, with neither LD_LIBRARY_PATH nor
   HALHUB_PLUGIN_PATH, serves sim0 and sim1 to a WebSocket client, streams
   telemetry and ends with exit code 0 on SIGTERM.
2. The Debian package (cpack): its Depends, its files, and the halhub extracted from
   it (`dpkg -x`) serving the same way with the package's /etc/halhub/halhub.json.
3. `systemd-analyze verify` of the installed unit.

Everything happens in a temporary directory that is removed at the end; nothing is
installed into the system. Prints one PASS/FAIL line per check; the exit code is 1
when a check failed, 77 (skipped) when only systemd-analyze is missing.
"""

import argparse
import base64
import hashlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

EXIT_SKIPPED = 77
PLUGINS = ["libhalhub_linestream.so", "libhalhub_modbus.so", "libhalhub_scpi.so",
           "libhalhub_sim.so", "libhalhub_replay.so"]

failures = []


def check(name, ok, detail=""):
    if ok:
        print(f"PASS {name}", flush=True)
    else:
        failures.append(name)
        print(f"FAIL {name}: {detail}", flush=True)
    return ok


def run(cmd, **kw):
    """Runs a command to its end; returns (exit code, stdout + stderr)."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120, **kw)
    return proc.returncode, proc.stdout


def clean_env():
    """The environment of a lab server's shell: nothing that points into the build."""
    env = dict(os.environ)
    for name in ("LD_LIBRARY_PATH", "HALHUB_PLUGIN_PATH", "QT_PLUGIN_PATH"):
        env.pop(name, None)
    return env


# ---------------------------------------------------------------------------
# The installed files

def elf_files(root):
    found = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    found.append(path)
    return sorted(found)


def check_binaries(label, root, forbidden):
    """Every ELF file under root: RUNPATH only relative to itself, every library found
    outside the build and source trees, halhub's own inside root."""
    for path in elf_files(root):
        rel = os.path.relpath(path, root)
        code, out = run(["readelf", "-d", path])
        paths = re.findall(r"\((?:RPATH|RUNPATH)\)\s+Library r\w*path: \[([^\]]*)\]", out)
        entries = [e for p in paths for e in p.split(":") if e]
        check(f"{label}: {rel}: RUNPATH relative to itself ({':'.join(entries) or 'none'})",
              code == 0 and all(e.startswith("$ORIGIN") for e in entries), out)
        code, out = run(["ldd", path], env=clean_env())
        missing = [line.strip() for line in out.splitlines() if "not found" in line]
        inside = [line.strip() for line in out.splitlines()
                  if any(d in line for d in forbidden)]
        own = [line.split("=>")[1].split()[0] for line in out.splitlines()
               if "=>" in line and line.strip().startswith("libhalhub_")
               and "not found" not in line]
        check(f"{label}: {rel}: every library found, none from the build or source tree",
              code == 0 and not missing and not inside, missing + inside or out)
        check(f"{label}: {rel}: halhub's libraries from the install",
              all(os.path.realpath(p).startswith(os.path.realpath(root) + os.sep) for p in own),
              own)


# ---------------------------------------------------------------------------
# A WebSocket client from RFC 6455: handshake (section 4), masked client frames and
# unmasked server frames (section 5), pings answered, close handshake.

class Closed(Exception):
    pass


class WebSocket:
    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, host, port, path, timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            self._fill(deadline)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise RuntimeError(f"upgrade refused: {lines[0]}")
        fields = {k.strip().lower(): v.strip()
                  for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()
        if fields.get("sec-websocket-accept") != accept:
            raise RuntimeError("wrong Sec-WebSocket-Accept")

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("nothing from the server in time")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("nothing from the server in time") from None
        if not data:
            raise Closed("connection ended")
        self.buf += data

    def send(self, opcode, payload):
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_json(self, message):
        self.send(0x1, json.dumps(message).encode())

    def _take(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _frame(self, deadline):
        first, second = self._take(2, deadline)
        n = second & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._take(2, deadline))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._take(8, deadline))[0]
        return first & 0x80, first & 0x0F, self._take(n, deadline)

    def recv_json(self, deadline):
        """The next text message as JSON; pings are answered on the way."""
        parts = []
        while True:
            fin, opcode, payload = self._frame(deadline)
            if opcode == 0x9:
                self.send(0xA, payload)
            elif opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise Closed(f"close frame {code}")
            elif opcode in (0x0, 0x1):
                parts.append(payload)
                if fin:
                    return json.loads(b"".join(parts).decode("utf-8"))

    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        try:
            while True:
                message = self.recv_json(deadline)
                if predicate(message):
                    return message
        except TimeoutError:
            raise TimeoutError(f"no {what} within {timeout} s") from None

    def close(self):
        try:
            self.send(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


# ---------------------------------------------------------------------------
# halhub running from an installed tree

class Server:
    def __init__(self, binary, args, cwd):
        self.output = []
        self.lines = queue.Queue()
        self.proc = subprocess.Popen([binary, "--headless", "--port", "0"] + args,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=clean_env(), cwd=cwd)
        self.readers = [threading.Thread(target=self._read, args=(stream, is_stdout), daemon=True)
                        for stream, is_stdout in ((self.proc.stdout, True),
                                                  (self.proc.stderr, False))]
        for reader in self.readers:
            reader.start()

    def _read(self, stream, is_stdout):
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip()
            self.output.append(line)
            if is_stdout:
                self.lines.put(line)
        if is_stdout:
            self.lines.put(None)

    def url(self, timeout=15.0):
        """host, port and path of the "halhub VERSION listening on ws://..." line on stdout."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                return None
            if line is None:
                return None
            m = re.match(r"halhub \S+ listening on ws://([^/:\s]+):(\d+)(/\S*)$", line)
            if m:
                return m.group(1), int(m.group(2)), m.group(3)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def check_serving(label, binary, args, cwd):
    """Lists the devices, streams sim0 and shuts down cleanly on SIGTERM."""
    server = Server(binary, args, cwd)
    ws = None
    try:
        where = server.url()
        if not where:
            # Whatever it said on the way out.
            try:
                server.proc.wait(timeout=5)
                for reader in server.readers:
                    reader.join(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if not check(f"{label}: prints 'halhub VERSION listening on ws://127.0.0.1:PORT/...'",
                     where and where[0] == "127.0.0.1", server.output[-10:]):
            return
        ws = WebSocket(*where)
        ws.send_json({"type": "list_devices", "id": 1})
        reply = ws.wait_for(lambda m: m.get("id") == 1, 5, "devices")
        ids = sorted(d.get("id") for d in reply.get("devices", []))
        check(f"{label}: list_devices shows sim0 and sim1",
              reply.get("type") == "devices" and {"sim0", "sim1"} <= set(ids), reply)

        ws.send_json({"type": "subscribe", "id": 2, "device": "sim0", "rate_hz": 20})
        reply = ws.wait_for(lambda m: m.get("id") == 2, 5, "subscribed")
        stream = reply.get("stream")
        check(f"{label}: subscribe to sim0", reply.get("type") == "subscribed" and stream, reply)
        frames = [ws.wait_for(lambda m: m.get("type") == "telemetry"
                              and m.get("stream") == stream, 5, "telemetry")
                  for _ in range(5)]
        check(f"{label}: sim0 telemetry frames arrive",
              all(f.get("device") == "sim0" and "sine" in f.get("values", {}) for f in frames),
              frames[:1])

        server.proc.send_signal(signal.SIGTERM)
        try:
            bye = ws.wait_for(lambda m: m.get("type") == "event", 5, "server_shutdown")
        except (Closed, TimeoutError) as exc:
            bye = {"error": str(exc)}
        check(f"{label}: SIGTERM: the client is told server_shutdown",
              bye.get("event") == "server_shutdown", bye)
        try:
            code = server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            code = "still running after 15 s"
        check(f"{label}: SIGTERM: exit code 0", code == 0, f"{code}; {server.output[-10:]}")
    except (OSError, RuntimeError, TimeoutError, Closed, ValueError) as exc:
        check(f"{label}: serving", False, f"{type(exc).__name__}: {exc}; {server.output[-10:]}")
    finally:
        if ws:
            ws.close()
        server.stop()


# ---------------------------------------------------------------------------

def check_install(args, tmp, forbidden):
    prefix = os.path.join(tmp, "prefix")
    code, out = run([args.cmake, "--install", args.build_dir, "--prefix", prefix])
    if not check("install: cmake --install into a fresh prefix", code == 0, out[-2000:]):
        return None
    wanted = ["bin/halhub", "bin/halhub-devsim", "etc/halhub/halhub.json",
              "lib/systemd/system/halhub.service", "share/doc/halhub/examples/halhub.json",
              "share/applications/halhub.desktop",
              "share/icons/hicolor/scalable/apps/halhub.svg",
              "lib/halhub/libhalhub_core.so", "lib/halhub/libhalhub_hal.so",
              "lib/halhub/libhalhub_recording.so"]
    wanted += [f"lib/halhub/plugins/{p}" for p in PLUGINS]
    absent = [w for w in wanted if not os.path.isfile(os.path.join(prefix, w))]
    check("install: binaries, libraries, plugins, config, unit, desktop entry", not absent, absent)
    check("install: halhub-bench is a developer tool, not installed",
          not os.path.exists(os.path.join(prefix, "bin/halhub-bench")))
    unit = os.path.join(prefix, "lib/systemd/system/halhub.service")
    if os.path.isfile(unit):
        with open(unit) as f:
            text = f.read()
        want = f"ExecStart={prefix}/bin/halhub --headless --config {prefix}/etc/halhub/halhub.json"
        check("install: the unit runs the installed halhub with the installed config",
              want in text.splitlines(), want)
    check_binaries("install", prefix, forbidden)
    check_serving("install", os.path.join(prefix, "bin/halhub"), [], tmp)
    return prefix


def check_package(args, tmp, forbidden):
    out_dir = os.path.join(tmp, "package")
    # The tree is built already. cpack would first build the target `preinstall`
    # (every target of the tree, the tests too) with the Makefile generator; it has no
    # such step for Ninja, and installs with the tree's own install scripts either way.
    code, out = run([args.cpack, "-G", "DEB", "-B", out_dir,
                     "--config", os.path.join(args.build_dir, "CPackConfig.cmake"),
                     "-D", "CPACK_CMAKE_GENERATOR=Ninja"])
    debs = [f for f in os.listdir(out_dir) if f.endswith(".deb")] if os.path.isdir(out_dir) else []
    if not check("package: cpack -G DEB makes one .deb", code == 0 and len(debs) == 1,
                 out[-3000:]):
        return
    deb = os.path.join(out_dir, debs[0])

    _, depends = run(["dpkg-deb", "-f", deb, "Depends"])
    depends = depends.strip()
    print(f"     Depends: {depends}")
    names = {d.strip().split()[0] for d in depends.replace("|", ",").split(",") if d.strip()}
    check("package: Depends names the Qt libraries and the SVG icon plugin",
          {"libqt6core6", "libqt6gui6", "libqt6network6", "libqt6websockets6",
           "libqt6serialport6", "libqt6svg6"} <= names, depends)
    for field, want in (("Package", "halhub"), ("Section", "science")):
        _, value = run(["dpkg-deb", "-f", deb, field])
        check(f"package: {field} is {want}", value.strip() == want, value)

    _, listing = run(["dpkg-deb", "-c", deb])
    files = {line.split()[-1].lstrip(".") for line in listing.splitlines() if line.strip()}
    wanted = ["/usr/bin/halhub", "/usr/bin/halhub-devsim", "/lib/systemd/system/halhub.service",
              "/etc/halhub/halhub.json", "/usr/share/doc/halhub/examples/halhub.json"]
    wanted += [f"/usr/lib/halhub/plugins/{p}" for p in PLUGINS]
    absent = [w for w in wanted if w not in files]
    check("package: holds halhub, the plugins, the unit and /etc/halhub/halhub.json",
          not absent, absent)
    _, conffiles = run(["dpkg-deb", "-I", deb, "conffiles"])
    check("package: /etc/halhub/halhub.json is a conffile",
          "/etc/halhub/halhub.json" in conffiles.split(), conffiles)

    root = os.path.join(tmp, "extracted")
    code, out = run(["dpkg", "-x", deb, root])
    if not check("package: dpkg -x", code == 0, out):
        return
    with open(os.path.join(root, "lib/systemd/system/halhub.service")) as f:
        unit = f.read().splitlines()
    check("package: the unit runs /usr/bin/halhub with /etc/halhub/halhub.json",
          "ExecStart=/usr/bin/halhub --headless --config /etc/halhub/halhub.json" in unit, unit)
    check_binaries("package", root, forbidden)
    check_serving("package", os.path.join(root, "usr/bin/halhub"),
                  ["--config", os.path.join(root, "etc/halhub/halhub.json")], tmp)


def check_unit(prefix):
    """Returns False when systemd-analyze is not there to ask."""
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        print("SKIP systemd-analyze verify: systemd-analyze is not installed "
              "(scripts/install-deps.sh installs the package systemd)", flush=True)
        return False
    unit = os.path.join(prefix, "lib/systemd/system/halhub.service")
    code, out = run([analyze, "verify", unit])
    # verify exits 0 even for unknown keys: anything it says counts.
    check("unit: systemd-analyze verify is silent and content",
          code == 0 and not out.strip(), out)
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--cmake", required=True)
    parser.add_argument("--cpack", required=True)
    args = parser.parse_args()
    forbidden = sorted({os.path.realpath(args.build_dir), os.path.realpath(args.source_dir),
                        os.path.abspath(args.build_dir), os.path.abspath(args.source_dir)})

    tmp = tempfile.mkdtemp(prefix="halhub-deploy-")
    try:
        start = time.monotonic()
        prefix = check_install(args, tmp, forbidden)
        check_package(args, tmp, forbidden)
        analyzed = check_unit(prefix) if prefix else True
        print(f"{len(failures)} failed, {time.monotonic() - start:.1f} s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        return 1
    return 0 if analyzed else EXIT_SKIPPED


if __name__ == "__main__":
    sys.exit(main())
