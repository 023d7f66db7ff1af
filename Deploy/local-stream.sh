#!/usr/bin/env bash
# The main job on one host: earshot-send → RTP over loopback → earshot-recv → a sound device, and a WAV of what was
# heard. With no sound card (no /dev/snd) the receiver plays into a private PulseAudio null sink, whose monitor is
# recorded; with a card, pass --device to hear it (the WAV is then what earshot-recv handed to the device).
#
#   Deploy/local-stream.sh [--seconds N] [--device ALSA_PCM] [--input FILE.wav | --tone HZ] [--port N] [--out FILE.wav]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=5 device="" source_args=(--tone 997) port=5004 out="$PWD/earshot-heard.wav"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --input) source_args=(--input "$2"); shift 2 ;;
    --tone) source_args=(--tone "$2"); shift 2 ;;
    --port) port=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "local-stream.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$seconds" in ''|*[!0-9]*) echo "local-stream.sh: --seconds takes whole seconds, 1 or more" >&2; exit 2 ;; esac

./Deploy/install-dependencies.sh rig
swift build -c release --product earshot-recv >&2
swift build -c release --product earshot-send >&2
bin=$(swift build -c release --show-bin-path)

rig="" recorder=""
cleanup() {
  [ -n "$recorder" ] && kill "$recorder" 2>/dev/null || true
  [ -n "$rig" ] && ./Tests/Rig/audio-rig.sh stop "$rig" >/dev/null 2>&1 && rm -rf "$rig"
}
trap cleanup EXIT

receiver_args=()
if [ -z "$device" ]; then
  if [ -e /dev/snd ] && aplay -L 2>/dev/null | grep -qx default && aplay -l >/dev/null 2>&1; then
    device=default
    receiver_args=(--record "$out")
  else
    echo "no sound card here: playing into a PulseAudio null sink and recording its monitor" >&2
    rig=$(mktemp -d /tmp/earshot-local.XXXXXX)
    ./Tests/Rig/audio-rig.sh start "$rig" 1
    set -a; . "$rig/env"; set +a
    device=spk
    # PulseAudio is a server, not a sound card: give it a 30 ms device buffer (a card plays the 3 × 5 ms default).
    receiver_args=(--buffer-periods 6)
    parec -d spk.monitor --file-format=wav --format=s16le --rate=48000 --channels=2 "$out" &
    recorder=$!
  fi
else
  receiver_args=(--record "$out")
fi

"$bin/earshot-recv" --listen "127.0.0.1:$port" --device "$device" --duration $((seconds + 4)) --stats 1 \
  "${receiver_args[@]}" &
receiver=$!
# A PulseAudio null sink takes up to ~2 s to start consuming a new stream; a sound card starts at once.
if [ -n "$rig" ]; then sleep 2.5; else sleep 0.5; fi
"$bin/earshot-send" "${source_args[@]}" --to "127.0.0.1:$port" --duration "$seconds" --stats 1
wait "$receiver"
if [ -n "$recorder" ]; then kill "$recorder"; wait "$recorder" 2>/dev/null || true; recorder=""; fi
echo "what was heard: $out"
