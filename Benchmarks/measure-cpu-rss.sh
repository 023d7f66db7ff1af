#!/usr/bin/env bash
# CPU seconds per minute of audio and peak RSS of earshot-send and earshot-recv on a loopback stream.
#   Benchmarks/measure-cpu-rss.sh RIGDIR [SECONDS] [SENDER-SOURCE...]
# RIGDIR: a running `Tests/Rig/audio-rig.sh start RIGDIR 1 aligned` (the receiver plays into `out`; the default
# source `--device ref_in` captures `ref`, into which a 997 Hz sine is played). Other sources: e.g. `--tone 997`.
# Prints utime+stime (from /proc/PID/stat, sampled just before SIGTERM) scaled to one minute, and VmHWM; then the
# receiver's threads: CPU s/min and wake-ups per second (voluntary context switches), which on a VM cost more than
# the audio work. RECV_ARGS/SEND_ARGS add flags (e.g. RECV_ARGS='--pacing device').
set -euo pipefail
rig=${1:?usage: measure-cpu-rss.sh RIGDIR [SECONDS] [SOURCE...]}
seconds=${2:-30}
shift 2 || shift $#
source_args=("$@")
[ ${#source_args[@]} -gt 0 ] || source_args=(--device ref_in)
bin=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/release}
set -a; . "$rig/env"; set +a
port=$((20000 + (RANDOM % 10000) * 2))
tick=$(getconf CLK_TCK)

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
# One line per thread: TID NAME CPU-TICKS VOLUNTARY-SWITCHES.
threads() {
    for task in /proc/$1/task/*; do
        echo "${task##*/} $(tr ' ' _ <"$task/comm") $(awk '{print $14 + $15}' "$task/stat") $(awk '/^voluntary_ctxt/ {print $2}' "$task/status")"
    done
}

feeder=
if [ "${source_args[0]}" = --device ]; then
    sox -n -r 48000 -c 2 -b 16 -t raw - synth 3600 sine 997 vol 0.1 2>/dev/null | aplay -q -D ref -f S16_LE -r 48000 -c 2 2>/dev/null &
    feeder=$!
    sleep 2
fi
"$bin/earshot-recv" --listen "127.0.0.1:$port" --device out ${RECV_ARGS:-} >/tmp/measure-recv.$$ 2>&1 &
recv=$!
sleep 0.5
"$bin/earshot-send" "${source_args[@]}" --to "127.0.0.1:$port" ${SEND_ARGS:-} >/tmp/measure-send.$$ 2>&1 &
send=$!
sleep 2
r0=$(cpu $recv); s0=$(cpu $send); t0=$(threads $recv)
sleep "$seconds"
r1=$(cpu $recv); s1=$(cpu $send); t1=$(threads $recv)
rh=$(hwm $recv); sh=$(hwm $send)
kill -TERM $send; sleep 0.3; kill -TERM $recv
wait $send $recv 2>/dev/null || true
[ -z "$feeder" ] || kill $feeder 2>/dev/null || true
awk -v r=$((r1 - r0)) -v s=$((s1 - s0)) -v t="$tick" -v w="$seconds" -v rh="$rh" -v sh="$sh" 'BEGIN {
    printf "recv CPU %.2f s/min  peak RSS %s MB\nsend CPU %.2f s/min  peak RSS %s MB\n", r / t * 60 / w, rh, s / t * 60 / w, sh }'
join <(sort <<<"$t0") <(sort <<<"$t1") | awk -v t="$tick" -v w="$seconds" '$2 == $5 && $6 >= $3 {
    printf "  recv thread %-16s %.2f s/min  %4.0f wake-ups/s\n", $2, ($6 - $3) / t * 60 / w, ($7 - $4) / w }'
grep -h '^stats ' /tmp/measure-recv.$$ | tail -1 || true
rm -f /tmp/measure-recv.$$ /tmp/measure-send.$$
