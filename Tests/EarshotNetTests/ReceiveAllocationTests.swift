import EarshotNet
import EarshotTestRig
import Glibc
import Testing

/// Serialized: the allocation hook is process-global.
@Suite(.serialized) struct ReceiveAllocationTests {
    @Test func counterSeesAllocationsOfThisThread() {
        // Guards the test below: if the interposer were not active, a zero count would prove nothing.
        var array: [Int] = []
        let allocations = ThreadAllocationCounter.measure {
            array = [Int](repeating: 3, count: Int.random(in: 100...200))
        }
        #expect(array.count >= 100)
        #expect(allocations >= 1)
    }

    @Test func receiveAllocatesNothing() throws {
        let receiver = try UDPSocket(
            bindingTo: try SocketAddress(parsing: "127.0.0.1:0"), receiveTimeoutNanoseconds: 10_000_000)
        let sender = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        let payload = [UInt8](repeating: 0x5A, count: 160)
        let count = 100
        for _ in 0..<count { try sender.send(payload, to: receiver.localAddress) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 16)
        defer { buffer.deallocate() }
        _ = try receiver.receive(into: buffer)  // warm-up: lazy runtime state, first-touch

        var received = 0
        var timeouts = 0
        let allocations = try ThreadAllocationCounter.measure {
            for _ in 1..<count {
                if let datagram = try receiver.receive(into: buffer) { received += datagram.byteCount }
            }
            // The timeout path must not allocate either.
            if try receiver.receive(into: buffer) == nil { timeouts += 1 }
        }
        #expect(received == (count - 1) * payload.count)
        #expect(timeouts == 1)
        #expect(allocations == 0)
    }
}
