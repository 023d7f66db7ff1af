import Atomics
import EarshotALSA
import EarshotCodec
import EarshotNet
import EarshotProtocol
import EarshotRealtime
import EarshotSecurity
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The whole sender: one audio source → Opus → RTP to every `--to`, with RTCP (SR + SDES, BYE at the end) and
/// per-receiver statistics from their reports.
///
/// Threads: a send thread (`SendLoop`, allocation-free after start-up) paces, encodes and sends; for `--device`
/// a `CaptureThread` fills a ring the send thread drains. The thread calling `run()` is the control thread: it
/// sends and receives RTCP and shows statistics. `requestStop()` and `statistics()` may be called from any thread.
public final class SenderPipeline: @unchecked Sendable {
    public let configuration: SenderConfiguration
    public let ssrc: UInt32
    public let initialSequenceNumber: UInt16
    public let initialTimestamp: UInt32
    /// Local address of the RTP (index 0) and RTCP sockets per address family, for tests and logs.
    public let localAddresses: [SocketAddress]

    private let logger: Logger
    private let counters = SenderCounterCells()
    private let stopRequested = UnsafeAtomic<Bool>.create(false)
    private let finished = UnsafeAtomic<Bool>.create(false)
    private let honourStopSignal: Bool
    private let rtcp: SenderRTCPSession
    private let sendThread: SendThread
    /// After join: the loop's failure, and frees the loop.
    private let finishLoop: () -> SenderFailure?
    private let capture: CaptureThread?
    private let captureRing: RingBuffer?
    /// Signalled by the capture thread when the ring holds a frame (nil without a capture device).
    private let captureWakeup: WakeupEvent?
    private let statisticsLock = UnsafeAtomic<Bool>.create(false)
    private var startTime: Int64 = 0
    private var previousSnapshot: (time: Int64, packets: Int, octets: Int)?
    private var lastStatistics: SenderStatistics?
    private var hasRun = false
    private var overallPeak: Float = 0
    /// `--redundancy auto` only: switches copies from the receivers' reports.
    private var redundancyPolicy: RedundancyPolicy?
    /// RTCP rejection reasons already explained in the log (each is explained once, then only counted).
    private var explainedRejections: [ReceiverReportRejection] = []

    /// Opens the source, sockets and encoder and writes `--sdp`. Nothing is sent until `run()`.
    ///
    /// - Parameter honourStopSignal: end on SIGINT/SIGTERM (the executable installs `StopSignal` first).
    public init(
        configuration: SenderConfiguration, logger: Logger = Logger(label: "earshot-send"),
        honourStopSignal: Bool = false
    ) throws(SenderError) {
        self.configuration = configuration
        self.logger = logger
        self.honourStopSignal = honourStopSignal
        ssrc = configuration.ssrc ?? .random(in: .min ... .max)
        initialSequenceNumber = configuration.initialSequenceNumber ?? .random(in: .min ... .max)
        let clock = RTPClock()
        initialTimestamp = clock.initialOffset

        // One RTP and one RTCP socket per address family in use; RTCP on RTP port + 1 when free (the RFC 3550
        // convention some peers reply to), else any port: receivers answer an SR's source address.
        var rtpSockets: [UDPSocket] = []
        var rtcpSockets: [UDPSocket] = []
        var families: [Int32] = []
        var destinationSockets: [Int] = []
        do {
            for destination in configuration.destinations {
                if let index = families.firstIndex(of: destination.family) {
                    destinationSockets.append(index)
                    continue
                }
                let wildcard = try SocketAddress(parsing: destination.family == AF_INET6 ? "[::]:0" : "0.0.0.0:0")
                let rtp = try UDPSocket(bindingTo: wildcard, reuseAddress: false)
                let rtcpAddress = SenderRTCPSession.rtcpAddress(of: rtp.localAddress)
                let rtcpSocket = try (try? UDPSocket(bindingTo: rtcpAddress, reuseAddress: false))
                    ?? UDPSocket(bindingTo: wildcard, reuseAddress: false)
                for socket in [rtp, rtcpSocket] {
                    try socket.setMulticastHops(Int32(configuration.multicastHops))
                    if let interface = configuration.multicastInterface { try socket.setMulticastInterface(interface) }
                }
                families.append(destination.family)
                rtpSockets.append(rtp)
                rtcpSockets.append(rtcpSocket)
                destinationSockets.append(families.count - 1)
            }
        } catch let error as SocketError {
            throw .socket(error)
        } catch {
            throw .configuration(.invalidValue(flag: "--to", value: "\(error)", valid: "HOST:PORT"))
        }
        localAddresses = zip(rtpSockets, rtcpSockets).flatMap { [$0.localAddress, $1.localAddress] }

        let encoder: OpusEncoder
        do {
            encoder = try OpusEncoder(configuration.encoder)
        } catch {
            throw .encoder(error)
        }

        if let path = configuration.sdpPath { try Self.writeSessionDescriptions(configuration, to: path, logger: logger) }

        if configuration.redundancyAutomatic {
            redundancyPolicy = RedundancyPolicy()
        } else {
            counters.redundancyOn.store(configuration.redundancyPackets > 0, ordering: .relaxed)
        }
        // One SRTP session per thread that uses it: RTP on the send thread, RTCP (both ways) on the control thread.
        var rtpProtection: SRTPSession?
        var rtcpProtection: (outbound: SRTPSession, inbound: SRTPSession)?
        if let key = configuration.srtpKey {
            do {
                rtpProtection = try SRTPSession(key: key, direction: .outbound)
                rtcpProtection = (
                    try SRTPSession(key: key, direction: .outbound), try SRTPSession(key: key, direction: .inbound)
                )
            } catch {
                throw .security(error)
            }
        }
        rtcp = SenderRTCPSession(
            ssrc: ssrc, cname: configuration.cname, sockets: rtcpSockets, rtpDestinations: configuration.destinations,
            destinationSockets: destinationSockets, counters: counters, initialTimestamp: initialTimestamp,
            srtcp: rtcpProtection)

        let frames = configuration.framesPerPacket
        let channels = configuration.encoder.channels
        let parts = LoopParts(
            encoder: encoder, configuration: configuration, ssrc: ssrc, sequence: initialSequenceNumber,
            clock: clock, sockets: rtpSockets, destinationSockets: destinationSockets, counters: counters,
            stopRequested: stopRequested, finished: finished, honourStopSignal: honourStopSignal, srtp: rtpProtection)
        do {
            switch configuration.source {
            case .tone(let frequency, let amplitude):
                (sendThread, finishLoop) = parts.make(
                    try ToneSource(frequency: frequency, amplitude: amplitude, channels: channels, framesPerBlock: frames))
                capture = nil
                captureRing = nil
                captureWakeup = nil
            case .wavFile(let path):
                (sendThread, finishLoop) = parts.make(
                    try WAVFileSource(path: path, channels: channels, framesPerBlock: frames))
                capture = nil
                captureRing = nil
                captureWakeup = nil
            case .standardInput(let format, let sampleRate):
                (sendThread, finishLoop) = parts.make(
                    try RawPCMStreamSource(
                        fileDescriptor: STDIN_FILENO, name: "stdin", format: format, sampleRate: sampleRate,
                        inputChannels: channels, channels: channels, framesPerBlock: frames))
                capture = nil
                captureRing = nil
                captureWakeup = nil
            case .captureDevice(let name):
                let period = configuration.capturePeriodFrames
                let device: PCMDevice
                do {
                    device = try PCMDevice(
                        name: name, stream: .capture,
                        configuration: PCMConfiguration(
                            sampleRate: audioSourceSampleRate, channels: channels, periodFrames: period,
                            // At least 10 ms: short periods must not shrink the slack for a late capture thread.
                            bufferFrames: max(4 * period, 2 * frames, 480)))
                } catch {
                    throw SenderError.captureDevice(name: name, error)
                }
                guard device.parameters.sampleRate == audioSourceSampleRate else {
                    throw SenderError.captureRate(name: name, rate: device.parameters.sampleRate)
                }
                let ring = RingBuffer(
                    minimumCapacity: 4 * frames + 4 * device.parameters.periodFrames,
                    channels: device.parameters.channels)
                let frameReady: WakeupEvent
                do { frameReady = try WakeupEvent() } catch {
                    ring.deallocate()
                    throw SenderError.socket(error)
                }
                let thread = CaptureThread(
                    device: device, ring: ring, scheduling: configuration.scheduling,
                    frameReady: CaptureThread.FrameReady(descriptor: frameReady.fileDescriptor, frames: frames))
                let source = try CaptureRingSource(
                    ring: ring, frameReady: frameReady, device: name, channels: channels, framesPerBlock: frames,
                    stopRequested: stopRequested, timestamps: thread.timestamps)
                capture = thread
                captureRing = ring
                captureWakeup = frameReady
                (sendThread, finishLoop) = parts.make(source, cleanup: { source.deallocate() })
            }
        } catch let error as AudioSourceError {
            throw .source(error)
        } catch let error as SenderError {
            throw error
        } catch {
            throw .source(.unreadableFile(path: "?", detail: "\(error)"))
        }
    }

    deinit {
        stopRequested.store(true, ordering: .releasing)
        sendThread.join()
        if !hasRun { _ = finishLoop() }
        capture?.stop()
        captureRing?.deallocate()
        captureWakeup?.close()
        counters.destroy()
        stopRequested.destroy()
        finished.destroy()
        statisticsLock.destroy()
    }

    /// Asks the send thread to stop after the current frame; `run()` then sends BYE and returns. Any thread.
    public func requestStop() {
        stopRequested.store(true, ordering: .releasing)
    }

    /// Sends until the source ends, `--duration` is reached, `requestStop()` or a stop signal; then sends the final
    /// SR + SDES + BYE. Shows statistics on `display` if given. Call once, on the control thread.
    public func run(display: SenderStatusDisplay? = nil) throws(SenderError) {
        precondition(!hasRun, "SenderPipeline.run called twice")
        hasRun = true
        startTime = MonotonicInstant.now().nanoseconds
        if let capture {
            do {
                if let warning = try capture.start() { logger.warning("\(warning)") }
            } catch {
                _ = finishLoop()
                throw .captureDevice(name: deviceName, error)
            }
        }
        let started = sendThread.start()
        guard started == 0 else {
            capture?.stop()
            _ = finishLoop()
            throw .thread(code: started)
        }
        var nextDisplay = startTime + Int64((display?.interval ?? 1) * 1e9)
        while !finished.load(ordering: .acquiring) {
            if honourStopSignal && StopSignal.received { requestStop() }
            let now = MonotonicInstant.now().nanoseconds
            let untilReport = rtcp.nextReportTime - now
            let untilDisplay = display == nil ? Int64.max : nextDisplay - now
            rtcp.receiveReports(timeoutNanoseconds: max(0, min(untilReport, untilDisplay, 50_000_000)))
            rtcp.sendReportIfDue()
            explainNewRejections()
            updateRedundancy()
            if let display, MonotonicInstant.now().nanoseconds >= nextDisplay {
                display.show(statistics())
                nextDisplay += Int64(display.interval * 1e9)
            }
        }
        if let warning = sendThread.join() { logger.warning("\(warning)") }
        capture?.stop()
        let failure = finishLoop()
        // Reports that arrived in the last moments still count, then leave.
        rtcp.receiveReports(timeoutNanoseconds: 0)
        rtcp.sendReportIfDue(force: true, goodbye: true)
        previousSnapshot = nil  // the final line reports averages over the whole run
        let final = statistics()
        display?.finish(final)
        if let failure { throw .stopped(failure) }
    }

    /// Logs what a rejection reason means the first time one counts; later ones show in the statistics only.
    /// Control thread.
    private func explainNewRejections() {
        guard rtcp.reportCounters.rejected > 0 else { return }
        for reason in ReceiverReportRejection.allCases
        where rtcp.reportCounters[reason] > 0 && !explainedRejections.contains(reason) {
            explainedRejections.append(reason)
            logger.notice("\(reason) (counted as rtcp_rejected_\(reason.logKey))")
        }
    }

    /// `--redundancy auto`: copies on or off from the admitted receivers' latest reports about this stream (the
    /// table holds no one else). Control thread.
    private func updateRedundancy() {
        guard var policy = redundancyPolicy else { return }
        // The table as it is: the order does not matter, and this runs at every turn of the control loop.
        let on = policy.update(receivers: rtcp.receivers, nowNanos: MonotonicInstant.now().nanoseconds)
        redundancyPolicy = policy
        guard on != counters.redundancyOn.load(ordering: .relaxed) else { return }
        counters.redundancyOn.store(on, ordering: .relaxed)
        let later = configuration.redundancyPackets
        logger.notice(on
            ? "redundancy auto: a receiver reports loss; every packet goes again \(later) packets later"
            : "redundancy auto: no loss reported for \(policy.holdNanoseconds / 1_000_000_000) s; copies off")
    }

    private var deviceName: String {
        if case .captureDevice(let name) = configuration.source { return name }
        return ""
    }

    /// The statistics now; bitrate and peak cover the time since the previous call. Control thread (it updates the
    /// interval baseline); before `run()` ends, the receiver table is read from the control thread only.
    public func statistics() -> SenderStatistics {
        let now = MonotonicInstant.now().nanoseconds
        let snapshot = counters.snapshot()
        let octets = snapshot.payloadOctets + snapshot.packets * RTPPacket.fixedHeaderSize
        var bitrate = 0.0
        if let previous = previousSnapshot, now > previous.time {
            bitrate = Double(octets - previous.octets) * 8 / (Double(now - previous.time) / 1e9)
        } else if now > startTime, startTime > 0 {
            bitrate = Double(octets) * 8 / (Double(now - startTime) / 1e9)
        }
        let isOverall = previousSnapshot == nil
        previousSnapshot = (now, snapshot.packets, octets)
        let intervalPeak = counters.takePeak()
        overallPeak = max(overallPeak, intervalPeak)
        let peak = isOverall ? overallPeak : intervalPeak
        let captureCounters = capture?.counters
        return SenderStatistics(
            ssrc: ssrc, counters: snapshot, elapsedSeconds: startTime > 0 ? Double(now - startTime) / 1e9 : 0,
            peakDBFS: peak > 0 ? max(-200, 20 * log10(Double(peak))) : -200, bitrate: bitrate,
            captureOverrunFrames: captureCounters?.overrunFrames ?? 0, captureXruns: captureCounters?.xruns ?? 0,
            senderReports: rtcp.reportsSent,
            receivers: rtcp.receivers.sorted { $0.ssrc < $1.ssrc }, receiverReports: rtcp.reportCounters)
    }

    /// Admitted receivers' latest reports; control thread (or after `run()` returned).
    public var receivers: [RemoteReceiverStatistics] { rtcp.receivers.sorted { $0.ssrc < $1.ssrc } }

    /// The SDP for destination `index` (an SDP names one connection address, so each destination has its own).
    public static func sessionDescription(
        _ configuration: SenderConfiguration, destination index: Int = 0
    ) -> OpusSessionDescription {
        let destination = configuration.destinations[index]
        let connection = SDPConnection(
            addressType: destination.family == AF_INET6 ? .ipv6 : .ipv4, address: destination.host,
            ttl: destination.isMulticast && destination.family == AF_INET ? UInt8(configuration.multicastHops) : nil)
        var description = OpusSessionDescription(connection: connection, port: destination.port)
        description.payloadType = configuration.payloadType
        description.stereo = configuration.encoder.channels == 2
        description.spropStereo = configuration.encoder.channels == 2
        description.useInbandFEC = configuration.encoder.inBandFEC
        description.maxAverageBitrate = configuration.encoder.bitrate
        description.packetTime = configuration.encoder.frameDuration.milliseconds
        if let key = configuration.srtpKey {
            description.crypto = SDPCryptoAttribute(suite: key.suite.sdpName, inlineKey: key.base64)
        }
        return description
    }

    /// Where `--sdp PATH` puts each destination's SDP: PATH for the first, then PATH with `-2`, `-3`, … before the
    /// extension of its last component (`stream.sdp`, `stream-2.sdp`; `out/x`, `out/x-2`).
    public static func sessionDescriptionPaths(for path: String, destinations: Int) -> [String] {
        guard destinations > 1 else { return [path] }
        let directoryEnd = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let name = path[directoryEnd...]
        let stemEnd = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 } ?? name.endIndex
        let stem = path[..<stemEnd]
        let suffix = path[stemEnd...]
        return [path] + (2...destinations).map { "\(stem)-\($0)\(suffix)" }
    }

    /// Writes every destination's `sessionDescription` (see `sessionDescriptionPaths`), replacing the files, and logs
    /// each path. Returns the paths in destination order. With a key the SDP holds it (`a=crypto`): the files are then
    /// made mode 0600, like the key file.
    @discardableResult
    public static func writeSessionDescriptions(
        _ configuration: SenderConfiguration, to path: String, logger: Logger? = nil
    ) throws(SenderError) -> [String] {
        let paths = sessionDescriptionPaths(for: path, destinations: configuration.destinations.count)
        for (index, target) in paths.enumerated() {
            let text = sessionDescription(configuration, destination: index).render()
            let mode: mode_t = configuration.srtpKey == nil ? 0o644 : 0o600
            let descriptor = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
            guard descriptor >= 0 else { throw .sdpFile(path: target, errno: errno) }
            if configuration.srtpKey != nil { fchmod(descriptor, mode) }
            guard let file = fdopen(descriptor, "w") else {
                close(descriptor)
                throw .sdpFile(path: target, errno: errno)
            }
            let written = text.utf8.withContiguousStorageIfAvailable { fwrite($0.baseAddress, 1, $0.count, file) }
                ?? Array(text.utf8).withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            let closed = fclose(file)
            guard written == text.utf8.count, closed == 0 else { throw .sdpFile(path: target, errno: errno) }
            logger?.info("SDP for \(configuration.destinations[index]) written to \(target)")
        }
        return paths
    }
}

/// What every `SendLoop` is built from, so the per-source code in `SenderPipeline.init` stays one line each.
private struct LoopParts {
    // The encoder is noncopyable: it is moved into the one loop `make` builds.
    let encoder: UnsafeMutablePointer<OpusEncoder>
    let configuration: SenderConfiguration
    let ssrc: UInt32
    let sequence: UInt16
    let clock: RTPClock
    let sockets: [UDPSocket]
    let destinationSockets: [Int]
    let counters: SenderCounterCells
    let stopRequested: UnsafeAtomic<Bool>
    let finished: UnsafeAtomic<Bool>
    let honourStopSignal: Bool
    let srtp: SRTPSession?

    init(
        encoder: consuming OpusEncoder, configuration: SenderConfiguration, ssrc: UInt32, sequence: UInt16,
        clock: RTPClock, sockets: [UDPSocket], destinationSockets: [Int], counters: SenderCounterCells,
        stopRequested: UnsafeAtomic<Bool>, finished: UnsafeAtomic<Bool>, honourStopSignal: Bool, srtp: SRTPSession?
    ) {
        self.srtp = srtp
        self.encoder = .allocate(capacity: 1)
        self.encoder.initialize(to: encoder)
        self.configuration = configuration
        self.ssrc = ssrc
        self.sequence = sequence
        self.clock = clock
        self.sockets = sockets
        self.destinationSockets = destinationSockets
        self.counters = counters
        self.stopRequested = stopRequested
        self.finished = finished
        self.honourStopSignal = honourStopSignal
    }

    /// Builds the loop for `source` in its own allocation and a thread that runs it. Call exactly once.
    func make<Source: AudioSource>(_ source: Source, cleanup: @escaping () -> Void = {})
        -> (SendThread, () -> SenderFailure?)
    {
        let loop = UnsafeMutablePointer<SendLoop<Source>>.allocate(capacity: 1)
        loop.initialize(
            to: SendLoop(
                source: source, encoder: encoder.move(), configuration: configuration, ssrc: ssrc,
                initialSequence: sequence, clock: clock, sockets: sockets, destinationSockets: destinationSockets,
                counters: counters, stopRequested: stopRequested, honourStopSignal: honourStopSignal, srtp: srtp))
        encoder.deallocate()
        let finished = self.finished
        let thread = SendThread(scheduling: configuration.scheduling) {
            loop.pointee.run()
            finished.store(true, ordering: .releasing)
        }
        let finish: () -> SenderFailure? = {
            let failure = loop.pointee.failure
            loop.deinitialize(count: 1)
            loop.deallocate()
            cleanup()
            return failure
        }
        return (thread, finish)
    }
}
