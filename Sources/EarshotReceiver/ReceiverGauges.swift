import Atomics
import EarshotProtocol

/// The producer's figures that `ReceiverCounters` does not hold: malformed packets per reason and the current
/// jitter/delay values (the last stream's while none plays), for the stats printer on another thread.
///
/// Each cell is an independent relaxed atomic (a reading may mix two publications; each figure is itself exact).
/// Written by the producer thread only; read from any thread. Allocated in `init`, freed on deinit.
public final class ReceiverGauges: @unchecked Sendable {
    /// RTP rejections by `RTPRejection.counterIndex`, then RTCP rejections by their index in `RTCPRejection.allCases`,
    /// then the timeline's (`StreamTimeline.Rejection.allCases`), then RTCP source drops (`RTCPSourceDrop.allCases`),
    /// then the security gate's (`SRTPRejection.counterIndex`).
    private let rejections: UnsafeMutablePointer<UnsafeAtomic<Int>>
    private let rejectionCount: Int
    private let jitterBits = UnsafeAtomic<UInt64>.create(0)
    private let delayBits = UnsafeAtomic<UInt64>.create(0)
    private let targetBits = UnsafeAtomic<UInt64>.create(0)
    private let queueBits = UnsafeAtomic<UInt64>.create(Double.nan.bitPattern)
    private let driftBits = UnsafeAtomic<UInt64>.create(0)
    private let ratioBits = UnsafeAtomic<UInt64>.create(1.0.bitPattern)
    private let delayErrorBits = UnsafeAtomic<UInt64>.create(0)
    private let syncErrorBits = UnsafeAtomic<UInt64>.create(Double.nan.bitPattern)
    /// A scheduled playout has lost sync (`PlayoutController.syncLost`).
    let syncLost = UnsafeAtomic<Bool>.create(false)
    /// RTCP receiver reports sent, and sender reports / BYEs received.
    let reportsSent = UnsafeAtomic<Int>.create(0)
    let senderReportsReceived = UnsafeAtomic<Int>.create(0)
    let goodbyesReceived = UnsafeAtomic<Int>.create(0)
    let sourceChanges = UnsafeAtomic<Int>.create(0)
    /// First packets of a would-be new source, dropped until a second one follows in sequence (RTPSourceLock).
    let sourceProbationDrops = UnsafeAtomic<Int>.create(0)
    /// Datagrams cut by the kernel because they were larger than the receive buffer.
    let truncated = UnsafeAtomic<Int>.create(0)
    /// Whether a stream played at the last publication (the jitter buffer is playing one).
    let streamPlaying = UnsafeAtomic<Bool>.create(false)
    /// Turns of the producer's loop (each wake-up): a liveness sign for the watchdog (`ReceiverThreadProgress`).
    let producerWakes = UnsafeAtomic<Int>.create(0)

    public init() {
        rejectionCount = Self.securityBase + SRTPRejection.statNames.count
        rejections = .allocate(capacity: rejectionCount)
        for index in 0..<rejectionCount { (rejections + index).initialize(to: .create(0)) }
    }

    deinit {
        for index in 0..<rejectionCount { rejections[index].destroy() }
        rejections.deallocate()
        for cell in [
            jitterBits, delayBits, targetBits, queueBits, driftBits, ratioBits, delayErrorBits, syncErrorBits,
        ] {
            cell.destroy()
        }
        streamPlaying.destroy()
        syncLost.destroy()
        for cell in [reportsSent, senderReportsReceived, goodbyesReceived, sourceChanges, sourceProbationDrops, truncated] { cell.destroy() }
        producerWakes.destroy()
    }

    /// Producer thread.
    @inline(__always)
    func count(_ rejection: RTPRejection) {
        rejections[rejection.counterIndex].wrappingIncrement(ordering: .relaxed)
    }

    /// Producer thread. `index` is the rejection's position in `RTCPRejection.allCases`.
    @inline(__always)
    func countRTCPRejection(index: Int) {
        rejections[RTPRejection.allCases.count + index].wrappingIncrement(ordering: .relaxed)
    }

    private static let timelineBase = RTPRejection.allCases.count + RTCPRejection.allCases.count
    private static let sourceDropBase = timelineBase + StreamTimeline.Rejection.allCases.count
    private static let securityBase = sourceDropBase + RTCPSourceDrop.allCases.count

    /// Producer thread.
    @inline(__always)
    func count(_ rejection: StreamTimeline.Rejection) {
        rejections[Self.timelineBase + rejection.counterIndex].wrappingIncrement(ordering: .relaxed)
    }

    /// Producer thread.
    @inline(__always)
    func count(_ drop: RTCPSourceDrop) {
        rejections[Self.sourceDropBase + drop.counterIndex].wrappingIncrement(ordering: .relaxed)
    }

    /// Producer thread.
    @inline(__always)
    func count(_ rejection: SRTPRejection, _ channel: SRTPRejection.Channel) {
        rejections[Self.securityBase + rejection.counterIndex(channel)].wrappingIncrement(ordering: .relaxed)
    }

    /// Producer thread.
    @inline(__always)
    func publish(jitterMs: Double, delayMs: Double, targetMs: Double) {
        jitterBits.store(jitterMs.bitPattern, ordering: .relaxed)
        delayBits.store(delayMs.bitPattern, ordering: .relaxed)
        targetBits.store(targetMs.bitPattern, ordering: .relaxed)
    }

    /// Producer thread.
    @inline(__always)
    func publish(outputQueueMs: Double) { queueBits.store(outputQueueMs.bitPattern, ordering: .relaxed) }

    /// Producer thread: the drift loop's figures (`PlayoutDriftLoop`).
    @inline(__always)
    func publish(driftPpm: Double, resampleRatio: Double, delayErrorMs: Double) {
        driftBits.store(driftPpm.bitPattern, ordering: .relaxed)
        ratioBits.store(resampleRatio.bitPattern, ordering: .relaxed)
        delayErrorBits.store(delayErrorMs.bitPattern, ordering: .relaxed)
    }

    /// Producer thread: a scheduled playout's error (`PlayoutController.syncErrorMs`, NaN before it has one) and
    /// whether it has lost sync.
    @inline(__always)
    func publish(syncErrorMs: Double, syncLost: Bool) {
        syncErrorBits.store(syncErrorMs.bitPattern, ordering: .relaxed)
        self.syncLost.store(syncLost, ordering: .relaxed)
    }

    /// Every stat name `rejectionsByReason` may hold, in counter order: RTP, RTCP, timeline, RTCP source drops (so
    /// that an exporter can show each reason from zero).
    public static let rejectionReasons: [String] =
        RTPRejection.allCases.map(\.statName) + RTCPRejection.allCases.map(\.statName)
        + StreamTimeline.Rejection.allCases.map(\.statName) + RTCPSourceDrop.allCases.map(\.statName)
        + SRTPRejection.statNames

    /// Any thread. Non-zero counts only, keyed by the stable stat names (`rtp_bad_version`, `rtcp_…`).
    public var rejectionsByReason: [String: Int] {
        var result: [String: Int] = [:]
        for rejection in RTPRejection.allCases {
            let value = rejections[rejection.counterIndex].load(ordering: .relaxed)
            if value > 0 { result[rejection.statName] = value }
        }
        for (index, rejection) in RTCPRejection.allCases.enumerated() {
            let value = rejections[RTPRejection.allCases.count + index].load(ordering: .relaxed)
            if value > 0 { result[rejection.statName] = value }
        }
        for (index, rejection) in StreamTimeline.Rejection.allCases.enumerated() {
            let value = rejections[Self.timelineBase + index].load(ordering: .relaxed)
            if value > 0 { result[rejection.statName] = value }
        }
        for (index, drop) in RTCPSourceDrop.allCases.enumerated() {
            let value = rejections[Self.sourceDropBase + index].load(ordering: .relaxed)
            if value > 0 { result[drop.statName] = value }
        }
        for (index, name) in SRTPRejection.statNames.enumerated() {
            let value = rejections[Self.securityBase + index].load(ordering: .relaxed)
            if value > 0 { result[name] = value }
        }
        return result
    }

    public var jitterMs: Double { Double(bitPattern: jitterBits.load(ordering: .relaxed)) }
    public var delayMs: Double { Double(bitPattern: delayBits.load(ordering: .relaxed)) }
    public var targetMs: Double { Double(bitPattern: targetBits.load(ordering: .relaxed)) }
    public var outputQueueMs: Double { Double(bitPattern: queueBits.load(ordering: .relaxed)) }
    public var driftPpm: Double { Double(bitPattern: driftBits.load(ordering: .relaxed)) }
    public var resampleRatio: Double { Double(bitPattern: ratioBits.load(ordering: .relaxed)) }
    public var delayErrorMs: Double { Double(bitPattern: delayErrorBits.load(ordering: .relaxed)) }
    public var syncErrorMs: Double { Double(bitPattern: syncErrorBits.load(ordering: .relaxed)) }
}
