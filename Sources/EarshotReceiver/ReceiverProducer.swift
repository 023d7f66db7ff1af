import Atomics
import EarshotCodec
import EarshotNet
import EarshotProtocol
import EarshotRealtime

#if canImport(Glibc)
    import Glibc
#endif

/// The producer thread's state and loop: sockets in, decoded audio out to the playback ring.
///
/// Each turn: sleep until the ring is due for a refill (see `sleepNanos`: just before each of the playback thread's
/// takes, from its `PlaybackCadence`), or, while not playing, until a socket becomes readable; drain every
/// queued datagram without waiting (RTP: validate, lock onto one SSRC, extend sequence and timestamp, insert into the
/// jitter buffer with the arrival time; RTCP: SR/BYE, read only every `publishIntervalNanos` while playing); then,
/// as long as the playout controller wants (`PlayoutController`: what to keep queued in the ring and the device, when
/// to wait for a missing frame), take the jitter buffer's next decision, decode it, splice it toward the target,
/// resample it by the controller's ratio and write it to the ring (at unity: the output gain is the playback
/// thread's). Counters are published every `publishIntervalNanos` (while playing, at the first refill after that);
/// an RTCP receiver report goes out about once a second.
///
/// Invariant: every buffer is allocated in `init`; the loop allocates nothing (errors are rare, typed and caught).
/// Lives in memory owned by `ReceiverPipeline`; only the producer thread touches it between start and join.
struct ReceiverProducer: ~Copyable {
    let rtpSocket: UDPSocket
    let rtcpSocket: UDPSocket
    var poll: ReadinessPoll
    let ring: RingBuffer
    /// The playback thread's takes (nil when the caller drains the ring): while playing, the producer wakes just
    /// before each take (`PlaybackCadence.refillLead`), once per period.
    let cadence: PlaybackCadence?
    /// Where the device can be stopped while no stream plays (nil: never; see `standbyAfterNanos`).
    let standby: PlaybackStandby?
    /// Signalled when the producer asks the device out of standby, for a supervisor that released it while idle.
    let deviceWakeup: WakeupEvent?
    /// No stream for this long asks the playback thread to stop the device; the next admitted packet starts it again.
    let standbyAfterNanos: Int64
    let channels: Int
    let payloadType: UInt8
    /// What to keep queued, when to wait for a frame, how to move the delay (resample ratio, splice, drop).
    var playout: PlayoutController
    /// The timed wake-up is due when the ring, drained continuously from its fill after the last refill, would
    /// hold this little: half a period below `PlayoutController.targetFillFrames`. The device takes whole periods,
    /// so the real fill may be up to a period lower at the wake-up. Used only without a `cadence` (the caller drains
    /// the ring).
    /// While not playing (idle, buffering), datagrams wake the producer earlier, and each wake-up refills.
    let refillLevelFrames: Int
    /// Never sleep less than this (a fill at or below the refill level would otherwise spin).
    let minimumSleepNanos: Int64 = 250_000
    /// The longest wait while the device is in standby: only datagrams matter then, and they end the wait.
    let standbyWaitNanos: Int64 = 500_000_000
    let publishIntervalNanos: Int64 = 20_000_000
    let reportIntervalNanos: Int64 = 1_000_000_000
    /// `--clock sender`: a clock request (`ClockSyncExchange`) four times a second, so that the estimator keeps
    /// enough short round trips to choose from.
    let clockRequestIntervalNanos: Int64 = 250_000_000
    var nextClockRequestNanos: Int64 = 0
    let scheduling: RealtimeScheduling
    let mailbox: ReceiverCountersMailbox
    let gauges: ReceiverGauges
    /// The stream's identity for other threads, republished with the counters when it changes.
    let streamMailbox: ReceiverStreamMailbox
    /// What `streamMailbox` holds now (nil: no stream), to publish only changes.
    var publishedStream: (ssrc: UInt32, sender: SocketAddress, frameSamples: Int, cnameVersion: Int)?
    let stopRequested: UnsafeAtomic<Bool>

    var jitterBuffer: JitterBuffer
    var decoder: OpusDecoder
    /// Converts decoded audio to the device's rate, faster or slower by the playout controller's ratio, so that
    /// clock drift is followed without splices.
    var resampler: PlayoutResampler
    var rtcp: ReceiverRTCPSession
    var lock: RTPSourceLock<SocketAddress>
    /// The locked stream's sequence/timestamp/arrival plausibility and its media timeline (see `StreamTimeline`).
    var timeline: StreamTimeline
    /// The sender's reports read as capture instants, for a scheduled playout (`PlayoutController.schedule`; nil
    /// without one).
    var captureClock: SenderCaptureClock?
    /// The RTP and media timestamps of the last packet placed on the timeline: where the SRs' RTP timestamps are
    /// found on the jitter buffer's media timeline.
    var lastPlaced: (rtpTimestamp: UInt32, mediaTimestamp: Int64)?
    /// `ReceiverRTCPSession.senderReportsMapped` when the capture timeline was last set.
    var reportsMapped = 0
    /// `--allow`: only these may be heard at all (empty: everyone).
    let allowed: [SocketAddressRange]
    /// SRTP/SRTCP: authenticates and decrypts each datagram before it is parsed (passes them through without a key).
    var security: SRTPReceiveGate
    /// The frame size (Opus TOC) of the last packet placed; a new size takes effect when two in a row carry it.
    var lastPacketFrameSamples = 0
    /// Datagrams read per socket drain at most, so that a flood cannot keep the producer from refilling the ring:
    /// 2048 per 5 ms period drains 400 000 datagrams a second (about 1 µs each when rejected), so a flood's
    /// backlog cannot queue the genuine packets behind it.
    let maximumDatagramsPerDrain = 2048
    var statistics: RTPReceptionStatistics?
    var rtpSource: SocketAddress?
    /// RTP datagrams, a batch per system call; the RTCP datagram buffer (one at a time); the decode buffer (the
    /// longest Opus packet, 120 ms).
    let batch: DatagramBatch
    let datagram: UnsafeMutableRawBufferPointer
    let pcm: UnsafeMutablePointer<Float>
    let pcmFrames = OpusDecoder.maximumFramesPerPacket
    /// The resampler's output: room for `pcmFrames` at any ratio it takes (`resampledFrames`).
    let resampled: UnsafeMutablePointer<Float>
    let resampledFrames: Int
    /// The ring's and the device's frames per second (`PlayoutController.frameRate`).
    var outputRate: Int { playout.frameRate }
    /// The last decoded frame was quiet enough to drop the next one inaudibly.
    var lastFrameQuiet = false
    var nextPublishNanos: Int64 = 0
    var nextReportNanos: Int64 = 0
    /// When a stream last played or a packet was admitted: the start of the idle time that leads to standby.
    var lastStreamNanos: Int64 = 0
    /// This thread asked for standby (and writes no more silence into the ring, so that it drains).
    var standbyRequested = false
    /// The scheduling warning (set once before the loop) for the control thread to log.
    var schedulingWarning: String?
    let started: UnsafeAtomic<Bool>

    // MARK: - Loop

    mutating func run() {
        schedulingWarning = scheduling.applyToCurrentThread()
        ReadinessPoll.requestPreciseWakeups()
        started.store(true, ordering: .releasing)
        lastStreamNanos = MonotonicInstant.now().nanoseconds
        while !stopRequested.load(ordering: .acquiring) {
            let sleep = sleepNanos(now: MonotonicInstant.now().nanoseconds)
            if jitterBuffer.isPlaying {
                // While playing, only the ring's schedule needs a wake-up: a datagram waits in the socket with its
                // kernel receive timestamp, so reading it at the next refill loses nothing, and not waking for each
                // one cuts the thread's wake-ups by about a third (each costs more than all its audio work on a VM).
                MonotonicInstant.sleep(nanoseconds: sleep)
                drainRTP()
            } else {
                var pollFailed = false
                do {
                    _ = try poll.wait(timeoutNanoseconds: sleep)
                } catch {
                    // A failing ppoll (EBADF/ENOMEM) would spin; pace the loop instead and keep playing.
                    usleep(1000)
                    pollFailed = true
                }
                // A socket that was not readable would only answer EAGAIN: skip the system call.
                if pollFailed || poll.isReadable(0) { drainRTP() }
                if pollFailed || poll.isReadable(1) { drainRTCP() }
            }
            gauges.producerWakes.wrappingIncrement(ordering: .relaxed)
            fillRing()
            let now = MonotonicInstant.now().nanoseconds
            if standby != nil { considerStandby(now: now) }
            if now >= nextPublishNanos {
                // While playing, RTCP (about once a second, nothing urgent) is read here, every 20 ms, not at every
                // refill, where it cost a failed system call.
                if jitterBuffer.isPlaying { drainRTCP() }
                publish()
                nextPublishNanos = now + publishIntervalNanos
            }
            if now >= nextReportNanos {
                sendReport(nowNanos: now)
                nextReportNanos = now + reportIntervalNanos
            }
            if captureClock?.schedule.clock == .sender && now >= nextClockRequestNanos {
                sendClockRequest()
                nextClockRequestNanos = now + clockRequestIntervalNanos
            }
        }
        publish()
    }

    /// How long the next wait may last. With a `cadence` (device mode): until just before the first take this turn's
    /// refill has not served (`PlaybackCadence.nextRefillInstant(afterRefillAt:)`); counters and RTCP then ride on
    /// those wake-ups (at most a period late) rather than adding their own, and while not playing a datagram ends the
    /// wait earlier. Otherwise (the caller drains the ring) until the ring, drained at the device rate (48 frames per
    /// ms), reaches `refillLevelFrames`, and no later than the next counter publication.
    ///
    /// Why the cadence also while idle: the target fill counts the device's part of the queue, which the ring alone
    /// never reaches, so a wait measured on the ring was always overdue: the idle receiver woke 2 700 times a second
    /// (12 % of a core) until a stream played.
    func sleepNanos(now: Int64) -> Int64 {
        // A stopped device takes nothing to time the refills by; a datagram ends the wait (while not playing, the
        // loop polls the sockets).
        if let standby, !jitterBuffer.isPlaying, standby.isActive { return standbyWaitNanos }
        // The loop has just refilled (every wake-up does).
        if let cadence, let refill = cadence.nextRefillInstant(afterRefillAt: Int(now)) { return Int64(refill) - now }
        // Before the playback thread's first take (no cadence yet), against what the device held at its last wake.
        let spareFrames = Int64(ring.availableToRead() + (cadence?.deviceHeldFrames ?? 0) - refillLevelFrames)
        let untilRefill = spareFrames * 1_000_000_000 / Int64(outputRate)
        return max(minimumSleepNanos, min(untilRefill, nextPublishNanos - now))
    }

    /// Asks for standby once no stream has played for `standbyAfterNanos` (`handleRTP` withdraws the request).
    mutating func considerStandby(now: Int64) {
        if jitterBuffer.isPlaying {
            lastStreamNanos = now
        } else if !standbyRequested && standbyAfterNanos > 0 && now - lastStreamNanos >= standbyAfterNanos {
            standbyRequested = true
            standby?.request(true)
        }
    }

    mutating func publish() {
        mailbox.publish(jitterBuffer.counters)
        gauges.streamPlaying.store(jitterBuffer.isPlaying, ordering: .relaxed)
        publishStream()
        let queuedFrames = ring.availableToRead() + (cadence?.deviceHeldFrames ?? 0)
        gauges.publish(outputQueueMs: Double(queuedFrames) * 1000 / Double(outputRate))
        // A stream that ended was reset to the start-up figures (delay 0, the initial target): keep the ones it
        // played with, which the exit line then reports.
        guard !jitterBuffer.isIdle else { return }
        gauges.publish(
            jitterMs: jitterBuffer.jitterMs, delayMs: jitterBuffer.currentDelayMs, targetMs: jitterBuffer.targetDelayMs)
        let drift = playout.driftLoop
        gauges.publish(driftPpm: drift.driftPpm, resampleRatio: drift.ratio, delayErrorMs: drift.delayErrorMs)
        if playout.schedule != nil {
            gauges.publish(syncErrorMs: playout.syncErrorMs ?? .nan, syncLost: playout.syncLost)
        }
    }

    /// Publishes the locked stream's identity when it changed: a stream plays while the jitter buffer is not idle
    /// and a source is locked; its frame size is the one the jitter buffer plays by; its CNAME the one heard about it.
    mutating func publishStream() {
        guard !jitterBuffer.isIdle, let ssrc = lock.lockedSource, let sender = lock.lockedAddress else {
            if publishedStream != nil {
                streamMailbox.publishNone()
                publishedStream = nil
            }
            return
        }
        let frameSamples = jitterBuffer.frameSamples
        let cnameVersion = rtcp.heardCNAMEVersion
        if let published = publishedStream, published.ssrc == ssrc, published.sender == sender,
            published.frameSamples == frameSamples, published.cnameVersion == cnameVersion
        {
            return
        }
        streamMailbox.publish(
            sender: sender, ssrc: ssrc, frameSamples: frameSamples, cname: rtcp.senderCNAME(ssrc: ssrc, host: sender))
        publishedStream = (ssrc, sender, frameSamples, cnameVersion)
    }

    // MARK: - Packets in

    /// True when `--allow` admits `source` (always without `--allow`).
    func isAllowed(_ source: SocketAddress) -> Bool {
        if allowed.isEmpty { return true }
        for range in allowed where range.contains(source) { return true }
        return false
    }

    /// Reads queued RTP datagrams in `recvmmsg` batches, at most `maximumDatagramsPerDrain` per call.
    mutating func drainRTP() {
        var budget = maximumDatagramsPerDrain
        while budget > 0 {
            let count: Int
            do { count = try rtpSocket.receive(into: batch, wait: false) } catch { return }
            if count == 0 { return }
            budget -= count
            for index in 0..<count {
                let received = batch[index]
                if received.truncated {
                    // Larger than any datagram we accept: parsing what fits would read a cut packet.
                    gauges.truncated.wrappingIncrement(ordering: .relaxed)
                    continue
                }
                let bytes = UnsafeRawBufferPointer(rebasing: batch.payload(at: index)[0..<received.byteCount])
                // rtcp-mux (RFC 5761): RTCP types 200–204 where an RTP header has its marker and payload type.
                if RTPRTCPDemultiplexer.classify(bytes) == .rtcp {
                    handleRTCP(bytes, from: received.source, onRTPPort: true, arrival: received.arrival)
                    continue
                }
                handleRTP(bytes, from: received.source, arrival: received.arrival)
            }
            if count < batch.capacity { return }
        }
    }

    mutating func drainRTCP() {
        var budget = maximumDatagramsPerDrain
        while budget > 0 {
            budget -= 1
            let received: Datagram?
            do { received = try rtcpSocket.receive(into: datagram, wait: false) } catch { return }
            guard let received else { return }
            if received.truncated {
                gauges.truncated.wrappingIncrement(ordering: .relaxed)
                continue
            }
            let bytes = UnsafeRawBufferPointer(rebasing: datagram[0..<received.byteCount])
            handleRTCP(bytes, from: received.source, onRTPPort: false, arrival: received.arrival)
        }
    }

    mutating func handleRTCP(
        _ bytes: UnsafeRawBufferPointer, from source: SocketAddress, onRTPPort: Bool, arrival: MonotonicInstant
    ) {
        guard isAllowed(source) else {
            gauges.count(RTCPSourceDrop.addressNotAllowed)
            return
        }
        guard let bytes = security.admitRTCP(bytes, from: source, nowNanos: arrival.nanoseconds, gauges: gauges)
        else { return }
        if let rejection = rtcp.receive(
            bytes, from: source, onRTPPort: onRTPPort, nowNanos: arrival.nanoseconds, lock: &lock, gauges: gauges)
        {
            var index = 0
            for candidate in RTCPRejection.allCases {
                if candidate == rejection { break }
                index += 1
            }
            gauges.countRTCPRejection(index: index)
        }
        if rtcp.goodbyePending {
            rtcp.goodbyePending = false
            jitterBuffer.endOfStream()
        }
        if let exchange = rtcp.clockAnswer {
            rtcp.clockAnswer = nil
            captureClock?.addExchange(exchange.answer, arrivalNanos: exchange.arrivalNanos)
        }
        if captureClock != nil && rtcp.senderReportsMapped != reportsMapped { mapCaptureTimeline() }
    }

    /// Sets the jitter buffer's capture timeline from the latest sender report (scheduled playout only).
    mutating func mapCaptureTimeline() {
        guard let report = rtcp.senderClock, let placed = lastPlaced, jitterBuffer.isIdle == false else { return }
        reportsMapped = rtcp.senderReportsMapped
        let timeline = captureClock?.timeline(
            report: (report.ntp, report.rtpTimestamp), placed: placed, nowNanos: MonotonicInstant.now().nanoseconds)
        if let timeline { jitterBuffer.captureTimeline = timeline }
    }

    mutating func handleRTP(_ bytes: UnsafeRawBufferPointer, from source: SocketAddress, arrival: MonotonicInstant) {
        guard isAllowed(source) else {
            gauges.count(RTPRejection.addressNotAllowed)
            return
        }
        guard let bytes = security.admitRTP(bytes, from: source, nowNanos: arrival.nanoseconds, gauges: gauges)
        else { return }
        let packet: RTPPacket
        switch RTPPacket.parse(bytes, payloadType: payloadType) {
        case .success(let parsed): packet = parsed
        case .failure(let rejection):
            gauges.count(rejection)
            return
        }
        let payload = packet.payload
        guard let frames = OpusDecoder.validatedFrameCount(of: payload) else {
            gauges.count(.malformedOpusPayload)
            return
        }
        let arrivalNanos = UInt64(arrival.nanoseconds)
        let arrival32 = UInt32(truncatingIfNeeded: arrivalNanos &* 3 / 62_500)
        switch lock.admit(
            ssrc: packet.ssrc, sequenceNumber: packet.sequenceNumber, from: source, nowNanoseconds: arrivalNanos)
        {
        case .reject(let rejection):
            gauges.count(rejection)
            return
        case .probation:
            gauges.sourceProbationDrops.wrappingIncrement(ordering: .relaxed)
            return
        case .acceptNewSource(let previous):
            playout.noteNewStream()
            captureClock?.reset(newSender: true)
            lastPlaced = nil
            if previous != nil {
                jitterBuffer.reset()
                decoder.reset()
                gauges.sourceChanges.wrappingIncrement(ordering: .relaxed)
            }
            rtcp.resetSender()
            timeline.reset()
            lastPacketFrameSamples = 0
            // The lock saw the previous packet in sequence: replay it into A.1 so this one is not held in a second
            // probation.
            startStatistics(ssrc: packet.ssrc, before: packet.sequenceNumber, timestamp: packet.timestamp,
                            arrival: arrival32)
        case .accept:
            break
        }
        let placed = timeline.judge(
            sequence: packet.sequenceNumber, timestamp: packet.timestamp, frameSamples: frames,
            arrivalNanos: arrivalNanos)
        guard case .accept(let sequence, let mediaTimestamp, let reanchored) = placed else {
            if case .reject(let rejection) = placed { gauges.count(rejection) }
            return
        }
        if reanchored {
            // A new line confirmed by a run of consistent packets (sender restart, path change): what is buffered
            // belongs to the old one.
            jitterBuffer.restart()
            decoder.reset()
            playout.noteNewStream()
            captureClock?.reset()
            startStatistics(ssrc: packet.ssrc, before: packet.sequenceNumber, timestamp: packet.timestamp,
                            arrival: arrival32)
        }
        rtpSource = source
        // RTCP's reception statistics (RFC 3550 A.1/A.8) see what was placed; the timeline decides what plays.
        _ = statistics?.record(
            sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, arrival: arrival32)
        // One packet cannot change the frame size: two in a row must carry the new one.
        if frames == lastPacketFrameSamples || jitterBuffer.isIdle { jitterBuffer.setFrameSamples(frames) }
        lastPacketFrameSamples = frames
        _ = jitterBuffer.insert(
            sequence: sequence, timestamp: mediaTimestamp, arrivalNanos: arrivalNanos, payload: payload)
        if captureClock != nil {
            lastPlaced = (packet.timestamp, mediaTimestamp)
            // A stream (re)started after its last report: map that report onto the new timeline.
            if jitterBuffer.captureTimeline == nil { mapCaptureTimeline() }
        }
        lastStreamNanos = arrival.nanoseconds
        if standbyRequested {
            // The device starts again while the jitter buffer holds its start-up delay.
            standbyRequested = false
            standby?.request(false)
            deviceWakeup?.signal()
        }
    }

    /// New reception statistics for `ssrc`, primed with the packet before `sequence` so that A.1 does not hold the
    /// next one in a probation of its own.
    mutating func startStatistics(ssrc: UInt32, before sequence: UInt16, timestamp: UInt32, arrival: UInt32) {
        let previousSequence = sequence &- 1
        statistics = RTPReceptionStatistics(ssrc: ssrc, firstSequence: previousSequence)
        _ = statistics!.record(sequenceNumber: previousSequence, timestamp: timestamp, arrival: arrival)
    }

    // MARK: - Audio out

    mutating func fillRing() {
        // Standby waits for the ring to drain: no silence goes in meanwhile (no stream plays, so silence is all
        // there would be).
        if standbyRequested { return }
        // The device's part of the queue, as of the playback thread's last wake: the ring tops the two up to
        // the target fill, so a device left short by a late refill is made up at the next one, and with the device
        // full the ring holds the next take.
        let deviceHeld = cadence?.deviceHeldFrames ?? 0
        // A scheduled playout reckons from the playback thread's last look at the device.
        let deviceAnchor = playout.schedule == nil ? nil : cadence?.playoutAnchor
        while ring.availableToWrite() >= resampledFrames {
            let ringFrames = ring.availableToRead()
            let queued = ringFrames + deviceHeld
            guard playout.wantsDecision(queuedFrames: queued, jitterBuffer: jitterBuffer) else { break }
            // What was corrected before this decision is what its delay measurement has seen.
            let correctedFrames = Double(jitterBuffer.correctedSamples) + resampler.surplusFrames
            let clock = playout.playoutClockNanos(
                nowNanos: MonotonicInstant.now().nanoseconds, queuedFrames: queued, ringFrames: ringFrames,
                deviceAnchor: deviceAnchor, resamplerLatencyFrames: resampler.latencyFrames)
            let decision = jitterBuffer.nextDecision(nowNanos: clock)
            let rate = playout.followDrift(
                clockNanos: clock, correctedFrames: correctedFrames, jitterBuffer: jitterBuffer)
            if rate.newStream { resampler.reset() }
            if let ratio = rate.ratio { resampler.setRatio(ratio) }
            var frames = render(decision)
            if case .play = decision {
                frames = playout.correct(pcm, frames: frames, capacityFrames: pcmFrames, jitterBuffer: &jitterBuffer)
            }
            if case .waiting = decision {
                // Silence while no stream plays bypasses the resampler (and costs nothing there); `render` sized it
                // for the ring's rate.
                if frames > 0 { _ = ring.write(pcm, frames: frames) }
            } else if frames > 0 {
                let produced = resampler.process(pcm, frames: frames, into: resampled, capacity: resampledFrames)
                _ = ring.write(resampled, frames: produced)
            }
            if case .play = decision, playout.shouldDrop(afterQuietFrame: lastFrameQuiet, jitterBuffer: jitterBuffer),
                let skipped = jitterBuffer.dropNext()
            {
                // Keep the decoder's state continuous; the output is discarded.
                _ = try? decoder.decode(skipped, into: pcm, capacityFrames: pcmFrames)
            }
        }
    }

    /// Decodes one decision into `pcm` and notes whether it was quiet; returns frames.
    mutating func render(_ decision: PlayoutDecision) -> Int {
        var frames: Int
        switch decision {
        case .waiting(let samples):
            // Written to the ring as is, so counted at the ring's rate (as much time as `samples` at 48 kHz).
            frames = min(Int((Double(samples) * resampler.nominalRatio).rounded()), pcmFrames)
            silence(from: 0, to: frames)
            lastFrameQuiet = true
            return frames
        case .play(let payload, _, let samples):
            do {
                frames = try decoder.decode(payload, into: pcm, capacityFrames: pcmFrames)
            } catch {
                gauges.count(.malformedOpusPayload)
                frames = conceal(samples)
            }
        case .recoverWithFEC(let next, _, let samples):
            let length = Self.concealmentLength(samples)
            do {
                frames = try decoder.decodeFEC(fromNextPacket: next, into: pcm, frames: length)
            } catch {
                frames = conceal(samples)
            }
            frames = pad(frames, to: samples)
        case .conceal(let samples), .stretch(let samples):
            frames = conceal(samples)
        }
        noteLoudness(frames: frames)
        return frames
    }

    mutating func conceal(_ samples: Int) -> Int {
        let length = Self.concealmentLength(samples)
        let frames = (try? decoder.conceal(into: pcm, frames: length)) ?? 0
        return pad(frames, to: samples)
    }

    /// Zero-fills up to `samples` frames when the codec produced fewer (lengths not a multiple of 2.5 ms).
    func pad(_ frames: Int, to samples: Int) -> Int {
        let wanted = min(samples, pcmFrames)
        if frames < wanted { silence(from: frames, to: wanted) }
        return max(frames, wanted)
    }

    func silence(from start: Int, to end: Int) {
        var index = start * channels
        while index < end * channels {
            pcm[index] = 0
            index += 1
        }
    }

    /// Sets `lastFrameQuiet` from the decoded level (before the output gain, which the playback thread applies).
    mutating func noteLoudness(frames: Int) {
        var energy: Float = 0
        var index = 0
        let count = frames * channels
        while index < count {
            let sample = pcm[index]
            energy += sample * sample
            index += 1
        }
        lastFrameQuiet = count == 0 || energy / Float(count) < PlayoutController.quietRMS * PlayoutController.quietRMS
    }

    /// PLC and FEC work in 2.5 ms steps: the largest multiple of 120 not above `samples` (at least 120).
    static func concealmentLength(_ samples: Int) -> Int {
        max(OpusDecoder.concealmentGranule, min(samples, OpusDecoder.maximumFramesPerPacket)
            / OpusDecoder.concealmentGranule * OpusDecoder.concealmentGranule)
    }

    // MARK: - RTCP out

    /// Sends a clock request to the sender's RTCP address, stamped with our clock just before it leaves.
    mutating func sendClockRequest() {
        guard let destination = rtcp.reportDestination(rtpSource: rtpSource),
            let captureClock,
            let request = rtcp.makeClockRequest(
                t1: captureClock.clockRequestStamp(nowNanos: MonotonicInstant.now().nanoseconds))
        else { return }
        let socket = rtcp.multiplexed ? rtpSocket : rtcpSocket
        do { try socket.send(request, to: destination) } catch {}
    }

    mutating func sendReport(nowNanos: Int64) {
        guard let destination = rtcp.reportDestination(rtpSource: rtpSource),
            let report = rtcp.makeReport(statistics: &statistics, nowNanos: nowNanos)
        else { return }
        let socket = rtcp.multiplexed ? rtpSocket : rtcpSocket
        guard let report = security.protectReport(report) else { return }
        do {
            try socket.send(report, to: destination)
            gauges.reportsSent.wrappingIncrement(ordering: .relaxed)
        } catch {
            // ICMP port unreachable from a sender without RTCP: nothing to do, try again next second.
        }
    }
}
