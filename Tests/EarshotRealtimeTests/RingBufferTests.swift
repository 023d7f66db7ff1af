import EarshotRealtime
import Foundation
import Testing

@Suite struct RingBufferTests {
    @Test func capacityRoundsUpToPowerOfTwo() {
        let ring = RingBuffer(minimumCapacity: 100, channels: 2)
        defer { ring.deallocate() }
        #expect(ring.capacity == 128)
        #expect(ring.availableToWrite() == 128)
        #expect(ring.availableToRead() == 0)
    }

    @Test func fullAndEmptyArePartial() {
        let ring = RingBuffer(minimumCapacity: 8, channels: 1)
        defer { ring.deallocate() }
        let input = (0..<12).map(Float.init)
        #expect(ring.write(input, frames: 12) == 8)
        #expect(ring.availableToWrite() == 0)
        #expect(ring.write(input, frames: 1) == 0)
        var output = [Float](repeating: -1, count: 12)
        #expect(ring.read(into: &output, frames: 12) == 8)
        #expect(Array(output[0..<8]) == Array(input[0..<8]))
        #expect(output[8] == -1)
        #expect(ring.read(into: &output, frames: 1) == 0)
    }

    @Test func wrapAroundKeepsFrameOrderAcrossChannels() {
        let ring = RingBuffer(minimumCapacity: 8, channels: 2)
        defer { ring.deallocate() }
        var scratch = [Float](repeating: 0, count: 16)
        var next: Float = 0
        var expected: Float = 0
        var checked = 0
        for round in 0..<20 {
            let frames = 1 + round % 7
            let input = (0..<frames * 2).map { Float($0) + next }
            let written = ring.write(input, frames: frames)
            next += Float(written * 2)
            let read = ring.read(into: &scratch, frames: 5)
            for index in 0..<read * 2 {
                #expect(scratch[index] == expected)
                expected += 1
                checked += 1
            }
        }
        #expect(checked > 16)  // more than one lap of the 8-frame ring
        #expect(ring.availableToRead() == Int(next - expected) / 2)
    }

    @Test func skipDiscardsOldestFrames() {
        let ring = RingBuffer(minimumCapacity: 4, channels: 1)
        defer { ring.deallocate() }
        #expect(ring.write([1, 2, 3], frames: 3) == 3)
        #expect(ring.skip(frames: 2) == 2)
        var out: [Float] = [0, 0]
        #expect(ring.read(into: &out, frames: 2) == 1)
        #expect(out[0] == 3)
    }

    /// Producer and consumer on two threads with odd chunk sizes; every sample must arrive once, in order.
    /// `EARSHOT_LONG_STRESS=1` runs 60 s instead of 3 s.
    @Test func twoThreadStressKeepsEverySampleInSequence() {
        let seconds: Double = ProcessInfo.processInfo.environment["EARSHOT_LONG_STRESS"] == "1" ? 60 : 3
        let channels = 2
        let ring = RingBuffer(minimumCapacity: 1000, channels: channels)
        defer { ring.deallocate() }
        let deadline = Date().addingTimeInterval(seconds)
        let producerDone = DoneFlag()
        let producer = Thread {
            // Samples count up 0, 1, 2, … modulo 2^24, the range where Float holds integers exactly.
            var sequence = 0
            var chunk = [Float](repeating: 0, count: 97 * channels)
            while Date() < deadline {
                let frames = 1 + (sequence / channels) % 97
                for index in 0..<frames * channels { chunk[index] = Float((sequence + index) & 0xFF_FFFF) }
                var sent = 0
                while sent < frames {
                    sent += chunk.withUnsafeBufferPointer {
                        ring.write($0.baseAddress! + sent * channels, frames: frames - sent)
                    }
                }
                sequence += frames * channels
            }
            producerDone.store(true)
        }
        producer.start()
        var expected = 0
        var received = 0
        var mismatches = 0
        var output = [Float](repeating: 0, count: 61 * channels)
        while true {
            let done = producerDone.load()
            let read = output.withUnsafeMutableBufferPointer { ring.read(into: $0.baseAddress!, frames: 61) }
            for index in 0..<read * channels {
                if output[index] != Float(expected & 0xFF_FFFF) { mismatches += 1 }
                expected += 1
            }
            received += read
            if read == 0 && done && ring.availableToRead() == 0 { break }
        }
        #expect(mismatches == 0)
        #expect(received > 10_000)
        print("ring stress: \(received) frames in order, \(mismatches) mismatches")
    }
}

/// A flag the stress test's producer raises when it is finished (test scaffolding, not real-time code).
final class DoneFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func store(_ newValue: Bool) { lock.withLock { value = newValue } }
    func load() -> Bool { lock.withLock { value } }
}
