import EarshotImpairment
import EarshotNet
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `--attack flood`: a pthread of its own sending `FloodPacketGenerator` packets from a socket of its own at a
/// fixed rate, until `stopAndJoin()`, SIGINT/SIGTERM or the end instant (the proxy's `--duration`).
///
/// Pacing: the count due is rate × elapsed; the thread sends what is due (re-reading the clock, the end and the stop
/// flag every 1024 packets), then sleeps about 0.5 ms (at most 50 ms), sending ~rate/2000 packets per wake-up. A backlog over 100 ms (the thread was
/// descheduled) is skipped, not sent in one burst; only packets actually sent are counted. Start and join from the
/// proxy's thread; the result is read only after the join.
final class FloodSender {
    struct Result {
        var rtp = 0
        var garbage = 0
        var failed = 0
        var seconds = 0.0
        var sent: Int { rtp + garbage }
        var packetsPerSecond: Double { seconds > 0 ? Double(sent) / seconds : 0 }
    }

    private final class Body {
        let socket: UDPSocket
        let destination: SocketAddress
        let rate: Int
        let end: MonotonicInstant?
        /// Set by `start` before the thread exists; the thread's own afterwards.
        var generator: FloodPacketGenerator?
        let stopRequested = Atomic<Bool>(false)
        var result = Result()

        init(socket: UDPSocket, destination: SocketAddress, rate: Int, end: MonotonicInstant?) {
            self.socket = socket
            self.destination = destination
            self.rate = rate
            self.end = end
        }

        func run() {
            guard var generator else { return }
            let buffer = UnsafeMutableRawBufferPointer.allocate(
                byteCount: FloodPacketGenerator.maximumPacketSize, alignment: 16)
            defer { buffer.deallocate() }
            let start = MonotonicInstant.now()
            let maximumBacklog = max(1, rate / 10)
            var scheduled = 0  // packets due so far, sent or skipped
            var now = start
            while !stopRequested.load(ordering: .relaxed) && !StopSignal.received {
                now = MonotonicInstant.now()
                if let end, now >= end { break }
                let elapsed = now.nanoseconds - start.nanoseconds
                let due = Int(Double(elapsed) * Double(rate) / 1e9)
                if due - scheduled > maximumBacklog { scheduled = due - maximumBacklog }
                // At most 1024 per pass, so the end and the stop flag are checked at least every ~1024 sends.
                let batchEnd = min(due, scheduled + 1024)
                while scheduled < batchEnd {
                    let (count, kind) = generator.next(into: buffer)
                    do {
                        try socket.send(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), to: destination)
                        if kind == .rtp { result.rtp += 1 } else { result.garbage += 1 }
                    } catch {
                        result.failed += 1
                    }
                    scheduled += 1
                }
                guard scheduled >= due else { continue }  // behind: no sleep
                let nextDue = Int64(Double(scheduled + 1) * 1e9 / Double(rate))
                MonotonicInstant.sleep(nanoseconds: min(50_000_000, max(500_000, nextDue - elapsed)))
            }
            result.seconds = Double(MonotonicInstant.now().nanoseconds - start.nanoseconds) / 1e9
        }
    }

    private let body: Body
    private let garbagePercent: Double
    private var thread: pthread_t?

    /// The socket the flood leaves from.
    var localAddress: SocketAddress { body.socket.localAddress }

    /// Opens the flood's socket; sends nothing until `start`.
    init(spec: AttackSpec, destination: SocketAddress, end: MonotonicInstant?) throws {
        let socket = try UDPSocket(bindingTo: try .attackerSource(toward: destination))
        try socket.setSendBufferSize(4 << 20)
        body = Body(socket: socket, destination: destination, rate: spec.rate, end: end)
        garbagePercent = spec.garbagePercent
    }

    /// Starts sending, RTP packets carrying the stream's payload type and never its SSRC. Returns
    /// `pthread_create`'s error code (0 on success).
    func start(payloadType: UInt8, streamSSRC: UInt32, seed: UInt64) -> Int32 {
        precondition(thread == nil, "flood started twice")
        body.generator = FloodPacketGenerator(
            seed: seed, garbagePercent: garbagePercent, payloadType: payloadType, streamSSRC: streamSSRC)
        var created = pthread_t()
        let context = Unmanaged.passRetained(body).toOpaque()
        let code = pthread_create(&created, nil, { context in
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            body.run()
            return nil
        }, context)
        if code != 0 {
            Unmanaged<Body>.fromOpaque(context).release()
            return code
        }
        thread = created
        return 0
    }

    /// Stops the thread (if started), waits for it and returns what it sent.
    func stopAndJoin() -> Result {
        body.stopRequested.store(true, ordering: .relaxed)
        if let running = thread {
            pthread_join(running, nil)
            thread = nil
        }
        return body.result
    }
}
