import EarshotCodec
import EarshotDSP
import EarshotNet
import EarshotProtocol
@testable import EarshotReceiver
import Foundation
import Testing

/// The stream's identity crosses from the producer to other threads through `ReceiverStreamMailbox`.
@Suite(.serialized) struct ReceiverStreamIdentityTests {
    @Test func mailboxRoundTripsAddressesAndTheLongestCNAME() throws {
        let mailbox = ReceiverStreamMailbox()
        #expect(mailbox.read() == nil)
        let v6 = try SocketAddress(parsing: "[2001:db8::7%3]:40000")
        let longest = [UInt8]((0..<255).map { UInt8(0x41 + $0 % 26) })
        longest.withUnsafeBytes { mailbox.publish(sender: v6, ssrc: 0xDEAD_BEEF, frameSamples: 960, cname: $0) }
        #expect(mailbox.read() == ReceiverStreamIdentity(
            sender: v6, ssrc: 0xDEAD_BEEF, cname: String(decoding: longest, as: UTF8.self), frameSamples: 960))
        let v4 = try SocketAddress(parsing: "192.0.2.7:5004")
        mailbox.publish(sender: v4, ssrc: 1, frameSamples: 240, cname: nil)
        #expect(mailbox.read() == ReceiverStreamIdentity(sender: v4, ssrc: 1, cname: nil, frameSamples: 240))
        Array("a".utf8).withUnsafeBytes { mailbox.publish(sender: v4, ssrc: 2, frameSamples: 120, cname: $0) }
        // The shorter CNAME leaves nothing of the longer one behind.
        #expect(mailbox.read()?.cname == "a")
        mailbox.publishNone()
        #expect(mailbox.read() == nil)
    }

    /// Readers racing the producer see only whole publications: each one's SSRC, frame size and CNAME belong together.
    @Test func concurrentReadersSeeWholePublications() throws {
        let mailbox = ReceiverStreamMailbox()
        let sender = try SocketAddress(parsing: "127.0.0.1:9")
        let done = ManagedFlag()
        let reader = Thread {
            var seen = 0
            while !done.isSet {
                guard let identity = mailbox.read() else { continue }
                let n = Int(identity.ssrc)
                if identity.frameSamples != n * 3 || identity.cname != String(repeating: "x", count: n % 200) {
                    done.fail("torn read: \(identity)")
                }
                seen += 1
            }
            done.readerSaw(seen)
        }
        reader.start()
        for n in 1...200_000 {
            let cname = [UInt8](repeating: UInt8(ascii: "x"), count: n % 200)
            cname.withUnsafeBytes { mailbox.publish(sender: sender, ssrc: UInt32(n), frameSamples: n * 3, cname: $0) }
        }
        done.set()
        #expect(done.waitForReader() > 0)
        #expect(done.failure == nil, "\(done.failure ?? "")")
    }

    /// A sender's SDES CNAME, sent before its RTP passed the source lock's probation, its SSRC, address and 10 ms frame
    /// size are what the pipeline publishes while it plays; after its BYE no stream is published.
    @Test func pipelinePublishesTheLockedSendersIdentity() throws {
        let pipeline = try ReceiverPipeline(
            configuration: ReceiverConfiguration(listen: "127.0.0.1:0", priority: 0), output: .caller)
        _ = try pipeline.start()
        let socket = try UDPSocket(bindingTo: SocketAddress(parsing: "127.0.0.1:0"))
        let rtcp = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 4)
        defer { rtcp.deallocate() }
        var writer = RTCPCompoundWriter(buffer: rtcp)
        try writer.appendReceiverReport(ssrc: 0xC0FFEE, reportBlocks: [])
        try writer.appendSourceDescription(ssrc: 0xC0FFEE, cname: Array("identity@earshot".utf8))
        try socket.send(Array(writer.bytes), to: pipeline.rtcpLocalAddress)
        #expect(pipeline.stream == nil)

        var encoder = try OpusEncoder(OpusEncoder.Configuration(frameDuration: .ms10))
        var tone = ToneGenerator(frequency: 997, amplitude: 0.5, channels: 2)
        var pcm = [Float](repeating: 0, count: 960)
        var payload = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketBytes)
        var packet = [UInt8](repeating: 0, count: 1500)
        let drain = UnsafeMutablePointer<Float>.allocate(capacity: 4096 * 2)
        defer { drain.deallocate() }
        var seen: ReceiverStreamIdentity?
        for index in 0..<60 {
            pcm.withUnsafeMutableBufferPointer { tone.fill($0.baseAddress!, frames: 480) }
            let bytes = try pcm.withUnsafeBufferPointer { source in
                try payload.withUnsafeMutableBytes { try encoder.encode(source.baseAddress!, into: $0) }
            }
            let header = RTPHeader(
                marker: index == 0, payloadType: 96, sequenceNumber: UInt16(500 + index),
                timestamp: UInt32(index * 480), ssrc: 0xC0FFEE)
            let length = try payload.withUnsafeBytes { source in
                try packet.withUnsafeMutableBytes {
                    try RTPPacketWriter.write(
                        header, payload: UnsafeRawBufferPointer(rebasing: source[0..<bytes]), into: $0)
                }
            }
            try socket.send(Array(packet[0..<length]), to: pipeline.localAddress)
            usleep(10_000)
            _ = pipeline.ring.read(into: drain, frames: 480)
            if index > 30, seen == nil { seen = pipeline.stream }
        }
        #expect(seen == ReceiverStreamIdentity(
            sender: socket.localAddress, ssrc: 0xC0FFEE, cname: "identity@earshot", frameSamples: 480))

        writer = RTCPCompoundWriter(buffer: rtcp)
        try writer.appendReceiverReport(ssrc: 0xC0FFEE, reportBlocks: [])
        try writer.appendGoodbye(sources: [0xC0FFEE])
        try socket.send(Array(writer.bytes), to: pipeline.rtcpLocalAddress)
        for _ in 0..<40 {
            usleep(10_000)
            _ = pipeline.ring.read(into: drain, frames: 480)
        }
        #expect(pipeline.stream == nil)
        pipeline.stop()
    }
}

/// The stress test's shared flags and results (locked: test code, not the producer).
private final class ManagedFlag: @unchecked Sendable {
    private let lock = NSCondition()
    private var flag = false
    private var seen: Int?
    private(set) var failure: String?

    var isSet: Bool { lock.withLock { flag } }
    func set() { lock.withLock { flag = true } }
    func fail(_ message: String) { lock.withLock { if failure == nil { failure = message } } }
    func readerSaw(_ count: Int) {
        lock.withLock {
            seen = count
            lock.broadcast()
        }
    }
    func waitForReader() -> Int {
        lock.withLock {
            while seen == nil { lock.wait() }
            return seen!
        }
    }
}
