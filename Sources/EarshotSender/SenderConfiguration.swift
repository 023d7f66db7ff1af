import EarshotCodec
import EarshotNet
import EarshotRealtime
import EarshotSecurity

#if canImport(Glibc)
import Glibc
#endif

/// A validated sender setup: one audio source, the encoder, the RTP stream and where it goes.
///
/// Invariant: every field is in range (built only through `init(_:)`, which names the flag of the first bad value).
/// Value type; built on the main thread at start-up (it may resolve host names).
public struct SenderConfiguration: Sendable {
    /// Where the audio comes from; exactly one per sender.
    public enum Source: Sendable, Equatable {
        /// ALSA capture PCM; paced by the device.
        case captureDevice(name: String)
        /// A WAV file at any rate in `audioSourceInputRates` (resampled to 48 kHz), paced by the sender's clock.
        case wavFile(path: String)
        /// Raw interleaved PCM on stdin (`channels` = the encoder's channels) at `sampleRate` (resampled to 48 kHz
        /// unless it is 48 kHz), paced by the sender's clock.
        case standardInput(format: RawPCMFormat, sampleRate: Int)
        /// A sine at `frequency` Hz and `amplitude` (linear, 0 ... 1), paced by the sender's clock.
        case tone(frequency: Double, amplitude: Float)

        /// True when the sender's own pacer schedules packets; false when the capture device does.
        public var isPacedBySender: Bool {
            if case .captureDevice = self { return false }
            return true
        }
    }

    public var source: Source
    /// `--capture-period`: the ALSA capture period with a capture device, in 48 kHz frames (a whole number of ms, at
    /// most a packet). A packet is sent once its last sample has been captured, and the device hands samples over a
    /// period at a time: on the PulseAudio rig 1 ms periods cut 3–5 ms from the clean latency against 5 ms ones (one
    /// per packet), for about 40 % more sender CPU (BENCHMARKS.md). Unused by the other sources.
    public var capturePeriodFrames: Int
    public var encoder: OpusEncoder.Configuration
    public var payloadType: UInt8
    /// `--redundancy`: every packet is sent again this many packets later (0: never). A copy that arrives while
    /// the original is lost fills its slot, and the receiver's delay estimate sees the copy's lateness, so its
    /// target rises to wait for copies only while packets are being lost.
    public var redundancyPackets: Int
    /// `--redundancy auto`: copies only while receivers' reports show loss (`RedundancyPolicy`); otherwise always.
    public var redundancyAutomatic: Bool
    /// RTP destinations; RTCP goes to each one's port + 1.
    public var destinations: [SocketAddress]
    /// Multicast hop limit (only used for multicast destinations).
    public var multicastHops: Int
    /// Interface multicast leaves through; nil lets the kernel route it.
    public var multicastInterface: NetworkInterface?
    public var sdpPath: String?
    public var statsIntervalSeconds: Double
    /// Audio to send before stopping, in 48 kHz frames; nil sends until the source ends or a stop signal.
    public var durationFrames: UInt64?
    public var scheduling: RealtimeScheduling
    public var cname: String
    /// `--clock-skew-ppm`, a test's stand-in for a sound card on another crystal: the pacer's frame lasts
    /// `1 / (1 + ppm · 10⁻⁶)` of its nominal duration, so packets leave and the source is consumed that much faster
    /// (slower when negative) while their RTP timestamps still count 48 kHz. Sender-paced sources only.
    public var clockSkewPpm: Double

    /// The range of `--clock-skew-ppm`: what a receiver's drift loop is asked to follow, and more.
    public static let clockSkewRange: ClosedRange<Double> = -5000...5000
    /// `--key-file` / `EARSHOT_SRTP_KEY` with `--srtp-suite`: RTP and RTCP go out as SRTP/SRTCP under this key, and
    /// the SDP says `RTP/SAVP` with its `a=crypto` line; nil: plain RTP.
    public var srtpKey: SRTPMasterKey?
    /// The first RTP sequence number (nil: random, as RFC 3550 asks). Set only to test a stream whose sequence
    /// wraps soon (the SRTP rollover counter).
    public var initialSequenceNumber: UInt16?
    /// The stream's SSRC (nil: random, as RFC 3550 asks). Set only for peers that must know it in advance
    /// (GStreamer's `srtpdec` caps in a test).
    public var ssrc: UInt32?

    /// Valid Opus frame durations for `--frame` (one frame per RTP packet).
    public static let frameMilliseconds: [Double] = [2.5, 5, 10, 20]

    /// The bitrate when `--bitrate` is not given: 128 kbit/s, and 384 at 2.5 ms frames. CELT spends a share of every
    /// frame on side information, so quality follows the bytes per frame: a 997 Hz tone through the receiver measured
    /// a median 23 dB SNR per 10 ms window at 2.5 ms and 128 kbit/s (71 of 482 windows under 20 dB), 34 dB at 256 and
    /// 46 dB at 384, where 5 ms frames at 128 kbit/s give 48 dB.
    public static func defaultBitrateKbps(frameMilliseconds: Double) -> Int { frameMilliseconds < 5 ? 384 : 128 }

    /// How much later `--redundancy auto` sends a copy (rounded up to whole packets).
    public static let automaticRedundancyMilliseconds = 15.0

    /// Checks every option and throws the first problem, naming the flag and the valid range.
    public init(_ options: SenderOptions) throws(SenderConfigurationError) {
        source = try Self.source(options)
        guard options.channels == 1 || options.channels == 2 else {
            throw .invalidValue(flag: "--channels", value: "\(options.channels)", valid: "1 (mono) or 2 (stereo)")
        }
        guard let frame = OpusFrameDuration(milliseconds: options.frameMilliseconds),
            Self.frameMilliseconds.contains(options.frameMilliseconds)
        else {
            throw .invalidValue(
                flag: "--frame", value: Self.format(options.frameMilliseconds), valid: "2.5, 5, 10 or 20 (ms)")
        }
        let capturePeriodRange = 1...max(1, options.frameMilliseconds.rounded(.down))
        guard options.capturePeriodMilliseconds == options.capturePeriodMilliseconds.rounded(),
            capturePeriodRange.contains(options.capturePeriodMilliseconds)
        else {
            throw .invalidValue(
                flag: "--capture-period", value: Self.format(options.capturePeriodMilliseconds),
                valid: "whole ms from 1 to --frame (\(Self.format(capturePeriodRange.upperBound)) ms)")
        }
        capturePeriodFrames = Int(options.capturePeriodMilliseconds) * audioSourceSampleRate / 1000
        let bitrateKbps = options.bitrateKbps ?? Self.defaultBitrateKbps(frameMilliseconds: options.frameMilliseconds)
        guard (6...510).contains(bitrateKbps) else {
            throw .invalidValue(flag: "--bitrate", value: "\(bitrateKbps)", valid: "6 ... 510 (kbit/s)")
        }
        guard (0...10).contains(options.complexity) else {
            throw .invalidValue(flag: "--complexity", value: "\(options.complexity)", valid: "0 ... 10")
        }
        guard (0...100).contains(options.expectedLossPercent) else {
            throw .invalidValue(flag: "--expected-loss", value: "\(options.expectedLossPercent)", valid: "0 ... 100 (%)")
        }
        let application: OpusApplication
        switch options.application {
        case "lowdelay": application = .restrictedLowDelay
        case "audio": application = .audio
        default:
            throw .invalidValue(flag: "--application", value: options.application, valid: "lowdelay or audio")
        }
        // In-band FEC is a SILK feature: restricted low delay is CELT-only, so FEC would silently do nothing.
        if options.fec && application == .restrictedLowDelay {
            throw .flagNeeds(flag: "--fec", requirement: "--application audio (lowdelay is CELT-only and has no FEC)")
        }
        if options.fec && options.frameMilliseconds < 10 {
            throw .flagNeeds(flag: "--fec", requirement: "--frame 10 or 20 (2.5 and 5 ms frames are CELT-only)")
        }
        encoder = OpusEncoder.Configuration(
            channels: options.channels, frameDuration: frame, bitrate: bitrateKbps * 1000,
            complexity: options.complexity, application: application, inBandFEC: options.fec,
            expectedPacketLossPercent: options.expectedLossPercent, dtx: options.dtx)

        if options.redundancy == "auto" {
            // 15 ms covers the bursts of a few datagrams a Wi-Fi link drops; at least one packet later.
            let packetsLater = Self.automaticRedundancyMilliseconds / options.frameMilliseconds
            redundancyPackets = max(1, Int(packetsLater.rounded(.up)))
            redundancyAutomatic = true
        } else {
            let milliseconds = Double(options.redundancy) ?? .nan
            let copiesLater = milliseconds / options.frameMilliseconds
            guard milliseconds.isFinite, (0...200).contains(milliseconds), copiesLater == copiesLater.rounded() else {
                throw .invalidValue(
                    flag: "--redundancy", value: options.redundancy,
                    valid: "auto, 0 (off) or a multiple of --frame (\(Self.format(options.frameMilliseconds)) ms) "
                        + "up to 200 ms")
            }
            redundancyPackets = Int(copiesLater)
            redundancyAutomatic = false
        }

        guard (96...127).contains(options.payloadType) else {
            throw .invalidValue(flag: "--payload-type", value: "\(options.payloadType)", valid: "96 ... 127 (dynamic)")
        }
        payloadType = UInt8(options.payloadType)

        guard !options.destinations.isEmpty else {
            throw .missing(flag: "--to", hint: "give at least one destination HOST:PORT (e.g. --to 127.0.0.1:5004)")
        }
        var destinations: [SocketAddress] = []
        for text in options.destinations {
            let address: SocketAddress
            do {
                address = try SocketAddress.resolve(text)
            } catch {
                throw .invalidValue(flag: "--to", value: text, valid: "HOST:PORT or [IPv6]:PORT (\(error))")
            }
            guard (1...65534).contains(address.port) else {
                throw .invalidValue(
                    flag: "--to", value: text, valid: "port 1 ... 65534 (RTCP uses port + 1)")
            }
            destinations.append(address)
        }
        self.destinations = destinations

        guard (1...255).contains(options.ttl) else {
            throw .invalidValue(flag: "--ttl", value: "\(options.ttl)", valid: "1 ... 255 (multicast hops)")
        }
        multicastHops = options.ttl
        if let name = options.interface {
            do {
                multicastInterface = try NetworkInterface(name)
            } catch {
                throw .invalidValue(flag: "--interface", value: name, valid: "an interface from `ip link` (e.g. lo)")
            }
        } else {
            multicastInterface = nil
        }

        sdpPath = options.sdpPath
        guard options.statsInterval >= 0.1 && options.statsInterval <= 3600 else {
            throw .invalidValue(
                flag: "--stats", value: Self.format(options.statsInterval), valid: "0.1 ... 3600 (seconds)")
        }
        statsIntervalSeconds = options.statsInterval
        if let duration = options.duration {
            guard duration > 0 && duration <= 31_536_000 else {
                throw .invalidValue(flag: "--duration", value: Self.format(duration), valid: "> 0 seconds (≤ 1 year)")
            }
            durationFrames = UInt64((duration * Double(audioSourceSampleRate)).rounded())
        } else {
            durationFrames = nil
        }
        guard (0...99).contains(options.priority) else {
            throw .invalidValue(flag: "--priority", value: "\(options.priority)", valid: "0 (normal) or 1 ... 99 (SCHED_FIFO)")
        }
        scheduling = options.priority == 0 ? .normal : .fifo(priority: Int32(options.priority))
        let cname = options.cname ?? "earshot-send@\(Self.hostName())"
        guard !cname.isEmpty && cname.utf8.count <= 255 else {
            throw .invalidValue(flag: "--cname", value: cname, valid: "1 ... 255 bytes of UTF-8")
        }
        self.cname = cname
        guard Self.clockSkewRange.contains(options.clockSkewPpm) else {
            throw .invalidValue(
                flag: "--clock-skew-ppm", value: Self.format(options.clockSkewPpm), valid: "-5000 ... 5000 (ppm)")
        }
        if options.clockSkewPpm != 0 && !source.isPacedBySender {
            throw .flagNeeds(flag: "--clock-skew-ppm", requirement: "a source paced by the sender (--tone or --input)")
        }
        clockSkewPpm = options.clockSkewPpm
    }

    /// The pacer's frame duration in nanoseconds: the encoder's frame, shortened or lengthened by `clockSkewPpm`.
    public var pacedFrameNanoseconds: Int64 {
        let nominal = encoder.frameDuration.nanoseconds
        guard clockSkewPpm != 0 else { return nominal }
        return Int64((Double(nominal) / (1 + clockSkewPpm * 1e-6)).rounded())
    }

    /// Samples per channel in one packet.
    public var framesPerPacket: Int { encoder.frameDuration.samplesPerChannel }

    private static func source(_ options: SenderOptions) throws(SenderConfigurationError) -> Source {
        var given: [String] = []
        if options.device != nil { given.append("--device") }
        if options.input != nil { given.append("--input") }
        if options.tone != nil { given.append("--tone") }
        guard given.count <= 1 else { throw .multipleSources(given) }
        let isStandardInput = options.input == "-"
        if !isStandardInput {
            if options.format != nil { throw .flagNeeds(flag: "--format", requirement: "--input - (raw PCM on stdin)") }
            if options.rate != nil { throw .flagNeeds(flag: "--rate", requirement: "--input - (raw PCM on stdin)") }
        }
        if let device = options.device {
            guard !device.isEmpty else {
                throw .invalidValue(flag: "--device", value: "''", valid: "an ALSA PCM name (list them with `arecord -L`)")
            }
            return .captureDevice(name: device)
        }
        if let input = options.input {
            guard isStandardInput else {
                guard !input.isEmpty else {
                    throw .invalidValue(flag: "--input", value: "''", valid: "a WAV file path, or - for stdin")
                }
                return .wavFile(path: input)
            }
            guard let formatText = options.format else {
                throw .flagNeeds(flag: "--input -", requirement: "--format s16le|s32le|f32le (and --rate HZ unless 48000)")
            }
            guard let format = RawPCMFormat(rawValue: formatText) else {
                throw .invalidValue(flag: "--format", value: formatText, valid: "s16le, s32le or f32le")
            }
            let rate = options.rate ?? audioSourceSampleRate
            guard audioSourceInputRates.contains(rate) else {
                let range = "\(audioSourceInputRates.lowerBound) ... \(audioSourceInputRates.upperBound)"
                throw .invalidValue(flag: "--rate", value: "\(rate)", valid: "\(range) (Hz; resampled to 48000)")
            }
            return .standardInput(format: format, sampleRate: rate)
        }
        if let frequency = options.tone {
            guard frequency >= 1 && frequency <= 23_999 else {
                throw .invalidValue(flag: "--tone", value: format(frequency), valid: "1 ... 23999 (Hz)")
            }
            guard options.toneLevel >= -120 && options.toneLevel <= 0 else {
                throw .invalidValue(flag: "--level", value: format(options.toneLevel), valid: "-120 ... 0 (dBFS)")
            }
            return .tone(frequency: frequency, amplitude: Float(pow(10, options.toneLevel / 20)))
        }
        throw .noSource
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(cString: buffer)
    }
}
