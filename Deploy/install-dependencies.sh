#!/usr/bin/env bash
# Installs the Debian packages Earshot needs, only those that are missing.
#   install-dependencies.sh runtime   what a speaker box needs to run earshot-recv / earshot-send
#   install-dependencies.sh build     + headers and pkg-config to build from source
#   install-dependencies.sh test      + the PulseAudio rig and the interop peers the test suite runs
set -euo pipefail

level=${1:-build}
runtime=(libasound2 libopus0 libsystemd0 libspeexdsp1 libssl3 alsa-utils)
build=(libasound2-dev libopus-dev libsystemd-dev libspeexdsp-dev libssl-dev pkg-config)
rig=(pulseaudio pulseaudio-utils libasound2-plugins)
# systemd: systemd-analyze checks the units in Deploy/systemd.
peers=(ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad trx sox
  python3-prometheus-client systemd)

case "$level" in
  runtime) wanted=("${runtime[@]}") ;;
  build) wanted=("${runtime[@]}" "${build[@]}") ;;
  rig) wanted=("${runtime[@]}" "${build[@]}" "${rig[@]}") ;;
  test) wanted=("${runtime[@]}" "${build[@]}" "${rig[@]}" "${peers[@]}") ;;
  *) echo "usage: $0 runtime|build|rig|test" >&2; exit 2 ;;
esac

missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
