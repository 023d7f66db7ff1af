#!/usr/bin/env bash
# Paced audio devices without a sound card: a private PulseAudio server with null sinks, reached through ALSA's
# `pulse` plugin.
#
#   audio-rig.sh start DIR [OUTPUTS] [aligned]
#                                      start the server in DIR (OUTPUTS playback sinks: spk, spk2, …; default 2);
#                                      `aligned` adds the sample-aligned latency rig below
#   audio-rig.sh stop DIR              stop it and remove DIR's runtime files
#
# DIR afterwards holds:
#   native     the server's native-protocol socket (PULSE_SERVER=unix:DIR/native)
#   asoundrc   ALSA PCMs: spk, spk2, … (playback into the null sinks), mic (capture from the null sink `mic`'s
#              monitor), mic_feed (playback into `mic`, i.e. what the `mic` capture PCM hears); and a control device
#              per playback sink, ctl.spk, ctl.spk2, …, whose simple mixer control `Master` is that sink's volume and
#              mute (`amixer -D spk sget Master`; no dB scale: raw 0-65536 on PulseAudio's cube-root scale)
#   env        shell lines for subprocesses: PULSE_SERVER and ALSA_CONFIG_PATH (system alsa.conf + DIR/asoundrc)
#   with `aligned`: ref, out (playback PCMs that are channels 1-2 and 3-4 of the 4-channel null sink `wide`) and
#              ref_in (capture PCM hearing exactly what is played into `ref`), so one recording of `wide.monitor`
#              holds a reference and a system's output sample-aligned:
#              ref ─▶ wide[aux0,aux1] ─▶ ref_in ─▶ system under test ─▶ out ─▶ wide[aux2,aux3]
# Record what was played:  parec -d spk.monitor --raw --format=float32le --rate=48000 --channels=2
# Record the aligned rig:  parec -d wide.monitor --raw --format=float32le --rate=48000 --channels=4 \
#                              --channel-map=aux0,aux1,aux2,aux3
set -euo pipefail

command=${1:?usage: audio-rig.sh start|stop DIR [OUTPUTS] [aligned]}
dir=${2:?usage: audio-rig.sh start|stop DIR [OUTPUTS] [aligned]}
outputs=${3:-2}
aligned=${4:-}

pulse_env() {
    # A private runtime, state and home so several rigs (and a root user) never share a server or a cookie.
    export XDG_RUNTIME_DIR="$dir" PULSE_RUNTIME_PATH="$dir" PULSE_STATE_PATH="$dir/state" HOME="$dir"
    export PULSE_SERVER="unix:$dir/native"
}

case "$command" in
start)
    mkdir -p "$dir/state"
    dir=$(cd "$dir" && pwd)
    pulse_env
    sinks=(spk)
    for ((index = 2; index <= outputs; index++)); do sinks+=("spk$index"); done
    modules=(-L "module-native-protocol-unix socket=$dir/native auth-anonymous=1")
    for sink in "${sinks[@]}" mic; do
        modules+=(-L "module-null-sink sink_name=$sink format=float32le rate=48000 channels=2")
    done
    if [ "$aligned" = aligned ]; then
        # remix=no: each 2-channel remap sink writes only its own two channels of `wide`, never upmixed into all four.
        stereo=channel_map=front-left,front-right
        modules+=(
            -L "module-null-sink sink_name=wide format=float32le rate=48000 channels=4 channel_map=aux0,aux1,aux2,aux3"
            -L "module-remap-sink sink_name=ref master=wide channels=2 master_channel_map=aux0,aux1 $stereo remix=no"
            -L "module-remap-sink sink_name=out master=wide channels=2 master_channel_map=aux2,aux3 $stereo remix=no"
            -L "module-remap-source source_name=ref_in master=wide.monitor channels=2 master_channel_map=aux0,aux1 $stereo remix=no"
        )
    fi
    # -n: no default.pa (no hardware detection, no suspend-on-idle); never exit while idle.
    pulseaudio -n --daemonize=yes --exit-idle-time=-1 --use-pid-file=yes --system=no --disallow-exit=no \
        --log-target="file:$dir/pulse.log" "${modules[@]}" 2>>"$dir/pulse.err"
    for _ in $(seq 50); do
        pactl info >/dev/null 2>&1 && break
        sleep 0.1
    done
    pactl info >/dev/null || { echo "audio-rig: PulseAudio did not come up; see $dir/pulse.log" >&2; exit 1; }
    # The rig stands for a sound card, whose clock no program can delay: all of the server's threads (its main thread
    # moves the clients' audio) run SCHED_FIFO above the systems under test (80). Without it, a 2-core VM busy with a
    # test's analysis or a debug build starves the server into xruns and gaps. Where real-time is refused, the rig
    # still runs, only less steadily.
    chrt -a -f -p 90 "$(cat "$dir/pid")" 2>/dev/null || echo "audio-rig: could not make PulseAudio real-time" >&2
    {
        for sink in "${sinks[@]}"; do
            echo "pcm.$sink { type pulse; device \"$sink\"; server \"unix:$dir/native\" }"
            echo "ctl.$sink { type pulse; device \"$sink\"; server \"unix:$dir/native\" }"
        done
        echo "pcm.mic { type pulse; device \"mic.monitor\"; server \"unix:$dir/native\" }"
        echo "pcm.mic_feed { type pulse; device \"mic\"; server \"unix:$dir/native\" }"
        if [ "$aligned" = aligned ]; then
            for pcm in ref out ref_in; do
                echo "pcm.$pcm { type pulse; device \"$pcm\"; server \"unix:$dir/native\" }"
            done
        fi
    } >"$dir/asoundrc"
    {
        echo "PULSE_SERVER=unix:$dir/native"
        echo "ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$dir/asoundrc"
    } >"$dir/env"
    ;;
stop)
    [ -d "$dir" ] || exit 0
    dir=$(cd "$dir" && pwd)
    pulse_env
    if [ -f "$dir/pid" ]; then
        pid=$(cat "$dir/pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 30); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir/native" "$dir/pid" "$dir/state" "$dir/.config"
    ;;
*)
    echo "usage: audio-rig.sh start|stop DIR [OUTPUTS] [aligned]" >&2
    exit 2
    ;;
esac
