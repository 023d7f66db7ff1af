#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds, runs every test (the paced PulseAudio rig is
# started and stopped by the tests themselves), the lock-free structures under ThreadSanitizer, then the fuzzers'
# smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."

./Deploy/install-dependencies.sh test

./Tests/CI/test-events-selftest.sh

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
#
# Reruns: the paced rig is PulseAudio on a shared VM, and when the host steals CPU its stream underflows with no fault
# of ours. A failed test tagged `rigTiming` (Tests/EarshotTestRig/RigTimingTag.swift) is run once more and must pass;
# every rerun is printed on a "run-all: RERUN" line and counted in the summary. Any other failure fails the suite at
# once, and so does a crash (the run never ended), whatever failed before it. Tests/CI/test-events.py reads the
# Swift Testing event stream to tell these apart.
events=$(mktemp)
trap 'rm -f "$events"' EXIT
run_tests() {
    rm -f "$events"
    swift test --skip-build --no-parallel --experimental-event-stream-output "$events" \
        --experimental-event-stream-version 0 "$@" || true
}

run_tests
verdict=0
findings=$(python3 Tests/CI/test-events.py "$events" rigTiming) || verdict=$?
if [ "$verdict" -eq 2 ]; then
    echo "$findings" >&2
    echo "run-all: FAILED (not rerun)" >&2
    exit 1
fi
reruns=()
if [ "$verdict" -eq 1 ]; then mapfile -t reruns < <(sed -n 's/^rerun //p' <<<"$findings"); fi
for filter in "${reruns[@]}"; do
    echo "run-all: RERUN (rig timing) $filter" >&2
    run_tests --filter "$filter" </dev/null
    if ! python3 Tests/CI/test-events.py "$events" rigTiming >&2; then
        echo "run-all: FAILED: $filter failed again on its rerun" >&2
        exit 1
    fi
    echo "run-all: RERUN passed: $filter" >&2
done
echo "run-all: tests passed; rig-timing reruns: ${#reruns[@]}${reruns[*]:+ (${reruns[*]})}"

# The lock-free structures under ThreadSanitizer (ring, counters mailbox, playback cadence and standby), each with a
# negative control that must be caught.
./Tests/run-thread-sanitizer.sh

# The parsers and the receive path under libFuzzer + AddressSanitizer, 30 s a target (Tests/Fuzz/README.md): a smoke
# run that CI can afford; longer runs by hand.
./Tests/Fuzz/run-fuzzers.sh 30
