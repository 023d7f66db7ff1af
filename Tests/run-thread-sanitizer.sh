#!/usr/bin/env bash
# The lock-free hand-overs' two-thread stress tests under ThreadSanitizer, whole package instrumented, in its own
# build folder: the ring buffer, the sequence lock behind the receiver's counters and stream mailboxes, the playback
# cadence and the standby flags. First a negative control per component: built with EARSHOT_TSAN_NEGATIVE_CONTROL=1
# (see Package.swift), which breaks them all, each component's stress test must get a data race reported in that
# component, otherwise this check could not fail. Then the real code, which must pass without a report.
# Each configuration is built once and the tests are filtered per component; switching between the two
# configurations recompiles only the two modules the control touches.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=.build-tsan
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Component | its stress test (swift test --filter) | where the data race must be reported (grep -E, in the report).
# The ring and the sequence lock race on their own memory (the report's summary names their file; both mailboxes
# publish through `SequenceLockedWords`); the cadence and the
# standby flags hold only atomics, so what they fail to order is the payload their test hands over (the report's
# stack names that test's file).
components=(
    "RingBuffer|RingBufferTests/twoThread|^SUMMARY: .*/RingBuffer\.swift:"
    "ReceiverCountersMailbox|ReceiverCountersMailboxTests/concurrentReader|^SUMMARY: .*/SequenceLockedWords\.swift:"
    "ReceiverStreamMailbox|ReceiverStreamIdentityTests/concurrentReaders|^SUMMARY: .*/SequenceLockedWords\.swift:"
    "PlaybackCadence|PlaybackCadenceTests/twoThread| /[^ ]*/PlaybackCadenceTests\.swift:"
    "PlaybackStandby|PlaybackStandbyTests/twoThread| /[^ ]*/PlaybackStandbyTests\.swift:"
)

# The test product only (the executables are not needed here).
build() { swift build --sanitize=thread --scratch-path "$scratch" --product EarshotPackageTests; }

export EARSHOT_TSAN_NEGATIVE_CONTROL=1
build
# halt_on_error: the first report is all a control needs. TSan sees a race only when the two threads' accesses
# fall within its history window; on a loaded 2-core machine one 3 s run has (once in many) missed it, so each
# control gets three attempts and must be caught in one of them.
for component in "${components[@]}"; do
    IFS='|' read -r name filter where <<<"$component"
    caught=no
    for attempt in 1 2 3; do
        if TSAN_OPTIONS="halt_on_error=1 history_size=7" \
            swift test --skip-build --sanitize=thread --scratch-path "$scratch" --filter "$filter" >"$log" 2>&1; then
            echo "ThreadSanitizer negative control, $name: attempt $attempt saw no race"
            continue
        fi
        report=$(sed -n '/WARNING: ThreadSanitizer: data race/,/SUMMARY: ThreadSanitizer/p' "$log")
        if ! grep -q "SUMMARY: ThreadSanitizer: data race" <<<"$report" || ! grep -qE "$where" <<<"$report"; then
            cat "$log"
            echo "ThreadSanitizer negative control, $name: the run failed, but not with a data race in $name" \
                "(expected in the report: $where; see above)." >&2
            exit 1
        fi
        caught=yes
        break
    done
    if [ "$caught" != yes ]; then
        cat "$log"
        echo "ThreadSanitizer negative control, $name: the broken hand-over went undetected in 3 runs; the TSan run" \
            "proves nothing for it." >&2
        exit 1
    fi
    echo "ThreadSanitizer negative control, $name: data race reported on attempt $attempt, as expected."
done

unset EARSHOT_TSAN_NEGATIVE_CONTROL
build
filters=$(for component in "${components[@]}"; do cut -d'|' -f2 <<<"$component"; done | paste -sd'|' -)
# One test at a time, so each stress test has both cores for its two threads.
if ! swift test --skip-build --sanitize=thread --scratch-path "$scratch" --no-parallel --filter "$filters" 2>&1 |
    tee "$log"; then
    echo "ThreadSanitizer: the real run failed (see above)." >&2
    exit 1
fi
if grep -q "ThreadSanitizer" "$log"; then
    echo "ThreadSanitizer: the real run reported something (see above)." >&2
    exit 1
fi
echo "ThreadSanitizer: ${#components[@]} hand-overs clean: $filters"
