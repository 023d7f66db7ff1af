import Atomics
import EarshotALSA
import EarshotCodec
import EarshotDSP
import EarshotNet
import EarshotProtocol
import EarshotRealtime
import EarshotSecurity
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The whole receiver: UDP sockets → producer thread (validation, source lock, jitter buffer, Opus decode) →
/// ring buffer → ALSA playback thread (output gain), plus RTCP on port + 1 (or multiplexed on the RTP port).
///
/// ```
///  RTP :port ─┐                    ┌──────────── producer thread (SCHED_FIFO, below playback) ──────────┐
///  RTCP :p+1 ─┴─ ppoll, drain ──▶ │ parse → SSRC lock → extend seq/ts → JitterBuffer → decide → decode │ ─▶ ring
///                                  └───────────── RR + SDES about once a second ◀── SR, BYE ────────────┘
///  ring ─▶ PlaybackThread (SCHED_FIFO) ─▶ ALSA device          (optional tap ring ─▶ recording, main thread)
/// ```
///
/// Everything is allocated in `init`; after `start` the producer and playback threads allocate nothing. With
/// `Output.caller` no device is opened and the caller consumes `ring` itself (tests, other sinks).
///
/// The output volume (`outputVolume`, `setOutputVolume`; `OutputVolumeControl`): the playback thread ramps its gain
/// to it, or with `ReceiverConfiguration.mixer` the card's mixer control takes it and the samples pass at unity.
/// With `Output.caller` (and no mixer) the ring holds the audio at unity: the volume is kept, saved and reported,
/// and applying it is the caller's sink's business.
///
/// Threads: `init`, `start`, `stop`, `collectRecording` and deinit belong to one control thread; `stats()` may be
/// called from any thread.
public final class ReceiverPipeline: @unchecked Sendable {
    public enum Output: Sendable {
        /// Play through the configured ALSA device; with `recordingCapacitySeconds`, also keep a copy of every
        /// period handed to the device, collected by `collectRecording()`.
        case device(recordingCapacitySeconds: Double? = nil)
        /// No device: the caller reads `ring` (a single consumer) at its own pace.
        case caller
    }

    public let configuration: ReceiverConfiguration
    /// Where RTP is received (port 0 in the configuration is replaced by the chosen port).
    public let localAddress: SocketAddress
    public let rtcpLocalAddress: SocketAddress
    /// The ring the producer fills: the playback thread's input, or the caller's with `Output.caller`.
    public let ring: RingBuffer
    /// Frames per second in the ring, the device and the recording: the device's rate (48 000 with `Output.caller`).
    public let outputRate: Int
    /// Device parameters actually granted (nil with `Output.caller`; the requested ones while waiting for a device
    /// at start, `ReceiverConfiguration.waitsForDevice`).
    public let deviceParameters: PCMParameters?
    /// Frames per channel the producer keeps queued in the ring and the device together: the device buffer plus the
    /// periods of one take (`PlayoutController.targetFillFrames(bufferFrames:periodFrames:periodsPerWake:)`).
    public let targetFillFrames: Int
    /// The kernel receive buffers granted on the RTP and RTCP sockets, in bytes (0 where the request failed).
    public let receiveBufferBytes: (rtp: Int32, rtcp: Int32)
    /// What the security gate asks to be logged (SRTP without a key, a source that does not authenticate): take them
    /// from the control thread.
    public let securityNotices = ReceiverSecurityNotices()

    /// Owns the playback thread after `start`: reopens a lost device, releases an idle one (nil with `Output.caller`).
    private let supervisor: PlaybackDeviceSupervisor?
    /// The playback thread until `start` hands it to the supervisor (nil while waiting for the device).
    private var firstPlayback: PlaybackThread?
    /// Why the device could not be opened at start, with `waitsForDevice` (the supervisor then waits for it).
    private var startupDeviceFailure: String?
    /// The playback threads' counters, kept across devices (nil with `Output.caller`).
    private let playbackCounterCells: PlaybackCounterCells?
    private let framesWithoutDevice: UnsafeAtomic<Int>
    /// Wakes the supervisor when the producer asks a released device back.
    private let deviceWakeup: WakeupEvent?
    /// The playback thread's takes, which time the producer's refills (nil with `Output.caller`).
    private let cadence: PlaybackCadence?
    /// Stops the device while no stream plays (nil with `Output.caller` or `standbyAfterSeconds` 0).
    private let standby: PlaybackStandby?
    private let tap: RingBuffer?
    private let tapScratch: UnsafeMutablePointer<Float>?
    private let tapScratchFrames = 4096
    public private(set) var recording: [Float] = []

    /// The output volume: software gain, or the card's mixer; the state file.
    private let volumeControl: OutputVolumeControl

    private let producer: UnsafeMutablePointer<ReceiverProducer>
    private let mailbox = ReceiverCountersMailbox()
    private let gauges = ReceiverGauges()
    private let streamMailbox = ReceiverStreamMailbox()
    private let stopRequested = UnsafeAtomic<Bool>.create(false)
    private let producerStarted = UnsafeAtomic<Bool>.create(false)
    private var producerThread: pthread_t?
    private var playbackStarted = false

    /// `logger`: where the device supervisor reports the device's changes of state (lost, back, released).
    public init(
        configuration: ReceiverConfiguration, output: Output = .device(),
        logger: Logger = Logger(label: "earshot-recv")
    ) throws(ReceiverPipelineError) {
        do { try configuration.validate() } catch { throw .configuration(error) }
        self.configuration = configuration
        do { volumeControl = try OutputVolumeControl(configuration: configuration) } catch { throw .mixer(error) }
        let listen: SocketAddress
        let interface: NetworkInterface?
        let allowed: [SocketAddressRange]
        do {
            listen = try configuration.listenAddress()
            interface = try configuration.networkInterface()
            allowed = try configuration.allowedRanges()
        } catch {
            throw .configuration(error)
        }
        let rtpSocket: UDPSocket
        let rtcpSocket: UDPSocket
        (rtpSocket, rtcpSocket) = try Self.bindPortPair(listen, interface: interface)
        localAddress = rtpSocket.localAddress
        rtcpLocalAddress = rtcpSocket.localAddress
        // A burst or a flood waits in the kernel rather than being dropped there unseen: 1 MiB each (the kernel
        // grants twice what is asked, capped by net.core.rmem_max), reported for the log.
        receiveBufferBytes = (
            rtp: (try? rtpSocket.setReceiveBufferSize(1 << 20)) ?? 0,
            rtcp: (try? rtcpSocket.setReceiveBufferSize(1 << 20)) ?? 0)

        let channels = configuration.channels
        let periodFrames: Int
        /// The ring's and the device's frames per second: the device's rate (the producer converts to it).
        let outputRate: Int

        let concealFloorFrames: Int
        // What waiting for a missing frame adds (see `concealFloorFrames`) need not be held in the jitter buffer too:
        // one period, the wait until the next wake-up. A deeper device buffer lets a frame wait longer, but that wait
        // is for the device's bursts, not for the network.
        let lateAllowanceFrames: Int
        switch output {
        case .caller:
            outputRate = OpusDecoder.sampleRate
            periodFrames = configuration.periodFrames(atRate: outputRate)
            ring = Self.makeRing(periodFrames: periodFrames, outputRate: outputRate, channels: channels)
            targetFillFrames = PlayoutController.targetFillFrames(
                bufferFrames: configuration.bufferPeriods * periodFrames, periodFrames: periodFrames, periodsPerWake: 1)
            concealFloorFrames = targetFillFrames
            lateAllowanceFrames = 0
            supervisor = nil
            firstPlayback = nil
            playbackCounterCells = nil
            framesWithoutDevice = .create(0)
            deviceWakeup = nil
            cadence = nil
            standby = nil
            tap = nil
            tapScratch = nil
            deviceParameters = nil
        case .device(let recordingSeconds):
            // With `waitsForDevice`, a device not there yet (a USB DAC still enumerating at boot, a sound server still
            // starting) is waited for as a lost one, on the requested parameters.
            var opened: PCMDevice?
            let parameters: PCMParameters
            let pacedByTimer: Bool
            do {
                let device = try Self.openDevice(configuration)
                parameters = device.parameters
                pacedByTimer = PlaybackThread.pacesByTimer(configuration.pacing, device: device.handle)
                opened = consume device
            } catch {
                guard configuration.waitsForDevice, error.isDeviceUnavailable else { throw error }
                startupDeviceFailure = "\(error)"
                let requestedPeriod = configuration.periodFrames(atRate: configuration.deviceRate)
                parameters = PCMParameters(
                    sampleRate: configuration.deviceRate, channels: channels, format: .float32LittleEndian,
                    periodFrames: requestedPeriod, bufferFrames: requestedPeriod * configuration.bufferPeriods,
                    startThresholdFrames: requestedPeriod, availMinFrames: requestedPeriod)
                pacedByTimer = configuration.pacing == .timer
            }
            outputRate = parameters.sampleRate
            periodFrames = parameters.periodFrames
            ring = Self.makeRing(periodFrames: periodFrames, outputRate: outputRate, channels: channels)
            deviceParameters = parameters
            // From what the device granted: a card that rounds the period or buffer up would otherwise hold more
            // than the target allows for, and the ring would never get its share.
            let periodsPerWake = PlaybackThread.periodsPerWake(
                requested: configuration.periodsPerWake,
                pacedByTimer: pacedByTimer, bufferPeriods: parameters.bufferFrames / parameters.periodFrames)
            targetFillFrames = PlayoutController.targetFillFrames(
                bufferFrames: parameters.bufferFrames, periodFrames: parameters.periodFrames,
                periodsPerWake: periodsPerWake)
            concealFloorFrames = PlayoutController.concealFloorFrames(
                bufferFrames: parameters.bufferFrames, periodFrames: parameters.periodFrames,
                periodsPerWake: periodsPerWake)
            lateAllowanceFrames = parameters.periodFrames
            // The producer refills just before each take; takes come every `periodsPerWake` periods.
            let deviceCadence = PlaybackCadence(
                periodNanoseconds: periodsPerWake * parameters.periodFrames * 1_000_000_000 / parameters.sampleRate,
                measuresDeviceDelay: configuration.schedule != nil)
            cadence = deviceCadence
            let deviceStandby = configuration.standbyAfterSeconds > 0 ? PlaybackStandby() : nil
            standby = deviceStandby
            if let recordingSeconds {
                let tapRing = RingBuffer(
                    minimumCapacity: max(outputRate, Int(recordingSeconds * Double(outputRate))), channels: channels)
                tap = tapRing
                tapScratch = .allocate(capacity: tapScratchFrames * channels)
            } else {
                tap = nil
                tapScratch = nil
            }
            let counterCells = PlaybackCounterCells()
            playbackCounterCells = counterCells
            var options = PlaybackThread.Options(
                scheduling: configuration.playbackScheduling, pacing: configuration.pacing, tap: tap,
                cadence: deviceCadence, standby: deviceStandby, periodsPerWake: periodsPerWake,
                gain: volumeControl.playbackGain, counters: counterCells)
            #if EARSHOT_TEST_HOOKS
                options.stallsAfterNanoseconds = configuration.playbackStallsAfterSeconds.map { Int($0 * 1e9) }
            #endif
            switch consume opened {
            case .some(let device): firstPlayback = PlaybackThread(device: device, ring: ring, options: options)
            case .none: firstPlayback = nil
            }
            let wakeup: WakeupEvent
            do { wakeup = try WakeupEvent() } catch { throw .socket(role: "device wake-up", error) }
            deviceWakeup = wakeup
            let discarded = UnsafeAtomic<Int>.create(0)
            framesWithoutDevice = discarded
            let ring = ring
            supervisor = PlaybackDeviceSupervisor(
                deviceName: configuration.device,
                open: { () throws(ReceiverPipelineError) -> PlaybackThread in
                    PlaybackThread(
                        device: try Self.openDevice(configuration, rate: outputRate), ring: ring, options: options)
                },
                onReturn: { [volumeControl] in
                    do {
                        try volumeControl.reopenMixer()
                    } catch {
                        logger.warning("--mixer: the device plays but its control could not be set: \(error)")
                    }
                },
                drain: AbsentDeviceDrain(
                    ring: ring, periodFrames: parameters.periodFrames, sampleRate: parameters.sampleRate,
                    deviceFrames: parameters.bufferFrames, cadence: deviceCadence, standby: deviceStandby,
                    discardedFrames: discarded),
                standby: deviceStandby, standbyCloses: configuration.standbyMode == .close,
                playbackCounters: counterCells, framesWithoutDevice: discarded, wakeup: wakeup, logger: logger)
        }

        let decoder: OpusDecoder
        do { decoder = try OpusDecoder(channels: channels) } catch { throw .codec(error) }
        var delay = PlayoutDelayEstimator.Configuration(mode: configuration.delayMode)
        // Start at 20 ms: a sender that bursts (ffmpeg -re sends 4 packets per 20 ms) is not concealed while the
        // estimator learns; a smooth LAN sender is decayed down to the minimum within seconds.
        delay.initialTargetMs = min(configuration.maximumLatencyMs, max(configuration.minimumLatencyMs, 20))
        delay.lateAllowanceMs = Double(lateAllowanceFrames) * 1000 / Double(outputRate)
        if let schedule = configuration.schedule {
            delay.measuresFromCapture = true
            delay.initialTargetMs = schedule.syncLatencyMs
        }
        let jitterBuffer = JitterBuffer(
            configuration: JitterBuffer.Configuration(
                capacity: configuration.jitterBufferCapacity, maxPayloadBytes: 1500, delay: delay,
                maxConcealmentMs: 100, stretchesDecodedAudio: true,
                maxStartExcessMs: PlayoutController.maxStartExcessMs(scheduled: configuration.schedule != nil)))

        let security: SRTPReceiveGate
        do {
            security = try SRTPReceiveGate(key: configuration.srtpKey, notices: securityNotices, datagramBytes: 2048)
        } catch {
            throw .security(error)
        }
        producer = .allocate(capacity: 1)
        producer.initialize(
            to: ReceiverProducer(
                rtpSocket: rtpSocket, rtcpSocket: rtcpSocket, poll: ReadinessPoll([rtpSocket, rtcpSocket]),
                ring: ring, cadence: cadence, standby: standby, deviceWakeup: deviceWakeup,
                standbyAfterNanos: Int64(configuration.standbyAfterSeconds * 1e9), channels: channels,
                payloadType: UInt8(configuration.payloadType),
                playout: PlayoutController(
                    targetFillFrames: targetFillFrames, concealFloorFrames: concealFloorFrames, channels: channels,
                    frameRate: outputRate, schedule: configuration.schedule),
                refillLevelFrames: targetFillFrames - periodFrames / 2, scheduling: configuration.producerScheduling,
                mailbox: mailbox,
                gauges: gauges, streamMailbox: streamMailbox, stopRequested: stopRequested, jitterBuffer: jitterBuffer,
                decoder: decoder,
                resampler: PlayoutResampler(channels: channels, outputRate: outputRate),
                rtcp: ReceiverRTCPSession(cname: configuration.canonicalName),
                lock: RTPSourceLock(
                    silenceTimeoutNanoseconds: UInt64(configuration.sourceTimeoutSeconds * 1e9)),
                timeline: StreamTimeline(configuration: configuration.timeline),
                allowed: allowed,
                security: security,
                batch: DatagramBatch(capacity: 32, slotByteCount: 2048),
                datagram: .allocate(byteCount: 2048, alignment: 16),
                pcm: .allocate(capacity: OpusDecoder.maximumFramesPerPacket * channels),
                resampled: .allocate(capacity: Self.resampledFrames(outputRate: outputRate) * channels),
                resampledFrames: Self.resampledFrames(outputRate: outputRate),
                started: producerStarted))
        if let schedule = configuration.schedule {
            producer.pointee.captureClock = SenderCaptureClock(
                schedule: schedule, nowNanos: MonotonicInstant.now().nanoseconds)
        }
        self.outputRate = outputRate
        if tap != nil { recording.reserveCapacity(outputRate * channels * 10) }
    }

    /// RTP on `listen`, RTCP on the next port (RFC 3550 §11), both joined to `listen`'s group if it is multicast. On
    /// port 0 the kernel picks the RTP port and RTCP takes the one above it, so a sender's reports and BYE (sent to
    /// port + 1) arrive; a pair already taken is tried again on another port, up to 16 times.
    static func bindPortPair(_ listen: SocketAddress, interface: NetworkInterface?)
        throws(ReceiverPipelineError) -> (rtp: UDPSocket, rtcp: UDPSocket)
    {
        var attempt = 0
        while true {
            attempt += 1
            let rtpSocket: UDPSocket
            do {
                rtpSocket = try UDPSocket(bindingTo: listen)
                if listen.isMulticast { try rtpSocket.joinMulticastGroup(listen, interface: interface) }
            } catch {
                throw .socket(role: "RTP", error)
            }
            var rtcpListen = listen
            let rtpPort = rtpSocket.localAddress.port
            let chosenByKernel = listen.port == 0
            if chosenByKernel && rtpPort == UInt16.max && attempt < 16 { continue }
            rtcpListen.port = rtpPort &+ 1
            do {
                let rtcpSocket = try UDPSocket(bindingTo: rtcpListen)
                if rtcpListen.isMulticast { try rtcpSocket.joinMulticastGroup(rtcpListen, interface: interface) }
                return (rtpSocket, rtcpSocket)
            } catch {
                if chosenByKernel && error.code == EADDRINUSE && attempt < 16 { continue }
                throw .socket(role: "RTCP", error)
            }
        }
    }

    /// Opens the configured playback device at `rate` (nil: `--device-rate`, the first opening) and checks the rate it
    /// granted: the producer converts the stream to any rate in `ReceiverConfiguration.deviceRateRange`, but a device
    /// opened again must grant the rate the pipeline was built for.
    static func openDevice(_ configuration: ReceiverConfiguration, rate: Int? = nil)
        throws(ReceiverPipelineError) -> PCMDevice
    {
        let requested = rate ?? configuration.deviceRate
        let periodFrames = configuration.periodFrames(atRate: requested)
        let device: PCMDevice
        do {
            device = try PCMDevice(
                name: configuration.device, stream: .playback,
                configuration: PCMConfiguration(
                    sampleRate: requested, channels: configuration.channels, periodFrames: periodFrames,
                    bufferFrames: periodFrames * configuration.bufferPeriods),
                configurationFile: configuration.deviceConfigurationFile)
        } catch {
            throw .device(error)
        }
        try checkRate(granted: device.parameters.sampleRate, device: configuration.device, required: rate)
        return device
    }

    /// A rate the producer cannot convert to, or (`required`) another rate than the pipeline was built for: its ring,
    /// targets and resampler count frames at that rate.
    static func checkRate(granted: Int, device: String, required: Int? = nil) throws(ReceiverPipelineError) {
        if let required, granted != required {
            throw .deviceRate(device: device, granted: granted, supported: "\(required) Hz, the rate it had before")
        }
        guard ReceiverConfiguration.deviceRateRange.contains(granted) else {
            let range = ReceiverConfiguration.deviceRateRange
            throw .deviceRate(
                device: device, granted: granted, supported: "\(range.lowerBound) ... \(range.upperBound) Hz")
        }
    }

    /// The producer's resampler output room for the longest packet, at `outputRate`.
    static func resampledFrames(outputRate: Int) -> Int {
        PlayoutResampler.outputCapacity(forInputFrames: OpusDecoder.maximumFramesPerPacket, outputRate: outputRate)
    }

    /// The ring between producer and playback: two periods and two packets' worth of converted audio.
    static func makeRing(periodFrames: Int, outputRate: Int, channels: Int) -> RingBuffer {
        RingBuffer(minimumCapacity: 2 * (periodFrames + resampledFrames(outputRate: outputRate)), channels: channels)
    }

    /// Starts the playback thread, then the producer. Returns warnings to log (real-time scheduling refused).
    /// Control thread.
    public func start() throws(ReceiverPipelineError) -> [String] {
        precondition(producerThread == nil, "ReceiverPipeline started twice")
        var warnings: [String] = volumeControl.loadWarning.map { ["--state-file: \($0)"] } ?? []
        if let supervisor {
            if let warning = try supervisor.start(first: firstPlayback, waitingBecause: startupDeviceFailure) {
                warnings.append("playback thread: \(warning)")
            }
            firstPlayback = nil
            playbackStarted = true
        }
        stopRequested.store(false, ordering: .releasing)
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            context!.assumingMemoryBound(to: ReceiverProducer.self).pointee.run()
            return nil
        }, UnsafeMutableRawPointer(producer))
        guard result == 0 else {
            supervisor?.stop()
            throw .thread(code: result)
        }
        producerThread = thread
        while !producerStarted.load(ordering: .acquiring) { usleep(500) }
        if let warning = producer.pointee.schedulingWarning { warnings.append("producer thread: \(warning)") }
        return warnings
    }

    /// Stops the producer, then playback. Idempotent. Control thread.
    public func stop() {
        if let thread = producerThread {
            stopRequested.store(true, ordering: .releasing)
            pthread_join(thread, nil)
            producerThread = nil
        }
        if playbackStarted {
            supervisor?.stop()
            playbackStarted = false
        }
        collectRecording()
    }

    /// Moves what the tap ring holds into `recording`. Call every few hundred ms while running (the tap holds
    /// `recordingCapacitySeconds`); `stop()` calls it once more. Control thread.
    public func collectRecording() {
        guard let tap, let tapScratch else { return }
        while true {
            let frames = tap.read(into: tapScratch, frames: tapScratchFrames)
            if frames == 0 { return }
            recording.append(contentsOf: UnsafeBufferPointer(start: tapScratch, count: frames * tap.channels))
        }
    }

    /// A snapshot of all statistics. Any thread.
    public func stats() -> ReceiverStats {
        var stats = ReceiverStats(
            counters: mailbox.read(), jitterMs: gauges.jitterMs, playoutDelayMs: gauges.delayMs,
            targetDelayMs: gauges.targetMs, xruns: playbackCounterCells?.snapshot().xruns ?? 0,
            packetsMalformedByReason: gauges.rejectionsByReason)
        if let counters = playbackCounters {
            stats.deviceUnderruns = counters.underrunEvents
            stats.deviceUnderrunFrames = counters.underrunFrames
            stats.standbyEntries = counters.standbyEntries
        }
        stats.inStandby = isInStandby
        stats.outputQueueMs = gauges.outputQueueMs
        stats.driftPpm = gauges.driftPpm
        stats.resampleRatio = gauges.resampleRatio
        stats.delayErrorMs = gauges.delayErrorMs
        stats.syncErrorMs = gauges.syncErrorMs
        stats.syncLost = gauges.syncLost.load(ordering: .relaxed)
        stats.rtcpReportsSent = gauges.reportsSent.load(ordering: .relaxed)
        stats.rtcpSenderReportsReceived = gauges.senderReportsReceived.load(ordering: .relaxed)
        stats.rtcpGoodbyesReceived = gauges.goodbyesReceived.load(ordering: .relaxed)
        stats.sourceChanges = gauges.sourceChanges.load(ordering: .relaxed)
        stats.packetsInSourceProbation = gauges.sourceProbationDrops.load(ordering: .relaxed)
        stats.deviceState = deviceState
        if let supervisor {
            stats.deviceLosses = supervisor.losses.load(ordering: .relaxed)
            stats.deviceReturns = supervisor.returns.load(ordering: .relaxed)
            stats.deviceFailedOpens = supervisor.failedOpens.load(ordering: .relaxed)
            stats.deviceReleases = supervisor.releases.load(ordering: .relaxed)
            stats.framesWithoutDevice = framesWithoutDevice.load(ordering: .relaxed)
        }
        return stats
    }

    /// Whether a stream plays now (as of the producer's last publication, at most 20 ms old). Any thread.
    public var isStreamActive: Bool { gauges.streamPlaying.load(ordering: .relaxed) }

    /// Whether the receiver is idle: no stream for `standbyAfterSeconds` (never when that is 0). Any thread.
    public var isIdle: Bool { standby?.isRequested ?? false }
    /// The stream being played (sender, SSRC, CNAME, frame size), nil when none. Any thread; lock-free on the
    /// producer's side (`ReceiverStreamMailbox`).
    public var stream: ReceiverStreamIdentity? { streamMailbox.read() }

    /// Whether the device is stopped for want of a stream (`ReceiverConfiguration.standbyAfterSeconds`). Any thread.
    public var isInStandby: Bool { standby?.isActive ?? false }

    /// The output level last set (`setOutputVolume`), exactly as set; initially the state file's, else `--volume`
    /// unmuted. Any thread.
    public var outputVolume: OutputVolume { volumeControl.volume }

    /// Sets the output level. Software gain: the playback thread starts ramping to it at its next period and reaches
    /// it `PlaybackGain.defaultRampFrames` frames (5 ms) later, so a step makes no click (heard after what the device
    /// buffer already holds). Mixer: the card's control is set on this thread. Then the state file is replaced.
    /// Any thread but a real-time one (the mixer and the file block); calls are serialized.
    ///
    /// Throws `.outOfRange` or `.mixer` with nothing changed, and `.notSaved` when only the state file failed.
    public func setOutputVolume(_ volume: OutputVolume) throws(OutputVolumeError) {
        try volumeControl.set(volume)
    }

    /// Where the playback device stands (`.playing` with `Output.caller`). Any thread.
    public var deviceState: PlaybackDeviceState { supervisor?.state ?? .playing }

    /// How far the playback and producer threads have turned, for a watchdog (`ReceiverLiveness`): the playback
    /// turns across every device opened. Any thread.
    public var threadProgress: ReceiverThreadProgress {
        ReceiverThreadProgress(
            playbackTurns: playbackCounterCells?.snapshot().turns,
            producerWakes: gauges.producerWakes.load(ordering: .relaxed))
    }

    /// Closes the playback device and opens it again (SIGHUP); a device that fails to open is retried as a lost one.
    /// Any thread.
    public func reopenDevice() { supervisor?.requestReopen() }

    /// The playback threads' counters, across every device opened (nil with `Output.caller`). Any thread.
    public var playbackCounters: PlaybackCounters? { playbackCounterCells?.snapshot() }

    deinit {
        stop()
        producer.pointee.datagram.deallocate()
        producer.pointee.pcm.deallocate()
        producer.pointee.resampled.deallocate()
        producer.deinitialize(count: 1)
        producer.deallocate()
        tapScratch?.deallocate()
        // The playback thread (if any) was stopped above and no longer reads these rings.
        ring.deallocate()
        tap?.deallocate()
        cadence?.destroy()
        standby?.destroy()
        playbackCounterCells?.destroy()
        framesWithoutDevice.destroy()
        deviceWakeup?.close()
        stopRequested.destroy()
        producerStarted.destroy()
    }
}

extension ReceiverPipeline {
    /// Writes `recording` (what was handed to the device) as a 32-bit float WAV. Control thread, after `stop()`.
    public func writeRecording(path: String) throws(WAVError) {
        try WAVFile(sampleRate: outputRate, channels: configuration.channels, samples: recording)
            .write(path: path)
    }
}
