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

    @Test func batchReceiveAllocatesNothing() throws {
        let receiver = try UDPSocket(
            bindingTo: try SocketAddress(parsing: "127.0.0.1:0"), receiveTimeoutNanoseconds: 10_000_000)
        try receiver.setReceiveBufferSize(1 << 20)
        let sender = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        let payload = [UInt8](repeating: 0x5A, count: 160)
        let batch = DatagramBatch(capacity: 32, slotByteCount: 1500)
        try sender.send(payload, to: receiver.localAddress)
        _ = try receiver.receive(into: batch)  // warm-up: lazy runtime state, first-touch
        let count = 100
        for _ in 0..<count { try sender.send(payload, to: receiver.localAddress) }

        var received = 0
        var calls = 0
        var timeouts = 0
        var bytes = 0
        let allocations = try ThreadAllocationCounter.measure {
            while received < count {
                let got = try receiver.receive(into: batch, wait: false)
                calls += 1
                for index in 0..<got {
                    bytes += batch[index].byteCount
                    bytes += batch.payload(at: index).count - batch[index].byteCount  // touch the payload view
                }
                received += got
                if got == 0 { break }
            }
            // The timeout path (waiting) and the empty path (not waiting) must not allocate either.
            if try receiver.receive(into: batch) == 0 { timeouts += 1 }
            if try receiver.receive(into: batch, wait: false) == 0 { timeouts += 1 }
        }
        #expect(received == count)
        #expect(calls == 4, "32 + 32 + 32 + 4")
        #expect(bytes == count * payload.count)
        #expect(timeouts == 2)
        #expect(allocations == 0)
    }
}
