#!/usr/bin/env bash
# Builds the libFuzzer + AddressSanitizer targets of Tests/Fuzz with swiftc and runs each for SECONDS_PER_TARGET
# (default 60) from a fresh corpus seeded by seed-corpora.sh. Prints each target's executions and executions per
# second; exits non-zero on any crash, failed check, leak or timeout, printing the reproducer's path.
#
# Usage: Tests/Fuzz/run-fuzzers.sh [SECONDS_PER_TARGET] [TARGET...]
#   targets: rtp-parser rtcp-compound opus-framing receive-path (default: all, one after another)
# Build products, corpora, logs and reproducers: .build-fuzz/ (ignored by git).
# Replay a reproducer: .build-fuzz/bin/TARGET FILE (receive-path: with EARSHOT_FUZZ_TRACE=1 for a trace).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-60}
shift || true
all_targets=(rtp-parser rtcp-compound opus-framing receive-path)
if [[ $# -gt 0 ]]; then targets=("$@"); else targets=("${all_targets[@]}"); fi
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "run-fuzzers: SECONDS_PER_TARGET must be a whole number" >&2; exit 2; }

out=.build-fuzz
modules=$out/modules
bin=$out/bin
mkdir -p "$modules" "$bin" "$out/logs" "$out/artifacts"
pkg-config --exists opus || { echo "run-fuzzers: libopus not found (Deploy/install-dependencies.sh test)" >&2; exit 2; }
clang="$(dirname "$(command -v swiftc)")/clang"

# -assert-config Debug keeps the standard library's debug preconditions (bounds of every UnsafeRawBufferPointer
# subscript and slice) in optimized code: a parser that reads past a view's end traps even inside the datagram, where
# AddressSanitizer sees valid memory.
swift_flags=(-parse-as-library -O -assert-config Debug -sanitize=fuzzer,address)
build_module() {  # NAME SOURCES...
    local name=$1
    shift
    swiftc "${swift_flags[@]}" -wmo -enable-testing -I "$modules" -I Sources/COpus -module-name "$name" \
        -emit-module -emit-module-path "$modules/$name.swiftmodule" -c "$@" -o "$modules/$name.o"
}
link_target() {  # NAME SOURCES-AND-OBJECTS...
    local name=$1
    shift
    swiftc "${swift_flags[@]}" -use-ld=lld -I "$modules" -I Sources/COpus -I Tests/Fuzz/CFuzzAllocationCounter \
        Tests/Fuzz/FuzzSupport.swift "$@" -o "$bin/$name"
}

echo "run-fuzzers: building (swiftc ${swift_flags[*]})"
build_module EarshotProtocol Sources/EarshotProtocol/*.swift
build_module EarshotCodec Sources/EarshotCodec/*.swift
# The jitter buffer and its estimator only: the rest of EarshotReceiver needs sockets, ALSA and threads.
build_module EarshotReceiver \
    Sources/EarshotReceiver/{JitterBuffer,PlayoutDecision,PlayoutDelayEstimator,ForgettingLineFit,StreamTimeline,CaptureTimeline}.swift \
    Sources/EarshotReceiver/{ReceiverCounters,ReceiverStats,PlaybackDeviceState}.swift
"$clang" -O2 -c Tests/Fuzz/CFuzzAllocationCounter/allocation_counter.c -o "$modules/allocation_counter.o"
link_target rtp-parser Tests/Fuzz/RTPParserFuzzTarget.swift "$modules/EarshotProtocol.o"
link_target rtcp-compound Tests/Fuzz/RTCPCompoundFuzzTarget.swift "$modules/EarshotProtocol.o"
link_target opus-framing Tests/Fuzz/OpusFramingDifferentialFuzzTarget.swift \
    "$modules/EarshotProtocol.o" "$modules/EarshotCodec.o"
link_target receive-path Tests/Fuzz/ReceivePath{FuzzTarget,Adapter,Script}.swift \
    "$modules/EarshotProtocol.o" "$modules/EarshotCodec.o" "$modules/EarshotReceiver.o" \
    "$modules/allocation_counter.o"

rm -rf "$out/seeds" "$out/corpus"
Tests/Fuzz/seed-corpora.sh "$out/seeds"

# Per target: seed folder, longest input, extra libFuzzer flags.
declare -A seed_dir=([rtp-parser]=rtp [rtcp-compound]=rtcp [opus-framing]=opus [receive-path]=receive-path)
declare -A max_len=([rtp-parser]=2048 [rtcp-compound]=2048 [opus-framing]=1500 [receive-path]=8192)
declare -A extra=([rtp-parser]=-use_value_profile=1 [rtcp-compound]=-use_value_profile=1
    [opus-framing]=-use_value_profile=1 [receive-path]=)

failed=0
summary=()
for target in "${targets[@]}"; do
    [[ -n "${seed_dir[$target]:-}" ]] || { echo "run-fuzzers: unknown target $target" >&2; exit 2; }
    corpus=$out/corpus/$target
    mkdir -p "$corpus"
    cp "$out/seeds/${seed_dir[$target]}"/* "$corpus/"
    log=$out/logs/$target.log
    echo "run-fuzzers: $target for ${seconds} s"
    status=0
    # The Swift runtime's own crash handler would wait for its backtracer instead of letting libFuzzer report.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=1 \
        timeout --kill-after=10 $((seconds + 120)) "$bin/$target" -max_total_time="$seconds" -print_final_stats=1 \
        -max_len="${max_len[$target]}" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/artifacts/$target-" \
        ${extra[$target]} "$corpus" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    line="$target: ${runs:-?} executions, ${rate:-?} exec/s"
    if [[ $status -ne 0 ]]; then
        failed=1
        reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        line="$line: FAILED (exit $status), reproducer: ${reproducer:-none written}, log: $log"
        grep -E "Precondition failed|Fatal error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY" "$log" \
            | head -5 >&2 || true
    fi
    echo "$line"
    summary+=("$line")
done

echo "run-fuzzers: summary"
printf '  %s\n' "${summary[@]}"
if [[ $failed -ne 0 ]]; then
    echo "run-fuzzers: FAILED" >&2
    exit 1
fi
