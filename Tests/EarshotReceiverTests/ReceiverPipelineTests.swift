import EarshotCodec
import EarshotDSP
import EarshotNet
import EarshotProtocol
@testable import EarshotReceiver
import EarshotRealtime
import Foundation
import Testing

/// The pipeline without a device: the test sends Opus/RTP over loopback at real-time pace and consumes the ring
/// itself, one 5 ms period every 5 ms, like a playback thread would.
@Suite(.serialized) struct ReceiverPipelineTests {
    /// Sends `seconds` of a 997 Hz tone (−6 dBFS, stereo, 5 ms frames) to `destination`, plus `garbage` datagrams.
    private static func send(
        to destination: SocketAddress, seconds: Double, garbage: [[UInt8]] = [], skipSequences: Set<Int> = []
    ) throws {
        let socket = try UDPSocket(
            bindingTo: SocketAddress(parsing: destination.family == AF_INET6 ? "[::1]:0" : "127.0.0.1:0"))
        if destination.isMulticast { try socket.setMulticastInterface(NetworkInterface("lo")) }
        var encoder = try OpusEncoder(OpusEncoder.Configuration())
        var tone = ToneGenerator(frequency: 997, amplitude: 0.5, channels: 2)
        var pcm = [Float](repeating: 0, count: 480)
        var payload = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketBytes)
        var packet = [UInt8](repeating: 0, count: 1500)
        let frames = Int(seconds * 200)
        let start = MonotonicInstant.now()
        for index in 0..<frames {
            pcm.withUnsafeMutableBufferPointer { tone.fill($0.baseAddress!, frames: 240) }
            let bytes = try pcm.withUnsafeBufferPointer { source in
                try payload.withUnsafeMutableBytes { try encoder.encode(source.baseAddress!, into: $0) }
            }
            let header = RTPHeader(
                marker: index == 0, payloadType: 96, sequenceNumber: UInt16(truncatingIfNeeded: 1000 + index),
                timestamp: UInt32(truncatingIfNeeded: 77_000 + index * 240), ssrc: 0xCAFE)
            let length = try payload.withUnsafeBytes { source in
                try packet.withUnsafeMutableBytes {
                    try RTPPacketWriter.write(header, payload: UnsafeRawBufferPointer(rebasing: source[0..<bytes]), into: $0)
                }
            }
            if !skipSequences.contains(index) { try socket.send(Array(packet[0..<length]), to: destination) }
            if index == frames / 2 { for datagram in garbage { try socket.send(datagram, to: destination) } }
            let due = start + Int64(index + 1) * 5_000_000
            let wait = due.nanoseconds - MonotonicInstant.now().nanoseconds
            if wait > 0 { usleep(UInt32(wait / 1000)) }
        }
    }

    /// Reads the ring at real-time pace for `seconds` on a background thread; returns everything read.
    private final class PacedConsumer: @unchecked Sendable {
        private let ring: RingBuffer
        private var collected: [Float] = []
        private var thread: Thread?
        private let done = DispatchSemaphore(value: 0)

        init(ring: RingBuffer, seconds: Double) {
            self.ring = ring
            collected.reserveCapacity(Int(seconds * 48_000) * ring.channels + 4096)
            let thread = Thread { [self] in
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 240 * ring.channels)
                defer { buffer.deallocate() }
                let start = MonotonicInstant.now()
                for index in 0..<Int(seconds * 200) {
                    let got = ring.read(into: buffer, frames: 240)
                    collected.append(contentsOf: UnsafeBufferPointer(start: buffer, count: got * ring.channels))
                    // A short read is silence to a device: keep the timeline.
                    collected.append(contentsOf: repeatElement(0, count: (240 - got) * ring.channels))
                    let due = start + Int64(index + 1) * 5_000_000
                    let wait = due.nanoseconds - MonotonicInstant.now().nanoseconds
                    if wait > 0 { usleep(UInt32(wait / 1000)) }
                }
                done.signal()
            }
            self.thread = thread
            thread.start()
        }

        func wait() -> [Float] {
            done.wait()
            return collected
        }
    }

    private func makePipeline() throws -> ReceiverPipeline {
        try ReceiverPipeline(
            configuration: ReceiverConfiguration(listen: "127.0.0.1:0", priority: 0), output: .caller)
    }

    /// A stream that ends with an RTCP BYE ends in silence: its last frame is followed by nothing concealed, even
    /// though the BYE arrives on the RTCP port, which the producer otherwise reads only every 20 ms while playing.
    @Test func streamEndedByGoodbyeIsNotConcealed() throws {
        let pipeline = try makePipeline()
        _ = try pipeline.start()
        let consumer = PacedConsumer(ring: pipeline.ring, seconds: 2.5)
        try Self.send(to: pipeline.localAddress, seconds: 1.5)
        let socket = try UDPSocket(bindingTo: SocketAddress(parsing: "127.0.0.1:0"))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 4)
        defer { buffer.deallocate() }
        var writer = RTCPCompoundWriter(buffer: buffer)
        try writer.appendReceiverReport(ssrc: 0xCAFE, reportBlocks: [])
        try writer.appendSourceDescription(ssrc: 0xCAFE, cname: Array("test@earshot".utf8))
        try writer.appendGoodbye(sources: [0xCAFE])
        try socket.send(Array(writer.bytes), to: pipeline.rtcpLocalAddress)
        _ = consumer.wait()
        pipeline.stop()
        let stats = pipeline.stats()
        #expect(stats.rtcpGoodbyesReceived == 1, "\(stats.description)")
        #expect(stats.packetsReceived == 299)
        #expect(stats.concealmentEvents == 0 && stats.concealedSamples == 0, "\(stats.description)")
        #expect(stats.underruns == 0, "an ended stream is not an underrun")
        // The buffer was reset to delay 0; the stats keep what the stream played with (its 20 ms start-up target
        // still, 1.5 s in).
        #expect(stats.playoutDelayMs >= 10 && stats.targetDelayMs >= 10, "\(stats.description)")
    }

    /// The producer tops ring + device up to a device buffer plus one take, and waits for a missing frame while the
    /// queue holds a device buffer plus a period for each period a take adds beyond the first (the next take must find
    /// its periods in the ring): one period below the target, at one or two periods per wake. A deeper buffer lowers the
    /// floor by two periods (a sound server's burst), never below two take intervals and a period (what a wait needs).
    @Test func aLateFrameIsWaitedForDownToABufferPlusTheExtraPeriodsOfATake() {
        let buffer = 720
        let period = 240
        func target(_ periodsPerWake: Int) -> Int {
            PlayoutController.targetFillFrames(
                bufferFrames: buffer, periodFrames: period, periodsPerWake: periodsPerWake)
        }
        func floor(_ periodsPerWake: Int) -> Int {
            PlayoutController.concealFloorFrames(
                bufferFrames: buffer, periodFrames: period, periodsPerWake: periodsPerWake)
        }
        #expect(target(1) == 960)
        #expect(target(2) == 1_200)
        #expect(floor(1) == 720)
        #expect(floor(2) == 960)
        func deepFloor(_ bufferPeriods: Int, _ periodsPerWake: Int) -> Int {
            PlayoutController.concealFloorFrames(
                bufferFrames: bufferPeriods * period, periodFrames: period, periodsPerWake: periodsPerWake)
        }
        #expect(deepFloor(6, 1) == 4 * period)
        #expect(deepFloor(6, 2) == 5 * period)
        #expect(deepFloor(4, 1) == 3 * period)
        #expect(deepFloor(8, 1) == 6 * period)
    }

    /// On port 0 the kernel picks the RTP port and RTCP takes the next one (RFC 3550 §11), where a sender sends its
    /// reports and BYE. (It once took another random port, so a sender's BYE to port + 1 was lost.)
    @Test func portZeroPairsRTCPWithTheNextPort() throws {
        for _ in 0..<8 {
            let pipeline = try makePipeline()
            #expect(pipeline.rtcpLocalAddress.port == pipeline.localAddress.port + 1)
        }
    }

    @Test func decodesSyntheticStreamWithHighSNR() throws {
        let pipeline = try makePipeline()
        _ = try pipeline.start()
        let consumer = PacedConsumer(ring: pipeline.ring, seconds: 3)
        try Self.send(to: pipeline.localAddress, seconds: 2.5)
        // Stop at the end of the stream, before its tail is concealed as loss.
        pipeline.stop()
        let output = consumer.wait()
        let stats = pipeline.stats()

        let left = SignalAnalysis.channel(0, of: output, channels: 2)
        // The stream starts after the jitter buffer's delay; take 1.5 s from 0.5 s, well inside it.
        let steady = Array(left[24_000..<96_000])
        let fit = Self.shortFits(steady)
        let glitches = SignalAnalysis.glitchWindows(
            steady, frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        #expect(fit.snrDB > 35, "SNR \(fit.snrDB) dB, glitch windows \(glitches), \(stats.description)")
        #expect(abs(fit.amplitude - 0.5) < 0.05, "amplitude \(fit.amplitude)")
        #expect(stats.packetsReceived == 499 && stats.packetsInSourceProbation == 1)
        #expect(stats.packetsLost == 0)
        #expect(stats.packetsMalformed == 0)
        // Every packet played (time-stretched, not dropped) or dropped whole in a quiet passage, except the few still
        // buffered when the pipeline stopped. Removed samples count both, so they bound the whole-frame drops.
        let consumed = stats.framesPlayed + stats.removedSamplesForAcceleration / 240
        #expect(stats.framesPlayed <= 500 && consumed >= 490,
                "\(stats.framesPlayed) frames played, \(consumed) consumed")
        #expect(stats.rtcpReportsSent >= 2)
    }

    /// The tone fitted over 20 ms windows: the worst window's SNR and the median amplitude. While the start-up target
    /// falls, the drift loop's trim bends the pitch by up to 200 ppm (0.2 Hz at 997 Hz) until it settles, which a single fit at exactly
    /// 997 Hz over 1.5 s reads as a phase drift of 1.9 rad; over 20 ms it moves the phase by 0.03 rad.
    static func shortFits(_ signal: [Float]) -> (snrDB: Double, amplitude: Double) {
        let fits = stride(from: 0, to: signal.count - 959, by: 960).map {
            SignalAnalysis.sineFit(signal[$0..<($0 + 960)], frequency: 997, sampleRate: 48_000)
        }
        let amplitudes = fits.map(\.amplitude).sorted()
        return (fits.map(\.snrDB).min() ?? -.infinity, amplitudes.isEmpty ? 0 : amplitudes[amplitudes.count / 2])
    }

    /// IPv6 loopback and an IPv4 multicast group joined on `lo` (the sandbox cannot send IPv6 multicast on lo).
    @Test(arguments: [("[::1]:0", nil), ("239.255.77.42:0", "lo")] as [(String, String?)])
    func receivesOnIPv6AndMulticast(listen: String, interface: String?) throws {
        let pipeline = try ReceiverPipeline(
            configuration: ReceiverConfiguration(listen: listen, interface: interface, priority: 0), output: .caller)
        _ = try pipeline.start()
        let consumer = PacedConsumer(ring: pipeline.ring, seconds: 1.8)
        try Self.send(to: pipeline.localAddress, seconds: 1.5)
        pipeline.stop()
        let output = consumer.wait()
        let stats = pipeline.stats()
        let left = SignalAnalysis.channel(0, of: output, channels: 2)
        let fit = Self.shortFits(Array(left[24_000..<60_000]))
        #expect(stats.packetsReceived == 299 && stats.packetsInSourceProbation == 1, "\(listen): \(stats.description)")
        #expect(fit.snrDB > 30, "\(listen): SNR \(fit.snrDB) dB")
    }

    @Test func malformedDatagramsAreCountedByReasonAndPlaybackContinues() throws {
        let pipeline = try makePipeline()
        _ = try pipeline.start()
        let consumer = PacedConsumer(ring: pipeline.ring, seconds: 2.5)
        var badVersion = [UInt8](repeating: 0, count: 40)
        badVersion[0] = 0x40
        var wrongType = [UInt8](repeating: 0, count: 40)
        wrongType[0] = 0x80
        wrongType[1] = 97
        var badOpus = [UInt8](repeating: 0, count: 14)
        badOpus[0] = 0x80
        badOpus[1] = 96
        badOpus[12] = 0xFF  // code 3 TOC with a frame count byte of 0: invalid framing
        badOpus[13] = 0x00
        let garbage = [[UInt8](repeating: 0xAB, count: 5), badVersion, wrongType, badOpus, Array("hello".utf8)]
        try Self.send(to: pipeline.localAddress, seconds: 2, garbage: garbage)
        // Stop at the end of the stream, before its tail is concealed as loss.
        pipeline.stop()
        let output = consumer.wait()
        let stats = pipeline.stats()
        #expect(stats.packetsMalformedByReason["rtp_too_short"] == 2)
        #expect(stats.packetsMalformedByReason["rtp_bad_version"] == 1)
        #expect(stats.packetsMalformedByReason["rtp_unexpected_payload_type"] == 1)
        #expect(stats.packetsMalformedByReason["rtp_malformed_opus_payload"] == 1)
        #expect(stats.packetsLost == 0)
        #expect(stats.concealmentEvents == 0)
        let left = SignalAnalysis.channel(0, of: output, channels: 2)
        let glitches = SignalAnalysis.glitchWindows(
            Array(left[24_000..<84_000]), frequency: 997, sampleRate: 48_000, windowFrames: 480, minimumSNRdB: 20)
        #expect(glitches.isEmpty, "glitch windows \(glitches)")
    }

    @Test func lostPacketsAreConcealed() throws {
        let pipeline = try makePipeline()
        _ = try pipeline.start()
        let consumer = PacedConsumer(ring: pipeline.ring, seconds: 2.5)
        let skipped: Set<Int> = [150, 151, 230, 300]
        try Self.send(to: pipeline.localAddress, seconds: 2, skipSequences: skipped)
        pipeline.stop()
        _ = consumer.wait()
        let stats = pipeline.stats()
        #expect(stats.packetsReceived == 399 - skipped.count && stats.packetsInSourceProbation == 1)
        #expect(stats.packetsLost == skipped.count)
        #expect(stats.concealmentEvents + stats.fecRecoveredFrames >= 3)
        #expect(stats.concealedSamples + stats.fecRecoveredFrames * 240 >= 4 * 240)
    }
}
