import EarshotTestRig
import EarshotNet
import Foundation
import Testing

/// Multicast to an administratively scoped group (239.255.x.y) on the loopback interface only.
@Suite(.serialized) struct SenderMulticastTests {
    @Test func groupOnLoopbackReceivesTheStream() throws {
        let group = "239.255.\(Int.random(in: 1...254)).\(Int.random(in: 1...254))"
        let receiver = try UDPSocket(bindingTo: try SocketAddress(parsing: "\(group):0"))
        try receiver.joinMulticastGroup(try SocketAddress(parsing: "\(group):0"), interface: try NetworkInterface("lo"))
        try receiver.setReceiveBufferSize(1 << 20)
        let port = receiver.localAddress.port
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--tone", "997", "--to", "\(group):\(port)", "--interface", "lo", "--ttl", "1", "--duration", "2"])
        let packets = try ReceivedStream.receive(on: receiver, idleNanoseconds: 2_000_000_000)
        #expect(sender.wait(seconds: 10) == 0, "\(sender.log)")
        #expect(packets.count == 400, "received \(packets.count) of 400 packets on \(group):\(port)")
        let tone = ToneMeasurement(try ReceivedStream.decode(packets), channels: 2)
        print("multicast \(group) on lo: \(packets.count) packets, \(tone)")
        #expect(tone.snrDB > 30)
        #expect(abs(tone.levelDBFS - -6) < 1)
    }
}
