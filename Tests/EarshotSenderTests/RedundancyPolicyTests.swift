import EarshotNet
@testable import EarshotSender
import Testing

/// `--redundancy auto` fed with the reports an RFC 3550 receiver sends once a second at 200 packets a second: it
/// counts every datagram it receives, copies included, so its cumulative loss falls while copies flow.
@Suite struct RedundancyPolicyTests {
    static let second: Int64 = 1_000_000_000

    /// One receiver's reports, built from what the network did to each second's datagrams.
    struct Receiver {
        var statistics: RemoteReceiverStatistics
        var received: Int64 = 0

        init(ssrc: UInt32 = 7) {
            statistics = RemoteReceiverStatistics(
                ssrc: ssrc, address: try! SocketAddress(parsing: "127.0.0.1:5005"), cname: nil, fractionLost: 0,
                cumulativeLost: 0, extendedHighestSequence: 1000, jitterMilliseconds: 0, roundTripMilliseconds: nil,
                reports: 0, lastReportTime: 0, left: false)
        }

        /// A second of 200 packets, with copies if `copies`, `missing` datagrams dropped; the report arrives at `now`.
        mutating func report(copies: Bool, missing: Int, duplicatesCounted: Bool = true, at now: Int64) {
            let sent: Int64 = copies && duplicatesCounted ? 400 : 200
            received += sent - Int64(missing)
            statistics.extendedHighestSequence &+= 200
            let expected = Int64(statistics.extendedHighestSequence) - 1000
            statistics.cumulativeLost = Int(expected - received)
            statistics.reports += 1
            statistics.lastReportTime = now
        }
    }

    @Test func lossSwitchesCopiesOnAndTheyStayOnWhileTheNetworkStillDrops() {
        var policy = RedundancyPolicy(holdSeconds: 10)
        var receiver = Receiver()
        var now = Self.second
        receiver.report(copies: false, missing: 0, at: now)
        let on1 = policy.update(receivers: [receiver.statistics], nowNanos: now)
        #expect(!on1, "the first report has no interval")
        now += Self.second
        receiver.report(copies: false, missing: 0, at: now)
        let on2 = policy.update(receivers: [receiver.statistics], nowNanos: now)
        #expect(!on2, "a clean second")
        now += Self.second
        receiver.report(copies: false, missing: 3, at: now)
        let on3 = policy.update(receivers: [receiver.statistics], nowNanos: now)
        #expect(on3, "3 packets lost")
        // With copies the receiver's cumulative loss falls (duplicates count as received), yet 20 datagrams of 400
        // went missing each second: still lossy, so the copies stay on well past the hold time.
        for _ in 0..<15 {
            now += Self.second
            receiver.report(copies: true, missing: 20, at: now)
            let on4 = policy.update(receivers: [receiver.statistics], nowNanos: now)
            #expect(on4)
        }
        #expect(receiver.statistics.cumulativeLost < 0)
    }

    @Test func copiesGoOffAfterTheHoldTimeWithoutLossAndBackOnAtTheNextLoss() {
        var policy = RedundancyPolicy(holdSeconds: 10)
        var receiver = Receiver()
        var now = Self.second
        receiver.report(copies: false, missing: 0, at: now)
        _ = policy.update(receivers: [receiver.statistics], nowNanos: now)
        now += Self.second
        receiver.report(copies: false, missing: 1, at: now)
        let on5 = policy.update(receivers: [receiver.statistics], nowNanos: now)
        #expect(on5)
        let switchedOn = now
        // The first interval after the switch is not judged; then each clean second (one datagram in flight at a
        // report is not loss) lets the hold run out.
        var on = true
        while on && now < switchedOn + 20 * Self.second {
            now += Self.second
            receiver.report(copies: true, missing: 1, at: now)
            on = policy.update(receivers: [receiver.statistics], nowNanos: now)
        }
        #expect(!on)
        #expect(now - switchedOn > 10 * Self.second && now - switchedOn <= 12 * Self.second)
        now += Self.second
        receiver.report(copies: false, missing: 0, at: now)
        let on6 = policy.update(receivers: [receiver.statistics], nowNanos: now)
        #expect(!on6, "the switch interval is not judged")
        now += Self.second
        receiver.report(copies: false, missing: 2, at: now)
        let on7 = policy.update(receivers: [receiver.statistics], nowNanos: now)
        #expect(on7)
    }

    @Test func anyLossyReceiverOfSeveralKeepsCopiesOn() {
        var policy = RedundancyPolicy(holdSeconds: 10)
        var clean = Receiver(ssrc: 1)
        var lossy = Receiver(ssrc: 2)
        var now = Self.second
        for missing in [0, 0, 4] {
            clean.report(copies: false, missing: 0, at: now)
            lossy.report(copies: false, missing: missing, at: now)
            _ = policy.update(receivers: [clean.statistics, lossy.statistics], nowNanos: now)
            now += Self.second
        }
        let (copiesOn, lossyIntervals) = (policy.copiesOn, policy.lossyIntervals)
        #expect(copiesOn)
        #expect(lossyIntervals == 1)
    }

    /// A receiver against the RFC, which ignores duplicates, reads as losing half the datagrams: copies stay on.
    @Test func aReceiverThatIgnoresDuplicatesKeepsCopiesOn() {
        var policy = RedundancyPolicy(holdSeconds: 2)
        var receiver = Receiver()
        var now = Self.second
        receiver.report(copies: false, missing: 0, at: now)
        _ = policy.update(receivers: [receiver.statistics], nowNanos: now)
        now += Self.second
        receiver.report(copies: false, missing: 1, at: now)
        let on8 = policy.update(receivers: [receiver.statistics], nowNanos: now)
        #expect(on8)
        for _ in 0..<10 {
            now += Self.second
            receiver.report(copies: true, missing: 0, duplicatesCounted: false, at: now)
            let on9 = policy.update(receivers: [receiver.statistics], nowNanos: now)
            #expect(on9)
        }
    }

    /// A report seen again (the control loop polls every 50 ms) is not a new interval.
    @Test func theSameReportCountsOnce() {
        var policy = RedundancyPolicy(holdSeconds: 10)
        var receiver = Receiver()
        var now = Self.second
        receiver.report(copies: false, missing: 0, at: now)
        _ = policy.update(receivers: [receiver.statistics], nowNanos: now)
        now += Self.second
        receiver.report(copies: false, missing: 5, at: now)
        for step in 0..<5 { _ = policy.update(receivers: [receiver.statistics], nowNanos: now + Int64(step) * 50_000_000) }
        let lossyIntervals = policy.lossyIntervals
        #expect(lossyIntervals == 1)
    }
}
