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

    /// A policy and one receiver, a report a second.
    struct Session {
        var policy: RedundancyPolicy
        var receiver = Receiver()
        var now: Int64 = 0

        init(holdSeconds: Double = 10) { policy = RedundancyPolicy(holdSeconds: holdSeconds) }

        /// One more second: its report arrives and the policy takes it. Returns whether copies are on.
        mutating func second(copies: Bool, missing: Int, duplicatesCounted: Bool = true) -> Bool {
            now += RedundancyPolicyTests.second
            receiver.report(copies: copies, missing: missing, duplicatesCounted: duplicatesCounted, at: now)
            return policy.update(receivers: [receiver.statistics], nowNanos: now)
        }
    }

    @Test func lossSwitchesCopiesOnAndTheyStayOnWhileTheNetworkStillDrops() {
        var session = Session()
        var on = session.second(copies: false, missing: 0)
        #expect(!on, "the first report has no interval")
        on = session.second(copies: false, missing: 0)
        #expect(!on, "a clean second")
        on = session.second(copies: false, missing: 3)
        #expect(on, "3 packets lost")
        // With copies the receiver's cumulative loss falls (duplicates count as received), yet 20 datagrams of 400
        // went missing each second: still lossy, so the copies stay on well past the hold time.
        for _ in 0..<15 {
            on = session.second(copies: true, missing: 20)
            #expect(on)
        }
        #expect(session.receiver.statistics.cumulativeLost < 0)
    }

    @Test func copiesGoOffAfterTheHoldTimeWithoutLossAndBackOnAtTheNextLoss() {
        var session = Session()
        _ = session.second(copies: false, missing: 0)
        var on = session.second(copies: false, missing: 1)
        #expect(on)
        let switchedOn = session.now
        // The first interval after the switch is not judged; then each clean second (one datagram in flight at a
        // report is not loss) lets the hold run out.
        while on && session.now < switchedOn + 20 * Self.second { on = session.second(copies: true, missing: 1) }
        #expect(!on)
        #expect(session.now - switchedOn > 10 * Self.second && session.now - switchedOn <= 12 * Self.second)
        on = session.second(copies: false, missing: 0)
        #expect(!on, "the switch interval is not judged")
        on = session.second(copies: false, missing: 2)
        #expect(on)
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
        var session = Session(holdSeconds: 2)
        _ = session.second(copies: false, missing: 0)
        var on = session.second(copies: false, missing: 1)
        #expect(on)
        for _ in 0..<10 {
            on = session.second(copies: true, missing: 0, duplicatesCounted: false)
            #expect(on)
        }
    }

    /// A report seen again (the control loop polls every 50 ms) is not a new interval.
    @Test func theSameReportCountsOnce() {
        var session = Session()
        _ = session.second(copies: false, missing: 0)
        _ = session.second(copies: false, missing: 5)
        for step in 1..<5 {
            _ = session.policy.update(
                receivers: [session.receiver.statistics], nowNanos: session.now + Int64(step) * 50_000_000)
        }
        let lossyIntervals = session.policy.lossyIntervals
        #expect(lossyIntervals == 1)
    }

    /// Its memory follows the receiver table: a receiver no longer given is forgotten.
    @Test func receiversNoLongerGivenAreForgotten() {
        var policy = RedundancyPolicy()
        var receivers = (1...50 as ClosedRange<UInt32>).map { Receiver(ssrc: $0) }
        for index in receivers.indices { receivers[index].report(copies: false, missing: 0, at: Self.second) }
        _ = policy.update(receivers: receivers.map(\.statistics), nowNanos: Self.second)
        #expect(policy.rememberedReceivers == 50)
        _ = policy.update(receivers: receivers.prefix(3).map(\.statistics), nowNanos: 2 * Self.second)
        #expect(policy.rememberedReceivers == 3)
        _ = policy.update(receivers: [RemoteReceiverStatistics](), nowNanos: 3 * Self.second)
        #expect(policy.rememberedReceivers == 0)
    }
}
