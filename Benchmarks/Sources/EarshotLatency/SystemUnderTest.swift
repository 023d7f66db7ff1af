import Foundation

/// A sender/receiver pair measured on the rig, as command lines. Placeholders, replaced per run:
/// `{capture}` (ALSA capture PCM the sender reads: `ref_in`), `{playback}` (PCM the receiver plays into: `out`),
/// `{send_port}` (UDP port the sender sends to: the receiver's, or the impairment proxy's), `{recv_port}` (the
/// receiver's UDP port). Both bind and send on 127.0.0.1 only.
public struct SystemUnderTest: Sendable {
    public var name: String
    /// Nil when the receiver needs no separate sender process.
    public var sender: [String]?
    public var receiver: [String]
    /// False for the rig floor: no network in between (the sender's stdout is piped into the receiver's stdin),
    /// so impairments do not apply.
    public var usesNetwork: Bool
    /// Measured under the impairments too (only when `usesNetwork`); false for a row that compares one figure on
    /// the clean network.
    public var runsImpaired: Bool

    public init(
        name: String, sender: [String]?, receiver: [String], usesNetwork: Bool = true, runsImpaired: Bool = true
    ) {
        self.name = name
        self.sender = sender
        self.receiver = receiver
        self.usesNetwork = usesNetwork
        self.runsImpaired = usesNetwork && runsImpaired
    }

    /// The rig's own floor at Earshot's default device settings (5 ms periods; capture buffer 4 periods, playback
    /// buffer 3): `earshot-rig-floor` loops the capture device straight into the playback device and drops what the
    /// playback buffer has no room for, so no start-up backlog inflates it (`arecord | aplay` kept one in the pipe
    /// and measured anything from 10 to 625 ms).
    public static let rigFloor = SystemUnderTest(
        name: "rig floor (direct loop, 5 ms × 3)", sender: nil,
        receiver: ["earshot-rig-floor", "--capture", "{capture}", "--playback", "{playback}", "--period-ms", "5",
                   "--capture-buffer-periods", "4", "--playback-buffer-periods", "3"],
        usesNetwork: false)

    /// The rig's floor at Earshot's lowest-latency device settings (2.5 ms periods; buffers 4 and 2 periods).
    public static let rigFloorLowest = SystemUnderTest(
        name: "rig floor (direct loop, 2.5 ms × 2)", sender: nil,
        receiver: ["earshot-rig-floor", "--capture", "{capture}", "--playback", "{playback}", "--period-ms", "2.5",
                   "--capture-buffer-periods", "4", "--playback-buffer-periods", "2"],
        usesNetwork: false)

    /// `arecord | aplay` (10 ms buffers): kept for comparison with older runs; its start-up backlog stays in the
    /// pipe, so its latency is not a floor.
    public static let pipedFloor = SystemUnderTest(
        name: "arecord | aplay",
        sender: ["arecord", "-q", "-D", "{capture}", "-t", "raw", "-f", "FLOAT_LE", "-c", "2", "-r", "48000",
                 "--buffer-time=10000", "--period-time=2500"],
        receiver: ["aplay", "-q", "-D", "{playback}", "-t", "raw", "-f", "FLOAT_LE", "-c", "2", "-r", "48000",
                   "--buffer-time=10000", "--period-time=2500"],
        usesNetwork: false)

    /// trx 0.5 (Debian): 20 ms frames, 16 ms jitter buffer, 16 ms ALSA buffers, 128 kbps.
    public static let trxDefault = SystemUnderTest(
        name: "trx defaults",
        sender: ["trx-tx", "-d", "{capture}", "-h", "127.0.0.1", "-p", "{send_port}"],
        receiver: ["trx-rx", "-d", "{playback}", "-h", "127.0.0.1", "-p", "{recv_port}"])

    /// trx at the lowest settings that still played without dropouts on the clean rig (see BENCHMARKS.md).
    public static let trxLowest = SystemUnderTest(
        name: "trx lowest",
        sender: ["trx-tx", "-d", "{capture}", "-h", "127.0.0.1", "-p", "{send_port}", "-f", "240", "-m", "8"],
        receiver: ["trx-rx", "-d", "{playback}", "-h", "127.0.0.1", "-p", "{recv_port}", "-j", "8", "-m", "8"])

    /// Earshot as shipped: `earshot-send` 5 ms low-delay frames captured in 1 ms periods, with `--redundancy auto`
    /// (every packet again 15 ms later while the receiver's RTCP reports show loss), `earshot-recv` adaptive jitter
    /// buffer, 5 ms ALSA periods × 3 and one take in the ring. Earshot's receivers print their stats every second
    /// (`--stats 1`) for the table's playout-delay and output-queue medians.
    public static let earshotDefault = SystemUnderTest(
        name: "Earshot defaults",
        sender: ["earshot-send", "--device", "{capture}", "--to", "127.0.0.1:{send_port}"],
        receiver: ["earshot-recv", "--listen", "127.0.0.1:{recv_port}", "--device", "{playback}", "--stats", "1"])

    /// Earshot at its lowest-latency settings on this rig: 2.5 ms frames (384 kbit/s, the sender's default for them
    /// since commit ba92ddb) and an adaptive buffer floor of 0.5 ms. The devices keep their 5 ms × 3 periods: at
    /// 2.5 ms × 2 the rig itself drops out (see the floor row at those settings, `floor-lowest`). A floor of 0 ms read
    /// the same 20 ms when it played cleanly, but since the producer refills just before each take (commit 06d15ae)
    /// it concealed 7–27 times a row, and two of four rows dropped out; 0.5 ms read 20.0 ms twice with neither.
    public static let earshotLowest = SystemUnderTest(
        name: "Earshot lowest",
        sender: ["earshot-send", "--device", "{capture}", "--to", "127.0.0.1:{send_port}", "--frame", "2.5"],
        receiver: ["earshot-recv", "--listen", "127.0.0.1:{recv_port}", "--device", "{playback}", "--stats", "1",
                   "--min-latency", "0.5"])

    /// Earshot's defaults with `--redundancy 15` on the sender: every packet again 15 ms later, always.
    public static let earshotRedundant = SystemUnderTest(
        name: "Earshot + --redundancy 15",
        sender: ["earshot-send", "--device", "{capture}", "--to", "127.0.0.1:{send_port}", "--redundancy", "15"],
        receiver: ["earshot-recv", "--listen", "127.0.0.1:{recv_port}", "--device", "{playback}", "--stats", "1"])

    /// Earshot's defaults with `--periods-per-wake 2` on the receiver: on the rig's timer the playback thread writes
    /// two periods per wake-up, and the producer refills once per two periods (about half their wake-ups).
    /// Not in `run.sh`'s default rows; `SYSTEMS=earshot-default,earshot-fewer-wakes,trx-default` compares them.
    public static let earshotFewerWakes = SystemUnderTest(
        name: "Earshot + --periods-per-wake 2",
        sender: ["earshot-send", "--device", "{capture}", "--to", "127.0.0.1:{send_port}"],
        receiver: ["earshot-recv", "--listen", "127.0.0.1:{recv_port}", "--device", "{playback}", "--stats", "1",
                   "--periods-per-wake", "2"])

    /// Earshot at trx's cadence: 20 ms frames, 10 ms ALSA periods × 2, so that the two receivers' CPU compares the
    /// work per second of audio, not the wake-ups per second. At Earshot's 5 ms cadence every wake-up counts (three of
    /// the `pulse` plugin's thread per period, one of the playback thread, one of the producer: about 1 000 a
    /// second), and on a VM a wake-up costs more than the audio work (BENCHMARKS.md). Clean network only.
    public static let earshotAtTrxCadence = SystemUnderTest(
        name: "Earshot at trx's cadence (--frame 20; --period 10 --buffer-periods 2)",
        sender: ["earshot-send", "--device", "{capture}", "--to", "127.0.0.1:{send_port}", "--frame", "20"],
        receiver: ["earshot-recv", "--listen", "127.0.0.1:{recv_port}", "--device", "{playback}", "--stats", "1",
                   "--period", "10", "--buffer-periods", "2"],
        runsImpaired: false)

    func expand(_ arguments: [String], capture: String, playback: String, sendPort: Int, receivePort: Int)
        -> [String]
    {
        arguments.map {
            $0.replacingOccurrences(of: "{capture}", with: capture)
                .replacingOccurrences(of: "{playback}", with: playback)
                .replacingOccurrences(of: "{send_port}", with: String(sendPort))
                .replacingOccurrences(of: "{recv_port}", with: String(receivePort))
        }
    }
}
