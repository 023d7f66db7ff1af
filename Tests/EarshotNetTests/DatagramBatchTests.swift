import EarshotNet
import Glibc
import Testing

/// `UDPSocket.receive(into: DatagramBatch)` on loopback: bounded batches, arrival order, truncation, timestamps.
@Suite struct DatagramBatchTests {
    private static func pair(_ loopback: String = "127.0.0.1") throws -> (receiver: UDPSocket, sender: UDPSocket) {
        let receiver = try UDPSocket(
            bindingTo: try SocketAddress(parsing: "\(loopback):0"), receiveTimeoutNanoseconds: 2_000_000_000)
        try receiver.setReceiveBufferSize(1 << 20)
        let sender = try UDPSocket(bindingTo: try SocketAddress(parsing: "\(loopback):0"))
        return (receiver, sender)
    }

    /// Datagram `index`: its index in the first two bytes, then `index % 50` filler bytes (sizes vary).
    private static func payload(_ index: Int) -> [UInt8] {
        [UInt8(index >> 8), UInt8(index & 0xFF)] + [UInt8](repeating: 0xA5, count: index % 50)
    }

    private func drainsMoreThanCapacityInOrder(_ loopback: String) throws {
        let (receiver, sender) = try Self.pair(loopback)
        let batch = DatagramBatch(capacity: 8, slotByteCount: 256)
        let total = 21
        for index in 0..<total { try sender.send(Self.payload(index), to: receiver.localAddress) }

        var counts: [Int] = []
        var indices: [Int] = []
        var previousReceiveTime = Int64.min
        var previousArrival = Int64.min
        while true {
            let count = try receiver.receive(into: batch, wait: false)
            #expect(count == batch.count)
            guard count > 0 else { break }
            counts.append(count)
            for slot in 0..<count {
                let datagram = batch[slot]
                let bytes = batch.payload(at: slot)
                let index = Int(bytes[0]) << 8 | Int(bytes[1])
                indices.append(index)
                #expect(Array(bytes) == Self.payload(index))
                #expect(datagram.byteCount == Self.payload(index).count)
                #expect(!datagram.truncated)
                #expect(datagram.source == sender.localAddress)
                #expect(datagram.receiveTimeIsFromKernel)
                #expect(datagram.receiveTime >= previousReceiveTime, "kernel timestamps out of order at \(index)")
                #expect(datagram.arrival.nanoseconds >= previousArrival, "arrival out of order at \(index)")
                previousReceiveTime = datagram.receiveTime
                previousArrival = datagram.arrival.nanoseconds
            }
        }
        // Bounded: never more than the capacity per call; nothing lost or reordered across calls.
        #expect(counts == [8, 8, 5])
        #expect(indices == Array(0..<total))
        #expect(previousArrival <= MonotonicInstant.now().nanoseconds)
    }

    @Test func moreDatagramsThanCapacityDrainOverSeveralCallsInOrderIPv4() throws {
        try drainsMoreThanCapacityInOrder("127.0.0.1")
    }

    @Test func moreDatagramsThanCapacityDrainOverSeveralCallsInOrderIPv6() throws {
        try drainsMoreThanCapacityInOrder("[::1]")
    }

    @Test func eachTruncatedDatagramIsFlagged() throws {
        let (receiver, sender) = try Self.pair()
        let batch = DatagramBatch(capacity: 8, slotByteCount: 16)
        let sizes = [10, 16, 17, 100, 5]
        for (index, size) in sizes.enumerated() {
            try sender.send([UInt8](repeating: UInt8(index), count: size), to: receiver.localAddress)
        }
        #expect(try receiver.receive(into: batch) == sizes.count)
        #expect((0..<batch.count).map { batch[$0].truncated } == [false, false, true, true, false])
        #expect((0..<batch.count).map { batch[$0].byteCount } == [10, 16, 16, 16, 5])
        // A truncated slot holds the datagram's first bytes, and the slots after it are intact.
        #expect(Array(batch.payload(at: 3)) == [UInt8](repeating: 3, count: 16))
        #expect(Array(batch.payload(at: 4)) == [UInt8](repeating: 4, count: 5))
    }

    @Test func waitingReceiveTimesOutWithNothingAndReturnsWhatIsQueued() throws {
        let receiver = try UDPSocket(
            bindingTo: try SocketAddress(parsing: "127.0.0.1:0"), receiveTimeoutNanoseconds: 20_000_000)
        let sender = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        let batch = DatagramBatch(capacity: 4, slotByteCount: 64)
        #expect(try receiver.receive(into: batch, wait: false) == 0)
        let start = MonotonicInstant.now()
        #expect(try receiver.receive(into: batch) == 0)
        #expect(batch.count == 0)
        // It did wait for the receive timeout (a wait that never blocks would spin a producer loop).
        #expect(MonotonicInstant.now().nanoseconds - start.nanoseconds >= 15_000_000)
        // With two queued, a waiting receive returns both at once (it waits for one only).
        try sender.send([1], to: receiver.localAddress)
        try sender.send([2, 2], to: receiver.localAddress)
        #expect(try receiver.receive(into: batch) == 2)
        #expect(Array(batch.payload(at: 0)) == [1])
        #expect(Array(batch.payload(at: 1)) == [2, 2])
    }

    /// A late reader still sees when each datagram arrived, per datagram (not one time for the whole batch).
    @Test func arrivalIsPerDatagramNotWhenTheBatchWasRead() throws {
        let (receiver, sender) = try Self.pair()
        let batch = DatagramBatch(capacity: 4, slotByteCount: 64)
        let firstSent = MonotonicInstant.now()
        try sender.send([1], to: receiver.localAddress)
        MonotonicInstant.sleep(nanoseconds: 20_000_000)
        let secondSent = MonotonicInstant.now()
        try sender.send([2], to: receiver.localAddress)
        MonotonicInstant.sleep(nanoseconds: 20_000_000)
        #expect(try receiver.receive(into: batch, wait: false) == 2)
        let first = batch[0].arrival.nanoseconds
        let second = batch[1].arrival.nanoseconds
        #expect(first >= firstSent.nanoseconds - 1_000_000 && first - firstSent.nanoseconds < 5_000_000)
        #expect(second >= secondSent.nanoseconds - 1_000_000 && second - secondSent.nanoseconds < 5_000_000)
        #expect(second - first >= 15_000_000)
    }

    /// Linux doubles the request and caps it at `net.core.rmem_max`; the API reports the granted size.
    @Test func receiveBufferGrantIsWhatTheKernelReallyGave() throws {
        let socket = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        let limit = try #require(Self.readLimit("/proc/sys/net/core/rmem_max"))
        let small = Int32(min(64 * 1024, limit))
        #expect(try socket.setReceiveBufferSize(small) == 2 * small)
        #expect(try socket.receiveBufferSize == 2 * small)

        // Over the limit: capped without privileges; with CAP_NET_ADMIN (root here) SO_RCVBUFFORCE passes it.
        let large = Int32(limit + 256 * 1024)
        #expect(try socket.setReceiveBufferSize(large) == Int32(2 * limit))
        let forced = try socket.setReceiveBufferSize(large, beyondSystemLimit: true)
        #expect(forced == 2 * large || forced == Int32(2 * limit), "granted \(forced)")
        if geteuid() == 0 { print("SO_RCVBUFFORCE as root: asked \(large), granted \(forced)") }
        #expect(try socket.receiveBufferSize == forced)
    }

    private static func readLimit(_ path: String) -> Int? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, Int32(line.count), file) != nil else { return nil }
        return Int(String(cString: line).filter(\.isNumber))
    }
}
