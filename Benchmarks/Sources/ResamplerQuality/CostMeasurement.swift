import MallocInterposerSwift

#if canImport(Glibc)
import Glibc
#endif

/// What a candidate costs the producer thread: stereo, 240-frame blocks (5 ms at 48 kHz), at the conversion's fixed
/// ratio and with the ratio nudged before every block (a drift loop's use: ±100 ppm around it, a new value each
/// block).
///
/// - Cost: thread CPU time (`CLOCK_THREAD_CPUTIME_ID`, so time the thread was preempted by other load does not
///   count) per second of input audio, over 10 s of audio, the least of `runs` (other load on a shared VM
///   slows single runs even in thread CPU time; more runs find a quiet one).
/// - Allocations: malloc calls counted by ordo-one's malloc-interposer in the first 100 calls after `init` (lazy
///   set-up) and in the 1000 calls after those (steady state). Counting needs the interposer preloaded
///   (`LD_PRELOAD`); a control allocation proves it counts, otherwise the counts are nil.
public enum CostMeasurement {
    public struct Result: Sendable {
        /// Milliseconds of CPU per second of audio: fixed ratio, nudged ratio (nil: the candidate cannot change it).
        public var fixedMilliseconds: Double
        public var nudgedMilliseconds: Double?
        /// Allocations in the first 100 calls and in the 1000 after them: fixed, nudged.
        public var fixedAllocations: (first: Int, steady: Int)?
        public var nudgedAllocations: (first: Int, steady: Int)?
    }

    static let channels = 2
    static let blockFrames = 240
    static let runs = 7

    /// Whether malloc calls are being counted (the interposer is preloaded): one Array allocation must count.
    public static let countsAllocations: Bool = {
        MallocInterposerSwift.initialize()
        MallocInterposerSwift.reset()
        MallocInterposerSwift.hook()
        let probe = [Int](repeating: 1, count: 64)
        MallocInterposerSwift.unhook()
        withExtendedLifetime(probe) {}
        return MallocInterposerSwift.getStatistics().mallocCount >= 1
    }()

    public static func measure(_ kind: CandidateKind, _ conversion: Conversion) -> Result {
        let fixed = (0..<runs).compactMap { _ in cpuMilliseconds(kind, conversion, nudged: false) }.min()!
        let nudgedRuns = (0..<runs).map { _ in cpuMilliseconds(kind, conversion, nudged: true) }
        let nudged = nudgedRuns.contains(nil) ? nil : nudgedRuns.map { $0! }.min()
        return Result(
            fixedMilliseconds: fixed, nudgedMilliseconds: nudged,
            fixedAllocations: allocations(kind, conversion, nudged: false),
            nudgedAllocations: nudged == nil ? nil : allocations(kind, conversion, nudged: true))
    }

    /// One block's worth of input and room for its output, reused by every call.
    private final class Buffers {
        let input: UnsafeMutablePointer<Float>
        let output: UnsafeMutablePointer<Float>
        let capacity: Int

        init(_ conversion: Conversion) {
            input = .allocate(capacity: blockFrames * channels)
            let omega = 2 * Double.pi * 997 / Double(conversion.inputRate)
            for frame in 0..<blockFrames {
                let value = Float(0.5 * sin(omega * Double(frame)))
                input[frame * channels] = value
                input[frame * channels + 1] = -value
            }
            capacity = Int(Double(blockFrames) * conversion.ratio * 4) + 4_096
            output = .allocate(capacity: capacity * channels)
        }

        deinit {
            input.deallocate()
            output.deallocate()
        }
    }

    /// The ratio before block `index` of the nudged workload.
    private static func nudgedRatio(_ conversion: Conversion, block index: Int) -> Double {
        conversion.ratio * (1 + 100e-6 * sin(2 * Double.pi * Double(index) / 200))
    }

    /// CPU ms per second of audio; nil when nudged and the candidate cannot change its ratio.
    private static func cpuMilliseconds(_ kind: CandidateKind, _ conversion: Conversion, nudged: Bool) -> Double? {
        let candidate = kind.make(conversion, channels: channels)
        let buffers = Buffers(conversion)
        let blocks = 10 * conversion.inputRate / blockFrames
        if nudged && !candidate.nudge(ratio: conversion.ratio) { return nil }
        let start = threadCPUSeconds()
        for index in 0..<blocks {
            if nudged { _ = candidate.nudge(ratio: nudgedRatio(conversion, block: index)) }
            _ = candidate.process(buffers.input, frames: blockFrames, into: buffers.output, outputCapacity: buffers.capacity)
        }
        let seconds = threadCPUSeconds() - start
        return seconds / (Double(blocks * blockFrames) / Double(conversion.inputRate)) * 1_000
    }

    private static func allocations(
        _ kind: CandidateKind, _ conversion: Conversion, nudged: Bool
    ) -> (first: Int, steady: Int)? {
        guard countsAllocations else { return nil }
        let candidate = kind.make(conversion, channels: channels)
        let buffers = Buffers(conversion)
        func count(_ blocks: Range<Int>) -> Int {
            MallocInterposerSwift.reset()
            MallocInterposerSwift.hook()
            for index in blocks {
                if nudged { _ = candidate.nudge(ratio: nudgedRatio(conversion, block: index)) }
                _ = candidate.process(
                    buffers.input, frames: blockFrames, into: buffers.output, outputCapacity: buffers.capacity)
            }
            MallocInterposerSwift.unhook()
            return MallocInterposerSwift.getStatistics().mallocCount
        }
        let first = count(0..<100)
        return (first, count(100..<1_100))
    }

    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
