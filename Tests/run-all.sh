#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds, runs every test (the paced PulseAudio rig is
# started and stopped by the tests themselves), then the ring buffer under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

./Deploy/install-dependencies.sh test

swift build --build-tests
# The end-to-end tests run the release executables (what ships, and a fraction of a debug build's CPU on the
# machine the paced rig shares).
swift build -c release --product earshot-recv
swift build -c release --product earshot-send
swift build -c release --product earshot-impair
EARSHOT_PRODUCTS="$(swift build -c release --show-bin-path)"
export EARSHOT_PRODUCTS
# Suites that share the audio rig or fixed ports are `.serialized`; running the suites one after another as well keeps
# a 2-core machine from starving the paced tests.
swift test --skip-build --no-parallel

# The lock-free ring buffer again under ThreadSanitizer, with a negative control that must be caught.
./Tests/run-thread-sanitizer.sh
