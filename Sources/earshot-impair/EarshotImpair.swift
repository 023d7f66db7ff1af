import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import EarshotImpairment
import EarshotNet

/// `earshot-impair`: a UDP proxy that drops, delays, jitters, reorders, duplicates and corrupts datagrams,
/// because this kernel has no `tc netem`. Parses flags, then runs `ImpairmentProxy`.
@main
struct EarshotImpair: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "earshot-impair",
        abstract: "Forward UDP datagrams with loss, delay, jitter, reordering, duplication and corruption.",
        discussion: """
            Datagrams arriving at --listen are impaired and forwarded to --to; replies from
            --to (e.g. RTCP) go back to the last sender unimpaired. Same --seed and packet
            sequence give the same decisions. On SIGINT/SIGTERM or after --duration it
            prints a summary and one line 'earshot-impair counters: key=value ...'
            (packets_in, forwarded, ..., restamped, attack.<class>, attack.total).

            Sender imitation (RTP only; second octet 200-204 is RTCP, left alone):
              --restamp-jitter-ms X  timestamp += round(uniform(-X, +X) ms * 48) per
                                     packet, independently (steps wander, no drift)
              --burst-send N         release RTP packets N at a time; a partial group
                                     goes after N frame durations

            --attack KIND[:PARAM=VALUE,...], repeatable, each class once. Starts at the
            first genuine RTP packet. Every class but flood takes interval-ms
            (0.5...600000), source (genuine|other); every class takes after-ms
            (0...3600000, wait after the first packet). Defaults in parentheses.
              far-ahead             stream SSRC, seq + ahead (300; 1...32767); 50 ms
              timestamp-outlier     next seq, timestamp + offset samples (45120); 4 s
              resync-burst          count (3; 1...16) in-sequence packets, seq + ahead
                                    (5000); 60 ms
              ssrc-spoof            stream SSRC, next seq/timestamp, payload
                                    (old|silence); source other; stream packet rate
              spoofed-bye           RTCP RR+BYE and SR for the stream SSRC to ports
                                    (both|rtcp|rtp; rtcp = --to port + 1); source
                                    other; 1 s
              probation-starvation  strangers (4; 2...64) foreign SSRCs, each in
                                    sequence, interleaved; stream packet rate
              flood                 rate (50000; 1...1000000) packets/s, garbage
                                    (50; 0...100) percent garbage, the rest RTP with
                                    foreign SSRCs; own thread and socket; needs
                                    --duration
            """
    )

    @Option(help: "Address to receive on, HOST:PORT or [IPv6]:PORT (port 0: any; the bound port is printed).")
    var listen: String

    @Option(help: "Address to forward to, HOST:PORT or [IPv6]:PORT; host names are resolved.")
    var to: String

    @Option(help: "Random loss, percent (0...100).")
    var loss: Double = 0

    @Option(help: "Gilbert–Elliott burst loss 'p,r[,h]' in percent: p good→bad, r bad→good, h loss in bad (100).")
    var burst: String?

    @Option(help: "Fixed delay, ms (0...60000).")
    var delay: Double = 0

    @Option(help: "Jitter, ms (0...10000): half-width for uniform, standard deviation for normal.")
    var jitter: Double = 0

    @Option(help: "Jitter distribution: uniform or normal.")
    var jitterDistribution: String = "uniform"

    @Option(help: "Reordering: percent of packets held back by --reorder-delay (0...100).")
    var reorder: Double = 0

    @Option(help: "Extra hold-back of reordered packets, ms (0...10000).")
    var reorderDelay: Double = 10

    @Option(help: "Duplication, percent (0...100).")
    var duplicate: Double = 0

    @Option(help: "Corruption, percent of packets with bit flips (0...100).")
    var corrupt: Double = 0

    @Option(help: "Bits flipped per corrupted packet (1...64).")
    var corruptBits: Int = 1

    @Flag(help: "Also truncate corrupted packets to a random shorter length.")
    var truncate = false

    @Option(help: "Restamp RTP timestamps as a wall-clock-stamping live sender, ms (0...20; 0: off).")
    var restampJitterMs: Double = 0

    @Option(help: "Send RTP packets in groups of N (1...16; 1: off).")
    var burstSend: Int = 1

    @Option(help: ArgumentHelp(
        "Inject hostile packets: KIND[:PARAM=VALUE,...], repeatable (classes and parameters: see above).",
        valueName: "kind[:param=value,...]"))
    var attack: [String] = []

    @Option(help: "PRNG seed (decisions are reproducible for a given seed).")
    var seed: UInt64 = 1

    @Option(help: "Write one line per forwarded/dropped packet to this file.")
    var log: String?

    @Option(help: "Stop after this many seconds (> 0); default: run until SIGINT/SIGTERM.")
    var duration: Double?

    func validate() throws {
        do {
            _ = try makeProfile().validate()
        } catch {
            throw ValidationError("\(error)")
        }
        if let duration, !(duration > 0 && duration.isFinite) {
            throw ValidationError("--duration \(duration) is out of range; valid: seconds > 0")
        }
        do {
            _ = try SocketAddress(parsing: listen)
        } catch {
            throw ValidationError("--listen: \(error)")
        }
        do {
            try makeImitation().validate()
        } catch {
            throw ValidationError("\(error)")
        }
        let attacks = try makeAttacks()
        if attacks.contains(where: { $0.kind == .flood }) && duration == nil {
            throw ValidationError("--attack flood needs --duration; valid: --duration seconds > 0 (the flood must end)")
        }
    }

    func makeImitation() -> SenderImitationProfile {
        var imitation = SenderImitationProfile()
        imitation.restampJitterMilliseconds = restampJitterMs
        imitation.burstSize = burstSend
        return imitation
    }

    func makeAttacks() throws -> [AttackSpec] {
        var specs: [AttackSpec] = []
        for text in attack {
            let spec: AttackSpec
            do {
                spec = try AttackSpec(parsing: text)
            } catch {
                throw ValidationError("\(error)")
            }
            guard !specs.contains(where: { $0.kind == spec.kind }) else {
                throw ValidationError("--attack \(spec.kind) given twice; valid: each class at most once")
            }
            specs.append(spec)
        }
        return specs
    }

    func makeProfile() throws -> ImpairmentProfile {
        var profile = ImpairmentProfile()
        profile.lossPercent = loss
        if let burst { profile.burst = try Self.parseBurst(burst) }
        profile.delayMilliseconds = delay
        profile.jitterMilliseconds = jitter
        guard let distribution = JitterDistribution(rawValue: jitterDistribution) else {
            throw ValidationError("--jitter-distribution '\(jitterDistribution)' is invalid; valid: uniform, normal")
        }
        profile.jitterDistribution = distribution
        profile.reorderPercent = reorder
        profile.reorderDelayMilliseconds = reorderDelay
        profile.duplicatePercent = duplicate
        profile.corruptPercent = corrupt
        profile.corruptBits = corruptBits
        profile.truncateCorrupted = truncate
        try profile.validate()
        return profile
    }

    static func parseBurst(_ text: String) throws -> GilbertElliottParameters {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
        guard (2...3).contains(parts.count), parts.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--burst '\(text)' is invalid; expected 'p,r' or 'p,r,h', percents in 0...100")
        }
        return GilbertElliottParameters(
            enterBadPercent: parts[0]!, leaveBadPercent: parts[1]!, badStateLossPercent: parts.count == 3 ? parts[2]! : 100)
    }

    func run() throws {
        let profile = try makeProfile()
        let destination: SocketAddress
        do {
            destination = try SocketAddress.resolve(to)
        } catch {
            throw ValidationError("--to: \(error)")
        }
        let attacks = try makeAttacks()
        if destination.port == UInt16.max, attacks.contains(where: { $0.kind == .spoofedBye && $0.ports != .rtp }) {
            throw ValidationError(
                "--attack spoofed-bye: --to port 65535 has no RTCP port (port + 1); valid here: ports=rtp")
        }
        let proxy = try ImpairmentProxy(
            listen: try SocketAddress(parsing: listen),
            destination: destination,
            model: ImpairmentModel(profile: profile, seed: seed),
            imitation: makeImitation(),
            attacks: attacks,
            seed: seed,
            durationSeconds: duration,
            logPath: log
        )
        StopSignal.install()
        print("earshot-impair: listening on \(proxy.listenAddress), forwarding to \(destination)")
        for source in proxy.attackSources { print("earshot-impair: attack \(source)") }
        fflush(stdout)  // scripts and tests read the bound port from this line while the proxy runs
        let counters = try proxy.run()
        print(counters.summary)
        print(counters.keyValueLine)
    }
}
