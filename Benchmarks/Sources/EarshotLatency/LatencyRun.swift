import Foundation

/// What one run of one system under one network condition measured.
public struct LatencyResult: Sendable {
    public var system: String
    public var impairment: String
    public var analysis: LatencyAnalysis?
    public var sender: ProcessUsage?
    public var receiver: ProcessUsage?
    /// Seconds the receiver ran (CPU figures are per minute of this).
    public var receiverSeconds: Double
    public var senderSeconds: Double
    public var note: String?
    /// The receiver's own last `stats …` line, if it prints one (earshot-recv does at exit).
    public var receiverReport: String?
    /// Medians over earshot-recv's periodic `stats` lines (`--stats`), after its first 3: playout delay, its target
    /// and the output queue (ring + device), in ms.
    public var receiverDelays: ReceiverDelays?
    /// Share of the machine's CPU time the host stole while the row ran (see `HostSteal`), percent.
    public var hostStealPercent: Double?
}

/// Runs one system under one network condition on the rig:
///
/// 1. the primer (sine) starts into `ref`, and `parec` records `wide.monitor` (all four channels);
/// 2. receiver, impairment proxy (and an unimpaired one for RTCP) and sender start (sender capturing `ref_in`,
///    receiver playing into `out`);
/// 3. wait until the sine arrives on the output channels (the rig stalls each new stream ~1.9 s), then settle;
/// 4. play the burst train into `ref` as a second stream and wait for it to finish, plus a tail;
/// 5. read CPU and peak RSS from /proc, stop everything, analyse the recording.
public struct LatencyRun {
    public var rig: LatencyRig
    public var binDirectory: String
    public var bursts: BurstTrain
    public var settleSeconds = 1.5
    public var flowTimeoutSeconds = 12.0

    public init(rig: LatencyRig, binDirectory: String, bursts: BurstTrain) {
        self.rig = rig
        self.binDirectory = binDirectory
        self.bursts = bursts
    }

    public func measure(_ system: SystemUnderTest, _ impairment: NetworkImpairment, index: Int) throws -> LatencyResult {
        let stealAtStart = HostSteal.read()
        let startedAt = Date()
        let directory = rig.directory.appendingPathComponent("run-\(index)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let primerFile = rig.directory.appendingPathComponent("primer.raw")
        let burstFile = rig.directory.appendingPathComponent("bursts.raw")
        if !FileManager.default.fileExists(atPath: primerFile.path) {
            try Self.writeRaw(BurstTrain.primer(seconds: 60), to: primerFile)
            try Self.writeRaw(bursts.bursts, to: burstFile)
        }
        // The systems' executables, then the harness's own (earshot-rig-floor), then the usual PATH.
        let harnessDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let path = "\(binDirectory):\(harnessDirectory):" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let environment = rig.environment.merging(["PATH": path]) { $1 }
        let play = ["aplay", "-q", "-t", "raw", "-f", "FLOAT_LE", "-c", "2", "-r", "48000", "-D", "ref"]

        var children: [ChildProcess] = []
        defer { for child in children.reversed() { child.stop() } }
        let primer = try ChildProcess(play + [primerFile.path], environment: environment, log: nil)
        children.append(primer)
        let recordingFile = directory.appendingPathComponent("wide.raw")
        _ = FileManager.default.createFile(atPath: recordingFile.path, contents: nil)
        let recordingHandle = try FileHandle(forWritingTo: recordingFile)
        let recorder = try ChildProcess(
            ["parec", "-d", "wide.monitor", "--raw", "--format=float32le", "--rate=48000", "--channels=4",
             "--channel-map=aux0,aux1,aux2,aux3", "--latency-msec=10"],
            environment: environment, log: directory.appendingPathComponent("parec.log"), stdout: recordingHandle)
        children.append(recorder)
        try recordingHandle.close()

        let receivePort = 46_000 + 4 * index
        let proxyPort = receivePort + 2
        let sendPort = impairment.proxyArguments != nil && system.usesNetwork ? proxyPort : receivePort
        func expand(_ arguments: [String]) -> [String] {
            system.expand(arguments, capture: "ref_in", playback: "out", sendPort: sendPort, receivePort: receivePort)
        }
        // The rig floor pipes its "sender" (arecord) into its "receiver" (aplay); network systems get no pipe.
        let pipe: Pipe? = system.usesNetwork ? nil : Pipe()
        let receiver = try ChildProcess(
            expand(system.receiver), environment: environment, log: directory.appendingPathComponent("receiver.log"),
            stdin: pipe)
        children.append(receiver)
        if system.usesNetwork, let proxy = impairment.proxyArguments {
            children.append(try ChildProcess(
                ["\(binDirectory)/earshot-impair", "--listen", "127.0.0.1:\(proxyPort)",
                 "--to", "127.0.0.1:\(receivePort)"] + proxy,
                environment: environment, log: directory.appendingPathComponent("impair.log")))
            // RTCP both ways, unimpaired, as a LAN carries it beside the stream: Earshot's sender switches
            // `--redundancy auto` from the receiver's reports. (trx sends no RTCP; nothing listens.)
            children.append(try ChildProcess(
                ["\(binDirectory)/earshot-impair", "--listen", "127.0.0.1:\(proxyPort + 1)",
                 "--to", "127.0.0.1:\(receivePort + 1)"],
                environment: environment, log: directory.appendingPathComponent("impair-rtcp.log")))
        }
        var sender: ChildProcess?
        if let arguments = system.sender {
            sender = try ChildProcess(
                expand(arguments), environment: environment, log: directory.appendingPathComponent("sender.log"),
                stdout: pipe)
            children.append(sender!)
        }

        var result = LatencyResult(
            system: system.name, impairment: impairment.name, receiverSeconds: 0, senderSeconds: 0)
        guard Self.waitForOutput(in: recordingFile, timeout: flowTimeoutSeconds) else {
            result.note = "no output within \(Int(flowTimeoutSeconds)) s"
            result.receiver = receiver.usage()
            result.sender = sender?.usage()
            return result
        }
        usleep(UInt32(settleSeconds * 1_000_000))
        let burstPlayer = try ChildProcess(play + [burstFile.path], environment: environment, log: nil)
        burstPlayer.process.waitUntilExit()
        usleep(700_000)

        result.receiver = receiver.usage()
        result.sender = sender?.usage()
        result.receiverSeconds = Date().timeIntervalSince(receiver.started)
        result.senderSeconds = sender.map { Date().timeIntervalSince($0.started) } ?? 0
        if let stealAtStart, let stealNow = HostSteal.read() {
            result.hostStealPercent = stealAtStart.percent(
                until: stealNow, elapsed: Date().timeIntervalSince(startedAt))
        }
        for child in children.reversed() { child.stop() }
        children.removeAll()
        if let log = try? String(contentsOf: directory.appendingPathComponent("receiver.log"), encoding: .utf8) {
            result.receiverReport = log.split(separator: "\n").last { $0.hasPrefix("stats ") }.map { String($0.dropFirst(6)) }
            result.receiverDelays = ReceiverDelays(log: log)
        }

        let recording = AlignedRecording(interleaved: try Self.readRaw(recordingFile))
        result.analysis = LatencyAnalysis(
            recording: recording, burstsExpected: bursts.onsets.count, burstFrames: bursts.burstFrames)
        try? FileManager.default.removeItem(at: recordingFile)
        return result
    }

    /// True once the output's sine channel has carried signal for 0.3 s in a row.
    static func waitForOutput(in file: URL, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var flowing = 0
        while Date() < deadline {
            usleep(100_000)
            guard let handle = try? FileHandle(forReadingFrom: file) else { continue }
            defer { try? handle.close() }
            let size = (try? handle.seekToEnd()) ?? 0
            let frameBytes: UInt64 = 16
            let window: UInt64 = 4_800 * frameBytes
            guard size >= window else { continue }
            try? handle.seek(toOffset: (size / frameBytes) * frameBytes - window)
            let data = handle.readData(ofLength: Int(window))
            let rms: Double = data.withUnsafeBytes { raw in
                let samples = raw.bindMemory(to: Float.self)
                var sum = 0.0
                var count = 0
                for index in stride(from: 2, to: samples.count, by: 4) {
                    sum += Double(samples[index]) * Double(samples[index])
                    count += 1
                }
                return count > 0 ? (sum / Double(count)).squareRoot() : 0
            }
            flowing = rms > 0.03 ? flowing + 1 : 0
            if flowing >= 3 { return true }
        }
        return false
    }

    static func writeRaw(_ samples: [Float], to file: URL) throws {
        try samples.withUnsafeBytes { try Data($0).write(to: file) }
    }

    static func readRaw(_ file: URL) throws -> [Float] {
        let data = try Data(contentsOf: file)
        let usable = data.count / 16 * 16
        return data.prefix(usable).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
