#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds, runs every test (the paced PulseAudio rig is
# started and stopped by the tests themselves), then the ring buffer under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

./Deploy/install-dependencies.sh test

swift build --build-tests
# Suites that share the audio rig or fixed ports are `.serialized`; running the suites one after another as well keeps
# a 2-core machine from starving the paced tests.
swift test --skip-build --no-parallel

# The lock-free ring buffer again under ThreadSanitizer, with a negative control that must be caught.
./Tests/run-thread-sanitizer.sh
