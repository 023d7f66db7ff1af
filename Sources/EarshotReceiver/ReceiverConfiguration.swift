import EarshotNet
import EarshotRealtime
import EarshotSecurity

#if canImport(Glibc)
    import Glibc
#endif

/// Everything the receiver pipeline is started with, in the units of the `earshot-recv` flags.
///
/// Defaults are for a wired LAN: adaptive latency from `minimumLatencyMs` up to `maximumLatencyMs`, a 5 ms device
/// period. `validate()` checks every range and names the offending flag; the pipeline only accepts a validated
/// configuration.
public struct ReceiverConfiguration: Sendable, Equatable {
    /// `--latency`: a fixed jitter-buffer delay, or adaptation between the minimum and maximum.
    public enum Latency: Sendable, Equatable {
        case automatic
        case fixed(milliseconds: Double)

        /// Parses `auto` or a number of milliseconds.
        public init(parsing text: String) throws(ReceiverConfigurationError) {
            if text.lowercased() == "auto" {
                self = .automatic
            } else if let value = Double(text), value.isFinite {
                self = .fixed(milliseconds: value)
            } else {
                throw .malformed(flag: "--latency", value: text, expected: "auto or milliseconds (e.g. 20)")
            }
        }
    }

    /// Parses `--pacing`: `device`, `timer` or `auto`.
    public static func pacing(parsing text: String) throws(ReceiverConfigurationError) -> PlaybackThread.Pacing {
        switch text.lowercased() {
        case "device": return .deviceWakeups
        case "timer": return .timer
        case "auto": return .automatic
        default: throw .malformed(flag: "--pacing", value: text, expected: "device, timer or auto")
        }
    }

    /// What standby does to the device (`--standby`).
    public enum StandbyMode: String, Sendable, CaseIterable {
        /// Stop it (paused where it can pause) and keep it open: the fastest restart.
        case pause
        /// Release it, so a DAC can power down and other programs can use it; opened again by the next stream.
        case close
    }

    public static func standbyMode(parsing text: String) throws(ReceiverConfigurationError) -> StandbyMode {
        guard let mode = StandbyMode(rawValue: text.lowercased()) else {
            throw .malformed(flag: "--standby", value: text, expected: "pause or close")
        }
        return mode
    }

    public static let millisecondsRange: ClosedRange<Double> = 0...2000
    public static let periodRange: ClosedRange<Double> = 1...50
    /// Device rates the producer converts the 48 kHz stream to (`--device-rate`, or what a device grants).
    public static let deviceRateRange: ClosedRange<Int> = 16_000...96_000
    public static let volumeRange: ClosedRange<Double> = -60...20
    public static let priorityRange: ClosedRange<Int> = 0...99

    /// `--listen`: where RTP arrives (`HOST:PORT`, `[IPv6]:PORT`, or a multicast group). RTCP uses port + 1.
    public var listen: String
    /// `--interface`: the interface to join a multicast group on (nil: the kernel's choice).
    public var interface: String?
    /// `--device`: ALSA PCM name.
    public var device: String
    /// asoundrc-style file for `device` (tests: the audio rig); nil uses the system configuration.
    public var deviceConfigurationFile: String?
    public var latency: Latency
    public var minimumLatencyMs: Double
    public var maximumLatencyMs: Double
    /// `--period`: ALSA period in ms; the device buffer holds `bufferPeriods` periods.
    public var periodMs: Double
    public var bufferPeriods: Int
    /// `--device-rate`: the rate, in Hz, to open the device at; the stream is converted to it (and to whatever rate
    /// the device grants instead, within `deviceRateRange`).
    public var deviceRate: Int
    /// `--pacing`: what wakes the playback thread (see `PlaybackThread.Pacing`).
    public var pacing: PlaybackThread.Pacing
    /// `--periods-per-wake`: on the timer, the periods the playback thread writes per wake-up (nil: one; see
    /// `PlaybackThread.periodsPerWake(requested:pacedByTimer:bufferPeriods:)`).
    public var periodsPerWake: Int?
    public var payloadType: Int
    public var channels: Int
    /// `--volume`: the output level in dB at start (unmuted), unless `stateFile` holds one.
    public var volumeDB: Double
    /// `--source-timeout`: silence after which another SSRC may take over, seconds.
    public var sourceTimeoutSeconds: Double
    /// `--standby-after`: seconds without a stream after which the playback device is stopped (paused where it can
    /// pause) until the next packet; 0 never stops it.
    public var standbyAfterSeconds: Double
    /// `--standby`: whether standby pauses the device or releases it.
    public var standbyMode: StandbyMode
    /// `--wait-for-device`: a device missing or busy at start is waited for (retried as a lost one) instead of an
    /// error.
    public var waitsForDevice = false
    /// `--priority`: SCHED_FIFO priority of the playback thread (0: normal scheduling). The producer runs below it.
    public var priority: Int
    /// The CNAME sent in RTCP SDES.
    public var canonicalName: String
    /// `--allow`: CIDR ranges whose senders may be heard at all (RTP and RTCP); empty: everyone.
    public var allow: [String]
    /// `--state-file`: where the output volume is kept across restarts (loaded at start over `volumeDB`, replaced
    /// on each change); nil keeps nothing.
    public var stateFile: String?
    /// `--mixer`: the card's simple mixer control that takes the output volume instead of the software gain (nil:
    /// software gain).
    public var mixer: String?
    /// `--mixer-device`: the control device of `mixer` (nil: `mixerDevice(forPlaybackDevice:)` of `device`).
    public var mixerDevice: String?
    /// `--key-file` / `EARSHOT_SRTP_KEY` with `--srtp-suite`: every datagram must authenticate as SRTP/SRTCP under
    /// this key (`SRTPReceiveGate`); nil: plain RTP, and SRTP is refused.
    public var srtpKey: SRTPMasterKey?
    /// `--sync-latency` and its companions: play every frame at its capture instant plus a fixed latency (nil: the
    /// adaptive jitter buffer's delay).
    public var schedule: PlayoutSchedule?
    #if EARSHOT_TEST_HOOKS
        /// Test hook, debug builds only (`PlaybackThread.Options.stallsAfterNanoseconds`): the playback thread stops
        /// turning this many seconds after it starts, so that a test can prove the watchdog notices.
        public var playbackStallsAfterSeconds: Double? = nil
    #endif

    public init(
        listen: String = "0.0.0.0:5004",
        interface: String? = nil,
        device: String = "default",
        deviceConfigurationFile: String? = nil,
        latency: Latency = .automatic,
        minimumLatencyMs: Double = 1.5,
        maximumLatencyMs: Double = 200,
        periodMs: Double = 5,
        bufferPeriods: Int = 3,
        deviceRate: Int = 48_000,
        pacing: PlaybackThread.Pacing = .automatic,
        periodsPerWake: Int? = nil,
        payloadType: Int = 96,
        channels: Int = 2,
        volumeDB: Double = 0,
        sourceTimeoutSeconds: Double = 2,
        standbyAfterSeconds: Double = 10,
        standbyMode: StandbyMode = .pause,
        priority: Int = 80,
        canonicalName: String = "earshot-recv",
        allow: [String] = [],
        stateFile: String? = nil,
        mixer: String? = nil,
        mixerDevice: String? = nil
    ) {
        self.listen = listen
        self.interface = interface
        self.device = device
        self.deviceConfigurationFile = deviceConfigurationFile
        self.latency = latency
        self.minimumLatencyMs = minimumLatencyMs
        self.maximumLatencyMs = maximumLatencyMs
        self.periodMs = periodMs
        self.bufferPeriods = bufferPeriods
        self.deviceRate = deviceRate
        self.pacing = pacing
        self.periodsPerWake = periodsPerWake
        self.payloadType = payloadType
        self.channels = channels
        self.volumeDB = volumeDB
        self.sourceTimeoutSeconds = sourceTimeoutSeconds
        self.standbyAfterSeconds = standbyAfterSeconds
        self.standbyMode = standbyMode
        self.priority = priority
        self.canonicalName = canonicalName
        self.allow = allow
        self.stateFile = stateFile
        self.mixer = mixer
        self.mixerDevice = mixerDevice
    }

    /// Throws the first problem found, naming its flag and the valid range.
    public func validate() throws(ReceiverConfigurationError) {
        _ = try listenAddress()
        _ = try networkInterface()
        try Self.check("--min-latency", minimumLatencyMs, in: Self.millisecondsRange, unit: "ms")
        try Self.check("--max-latency", maximumLatencyMs, in: Self.millisecondsRange, unit: "ms")
        guard minimumLatencyMs <= maximumLatencyMs else {
            throw .conflicting(
                flags: "--min-latency/--max-latency",
                reason: "minimum \(minimumLatencyMs) ms is above maximum \(maximumLatencyMs) ms")
        }
        if case .fixed(let milliseconds) = latency {
            try Self.check("--latency", milliseconds, in: Self.millisecondsRange, unit: "ms (or auto)")
        }
        if let schedule {
            try Self.check("--sync-latency", schedule.syncLatencyMs, in: PlayoutSchedule.syncLatencyRange, unit: "ms")
            try Self.check(
                "--output-offset", schedule.outputOffsetMs, in: PlayoutSchedule.outputOffsetRange, unit: "ms")
            if case .fixed = latency {
                throw .conflicting(
                    flags: "--latency/--sync-latency", reason: "--sync-latency fixes the delay itself; drop --latency")
            }
        }
        try Self.check("--period", periodMs, in: Self.periodRange, unit: "ms")
        guard (2...8).contains(bufferPeriods) else {
            throw .outOfRange(flag: "--buffer-periods", value: "\(bufferPeriods)", valid: "2 ... 8")
        }
        guard Self.deviceRateRange.contains(deviceRate) else {
            throw .outOfRange(
                flag: "--device-rate", value: "\(deviceRate)",
                valid: "\(Self.deviceRateRange.lowerBound) ... \(Self.deviceRateRange.upperBound) Hz")
        }
        if let periodsPerWake, !(1..<bufferPeriods).contains(periodsPerWake) {
            throw .outOfRange(
                flag: "--periods-per-wake", value: "\(periodsPerWake)",
                valid: "1 ... \(bufferPeriods - 1) (below --buffer-periods \(bufferPeriods))")
        }
        guard (0...127).contains(payloadType) else {
            throw .outOfRange(flag: "--payload-type", value: "\(payloadType)", valid: "0 ... 127 (dynamic: 96 ... 127)")
        }
        guard channels == 1 || channels == 2 else {
            throw .outOfRange(flag: "--channels", value: "\(channels)", valid: "1 or 2")
        }
        try Self.check("--volume", volumeDB, in: Self.volumeRange, unit: "dB")
        try Self.check("--source-timeout", sourceTimeoutSeconds, in: 0.05...3600, unit: "seconds")
        if standbyAfterSeconds != 0 {
            try Self.check("--standby-after", standbyAfterSeconds, in: 0.1...86_400, unit: "seconds (0: never)")
        }
        guard Self.priorityRange.contains(priority) else {
            throw .outOfRange(flag: "--priority", value: "\(priority)", valid: "0 ... 99 (0: no real-time scheduling)")
        }
        guard !device.isEmpty else { throw .malformed(flag: "--device", value: device, expected: "an ALSA PCM name") }
        if let stateFile, stateFile.isEmpty {
            throw .malformed(flag: "--state-file", value: stateFile, expected: "a file path")
        }
        if let mixer, mixer.isEmpty {
            throw .malformed(
                flag: "--mixer", value: mixer, expected: "a simple mixer control name (`amixer -D DEVICE scontrols`)")
        }
        if let mixerDevice, mixerDevice.isEmpty || mixer == nil {
            throw mixer == nil
                ? .conflicting(flags: "--mixer-device", reason: "needs --mixer (the control to use on it)")
                : .malformed(flag: "--mixer-device", value: mixerDevice, expected: "an ALSA control device, e.g. hw:0")
        }
        _ = try allowedRanges()
    }

    /// The parsed `--allow` ranges (empty: everyone may be heard).
    public func allowedRanges() throws(ReceiverConfigurationError) -> [SocketAddressRange] {
        var ranges: [SocketAddressRange] = []
        for text in allow {
            do {
                ranges.append(try SocketAddressRange(parsing: text))
            } catch {
                throw .malformed(flag: "--allow", value: text, expected: SocketAddressRange.expectedForm)
            }
        }
        return ranges
    }

    /// What the timeline accepts: arrivals no later than `--max-latency` (or a larger fixed `--latency`). A fixed
    /// latency below it does not tighten this: a packet later than the target still plays while the output queue
    /// holds its turn, and is counted late rather than implausible when it does not.
    var timeline: StreamTimeline.Configuration {
        if let schedule { return .init(maxLatencyMs: max(maximumLatencyMs, schedule.syncLatencyMs)) }
        guard case .fixed(let milliseconds) = latency else { return .init(maxLatencyMs: maximumLatencyMs) }
        return .init(maxLatencyMs: max(maximumLatencyMs, milliseconds))
    }

    /// The parsed `--listen` address.
    public func listenAddress() throws(ReceiverConfigurationError) -> SocketAddress {
        do {
            return try SocketAddress(parsing: listen)
        } catch {
            throw .malformed(
                flag: "--listen", value: listen,
                expected: "HOST:PORT or [IPv6]:PORT with a numeric host and PORT 0 ... 65535 (e.g. 0.0.0.0:5004)")
        }
    }

    /// The `--interface`, looked up now; nil when not given.
    public func networkInterface() throws(ReceiverConfigurationError) -> NetworkInterface? {
        guard let interface else { return nil }
        do {
            return try NetworkInterface(interface)
        } catch {
            throw .malformed(flag: "--interface", value: interface, expected: "an interface name from `ip link` or an index")
        }
    }

    /// Linear gain for `volumeDB`.
    public var linearGain: Float { OutputVolume(decibels: volumeDB).linearGain }

    /// The control device `mixer` is looked up on: `mixerDevice`, else the card of `device`.
    public var mixerControlDevice: String { mixerDevice ?? Self.mixerDevice(forPlaybackDevice: device) }

    /// The card's control device for a playback PCM name: `hw:0` for `hw:0`, `hw:0,1` or `plughw:0,1`,
    /// `hw:CARD=DAC` for `hw:CARD=DAC,DEV=0`; `default` for anything else (a name that is not a card's).
    public static func mixerDevice(forPlaybackDevice device: String) -> String {
        for prefix in ["hw:", "plughw:"] where device.hasPrefix(prefix) {
            let card = device.dropFirst(prefix.count).prefix { $0 != "," }
            if !card.isEmpty { return "hw:\(card)" }
        }
        return "default"
    }

    /// Device period in frames at `rate` Hz (at least 1 ms).
    public func periodFrames(atRate rate: Int) -> Int {
        max(rate / 1000, Int((periodMs * Double(rate) / 1000).rounded()))
    }

    public var playbackScheduling: RealtimeScheduling { priority == 0 ? .normal : .fifo(priority: Int32(priority)) }

    /// The producer runs below playback: playback must never wait for it, and it must preempt everything else.
    public var producerScheduling: RealtimeScheduling {
        priority == 0 ? .normal : .fifo(priority: Int32(max(1, priority - 5)))
    }

    /// Jitter-buffer slots: the most packets the largest delay can hold at the shortest Opus packet (2.5 ms), plus
    /// 64 for reordering and bursts (the buffer rounds up to a power of two). Sized from the flags rather than fixed
    /// at the 2000 ms maximum: every slot's 1500-byte payload area is touched over time, so 512 slots cost 750 kB of
    /// resident memory where the default 200 ms needs 256 (375 kB).
    var jitterBufferCapacity: Int {
        var largestDelayMs: Double
        switch latency {
        case .automatic: largestDelayMs = maximumLatencyMs
        case .fixed(let milliseconds): largestDelayMs = milliseconds
        }
        if let schedule { largestDelayMs = schedule.syncLatencyMs }
        return Int((largestDelayMs / 2.5).rounded(.up)) + 64
    }

    var delayMode: PlayoutDelayEstimator.Mode {
        // Scheduled: the delay from capture, held on the sync latency (`PlayoutController`).
        if let schedule { return .fixed(milliseconds: schedule.syncLatencyMs) }
        switch latency {
        case .automatic: return .automatic(minimumMs: minimumLatencyMs, maximumMs: maximumLatencyMs)
        case .fixed(let milliseconds): return .fixed(milliseconds: milliseconds)
        }
    }

    private static func check(
        _ flag: String, _ value: Double, in range: ClosedRange<Double>, unit: String
    ) throws(ReceiverConfigurationError) {
        guard value.isFinite, range.contains(value) else {
            throw .outOfRange(flag: flag, value: "\(value)", valid: "\(range.lowerBound) ... \(range.upperBound) \(unit)")
        }
    }
}
