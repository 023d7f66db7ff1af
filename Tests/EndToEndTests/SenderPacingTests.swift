import EarshotTestRig
import EarshotNet
import Foundation
import Testing

/// 60 s of `--tone`: the number of packets that arrived matches the elapsed time within one frame, and the RTP
/// timestamps advance by exactly one frame per packet (no cumulative drift). The one 60 s test.
///
/// A send thread held off the CPU for more than 40 ms (the VM's host stealing it: twice in one CI run) skips the
/// ticks it missed instead of bursting them out. That is allowed twice, and only as the sender counts it: the skipped
/// frames are a gap in the timestamps, on the same grid, and count against the total.
@Suite(.serialized) struct SenderPacingTests {
    @Test func sixtySecondsOfPacketsMatchElapsedTime() throws {
        let receiver = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        try receiver.setReceiveBufferSize(4 << 20)
        let sender = try ChildProcess(
            ChildProcess.earshotSend,
            ["--tone", "997", "--to", "127.0.0.1:\(receiver.localAddress.port)", "--duration", "60", "--stats", "10"])
        let packets = try ReceivedStream.receive(on: receiver, idleNanoseconds: 2_000_000_000)
        #expect(sender.wait(seconds: 75) == 0, "\(sender.log)")
        try #require(packets.count > 100)
        let done = sender.log.split(separator: "\n").last { $0.contains("done:") }.map(String.init) ?? ""
        let field = { (name: String) in
            done.split(separator: " ").first { $0.hasPrefix("\(name)=") }.flatMap { Int($0.dropFirst(name.count + 1)) }
        }
        let resyncs = try #require(field("resyncs"), "\(sender.log)")
        // `skipped` counts 48 kHz sample frames; a 5 ms packet carries 240.
        let skipped = try #require(field("skipped"), "\(sender.log)") / 240
        let frame = 5_000_000.0
        let first = packets[0]
        var deviations: [Double] = []
        var gaps = 0
        var previousFrame = -1
        for packet in packets {
            let offset = packet.header.timestamp &- first.header.timestamp
            #expect(offset % 240 == 0, "timestamp \(packet.header.timestamp) off the 240-sample grid")
            let frameIndex = Int(offset / 240)
            if frameIndex != previousFrame + 1 { gaps += 1 }
            #expect(frameIndex > previousFrame, "timestamp went back at frame \(frameIndex)")
            previousFrame = frameIndex
            // Frames due by this packet's arrival vs the frame it carries (skipped ticks are due too).
            let expected = Double(packet.receiveTime - first.receiveTime) / frame + 1
            deviations.append(Double(frameIndex + 1) - expected)
        }
        let elapsed = Double(packets.last!.receiveTime - first.receiveTime) / 1e9
        let sorted = deviations.map(abs).sorted()
        let final = deviations.last!
        let within = Double(deviations.filter { abs($0) <= 1 }.count) / Double(deviations.count)
        print(
            "pacing: \(packets.count) packets in \(elapsed) s, \(skipped) packets skipped in \(resyncs) "
                + "resynchronisations; final deviation \(final) frames; |deviation| p50 \(sorted[sorted.count / 2]) "
                + "p99.9 \(sorted[sorted.count * 999 / 1000]) max \(sorted.last!) frames; \(within * 100)% within one "
                + "frame")
        #expect(resyncs <= 2, "\(done)")
        // A resynchronisation before the first packet leaves no gap to see.
        #expect(gaps <= resyncs, "\(gaps) gaps in the timestamps, \(resyncs) resynchronisations")
        #expect(packets.count + skipped == 12_000, "\(packets.count) packets + \(skipped) skipped")
        #expect(previousFrame < 12_000 && previousFrame + 1 - packets.count <= skipped, "last frame \(previousFrame)")
        #expect(abs(final) <= 1, "count vs elapsed time at the end: \(final) frames")
        // Per-packet timing is printed, not asserted tightly: a busy 2-core VM delays single wake-ups by several ms
        // (a benchmark's business). What must hold is that lateness never accumulates: most packets stay on the grid.
        #expect(within >= 0.95, "only \(within * 100)% of packets within one frame of the clock")
    }
}
