import EarshotNet
import EarshotTestRig
import Foundation
import Testing

/// `earshot-recv` under a stand-in service manager (`NotifySocketListener`: the test's own `NOTIFY_SOCKET`, with
/// `WATCHDOG_USEC`), playing an `earshot-send` tone into the rig's paced `spk`: the `sd_notify` messages a
/// `Type=notify` unit with `WatchdogSec=` gets, and that a stuck playback thread stops the watchdog.
///
/// Not `rigTiming`: nothing here depends on the rig keeping time (the threads turn whether or not the sound server
/// takes the audio), only on the main loop's 50 ms tick.
@Suite(.serialized) struct ServiceManagerEndToEndTests {
    /// `WATCHDOG_USEC` of the tests: `WATCHDOG=1` is due every 0.5 s.
    static let watchdogMicroseconds = 1_000_000
    static let watchdogSeconds = Double(watchdogMicroseconds) / 1e6

    static func receiver(
        executable: String, rig: AudioRig, manager: NotifySocketListener, port: Int, environment: [String: String] = [:]
    ) throws -> ChildProcess {
        try ChildProcess(
            executable,
            ["--listen", "127.0.0.1:\(port)", "--device", "spk", "--buffer-periods", "6", "--standby-after", "1"],
            environment: rig.environment.merging(manager.environment(watchdogMicroseconds: watchdogMicroseconds)) {
                $1
            }.merging(environment) { $1 })
    }

    static func tone(port: Int, seconds: Double) throws -> ChildProcess {
        try ChildProcess(
            ChildProcess.earshotSend, ["--tone", "997", "--to", "127.0.0.1:\(port)", "--duration", "\(seconds)"])
    }

    static func times(_ messages: [NotifySocketListener.Message], _ text: String) -> [Double] {
        messages.filter { $0.text == text }.map(\.seconds)
    }

    static func gaps(_ times: [Double]) -> [Double] { zip(times.dropFirst(), times).map { $0 - $1 } }

    /// A `/proc/PID/status` field in kB (`VmLck`, `VmRSS`; 0 when absent).
    static func statusKilobytes(_ field: String, of pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return 0 }
        return Int(line.split(whereSeparator: \.isWhitespace).dropFirst().first ?? "") ?? 0
    }

    /// READY=1 once the port is bound; STATUS= with the stream while it plays and at most once a second; WATCHDOG=1
    /// every half interval through start-up, the stream and standby; STOPPING=1 at SIGTERM, then a clean exit.
    @Test func notifiesReadyStatusWatchdogAndStopping() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let manager = try NotifySocketListener()
        defer { manager.close() }
        let port = ReceiverEndToEndTests.portPair()
        let receiver = try Self.receiver(
            executable: ChildProcess.product("earshot-recv"), rig: rig, manager: manager, port: port)
        let ready = try #require(manager.wait(seconds: 10) { $0.text == "READY=1" }, "\(receiver.log)")
        // Bound before READY=1: the port is taken.
        #expect(throws: SocketError.self) {
            try UDPSocket(bindingTo: SocketAddress(parsing: "127.0.0.1:\(port)"), reuseAddress: false)
        }
        let locked = Self.statusKilobytes("VmLck", of: receiver.process.processIdentifier)
        // The rig's stream start-up stall, then 3 s of tone, then standby (1 s without a stream) and a second more.
        usleep(UInt32(ReceiverEndToEndTests.deviceWarmUpSeconds * 1e6))
        let streamStart = manager.now
        let sender = try Self.tone(port: port, seconds: 3)
        #expect(sender.wait(seconds: 10) == 0, "\(sender.log)")
        let streamEnd = manager.now
        _ = manager.wait(seconds: 4) { $0.text.contains("device standby") && $0.seconds > streamEnd }
        usleep(1_000_000)
        let resident = Self.statusKilobytes("VmRSS", of: receiver.process.processIdentifier)
        let termSent = manager.now
        receiver.signal(SIGTERM)
        let status = receiver.wait(seconds: 5)
        let exitSeconds = manager.now - termSent
        let messages = manager.messages

        let watchdogs = Self.times(messages, "WATCHDOG=1")
        let statuses = messages.filter { $0.text.hasPrefix("STATUS=") }
        let stopping = Self.times(messages, "STOPPING=1")
        let streamStatuses = statuses.filter { $0.text.contains("playing SSRC 0x") }
        print("""
            e2e sd_notify: READY at \(String(format: "%.2f", ready.seconds)) s, \(watchdogs.count) WATCHDOG=1 (gaps \
            \(String(format: "%.2f", Self.gaps(watchdogs).min() ?? .nan))...\
            \(String(format: "%.2f", Self.gaps(watchdogs).max() ?? .nan)) s), \(statuses.count) STATUS=, \
            VmLck \(locked) kB, VmRSS \(resident) kB, exit \(String(format: "%.2f", exitSeconds)) s after SIGTERM; e.g. \
            \(streamStatuses.last?.text ?? "-")
            """)
        #expect(status == 0, "\(receiver.log)")
        #expect(exitSeconds < 1.5, "SIGTERM to exit: \(exitSeconds) s")
        #expect(messages.first?.text == "READY=1", "\(messages.prefix(3).map(\.text))")
        #expect(receiver.log.contains("memory locked (mlockall"), "\(receiver.log)")
        #expect(locked > 0, "VmLck \(locked) kB")
        // Locked as touched (MCL_ONFAULT): about 16 MB resident, as without the lock. Faulted in whole, the rig's
        // PulseAudio shared-memory pools and the threads' stacks made it 320 MB.
        #expect(resident < 64 * 1024, "VmRSS \(resident) kB")

        // The watchdog from READY to STOPPING: never later than WatchdogSec (systemd would kill), and not before half
        // of it (at most one 50 ms tick of the main loop late, so no gap is much more than half).
        let fed = [ready.seconds] + watchdogs + stopping.prefix(1)
        #expect(Self.gaps(fed).max() ?? .infinity < Self.watchdogSeconds, "gaps \(Self.gaps(fed))")
        #expect(Self.gaps(watchdogs).min() ?? 0 >= Self.watchdogSeconds / 2 - 0.01, "gaps \(Self.gaps(watchdogs))")
        #expect(watchdogs.filter { $0 > streamStart && $0 < streamEnd }.count >= 4, "\(watchdogs)")

        // STATUS=: the stream with its sender and delay while it plays, at most once a second, and the standby after.
        #expect(streamStatuses.count >= 2, "\(statuses.map(\.text))")
        #expect(streamStatuses.allSatisfy { $0.text.contains("from 127.0.0.1:") && $0.text.contains(" ms, lost ") })
        #expect(Self.gaps(statuses.dropLast().map(\.seconds)).min() ?? 1 >= 0.99, "\(statuses.map(\.seconds))")
        #expect(statuses.contains { $0.seconds > streamEnd && $0.text.contains("no stream") && $0.text.contains("device standby") },
                "\(statuses.map(\.text))")
        #expect(statuses.allSatisfy { !$0.text.contains("watchdog withheld") })

        // STOPPING=1 once, after the last watchdog, and the final STATUS says so.
        #expect(stopping.count == 1)
        #expect((stopping.first ?? 0) > (watchdogs.last ?? .infinity))
        #expect(statuses.last?.text == "STATUS=stopping")
    }

    /// The test hook (debug builds only) stalls the playback thread 4 s after it starts: WATCHDOG=1 stops within
    /// half an interval and a tick, while STATUS= goes on (the producer still receives) and names the stuck thread.
    @Test func stalledPlaybackThreadStopsTheWatchdog() throws {
        let stallSeconds = 4.0
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let manager = try NotifySocketListener()
        defer { manager.close() }
        let port = ReceiverEndToEndTests.portPair()
        let launched = manager.now
        let receiver = try Self.receiver(
            executable: ChildProcess.testBuildProduct("earshot-recv"), rig: rig, manager: manager, port: port,
            environment: ["EARSHOT_STALL_PLAYBACK_AFTER": "\(stallSeconds)"])
        let ready = try #require(manager.wait(seconds: 10) { $0.text == "READY=1" }, "\(receiver.log)")
        let sender = try Self.tone(port: port, seconds: 7)
        #expect(sender.wait(seconds: 12) == 0, "\(sender.log)")
        receiver.signal(SIGTERM)
        let status = receiver.wait(seconds: 5)
        let messages = manager.messages

        // The playback thread starts between the launch and READY=1, so it stalls within that span after both.
        let stalledBy = ready.seconds + stallSeconds
        let watchdogs = Self.times(messages, "WATCHDOG=1")
        // Packets still arrive and are counted (the jitter buffer, which nothing drains, soon stops playing them).
        let statusesAfter = messages.filter {
            $0.text.hasPrefix("STATUS=") && $0.text != "STATUS=stopping" && $0.seconds > stalledBy + 1
        }
        print("""
            e2e watchdog stall: READY at \(String(format: "%.2f", ready.seconds)) s (launch \
            \(String(format: "%.2f", launched)) s), stall by \(String(format: "%.2f", stalledBy)) s, last WATCHDOG=1 at \
            \(String(format: "%.2f", watchdogs.last ?? .nan)) s of \(watchdogs.count), \(statusesAfter.count) STATUS= \
            after it
            """)
        #expect(status == 0, "a stalled playback thread still stops at SIGTERM: \(receiver.log)")
        // Before the earliest stall: one every half interval from READY=1 (each up to a 50 ms tick late).
        let healthySeconds = launched + stallSeconds - ready.seconds
        #expect(watchdogs.filter { $0 < launched + stallSeconds }.count >= Int(healthySeconds / 0.55) - 1,
                "fed before the stall: \(watchdogs)")
        #expect(watchdogs.allSatisfy { $0 < stalledBy + Self.watchdogSeconds / 2 + 0.1 }, "fed after the stall: \(watchdogs)")
        #expect(statusesAfter.count >= 2, "\(messages.map(\.text))")
        #expect(statusesAfter.allSatisfy { $0.text.hasSuffix("playback thread not turning: watchdog withheld") })
        #expect(receiver.log.contains("systemd watchdog: the playback thread has not turned for"), "\(receiver.log)")
    }

    /// While the device is lost (the rig's sound server stopped for 2 s mid-stream) there is no playback thread, and
    /// the producer's wake-ups alone keep the watchdog fed: no gap reaches the interval, and STATUS= says the device
    /// is lost, then playing again.
    @Test func watchdogIsFedWhileTheDeviceIsLost() throws {
        let rig = try AudioRig(outputs: 1)
        defer { rig.stop() }
        let manager = try NotifySocketListener()
        defer { manager.close() }
        let port = ReceiverEndToEndTests.portPair()
        let receiver = try Self.receiver(
            executable: ChildProcess.product("earshot-recv"), rig: rig, manager: manager, port: port)
        let ready = try #require(manager.wait(seconds: 10) { $0.text == "READY=1" }, "\(receiver.log)")
        let sender = try Self.tone(port: port, seconds: 9)
        usleep(3_000_000)
        let down = manager.now
        try rig.stopServer()
        usleep(2_000_000)
        try rig.restartServer()
        let up = manager.now
        let back = manager.wait(seconds: 5) { $0.text.contains("device playing") && $0.seconds > up }
        #expect(sender.wait(seconds: 10) == 0, "\(sender.log)")
        receiver.signal(SIGTERM)
        let status = receiver.wait(seconds: 5)
        let messages = manager.messages

        let watchdogs = Self.times(messages, "WATCHDOG=1")
        let fed = [ready.seconds] + watchdogs + Self.times(messages, "STOPPING=1").prefix(1)
        let statuses = messages.filter { $0.text.hasPrefix("STATUS=") }
        let lost = statuses.filter { $0.text.contains("device lost") }
        print("""
            e2e watchdog device loss: server down \(String(format: "%.2f", down))...\(String(format: "%.2f", up)) s, \
            \(watchdogs.count) WATCHDOG=1 (longest gap \(String(format: "%.2f", Self.gaps(fed).max() ?? .nan)) s), \
            \(lost.count) STATUS= with the device lost, playing again at \
            \(back.map { String(format: "%.2f", $0.seconds) } ?? "-") s
            """)
        #expect(status == 0, "\(receiver.log)")
        #expect(Self.gaps(fed).max() ?? .infinity < Self.watchdogSeconds, "gaps \(Self.gaps(fed))")
        #expect(watchdogs.filter { $0 > down + 0.5 && $0 < up }.count >= 2, "fed while lost: \(watchdogs)")
        #expect(!lost.isEmpty, "\(statuses.map(\.text))")
        #expect(back != nil, "\(statuses.map(\.text))")
        #expect(statuses.allSatisfy { !$0.text.contains("watchdog withheld") }, "\(statuses.map(\.text))")
    }

    /// Every `EARSHOT_…` variable name in the executable at `path`.
    static func earshotVariables(in path: String) throws -> Set<String> {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let marker = Data("EARSHOT_".utf8)
        var names: Set<String> = []
        var from = data.startIndex
        while let found = data.range(of: marker, in: from..<data.endIndex) {
            var end = found.upperBound
            while end < data.endIndex, data[end] == UInt8(ascii: "_") || (65...90).contains(data[end]) { end += 1 }
            names.insert(String(decoding: data[found.lowerBound..<end], as: UTF8.self))
            from = end
        }
        return names
    }

    /// The test hooks' variables exist only in debug builds: the release `earshot-recv` (`EARSHOT_PRODUCTS`, as
    /// `Tests/run-all.sh` sets it) names no `EARSHOT_` variable but `EARSHOT_ACTIVITY` (set for `--on-active` and
    /// `--on-idle` commands) and `EARSHOT_SRTP_KEY` (a key instead of `--key-file`), while the debug one beside the
    /// tests names the stall hook's (the search can fail).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["EARSHOT_PRODUCTS"] != nil))
    func releaseReceiverCarriesNoTestHook() throws {
        let release = try Self.earshotVariables(in: ChildProcess.product("earshot-recv"))
        let debug = try Self.earshotVariables(in: ChildProcess.testBuildProduct("earshot-recv"))
        #expect(release.subtracting(["EARSHOT_ACTIVITY", "EARSHOT_SRTP_KEY"]).isEmpty, "\(release.sorted())")
        #expect(debug.contains("EARSHOT_STALL_PLAYBACK_AFTER"), "\(debug.sorted())")
    }
}
