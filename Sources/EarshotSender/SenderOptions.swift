/// The sender's settings as typed on the command line, before validation: every field is what the user gave (or
/// the default), in the flag's own units. `SenderConfiguration(_:)` checks them and names the flag of any bad value,
/// so the executable only parses and the rules live (and are tested) here.
public struct SenderOptions: Sendable, Equatable {
    /// `--device NAME`: ALSA capture PCM.
    public var device: String?
    /// `--input FILE.wav`, or `-` for raw PCM on stdin.
    public var input: String?
    /// `--tone HZ`: a sine test tone.
    public var tone: Double?
    /// `--level DBFS`: tone level, dB relative to full scale.
    public var toneLevel: Double = -6
    /// `--format`: raw stdin sample format (s16le, s32le, f32le).
    public var format: String?
    /// `--rate HZ`: raw stdin sample rate.
    public var rate: Int?
    /// `--channels`: channels sent (1 or 2); also the channel count of raw stdin input.
    public var channels: Int = 2
    /// `--frame MS`: Opus frame (= RTP packet) duration.
    public var frameMilliseconds: Double = 5
    /// `--capture-period MS`: ALSA capture period with `--device`.
    public var capturePeriodMilliseconds: Double = 1
    /// `--bitrate KBPS`; nil: `SenderConfiguration.defaultBitrateKbps(frameMilliseconds:)`.
    public var bitrateKbps: Int?
    /// `--complexity 0...10`.
    public var complexity: Int = 10
    /// `--fec`: Opus in-band FEC.
    public var fec = false
    /// `--expected-loss PCT`.
    public var expectedLossPercent: Int = 0
    /// `--application lowdelay|audio`.
    public var application: String = "lowdelay"
    /// `--redundancy auto|MS`: send every packet a second time this much later; `auto` (15 ms) only while receivers
    /// report loss; 0: off.
    public var redundancy: String = "auto"
    /// `--dtx`: discontinuous transmission.
    public var dtx = false
    /// `--payload-type 96...127`.
    public var payloadType: Int = Int(96)
    /// `--to HOST:PORT`, one or more.
    public var destinations: [String] = []
    /// `--ttl`: multicast hop limit.
    public var ttl: Int = 1
    /// `--interface NAME`: multicast interface.
    public var interface: String?
    /// `--sdp FILE`.
    public var sdpPath: String?
    /// `--stats SECONDS`: plain log interval when stderr is not a terminal.
    public var statsInterval: Double = 5
    /// `--duration SECONDS`: stop after this much audio.
    public var duration: Double?
    /// `--priority 0...99`: SCHED_FIFO priority of the send and capture threads; 0 means normal scheduling.
    public var priority: Int = 70
    /// `--cname`: RTCP SDES CNAME.
    public var cname: String?
    /// `--clock-skew-ppm` (hidden, for tests): run the sender's clock this fast (negative: slow).
    public var clockSkewPpm: Double = 0

    public init() {}
}
