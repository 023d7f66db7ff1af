import EarshotNet
@testable import EarshotSender
import Testing

@Suite struct RemoteReceiverTableTests {
    static let second: Int64 = 1_000_000_000

    static func receiver(_ ssrc: UInt32, at time: Int64, left: Bool = false) -> RemoteReceiverStatistics {
        RemoteReceiverStatistics(
            ssrc: ssrc, address: SocketAddress(ipv4: (10, 0, 0, UInt8(truncatingIfNeeded: ssrc)), port: 5005),
            cname: nil, fractionLost: 0, cumulativeLost: 0, extendedHighestSequence: 0, jitterMilliseconds: 0,
            roundTripMilliseconds: nil, reports: 1, lastReportTime: time, left: left)
    }

    @Test func aFullTableOfReceiversThatStillReportTurnsNewcomersAway() {
        var table = RemoteReceiverTable(capacity: 4, expiryNanoseconds: 30 * Self.second)
        for ssrc in 1...4 as ClosedRange<UInt32> {
            #expect(table.insert(Self.receiver(ssrc, at: Int64(ssrc) * Self.second), nowNanos: 5 * Self.second) != nil)
        }
        // However many strangers come, none displaces a receiver that reported within the expiry.
        for ssrc in 100...200 as ClosedRange<UInt32> {
            #expect(table.insert(Self.receiver(ssrc, at: 6 * Self.second), nowNanos: 6 * Self.second) == nil)
        }
        #expect(table.count == 4)
        #expect(Set(table.map(\.ssrc)) == [1, 2, 3, 4])
    }

    @Test func aNewcomerTakesTheStalestSlotOfAReceiverThatLeftOrExpired() {
        var table = RemoteReceiverTable(capacity: 3, expiryNanoseconds: 10 * Self.second)
        _ = table.insert(Self.receiver(1, at: 1 * Self.second), nowNanos: 1 * Self.second)
        _ = table.insert(Self.receiver(2, at: 2 * Self.second, left: true), nowNanos: 2 * Self.second)
        _ = table.insert(Self.receiver(3, at: 3 * Self.second, left: true), nowNanos: 3 * Self.second)
        // At 5 s nobody expired: of the two that left, the stalest (2) goes.
        let first = table.insert(Self.receiver(4, at: 5 * Self.second), nowNanos: 5 * Self.second)
        #expect(first?.evicted?.ssrc == 2)
        // At 12 s receiver 1 (last report at 1 s) expired and is staler than 3, which left at 3 s.
        let second = table.insert(Self.receiver(5, at: 12 * Self.second), nowNanos: 12 * Self.second)
        #expect(second?.evicted?.ssrc == 1)
        #expect(Set(table.map(\.ssrc)) == [3, 4, 5])
    }

    @Test func receiversSilentForLongerThanTheExpiryAreRemoved() {
        var table = RemoteReceiverTable(capacity: 8, expiryNanoseconds: 10 * Self.second)
        for ssrc in 1...5 as ClosedRange<UInt32> {
            _ = table.insert(Self.receiver(ssrc, at: Int64(ssrc) * Self.second), nowNanos: Int64(ssrc) * Self.second)
        }
        #expect(table.removeExpired(nowNanos: 10 * Self.second) == 0)
        #expect(table.removeExpired(nowNanos: 13 * Self.second + 1) == 3)
        #expect(table.map(\.ssrc) == [4, 5])
        // An update keeps a receiver alive.
        var four = table[table.index(of: 4)!]
        four.lastReportTime = 20 * Self.second
        table[table.index(of: 4)!] = four
        #expect(table.removeExpired(nowNanos: 25 * Self.second) == 1)
        #expect(table.map(\.ssrc) == [4])
    }
}
