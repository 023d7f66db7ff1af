import Atomics
import EarshotCodec
import EarshotNet
@testable import EarshotSender
import EarshotTestRig
import Foundation
import Glibc
import Testing

/// The send thread allocates only at start-up: after a warm-up, 200 frames of read → encode → pace → send to two
/// destinations allocate nothing.
@Suite(.serialized) struct SendLoopAllocationTests {
    @Test func counterSeesAllocationsOfThisThread() {
        var array: [Int] = []
        let allocations = ThreadAllocationCounter.measure { array = [Int](repeating: 1, count: Int.random(in: 99...200)) }
        #expect(array.count >= 99 && allocations >= 1)
    }

    /// With and without `--redundancy` (its copies come from a history allocated in `init`); `auto` keeps the
    /// history while its copies are off (no receiver reported loss here).
    @Test(arguments: ["0", "15", "auto"])
    func steadyStateSendAllocatesNothing(redundancy: String) throws {
        let first = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        let second = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        try first.setReceiveBufferSize(1 << 20)
        try second.setReceiveBufferSize(1 << 20)
        var options = SenderOptions()
        options.tone = 997
        options.destinations = ["\(first.localAddress)", "\(second.localAddress)"]
        options.redundancy = redundancy
        let configuration = try SenderConfiguration(options)
        let socket = try UDPSocket(bindingTo: try SocketAddress(parsing: "0.0.0.0:0"))
        let counters = SenderCounterCells()
        let stop = UnsafeAtomic<Bool>.create(false)
        defer {
            counters.destroy()
            stop.destroy()
        }
        counters.redundancyOn.store(redundancy == "15", ordering: .relaxed)
        var loop = SendLoop(
            source: try ToneSource(frequency: 997, amplitude: 0.5, channels: 2, framesPerBlock: 240),
            encoder: try OpusEncoder(configuration.encoder), configuration: configuration, ssrc: 1,
            initialSequence: 0, clock: RTPClock(initialOffset: 0), sockets: [socket], destinationSockets: [0, 0],
            counters: counters, stopRequested: stop, honourStopSignal: false)
        var pacer = Pacer(frameDuration: 5_000_000)
        var warmed = 0
        for _ in 0..<10 where loop.step(pacer: &pacer) { warmed += 1 }  // warm-up: lazy runtime state, first touches
        #expect(warmed == 10)
        var continued = 0
        let allocations = ThreadAllocationCounter.measure {
            for _ in 0..<200 where loop.step(pacer: &pacer) { continued += 1 }
        }
        #expect(continued == 200)
        #expect(allocations == 0, "\(allocations) allocations in 200 frames")
        #expect(counters.snapshot().packets == 210)
        #expect(counters.snapshot().sendErrors == 0)
        #expect(counters.snapshot().redundantPackets == (redundancy == "15" ? 210 - 3 : 0))
    }

    /// Raw stdin at 44.1 kHz is resampled while the send thread reads it: still no allocation per block.
    @Test func resampledStandardInputReadAllocatesNothing() throws {
        let path = NSTemporaryDirectory() + "earshot-\(getpid())-alloc-44k.raw"
        defer { unlink(path) }
        var bytes: [UInt8] = []
        for frame in 0..<(44_100 * 2) {
            let sample = Int16(16_000 * sin(2 * Double.pi * 997 * Double(frame) / 44_100))
            for _ in 0..<2 { withUnsafeBytes(of: sample.littleEndian) { bytes += $0 } }
        }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let descriptor = open(path, O_RDONLY)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        var source = try RawPCMStreamSource(
            fileDescriptor: descriptor, format: .s16le, sampleRate: 44_100, inputChannels: 2, channels: 2,
            framesPerBlock: 240)
        let block = UnsafeMutablePointer<Float>.allocate(capacity: 480)
        defer { block.deallocate() }
        for _ in 0..<10 { _ = try source.read(into: block) }  // warm-up
        var blocks = 0
        var failure: AudioSourceError?
        let allocations = ThreadAllocationCounter.measure {
            for _ in 0..<200 {
                do throws(AudioSourceError) {
                    if try source.read(into: block) == .block { blocks += 1 }
                } catch {
                    failure = error
                }
            }
        }
        #expect(failure == nil)
        #expect(blocks == 200)
        #expect(allocations == 0, "\(allocations) allocations in 200 blocks")
    }
}
