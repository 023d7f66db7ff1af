import Testing

@testable import EarshotReceiver

/// `StreamTimeline`: continuity by sequence numbers, plausibility against arrival, re-anchoring only on a run.
@Suite struct StreamTimelineTests {
    static let ms: UInt64 = 1_000_000

    /// A sender at 5 ms frames from sequence 1000 / timestamp 90 000, packet `index` arriving at `index` × 5 ms
    /// (+ 10 ms of start), with `timestampError(index)` samples added to its timestamp.
    struct Sender {
        var sequence: UInt16 = 1000
        var timestamp: UInt32 = 90_000
        func packet(_ index: Int, timestampError: Int = 0) -> (UInt16, UInt32, UInt64) {
            (sequence &+ UInt16(truncatingIfNeeded: index),
             timestamp &+ UInt32(truncatingIfNeeded: index * 240 + timestampError),
             10 * StreamTimelineTests.ms + UInt64(index) * 5 * StreamTimelineTests.ms)
        }
    }

    static func judge(_ timeline: inout StreamTimeline, _ packet: (UInt16, UInt32, UInt64), frame: Int = 240)
        -> StreamTimeline.Verdict
    {
        timeline.judge(sequence: packet.0, timestamp: packet.1, frameSamples: frame, arrivalNanos: packet.2)
    }

    static func mediaTimestamp(_ verdict: StreamTimeline.Verdict) -> Int64? {
        if case .accept(_, let media, false) = verdict { return media }
        return nil
    }

    @Test func wallClockJitterIsContinuityNotAGap() {
        var timeline = StreamTimeline()
        var generator = SystemRandomNumberGenerator()
        var media: [Int64] = []
        for index in 0..<2000 {
            let verdict = Self.judge(&timeline, Sender().packet(index, timestampError: Int.random(in: -48...48, using: &generator)))
            guard let timestamp = Self.mediaTimestamp(verdict) else {
                Issue.record("packet \(index) not placed: \(verdict)")
                return
            }
            media.append(timestamp)
        }
        let steps = Set(zip(media.dropFirst(), media).map { $0 - $1 })
        #expect(steps == [240], "media steps \(steps)")
    }

    @Test func aTimestampGapConfirmedByTheArrivalIsKept() {
        var timeline = StreamTimeline()
        let sender = Sender()
        for index in 0..<10 { _ = Self.judge(&timeline, sender.packet(index)) }
        // DTX: the next packet (sequence contiguous) carries media 2 s later and arrives 2 s later.
        let last = sender.packet(9)
        let resumed = (last.0 &+ 1, last.1 &+ 240 + 96_000, last.2 + 5 * Self.ms + 2_000 * Self.ms)
        let before = Self.mediaTimestamp(Self.judge(&timeline, sender.packet(9)))
        let after = Self.mediaTimestamp(Self.judge(&timeline, resumed))
        #expect(before != nil && after != nil)
        #expect((after ?? 0) - (before ?? 0) == 240 + 96_000)
    }

    @Test func oneFarAheadPacketIsDroppedAndTheStreamGoesOn() {
        var timeline = StreamTimeline()
        let sender = Sender()
        for index in 0..<20 { _ = Self.judge(&timeline, sender.packet(index)) }
        let genuine = sender.packet(20)
        // 300 ahead with the timestamp where it was; then 300 ahead with a timestamp that agrees with it.
        #expect(Self.judge(&timeline, (genuine.0 &+ 300, genuine.1, genuine.2)) == .reject(.timestampImplausible))
        #expect(Self.judge(&timeline, (genuine.0 &+ 300, genuine.1 &+ 300 * 240, genuine.2))
            == .reject(.sequenceImplausible))
        for index in 20..<40 { #expect(Self.mediaTimestamp(Self.judge(&timeline, sender.packet(index))) != nil) }
    }

    @Test(arguments: [45_120, -45_120])
    func aTimestampOutlierIsDropped(offset: Int) {
        var timeline = StreamTimeline()
        let sender = Sender()
        for index in 0..<20 { _ = Self.judge(&timeline, sender.packet(index)) }
        #expect(Self.judge(&timeline, sender.packet(20, timestampError: offset)) == .reject(.timestampImplausible))
        #expect(Self.mediaTimestamp(Self.judge(&timeline, sender.packet(21))) != nil)
    }

    /// Three in-sequence packets 5000 ahead, every 60 ms, between genuine packets: never a new line.
    @Test func resyncBurstsDoNotReanchor() {
        var timeline = StreamTimeline()
        let sender = Sender()
        var reanchors = 0
        for index in 0..<600 {
            if case .accept(_, _, true) = Self.judge(&timeline, sender.packet(index)) { reanchors += 1 }
            if index % 12 == 0 {
                let genuine = sender.packet(index)
                for burst in 0..<3 {
                    let verdict = Self.judge(&timeline, (
                        genuine.0 &+ 5000 &+ UInt16(burst), genuine.1 &+ UInt32(burst * 240), genuine.2))
                    if case .accept = verdict { reanchors += 1 }
                }
            }
        }
        #expect(reanchors == 0)
    }

    /// A sender that restarts (new sequence and timestamp bases) is followed after `reanchorRun` packets.
    @Test func aRestartedSenderIsFollowedAfterARunOfConsistentPackets() {
        var timeline = StreamTimeline()
        let first = Sender()
        for index in 0..<20 { _ = Self.judge(&timeline, first.packet(index)) }
        let restarted = Sender(sequence: 40_000, timestamp: 7_000_000)
        var verdicts: [StreamTimeline.Verdict] = []
        for index in 20..<30 {
            let packet = restarted.packet(index)
            verdicts.append(Self.judge(&timeline, packet))
        }
        #expect(verdicts[0..<4].allSatisfy { if case .reject = $0 { true } else { false } }, "\(verdicts)")
        guard case .accept(_, _, true) = verdicts[4] else {
            Issue.record("fifth packet did not re-anchor: \(verdicts)")
            return
        }
        #expect(verdicts[5...].allSatisfy { Self.mediaTimestamp($0) != nil }, "\(verdicts)")
    }

    /// An outage: nothing for 2 s, then the stream goes on where its clock says, arriving when it says.
    @Test func aGapThatTheArrivalConfirmsIsAcceptedAtOnce() {
        var timeline = StreamTimeline()
        let sender = Sender()
        for index in 0..<20 { _ = Self.judge(&timeline, sender.packet(index)) }
        #expect(Self.mediaTimestamp(Self.judge(&timeline, sender.packet(420))) != nil)
        #expect(Self.mediaTimestamp(Self.judge(&timeline, sender.packet(421))) != nil)
    }

    @Test func anArrivalBeyondTheMaximumLatencyIsDropped() {
        var timeline = StreamTimeline(configuration: .init(maxLatencyMs: 200))
        let sender = Sender()
        for index in 0..<20 { _ = Self.judge(&timeline, sender.packet(index)) }
        let late = sender.packet(20)
        #expect(Self.judge(&timeline, (late.0, late.1, late.2 + 250 * Self.ms)) == .reject(.arrivalBeyondMaxLatency))
        let onTime = sender.packet(21)
        #expect(Self.judge(&timeline, (onTime.0, onTime.1, onTime.2 + 150 * Self.ms)) != .reject(.arrivalBeyondMaxLatency))
    }

    @Test func aFrameSizeChangeKeepsMediaTimeContinuous() {
        var timeline = StreamTimeline()
        _ = timeline.judge(sequence: 1, timestamp: 0, frameSamples: 240, arrivalNanos: 0)
        let second = timeline.judge(sequence: 2, timestamp: 240, frameSamples: 480, arrivalNanos: 5 * Self.ms)
        let third = timeline.judge(sequence: 3, timestamp: 720, frameSamples: 480, arrivalNanos: 15 * Self.ms)
        let first = Int64(1 << 32)
        #expect(Self.mediaTimestamp(second) == first + 240)
        #expect(Self.mediaTimestamp(third) == first + 720)
    }

    /// A sound server's start-up stall: the first packets arrive late together, the rest on time (earlier than the
    /// first ones' delay would predict). The sender is going on: nothing is dropped.
    @Test func aStartUpBacklogIsNotMistakenForPacketsFromTheFuture() {
        var timeline = StreamTimeline()
        let sender = Sender()
        for index in 0..<600 {
            var packet = sender.packet(index)
            packet.2 = max(packet.2, 2_000 * Self.ms)  // everything sent before 2 s arrives at 2 s
            #expect(Self.mediaTimestamp(Self.judge(&timeline, packet)) != nil, "packet \(index)")
        }
        // Once on time, a packet 300 ms late is judged against the on-time packets, not the backlog.
        let late = sender.packet(600)
        #expect(Self.judge(&timeline, (late.0, late.1, late.2 + 300 * Self.ms)) == .reject(.arrivalBeyondMaxLatency))
    }
}
