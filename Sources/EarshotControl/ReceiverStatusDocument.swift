#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import EarshotReceiver

/// `GET /status`: one JSON object about the stream, the delay, the device, the volume and the counters, e.g.
/// `{"delay":{"jitterMs":0.2,"outputQueueMs":31.2,"playoutMs":6.1,"targetMs":5.5},"device":{"name":"spk",
/// "state":"playing"},"stream":{"cname":"earshot-send@box","codec":"opus","frameMs":5,"frameSamples":240,
/// "payloadType":96,"sender":"192.0.2.7:40000","ssrc":305419896,"ssrcHex":"12345678"},"volume":{"db":0,
/// "muted":false},"counters":{...}}`. `stream` is null while none plays and `cname` null until the sender's RTCP
/// named it; a figure not known yet is null. `counters` is the exit line's `stats-json` object (`ReceiverStats.json`).
struct ReceiverStatusDocument: Encodable {
    struct Stream: Encodable {
        let sender: String
        let ssrc: UInt32
        /// The SSRC as 8 hex digits, as packet captures and logs show it.
        let ssrcHex: String
        let cname: String?
        let codec = "opus"
        let payloadType: Int
        let frameSamples: Int
        let frameMs: Double

        enum CodingKeys: String, CodingKey {
            case sender, ssrc, ssrcHex, cname, codec, payloadType, frameSamples, frameMs
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(sender, forKey: .sender)
            try container.encode(ssrc, forKey: .ssrc)
            try container.encode(ssrcHex, forKey: .ssrcHex)
            try container.encode(cname, forKey: .cname)  // null, not absent, while unknown
            try container.encode(codec, forKey: .codec)
            try container.encode(payloadType, forKey: .payloadType)
            try container.encode(frameSamples, forKey: .frameSamples)
            try container.encode(frameMs, forKey: .frameMs)
        }
    }

    struct Delay: Encodable {
        let playoutMs: Double?
        let targetMs: Double?
        let jitterMs: Double?
        let outputQueueMs: Double?

        enum CodingKeys: String, CodingKey { case playoutMs, targetMs, jitterMs, outputQueueMs }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(playoutMs, forKey: .playoutMs)
            try container.encode(targetMs, forKey: .targetMs)
            try container.encode(jitterMs, forKey: .jitterMs)
            try container.encode(outputQueueMs, forKey: .outputQueueMs)
        }
    }

    struct Device: Encodable {
        let name: String?
        let state: String

        enum CodingKeys: String, CodingKey { case name, state }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(state, forKey: .state)
        }
    }

    let stream: Stream?
    let delay: Delay
    let device: Device
    let volume: VolumeState

    enum CodingKeys: String, CodingKey { case stream, delay, device, volume }

    init(_ snapshot: ReceiverSnapshot) {
        let stats = snapshot.stats
        stream = snapshot.stream.map { stream in
            Stream(
                sender: stream.sender.description, ssrc: stream.ssrc, ssrcHex: Self.hex(stream.ssrc),
                cname: stream.cname, payloadType: snapshot.payloadType, frameSamples: stream.frameSamples,
                frameMs: Double(stream.frameSamples) / 48)
        }
        delay = Delay(
            playoutMs: Self.finite(stats.playoutDelayMs), targetMs: Self.finite(stats.targetDelayMs),
            jitterMs: Self.finite(stats.jitterMs), outputQueueMs: Self.finite(stats.outputQueueMs))
        device = Device(name: snapshot.deviceName, state: snapshot.deviceState.rawValue)
        volume = VolumeState(snapshot.volume)
        counters = stats.json
    }

    /// `ReceiverStats.json`, spliced in as it is (one definition of the counters' JSON).
    private let counters: String

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stream, forKey: .stream)  // null while no stream plays
        try container.encode(delay, forKey: .delay)
        try container.encode(device, forKey: .device)
        try container.encode(volume, forKey: .volume)
    }

    /// The whole document on one line.
    var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self), data.last == UInt8(ascii: "}") else {
            return #"{"error":"status could not be encoded"}"#
        }
        return String(decoding: data.dropLast(), as: UTF8.self) + #","counters":"# + counters + "}"
    }

    /// Rounded to the microsecond (the figures are smoothed estimates); nil when not finite (JSON has no NaN).
    private static func finite(_ value: Double) -> Double? {
        value.isFinite ? (value * 1000).rounded() / 1000 : nil
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// The output level as `/status`, `PUT /volume` and `PUT /mute` answer it: `{"db":-12.5,"muted":false}`.
struct VolumeState: Encodable, Equatable {
    let db: Double
    let muted: Bool

    init(_ volume: OutputVolume) {
        db = volume.decibels
        muted = volume.isMuted
    }

    var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else { return #"{"error":"volume could not be encoded"}"# }
        return String(decoding: data, as: UTF8.self)
    }
}
