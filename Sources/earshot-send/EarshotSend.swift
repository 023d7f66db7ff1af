import ArgumentParser
import EarshotNet
import EarshotSecurity
import EarshotSender
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `earshot-send`: parses flags into `SenderOptions`, validates them into a `SenderConfiguration`, runs the
/// `SenderPipeline`. All behaviour lives in EarshotSender.
@main
struct EarshotSend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "earshot-send",
        abstract: "Send audio as Opus over RTP/UDP (RFC 3550/7587) with RTCP, to unicast or multicast receivers.",
        discussion: """
            Exactly one source: --device, --input or --tone. Play the stream with earshot-recv, or with ffmpeg or \
            GStreamer from the --sdp file: `ffmpeg -protocol_whitelist file,udp,rtp -i stream.sdp out.wav`. \
            Stops on SIGINT/SIGTERM (sending RTCP BYE), at the end of the input, or after --duration.
            """)

    // MARK: Source

    @Option(help: ArgumentHelp(
        "ALSA capture device (list them with `arecord -L`); paced by the device.", valueName: "name"))
    var device: String?

    @Option(help: ArgumentHelp(
        "WAV file (16/24/32-bit or float, 8000 ... 192000 Hz, resampled to 48000), or - for raw PCM on stdin "
            + "(then give --format, --rate).",
        valueName: "file"))
    var input: String?

    @Option(help: ArgumentHelp("Send a sine test tone of this frequency, Hz (1 ... 23999).", valueName: "hz"))
    var tone: Double?

    @Option(help: ArgumentHelp("Level of --tone, dBFS (-120 ... 0).", valueName: "dbfs"))
    var level: Double = -6

    @Option(help: ArgumentHelp("Sample format of raw stdin input: s16le, s32le or f32le.", valueName: "format"))
    var format: String?

    @Option(help: ArgumentHelp(
        "Sample rate of raw stdin input, Hz (8000 ... 192000, resampled to 48000; default 48000).", valueName: "hz"))
    var rate: Int?

    // MARK: Encoder

    @Option(help: ArgumentHelp("Channels sent, 1 or 2; also the channel count of raw stdin input.", valueName: "n"))
    var channels: Int = 2

    @Option(help: ArgumentHelp("Opus frame = RTP packet duration, ms: 2.5, 5, 10 or 20.", valueName: "ms"))
    var frame: Double = 5

    @Option(
        name: .customLong("capture-period"),
        help: ArgumentHelp(
            "ALSA capture period with --device, whole ms from 1 to --frame: shorter sends each packet sooner after "
                + "its last sample, for more wake-ups.",
            valueName: "ms"))
    var capturePeriod: Double = 1

    @Option(help: ArgumentHelp(
        "Opus bitrate, kbit/s (6 ... 510; default: 128, or 384 with --frame 2.5).", valueName: "kbps"))
    var bitrate: Int?

    @Option(help: ArgumentHelp("Opus encoder complexity, 0 (fastest) ... 10 (best).", valueName: "n"))
    var complexity: Int = 10

    @Flag(help: "Opus in-band FEC (needs --application audio and --frame 10 or 20).")
    var fec = false

    @Option(
        name: .customLong("expected-loss"),
        help: ArgumentHelp("Packet loss the encoder plans FEC for, percent (0 ... 100).", valueName: "pct"))
    var expectedLoss: Int = 0

    @Option(help: ArgumentHelp(
        "Opus mode: lowdelay (CELT only, 2.5 ms lookahead) or audio (6.5 ms lookahead, FEC possible).",
        valueName: "mode"))
    var application: String = "lowdelay"

    @Flag(help: "Discontinuous transmission: send (almost) nothing during silence.")
    var dtx = false

    @Option(help: ArgumentHelp(
        "Send every packet again this much later, ms (0: off; a multiple of --frame, up to 200), or 'auto': 15 ms "
            + "later, only while receivers' RTCP reports show loss and for 10 s after (reports count only from "
            + "--to hosts, or for multicast from receivers that echo our sender reports). Recovers bursts of loss "
            + "shorter than it; the receiver waits for the copies only while packets are lost.",
        valueName: "auto|ms"))
    var redundancy: String = "auto"

    // MARK: RTP and network

    @Option(name: .customLong("payload-type"), help: ArgumentHelp("RTP payload type, 96 ... 127.", valueName: "n"))
    var payloadType: Int = 96

    @Option(
        name: .customLong("to"),
        help: ArgumentHelp(
            "Destination HOST:PORT or [IPv6]:PORT, unicast or a multicast group; repeat for several. RTCP goes to "
                + "PORT + 1; receiver reports count only from HOST's PORT or PORT + 1.", valueName: "host:port"))
    var destinations: [String] = []

    @Option(help: ArgumentHelp("Multicast TTL / hop limit, 1 ... 255.", valueName: "hops"))
    var ttl: Int = 1

    @Option(help: ArgumentHelp(
        "Network interface multicast leaves through (e.g. lo); default: chosen by route.", valueName: "name"))
    var interface: String?

    @Option(help: ArgumentHelp(
        "Write the session description (SDP) to this file; with several --to, one file each: FILE for the first, "
            + "then FILE-2, FILE-3, ... (numbered before the extension).", valueName: "file"))
    var sdp: String?

    @Flag(
        name: .customLong("sdp-only"),
        help: "Write --sdp and exit without sending (to start receivers such as ffmpeg before the stream).")
    var sdpOnly = false

    @Option(help: ArgumentHelp("RTCP CNAME (default earshot-send@HOSTNAME).", valueName: "text"))
    var cname: String?

    // MARK: Security

    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp(
            "Send SRTP/SRTCP under the key in this file (base64 key + salt, mode 0600; make one with --generate-key); "
                + "the --sdp file then carries it. Without it, EARSHOT_SRTP_KEY may hold the key.",
            valueName: "path"))
    var keyFile: String?

    @Option(
        name: .customLong("srtp-suite"),
        help: ArgumentHelp(
            "SRTP suite of the key: \(SRTPSuite.flagValues) (default: \(SRTPSuite.default.rawValue)).",
            valueName: "suite"))
    var srtpSuite: String?

    @Option(
        name: .customLong("generate-key"),
        help: ArgumentHelp(
            "Write a fresh random key for --srtp-suite to this new file (mode 0600; never overwritten) and exit.",
            valueName: "path"))
    var generateKey: String?

    @Option(name: .customLong("initial-sequence"), help: ArgumentHelp("First RTP sequence number.", visibility: .hidden))
    var initialSequence: UInt16?

    @Option(name: .customLong("ssrc"), help: ArgumentHelp("The stream's SSRC.", visibility: .hidden))
    var ssrc: UInt32?

    // MARK: Run

    @Option(help: ArgumentHelp(
        "Seconds between statistics log lines when stderr is not a terminal (0.1 ... 3600).", valueName: "seconds"))
    var stats: Double = 5

    @Option(help: ArgumentHelp(
        "Stop after this many seconds of audio (> 0); default: until the input ends or SIGINT/SIGTERM.",
        valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp(
        "SCHED_FIFO priority of the send and capture threads, 1 ... 99; 0 for normal scheduling.", valueName: "n"))
    var priority: Int = 70

    @Option(name: .customLong("clock-skew-ppm"), help: .hidden)
    var clockSkewPpm: Double = 0

    var options: SenderOptions {
        var options = SenderOptions()
        options.device = device
        options.input = input
        options.tone = tone
        options.toneLevel = level
        options.format = format
        options.rate = rate
        options.channels = channels
        options.frameMilliseconds = frame
        options.capturePeriodMilliseconds = capturePeriod
        options.bitrateKbps = bitrate
        options.complexity = complexity
        options.fec = fec
        options.expectedLossPercent = expectedLoss
        options.application = application
        options.dtx = dtx
        options.redundancy = redundancy
        options.payloadType = payloadType
        options.destinations = destinations
        options.ttl = ttl
        options.interface = interface
        options.sdpPath = sdp
        options.statsInterval = stats
        options.duration = duration
        options.priority = priority
        options.cname = cname
        options.clockSkewPpm = clockSkewPpm
        return options
    }

    func validate() throws {
        if generateKey != nil { return }
        do {
            _ = try SenderConfiguration(options)
        } catch {
            throw ValidationError(error.description)
        }
        if sdpOnly && sdp == nil { throw ValidationError("--sdp-only needs --sdp FILE") }
    }

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "earshot-send")
        if let generateKey {
            try writeKey(to: generateKey)
            return
        }
        var configuration = try SenderConfiguration(options)
        configuration.initialSequenceNumber = initialSequence
        configuration.ssrc = ssrc
        do {
            configuration.srtpKey = try SRTPKeyFile.resolve(keyFile: keyFile, suiteName: srtpSuite)
        } catch {
            fputs("earshot-send: error: \(error)\n", stderr)
            throw ExitCode(2)
        }
        if let key = configuration.srtpKey {
            logger.info("SRTP \(key.suite.sdpName): RTP and RTCP are encrypted and authenticated")
        }
        if sdpOnly, let path = sdp {
            try SenderPipeline.writeSessionDescriptions(configuration, to: path, logger: logger)
            return
        }
        StopSignal.install()
        do {
            let pipeline = try SenderPipeline(configuration: configuration, logger: logger, honourStopSignal: true)
            try pipeline.run(display: .forStandardError(logInterval: configuration.statsIntervalSeconds))
        } catch {
            logger.error("\(error)")
            throw ExitCode.failure
        }
    }

    /// `--generate-key PATH`: a fresh key for `--srtp-suite`, mode 0600, never over an existing file.
    private func writeKey(to path: String) throws {
        do {
            let suite = try srtpSuite.map { name throws(SRTPKeyError) in
                guard let suite = SRTPSuite(named: name) else { throw .unknownSuite(name) }
                return suite
            } ?? .default
            try SRTPKeyFile.write(SRTPMasterKey.generate(suite: suite), path: path)
            print("earshot-send: \(suite.rawValue) key written to \(path) (mode 0600); give it to each receiver with "
                + "--key-file")
        } catch {
            fputs("earshot-send: error: \(error)\n", stderr)
            throw ExitCode(2)
        }
    }
}
