#!/usr/bin/python3
"""`halhub --list-ports --probe` as an operator runs it to find an instrument:
a SCPI supply played by halhub-devsim on a pseudo-terminal (named through
HALHUB_SERIAL_PORTS, as the system lists no ptys) is listed with its *IDN?
reply at both baud rates, and a pty where nothing answers says "no reply"."""
import os
import pty
import subprocess
import sys

halhub, devsim = sys.argv[1], sys.argv[2]
failures = []


def check(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    if not ok:
        failures.append(name)


sim = subprocess.Popen([devsim, "--scpi"], stdout=subprocess.PIPE, text=True)
try:
    path = None
    for line in sim.stdout:          # blocks until devsim says where it is
        if line.startswith("pty: "):
            path = line.split(" ", 1)[1].strip()
            break
    check("devsim printed its pty", path is not None)
    # A second pty whose other end is held open and never answers.
    silent_master, silent_slave = pty.openpty()
    silent = os.ttyname(silent_slave)
    env = dict(os.environ, HALHUB_SERIAL_PORTS=f"{path}:{silent}", QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([halhub, "--list-ports", "--probe"], env=env, capture_output=True,
                         text=True, timeout=60)
    check("--list-ports --probe exits 0", run.returncode == 0, run.stderr)
    lines = run.stdout.splitlines()

    def block(port):
        for i, line in enumerate(lines):
            if line.startswith(port + " ") or line == port:
                return lines[i + 1:i + 3]
        return []

    supply = block(path)
    check("the supply's port is listed", len(supply) == 2, run.stdout)
    for baud, line in zip(("9600", "115200"), supply):
        check(f"its *IDN? reply at {baud}",
              f"at {baud}" in line and "HALHUB,DEVSIM-PSU" in line, line)
    quiet = block(silent)
    check("the silent port is listed with no reply at both rates",
          len(quiet) == 2 and all("no reply" in line for line in quiet), run.stdout)
finally:
    sim.terminate()
    sim.wait(timeout=10)

sys.exit(1 if failures else 0)
