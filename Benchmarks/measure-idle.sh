#!/usr/bin/env bash
# CPU seconds per minute and wake-ups per second of an idle receiver (listening, no stream) on the rig: earshot-recv
# with its default standby, earshot-recv with `--standby-after 0` (the device keeps playing silence) and trx-rx.
#   Benchmarks/measure-idle.sh RIGDIR [SECONDS]
# RIGDIR: a running `Tests/Rig/audio-rig.sh start RIGDIR 1 aligned` (the receivers play into `out`). Each receiver
# gets 13 s to settle (the rig's ~1.9 s stream start-up, then Earshot's 10 s before standby), then SECONDS (default 20)
# are measured: utime+stime of all its threads from /proc/PID/stat, and their voluntary context switches. Prints a
# markdown table.
set -euo pipefail
rig=${1:?usage: measure-idle.sh RIGDIR [SECONDS]}
seconds=${2:-20}
bin=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/release}
set -a; . "$rig/env"; set +a
tick=$(getconf CLK_TCK)

switches() { cat /proc/"$1"/task/*/status | awk '/^voluntary_ctxt/ {sum += $2} END {print sum}'; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

measure() {
    local name=$1
    shift
    "$@" >/dev/null 2>&1 &
    local pid=$!
    sleep 13
    local c0 w0 c1 w1
    c0=$(cpu $pid); w0=$(switches $pid)
    sleep "$seconds"
    c1=$(cpu $pid); w1=$(switches $pid)
    kill -TERM $pid; wait $pid 2>/dev/null || true
    awk -v n="$name" -v c=$((c1 - c0)) -v w=$((w1 - w0)) -v t="$tick" -v s="$seconds" 'BEGIN {
        printf "| %s | %.2f | %.0f |\n", n, c / t * 60 / s, w / s }'
}

echo "| idle receiver (listening, no stream, ${seconds} s) | CPU s/min | wake-ups/s (all threads) |"
echo "|---|---:|---:|"

port=$((20000 + (RANDOM % 10000) * 2))
measure "earshot-recv (default: device stopped after 10 s)" "$bin/earshot-recv" --listen "127.0.0.1:$port" --device out
measure "earshot-recv --standby-after 0 (device plays silence)" "$bin/earshot-recv" --listen "127.0.0.1:$port" --device out --standby-after 0
if command -v trx-rx >/dev/null; then
    measure "trx-rx" trx-rx -d out -h 127.0.0.1 -p "$port"
fi
