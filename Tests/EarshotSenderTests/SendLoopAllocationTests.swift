import Atomics
import EarshotCodec
import EarshotNet
@testable import EarshotSender
import EarshotTestRig
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

    @Test func steadyStateSendAllocatesNothing() throws {
        let first = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        let second = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        try first.setReceiveBufferSize(1 << 20)
        try second.setReceiveBufferSize(1 << 20)
        var options = SenderOptions()
        options.tone = 997
        options.destinations = ["\(first.localAddress)", "\(second.localAddress)"]
        let configuration = try SenderConfiguration(options)
        let socket = try UDPSocket(bindingTo: try SocketAddress(parsing: "0.0.0.0:0"))
        let counters = SenderCounterCells()
        let stop = UnsafeAtomic<Bool>.create(false)
        defer {
            counters.destroy()
            stop.destroy()
        }
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
    }
}
