import ArgumentParser
import EarshotControl
import EarshotNet
import EarshotRealtime
import EarshotReceiver
import EarshotSecurity
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Flag parsing and wiring only; the pipeline lives in EarshotReceiver.
struct EarshotRecv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "earshot-recv",
        abstract: "Receive Opus over RTP (RFC 7587) and play it through ALSA with low latency.",
        discussion: """
            Listens for RTP on --listen and RTCP on the next port (rtcp-mux on the RTP port is accepted too),
            plays one sender at a time, adapts the jitter buffer between --min-latency and --max-latency, and sends
            RTCP receiver reports back to the sender about once a second. Prints statistics every --stats seconds
            and, at exit, one `stats` line and one machine-readable `stats-json {...}` line on stdout.
            A device that fails or goes away later is reopened with backoff (at most 2 s apart) while the stream is
            still received and counted. SIGHUP reopens the device; SIGINT/SIGTERM stop cleanly.
            """
    )

    @Option(help: "Address to receive RTP on, HOST:PORT or [IPv6]:PORT; a multicast group joins it. RTCP: PORT+1.")
    var listen = "0.0.0.0:5004"

    @Option(help: "Network interface for the multicast join (name or index; default: the kernel's choice).")
    var interface: String?

    @Option(help: "ALSA playback device (list them with `aplay -L`).")
    var device = "default"

    @Option(help: "Jitter-buffer delay: 'auto' (adapt between --min-latency and --max-latency) or fixed ms (0...2000).")
    var latency = "auto"

    @Option(help: "Lowest adaptive jitter-buffer delay, ms (0...2000).")
    var minLatency: Double = 1.5

    @Option(help: "Highest adaptive jitter-buffer delay, ms (0...2000).")
    var maxLatency: Double = 200

    @Option(help: "ALSA period, ms (1...50); the device buffer holds --buffer-periods periods.")
    var period: Double = 5

    @Option(help: "ALSA buffer size in periods (2...8).")
    var bufferPeriods = 3

    @Option(
        help: """
            Rate to open the device at, Hz (16000...96000); the 48 kHz stream is converted to it, as to any rate in \
            that range the device grants instead (a 44.1 kHz DAC).
            """)
    var deviceRate = 48_000

    @Option(
        help: """
            What wakes the playback thread: 'device' (its poll descriptor, right for hardware), 'timer' (a sleep until \
            the device has a period of room: fewer wake-ups on a sound server such as PulseAudio), or 'auto' (the timer \
            on a sound server's PCM, the device otherwise).
            """)
    var pacing = "auto"

    @Option(
        help: """
            On the timer, periods of room the playback thread waits for and writes per wake-up \
            (1...buffer-periods - 1; default: 1). 2 costs about a quarter less CPU on a sound server; the device then \
            drains to one period before each write, which risks dropouts (8 in 13 s on a PulseAudio rig).
            """)
    var periodsPerWake: Int?

    @Option(help: "RTP payload type of the Opus stream (0...127).")
    var payloadType = 96

    @Option(help: "Output channels, 1 or 2 (mono streams are decoded to both when 2).")
    var channels = 2

    // Unconditional: `--volume -12` takes -12 as its value rather than as a flag.
    @Option(
        parsing: .unconditional,
        help: "Output volume at start, dB (-60...20); a --state-file that holds a volume takes precedence.")
    var volume: Double = 0

    @Option(
        help: ArgumentHelp(
            "Keep the output volume and mute in this file across restarts.",
            discussion: """
                Loaded at start, over --volume; replaced (temporary file + rename) on every change. A file that \
                cannot be read or is corrupt is logged as a warning, and --volume is used.
                """))
    var stateFile: String?

    @Option(
        help: """
            Set the volume on this mixer control of the card (e.g. Master or PCM; list them with \
            `amixer -D hw:0 scontrols`) instead of scaling the samples: in dB where the control has a dB scale, muted \
            with its switch. Set to --volume (or the state file's volume) at start.
            """)
    var mixer: String?

    @Option(
        help: """
            The control device of --mixer (default: the card of --device, e.g. hw:0 for hw:0,0 or plughw:0; \
            `default` for any other device).
            """)
    var mixerDevice: String?

    @Option(help: "Print statistics every this many seconds (0: only at exit).")
    var stats: Double = 0

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "Seconds of silence after which another sender (SSRC) may take over (0.05...3600).")
    var sourceTimeout: Double = 2

    @Option(
        help: """
            Seconds without a stream after which the playback device is stopped (paused where it can pause) until the \
            next packet, so an idle receiver wakes almost never (0.1...86400; 0: never).
            """)
    var standbyAfter: Double = 10

    @Option(
        help: """
            What standby does to the device: 'pause' (stop it, keep it open) or 'close' (release it, so a DAC can \
            power down and other programs can use it; opened again by the next stream).
            """)
    var standby = "pause"

    @Flag(
        help: """
            A device missing or busy at start is waited for (retried every 250 ms to 2 s, the stream received and \
            counted meanwhile) instead of an error: for a speaker box whose DAC or sound server may come up later.
            """)
    var waitForDevice = false

    @Option(
        help: """
            Shell command run (not waited for) when a stream starts, e.g. to power an amplifier; EARSHOT_ACTIVITY=active \
            is set for it.
            """)
    var onActive: String?

    @Option(
        help: """
            Shell command run (not waited for) when the receiver goes idle: no stream for --standby-after seconds \
            (which must then be > 0); EARSHOT_ACTIVITY=idle is set for it.
            """)
    var onIdle: String?

    @Option(help: "SCHED_FIFO priority of the playback thread (0...99; 0: normal scheduling). The producer gets 5 less.")
    var priority = 80

    @Option(
        help: ArgumentHelp(
            "Hear only senders in this CIDR range (repeatable; e.g. 192.0.2.0/24, 10.0.0.7, fd00::/8).",
            discussion: "RTP and RTCP from anywhere else are dropped and counted. Default: everyone."))
    var allow: [String] = []

    @Option(
        help: ArgumentHelp(
            "Serve the control and observation endpoint on HOST:PORT (e.g. 127.0.0.1:8080; default: off).",
            discussion: "GET /metrics (Prometheus), GET /status (JSON), PUT /volume {\"db\": -12.5}, PUT /mute "
                + "{\"muted\": true}. No authentication: bind it to a trusted address."))
    var http: String?

    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp(
            "Accept only SRTP/SRTCP under the key in this file (base64 key + salt, mode 0600; see earshot-send "
                + "--generate-key).",
            discussion: "Without it, EARSHOT_SRTP_KEY may hold the key. Everything that does not authenticate is "
                + "dropped and counted (srtp_*, srtcp_*).",
            valueName: "path"))
    var keyFile: String?

    @Option(
        name: .customLong("srtp-suite"),
        help: ArgumentHelp("SRTP suite of the key: \(SRTPSuite.flagValues) (default: \(SRTPSuite.default.rawValue)).",
                           valueName: "suite"))
    var srtpSuite: String?

    @Option(help: "Run this many seconds, then exit (> 0; default: until SIGINT/SIGTERM).")
    var duration: Double?

    @Option(help: "Also write exactly what was handed to the device to this WAV file (32-bit float), at exit.")
    var record: String?

    @Option(help: ArgumentHelp("ALSA configuration file merged over the system one for --device.", visibility: .hidden))
    var deviceConfig: String?

    @Option(
        help: ArgumentHelp(
            "Multi-room: play every sample this many ms after the sender captured it (10...2000; all boxes of a group "
                + "use one).",
            discussion: "Replaces the adaptive delay; it must cover the network's delay and spread and this box's "
                + "device buffer. See --clock and --output-offset."))
    var syncLatency: Double?

    @Option(help: ArgumentHelp("With --sync-latency: how the sender's clock is known: 'system' (both hosts' clocks "
        + "kept in step by chrony or PTP) or 'sender' (measured by RTCP exchanges with the sender)."))
    var clock = "system"

    @Option(help: ArgumentHelp("With --sync-latency: this box's sound is heard this many ms after its device plays "
        + "it (DAC, amplifier, distance); it plays that much earlier (-500...500)."))
    var outputOffset: Double = 0

    @Option(help: ArgumentHelp("Test only: offset this receiver's view of the system clock, ms.", visibility: .hidden))
    var testClockOffset: Double = 0

    @Option(help: ArgumentHelp("Test only: skew this receiver's view of the system clock, ppm.", visibility: .hidden))
    var testClockSkewPpm: Double = 0

    func validate() throws {
        do {
            try makeConfiguration().validate()
        } catch {
            throw ValidationError("\(error)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "--log-level '\(logLevel)' is not valid: expected trace, debug, info, notice, warning, error or critical")
        }
        if let duration, !(duration > 0 && duration.isFinite) {
            throw ValidationError("--duration \(duration) is out of range: valid is seconds > 0")
        }
        if onIdle != nil && standbyAfter == 0 {
            throw ValidationError("--on-idle needs --standby-after > 0: idle means no stream for that many seconds")
        }
        if let http {
            do { _ = try ControlServerAddress(parsing: http) } catch { throw ValidationError("\(error)") }
        }
        let adjustsSchedule = clock != "system" || outputOffset != 0 || testClockOffset != 0 || testClockSkewPpm != 0
        if syncLatency == nil && adjustsSchedule {
            throw ValidationError("--clock and --output-offset need --sync-latency (the schedule they adjust)")
        }
        guard stats >= 0 && stats.isFinite else {
            throw ValidationError("--stats \(stats) is out of range: valid is seconds >= 0 (0: only at exit)")
        }
    }

    func makeConfiguration() throws -> ReceiverConfiguration {
        var configuration = ReceiverConfiguration(
            listen: listen, interface: interface, device: device, deviceConfigurationFile: deviceConfig,
            latency: try ReceiverConfiguration.Latency(parsing: latency), minimumLatencyMs: minLatency,
            maximumLatencyMs: maxLatency, periodMs: period, bufferPeriods: bufferPeriods, deviceRate: deviceRate,
            pacing: try ReceiverConfiguration.pacing(parsing: pacing), periodsPerWake: periodsPerWake,
            payloadType: payloadType, channels: channels, volumeDB: volume, sourceTimeoutSeconds: sourceTimeout,
            standbyAfterSeconds: standbyAfter,
            standbyMode: try ReceiverConfiguration.standbyMode(parsing: standby), priority: priority,
            canonicalName: "earshot-recv@\(hostName())", allow: allow, stateFile: stateFile, mixer: mixer,
            mixerDevice: mixerDevice)
        configuration.waitsForDevice = waitForDevice
        if let syncLatency {
            configuration.schedule = PlayoutSchedule(
                syncLatencyMs: syncLatency, outputOffsetMs: outputOffset,
                clock: try PlayoutSchedule.clockSource(parsing: clock), systemClockOffsetMs: testClockOffset,
                systemClockSkewPpm: testClockSkewPpm)
        }
        #if EARSHOT_TEST_HOOKS
            // Debug builds only: the watchdog test stalls the playback thread (never in a release binary).
            configuration.playbackStallsAfterSeconds = getenv("EARSHOT_STALL_PLAYBACK_AFTER").flatMap {
                Double(String(cString: $0))
            }
        #endif
        return configuration
    }

    func run() throws {
        var logger = Logger(label: "earshot-recv")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let srtpKey: SRTPMasterKey?
        do {
            srtpKey = try SRTPKeyFile.resolve(keyFile: keyFile, suiteName: srtpSuite)
        } catch {
            fputs("earshot-recv: error: \(error)\n", stderr)
            throw ExitCode(2)
        }
        let memoryLock = RealtimeMemoryLock.lockAll()
        logger.log(level: memoryLock.isLocked ? .info : .warning, "\(memoryLock)")
        let pipeline: ReceiverPipeline
        do {
            var configuration = try makeConfiguration()
            configuration.srtpKey = srtpKey
            pipeline = try ReceiverPipeline(
                configuration: configuration,
                output: .device(recordingCapacitySeconds: record == nil ? nil : 2), logger: logger)
        } catch {
            logger.error("\(error)")
            throw ExitCode(1)
        }
        var control: ControlServer?
        if let http {
            do {
                control = try ControlServer(
                    pipeline: pipeline, address: try ControlServerAddress(parsing: http), logger: logger)
            } catch {
                logger.error("\(error)")
                throw ExitCode(1)
            }
        }
        StopSignal.install()
        ReloadSignal.install()
        let activity = ActivityCommands(onActive: onActive, onIdle: onIdle, logger: logger)
        for warning in try pipeline.start() { logger.warning("\(warning)") }
        let parameters = pipeline.deviceParameters.map {
            "at \($0.sampleRate) Hz, period \($0.periodFrames) frames, buffer \($0.bufferFrames) frames, \($0.format)"
        } ?? ""
        print("earshot-recv: listening on \(pipeline.localAddress) (RTCP \(pipeline.rtcpLocalAddress)), device \(device) \(parameters)")
        logger.info("""
            kernel receive buffers: RTP \(pipeline.receiveBufferBytes.rtp) bytes, RTCP \(pipeline.receiveBufferBytes.rtcp) bytes\
            \(allow.isEmpty ? "" : "; only senders in \(allow.joined(separator: ", ")) are heard (--allow)")
            """)
        if let srtpKey { logger.info("SRTP \(srtpKey.suite.sdpName): only authenticated RTP and RTCP are heard") }
        let volume = pipeline.outputVolume
        let volumeControl = mixer.map { " on mixer control '\($0)' of \(pipeline.configuration.mixerControlDevice)" }
        logger.info("output volume \(volume.decibels) dB\(volume.isMuted ? ", muted" : "")\(volumeControl ?? "")")
        if let control { print("earshot-recv: control endpoint on http://\(control.localAddress)/") }
        fflush(stdout)
        let serviceManager = ReceiverServiceNotifier(pipeline: pipeline, logger: logger)
        serviceManager?.ready()

        let start = MonotonicInstant.now()
        var nextStats = stats > 0 ? start + Int64(stats * 1e9) : nil
        var inStandby = false
        var syncLost = false
        while !StopSignal.received {
            let now = MonotonicInstant.now()
            if ReloadSignal.take() { pipeline.reopenDevice() }
            activity.update(streamActive: pipeline.isStreamActive, idle: pipeline.isIdle)
            if pipeline.isInStandby != inStandby {
                inStandby.toggle()
                logger.info(inStandby
                    ? "device \(device) stopped: no stream for \(standbyAfter) s (--standby-after)"
                    : "device \(device) started again for a stream")
            }
            if let duration, now.nanoseconds - start.nanoseconds >= Int64(duration * 1e9) { break }
            if syncLatency != nil, pipeline.stats().syncLost != syncLost {
                syncLost.toggle()
                if syncLost {
                    let message = "sync lost: more than \(PlayoutSchedule.lostErrorMs) ms off the schedule for "
                        + "\(PlayoutSchedule.lostAfterSeconds) s (is --sync-latency enough for the network? "
                        + "is the clock kept? see --clock)"
                    logger.warning("\(message)")
                } else {
                    logger.info("sync regained: within \(PlayoutSchedule.lostErrorMs) ms of the schedule again")
                }
            }
            if let due = nextStats, now >= due {
                print("stats \(pipeline.stats().description)")
                fflush(stdout)
                nextStats = due + Int64(stats * 1e9)
            }
            pipeline.collectRecording()
            for notice in pipeline.securityNotices.take() { logger.warning("\(notice)") }
            serviceManager?.update(nowNanoseconds: now.nanoseconds)
            usleep(50_000)
        }
        serviceManager?.stopping()
        control?.stop()
        pipeline.stop()
        activity.reap()
        let final = pipeline.stats()
        print("stats \(final.description)")
        print("stats-json \(final.json)")
        fflush(stdout)
        if let record {
            do {
                try pipeline.writeRecording(path: record)
            } catch {
                logger.error("--record: \(error)")
                throw ExitCode(1)
            }
        }
    }

    private func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(cString: buffer)
    }
}

EarshotRecv.main()
