#!/usr/bin/env bash
# Negative controls for Tests/CI/test-events.py, run by Tests/run-all.sh before the suite: a rig-timing failure must
# ask for exactly its rerun, while an untagged failure or a crash after a rig failure must fail with no rerun.
set -euo pipefail
cd "$(dirname "$0")"
check() {
    local fixture=$1 expected_status=$2 expected_output=$3 status=0 output
    output=$(python3 test-events.py "fixtures/$fixture.jsonl" rigTiming) || status=$?
    if [ "$status" != "$expected_status" ] || [ "$output" != "$expected_output" ]; then
        echo "test-events self-test: $fixture gave status $status and '$output'," \
            "expected $expected_status and '$expected_output'" >&2
        exit 1
    fi
}
check passed 0 ""
check rig-failed 1 'rerun M\.Rig/plays\(ms:\)'
check unit-failed 2 "failed without the .rigTiming tag (not rerun): M.Unit/parses()/U.swift:5:6"
check crashed 2 "crashed: the test process ended without finishing the run; last test started: M.Unit/parses()/U.swift:5:6"
echo "test-events self-test: 4 of 4 verdicts as expected"
