#!/usr/bin/env bash
# The same load on halhub headless and with its window (under Xvfb), one after
# the other: 1000 clients x 100 Hz from one 100 Hz sim (side-by-side's s3).
# Usage, from the project's root after a build:
#   scripts/gui-vs-headless.sh [runs]     (default 1 pair)
# Env: HALHUB_BIN (default build/bin/halhub), CLIENTS (1000), DUR (window s, 10),
#      PERF=1 (perf record the window's run into gui-vs-headless.perf.data).
# Prints one line per run: wsload's figures, and the CPU seconds the main
# thread (the one the window shares with the telemetry) used over the window.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
hal=${HALHUB_BIN:-$here/build/bin/halhub}
runs=${1:-1}; clients=${CLIENTS:-1000}; dur=${DUR:-10}
bench=$here/../shared/bench
ws=${TMPDIR:-/tmp}/halhub-wsload/wsload
[[ -x $hal ]] || { echo "no halhub at $hal"; exit 1; }
[[ -x $ws ]] || { cmake -S "$bench" -B "$(dirname "$ws")" >/dev/null && cmake --build "$(dirname "$ws")" -j2 >/dev/null; } || { echo "wsload build failed"; exit 1; }
command -v Xvfb >/dev/null || { echo "needs Xvfb"; exit 1; }
ulimit -n 65536 2>/dev/null || true
freeport() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
waitport() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }
mainticks() { awk '{print $14+$15}' "/proc/$1/task/$1/stat"; }

run() { # headless|gui
  local mode=$1 port cfg home pid xpid="" display t0 t1 res
  port=$(freeport); cfg=$(mktemp --suffix .json); home=$(mktemp -d)
  cat >"$cfg" <<JSON
{"server":{"host":"127.0.0.1","port":$port,"max_clients":20000},
 "limits":{"rate_limit_per_ip_per_min":100000000,"rate_limit_per_user_per_min":100000000},
 "devices":[{"id":"sim0","plugin":"sim","rate_hz":100}]}
JSON
  if [[ $mode == headless ]]; then
    HOME=$home QT_QPA_PLATFORM=offscreen "$hal" --headless --config "$cfg" >/dev/null 2>&1 & pid=$!
  else
    for display in $(seq 90 120); do [[ -e /tmp/.X11-unix/X$display ]] || break; done
    Xvfb ":$display" -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 & xpid=$!
    for _ in $(seq 100); do [[ -e /tmp/.X11-unix/X$display ]] && break; sleep 0.1; done
    # A fresh HOME: the default layout, every dock shown.
    env -u QT_QPA_PLATFORM HOME=$home DISPLAY=":$display" "$hal" --config "$cfg" >/dev/null 2>&1 & pid=$!
  fi
  waitport "$port" || { echo "$mode: halhub did not listen"; kill $pid $xpid 2>/dev/null; return; }
  local perfpid=""
  if [[ -n ${PERF:-} && $mode == gui ]]; then
    perf record -F 150 --call-graph dwarf,16384 -p $pid -o gui-vs-headless.perf.data -- sleep $((dur + 3)) >/dev/null 2>&1 & perfpid=$!
  fi
  t0=$(mainticks $pid)
  res=$("$ws" --proto halhub --url "ws://127.0.0.1:$port/ws/hardware" --device sim0 --rate 100 \
        --encoding msgpack --clients "$clients" --duration "$dur" --server-pid $pid 2>/dev/null)
  t1=$(mainticks $pid)
  [[ -n $perfpid ]] && wait $perfpid
  kill $pid; wait $pid 2>/dev/null
  [[ -n $xpid ]] && { kill $xpid; wait $xpid 2>/dev/null; }
  rm -rf "$cfg" "$home"
  echo "$res" | /usr/bin/python3 -c "
import json, sys
r = json.load(sys.stdin)
print('%-8s msg/s=%.0f p50=%s p99=%s max=%s srv_cpu=%s%% ready=%s main_thread_cpu=%.2fs' % ('$mode',
      r['throughput_msg_per_sec'], r['p50_latency_ms'], r['p99_latency_ms'], r['max_latency_ms'],
      r['server_cpu_pct'], r.get('clients_ready'), ($t1 - $t0) / $(getconf CLK_TCK)))"
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$runs"); do run headless; run gui; done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
