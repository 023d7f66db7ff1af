#!/usr/bin/env bash
# Earshot benchmarks in one command: installs what is missing (rig packages, trx), builds release, runs the micro
# benchmarks and the end-to-end latency comparison, and writes the tables to Benchmarks/results/ (latest.md).
#   Benchmarks/run.sh            everything (about 8 minutes on 2 cores once packages are built)
#   BURSTS=60 Benchmarks/run.sh  longer end-to-end runs (more bursts per row; default 30)
#   SYSTEMS=floor,trx-default Benchmarks/run.sh   a subset of the end-to-end rows
#   IDLE=0 Benchmarks/run.sh     without the idle receivers' CPU (about 100 s)
#   ONLY=resampler Benchmarks/run.sh   only the resampler quality table (about 3 minutes)
set -euo pipefail
cd "$(dirname "$0")"
bench=$(pwd)
root=$(cd .. && pwd)
results="$bench/results"
mkdir -p "$results"

# MARK: - Packages: the PulseAudio rig, ALSA tools, libopus headers, trx, libspeexdsp and libsoxr headers (the
# resampler's peers). (package-benchmark 1.38.1 counts mallocs with its malloc-interposer trait; it needs no jemalloc.)
if [ "${ONLY:-}" = resampler ]; then
    "$root/Deploy/install-dependencies.sh" build
    peers=(libspeexdsp-dev libsoxr-dev)
else
    "$root/Deploy/install-dependencies.sh" rig
    peers=(trx libspeexdsp-dev libsoxr-dev)
fi
for package in "${peers[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        sudo_cmd=()
        [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
        DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$package" >/dev/null ||
            { "${sudo_cmd[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$package" >/dev/null; }
    fi
done

# MARK: - Resampler quality: AdaptiveResampler, libspeexdsp, libsoxr, SpeexResampler (allocations counted by the
# malloc interposer, preloaded)
swift build -c release --product earshot-resampler-quality
LD_PRELOAD="$bench/.build/release/libMallocInterposerSwift.so" "$bench/.build/release/earshot-resampler-quality" \
    --output "$results/resampler.md"
if [ "${ONLY:-}" = resampler ]; then exit 0; fi

# MARK: - Build (release)
(cd "$root" && swift build -c release)
swift build -c release --product earshot-latency && swift build -c release --product earshot-rig-floor

# MARK: - Micro benchmarks
micro_dir="$results/micro"
rm -rf "$micro_dir" && mkdir -p "$micro_dir"
swift package --allow-writing-to-directory "$micro_dir" benchmark --no-progress --format jmh --path "$micro_dir" \
    >"$results/micro.log" 2>&1 || { cat "$results/micro.log"; exit 1; }
python3 "$bench/micro-table.py" "$micro_dir" >"$results/micro.md"

# MARK: - End to end
# (A check of the executables' --help that once chose the Earshot rows dropped them at random: `grep -q` closed the
# pipe early, the help text died of SIGPIPE, and `pipefail` made the test false.)
systems=${SYSTEMS:-floor,earshot-default,earshot-lowest,earshot-redundant,earshot-trx-cadence,trx-default,trx-lowest}
"$bench/.build/release/earshot-latency" --rig-script "$root/Tests/Rig/audio-rig.sh" \
    --bin-directory "$root/.build/release" --systems "$systems" --bursts "${BURSTS:-30}" --output "$results/e2e.md"

# MARK: - Idle receivers (a speaker box waits for a stream most of the day)
if [ "${IDLE:-1}" != 0 ]; then
    idle_rig=$(mktemp -d)
    "$root/Tests/Rig/audio-rig.sh" start "$idle_rig" 1 aligned >/dev/null
    BIN="$root/.build/release" "$bench/measure-idle.sh" "$idle_rig" 20 >"$results/idle.md" ||
        echo "measure-idle.sh failed" >"$results/idle.md"
    "$root/Tests/Rig/audio-rig.sh" stop "$idle_rig" >/dev/null || true
    rm -rf "$idle_rig"
else
    echo "(skipped: IDLE=0)" >"$results/idle.md"
fi

{
    echo "# Earshot benchmark run, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB;"
    echo "$(. /etc/os-release && echo "$PRETTY_NAME"), $(swift --version 2>/dev/null | head -1), libopus $(pkg-config --modversion opus)."
    echo "Command: Benchmarks/run.sh"
    echo
    echo "## Micro (per operation)"
    echo
    cat "$results/micro.md"
    echo
    echo "## End to end (paced PulseAudio rig, sample-aligned recording)"
    echo
    cat "$results/e2e.md"
    echo
    echo "## Idle receivers (same rig, Benchmarks/measure-idle.sh)"
    echo
    cat "$results/idle.md"
    echo
    echo "## Resampler quality (earshot-resampler-quality)"
    echo
    cat "$results/resampler.md"
} >"$results/latest.md"
cat "$results/latest.md"
