import EarshotNet
import EarshotTestRig
import Foundation
import Testing

/// Runs the built `earshot-impair` (found next to the test bundle; `swift build --build-tests` builds it) between
/// two loopback sockets and compares what arrived with the proxy's log and summary.
@Suite struct ImpairmentProxyEndToEndTests {
    private static var executable: URL { URL(fileURLWithPath: ChildProcess.product("earshot-impair")) }

    private struct RunningProxy {
        let process: Process
        let stdout: Pipe
        let stderr: Pipe
        let listen: SocketAddress

        func stop() -> (status: Int32, output: String) {
            process.interrupt()  // SIGINT: the proxy prints its summary and exits
            process.waitUntilExit()
            let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            return (process.terminationStatus, output)
        }
    }

    private func launch(_ arguments: [String]) throws -> RunningProxy {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // First line: "earshot-impair: listening on 127.0.0.1:PORT, forwarding to ..."
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        let listenText = try #require(
            text.split(separator: " ").dropFirst(3).first.map { String($0.dropLast()) },  // strip the comma
            "unexpected first line: \(text)")
        return RunningProxy(
            process: process, stdout: stdout, stderr: stderr, listen: try SocketAddress(parsing: listenText))
    }

    private func rtpPacket(sequence: UInt16) -> [UInt8] {
        [0x80, 96, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0, 0, 0, 0, 0x12, 0x34]
            + [UInt8](repeating: 0xAB, count: 100)
    }

    @Test func receiverLossMatchesProxyLog() throws {
        let receiver = try UDPSocket(
            bindingTo: try SocketAddress(parsing: "127.0.0.1:0"), receiveTimeoutNanoseconds: 300_000_000)
        try receiver.setReceiveBufferSize(1 << 20)
        let logPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("earshot-impair-\(UInt32.random(in: 0...UInt32.max)).log").path
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        let proxy = try launch([
            "--listen", "127.0.0.1:0", "--to", receiver.localAddress.description,
            "--loss", "10", "--burst", "2,40", "--delay", "3", "--jitter", "1", "--seed", "1234",
            "--log", logPath, "--duration", "60",
        ])
        defer { if proxy.process.isRunning { proxy.process.terminate() } }  // a failed #require must not leak it
        let sender = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        let count = 400
        for sequence in 0..<count {
            try sender.send(rtpPacket(sequence: UInt16(sequence)), to: proxy.listen)
            if sequence % 20 == 19 { usleep(2000) }  // stay well inside socket buffers
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
        defer { buffer.deallocate() }
        var received = Set<UInt16>()
        var replyTo: SocketAddress?
        while let datagram = try receiver.receive(into: buffer) {
            received.insert(UInt16(buffer[2]) << 8 | UInt16(buffer[3]))
            replyTo = datagram.source
        }

        // Reverse path: a reply to the proxy's upstream address reaches the original sender unimpaired.
        try receiver.send([0x81, 201, 0, 1, 0, 0, 0, 1], to: try #require(replyTo))
        try sender.setReceiveTimeout(nanoseconds: 2_000_000_000)
        let reply = try #require(try sender.receive(into: buffer))
        #expect(reply.byteCount == 8 && buffer[1] == 201)
        #expect(reply.source == proxy.listen)

        let (status, output) = proxy.stop()
        #expect(status == 0)
        let log = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
        let droppedInLog = Set(log.filter { $0.contains(" drop ") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("seq=") }.flatMap { UInt16($0.dropFirst(4)) }
        })
        let missing = Set((0..<UInt16(count)).filter { !received.contains($0) })
        #expect(log.count == count)
        #expect(missing == droppedInLog)
        // Random 10 % plus bursts ≈ 2/(2+40) ≈ 4.8 %: some loss, far from all.
        #expect(missing.count > 20 && missing.count < 120, "missing \(missing.count) of \(count)")
        #expect(output.contains("packets in \(count),"))
        #expect(output.contains("dropped \(missing.count) "))
        #expect(output.contains("reverse 1,"))
    }

    @Test func sameSeedDropsSameSequenceNumbers() throws {
        func droppedSequences(seed: String) throws -> [Substring] {
            let receiver = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
            let logPath = FileManager.default.temporaryDirectory
                .appendingPathComponent("earshot-impair-\(UInt32.random(in: 0...UInt32.max)).log").path
            defer { try? FileManager.default.removeItem(atPath: logPath) }
            let proxy = try launch([
                "--listen", "127.0.0.1:0", "--to", receiver.localAddress.description, "--loss", "30",
                "--seed", seed, "--log", logPath,
            ])
            defer { if proxy.process.isRunning { proxy.process.terminate() } }
            let sender = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
            for sequence in 0..<100 {
                try sender.send(rtpPacket(sequence: UInt16(sequence)), to: proxy.listen)
                usleep(200)
            }
            usleep(200_000)
            _ = proxy.stop()
            return try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
                .filter { $0.contains(" drop ") }.map { $0.split(separator: " ")[2] }
        }
        let first = try droppedSequences(seed: "99")
        #expect(!first.isEmpty)
        #expect(try droppedSequences(seed: "99") == first)
        #expect(try droppedSequences(seed: "100") != first)
    }

    /// Sender imitation and attacks: every datagram the receiver gets is a forwarded genuine packet or a hostile
    /// one the summary counts, and the genuine timestamps moved by at most round(48 × 1 ms).
    @Test func receiverSeesExactlyTheCountedHostilePackets() throws {
        let receiver = try UDPSocket(
            bindingTo: try SocketAddress(parsing: "127.0.0.1:0"), receiveTimeoutNanoseconds: 500_000_000)
        try receiver.setReceiveBufferSize(1 << 20)
        let proxy = try launch([
            "--listen", "127.0.0.1:0", "--to", receiver.localAddress.description, "--restamp-jitter-ms", "1",
            "--burst-send", "2", "--attack", "far-ahead:interval-ms=20", "--attack", "spoofed-bye:ports=rtp,interval-ms=100",
            "--attack", "probation-starvation", "--attack", "ssrc-spoof:payload=silence", "--duration", "1.5",
        ])
        defer { if proxy.process.isRunning { proxy.process.terminate() } }
        let sender = try UDPSocket(bindingTo: try SocketAddress(parsing: "127.0.0.1:0"))
        let ssrc: UInt32 = 0x0102_0304
        for index in 0..<100 {
            let timestamp = UInt32(index * 240)
            var packet: [UInt8] = [0x80, 96, 0, UInt8(index), 0, 0, 0, 0, 1, 2, 3, 4, 0xFC, 0xAA, 0xBB]
            for byte in 0..<4 { packet[4 + byte] = UInt8(truncatingIfNeeded: timestamp >> (24 - 8 * byte)) }
            try sender.send(packet, to: proxy.listen)
            usleep(5000)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
        defer { buffer.deallocate() }
        var genuine = 0
        var total = 0
        var rtcp = 0
        while let datagram = try receiver.receive(into: buffer) {
            total += 1
            if buffer[1] == 200 || buffer[1] == 203 || buffer[1] == 201 { rtcp += 1; continue }
            let sequence = Int(buffer[3])
            let timestamp = UInt32(buffer[4]) << 24 | UInt32(buffer[5]) << 16 | UInt32(buffer[6]) << 8 | UInt32(buffer[7])
            let isStream = buffer[8] == 1 && buffer[9] == 2 && buffer[10] == 3 && buffer[11] == 4
            // Genuine: the stream's SSRC, the 3-byte payload, the sender's timestamp within ±48.
            if isStream && datagram.byteCount == 15 && buffer[2] == 0 && sequence < 100 {
                let shift = Int32(bitPattern: timestamp &- UInt32(sequence * 240))
                if abs(shift) <= 48 { genuine += 1 }
            }
        }
        let (status, output) = proxy.stop()
        #expect(status == 0)
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("earshot-impair counters: ") })
        var counters: [String: Int] = [:]
        for pair in line.dropFirst("earshot-impair counters: ".count).split(separator: " ") {
            let parts = pair.split(separator: "=")
            counters[String(parts[0])] = Int(parts[1])
        }
        #expect(counters["restamped"] == 100 && counters["forwarded"] == 100)
        // Pairs, except a partial group (one packet) when the sender paused past the 10 ms timeout.
        let groups = try #require(counters["burst_groups"])
        let partial = try #require(counters["burst_partial_groups"])
        #expect(2 * (groups - partial) + partial == 100 && partial < 10, "\(output)")
        #expect(genuine == 100)
        for kind in ["far-ahead", "spoofed-bye", "probation-starvation", "ssrc-spoof"] {
            #expect((counters["attack.\(kind)"] ?? 0) > 0, "\(kind)")
            #expect(counters["attack.\(kind).failed"] == 0)
        }
        #expect(counters["attack.spoofed-bye"] == rtcp && counters["attack.spoofed-bye.to-rtp-port"] == rtcp)
        #expect(counters["attack.flood"] == 0)
        #expect(total == 100 + (counters["attack.total"] ?? -1), "\(output)")
    }

    @Test(arguments: [
        (["--loss", "101"], "--loss"), (["--burst", "5"], "--burst"), (["--jitter=-1"], "--jitter"),
        (["--corrupt-bits", "0"], "--corrupt-bits"), (["--duration", "0"], "--duration"),
        (["--jitter-distribution", "pareto"], "--jitter-distribution"),
        (["--restamp-jitter-ms", "21"], "--restamp-jitter-ms"), (["--burst-send", "17"], "--burst-send"),
        (["--attack", "bogus"], "--attack"), (["--attack", "far-ahead:ahead=0"], "ahead"),
        (["--attack", "flood"], "--duration"),
    ])
    func badFlagsNameTheFlagAndRange(extra: [String], flag: String) throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--listen", "127.0.0.1:0", "--to", "127.0.0.1:9"] + extra
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(message.contains(flag))
        #expect(message.contains("valid") || message.contains("expected"))
    }
}
