// libFuzzer target, differential: one byte string as an Opus packet, judged by Earshot's own framing rules
// (`OpusPacketFraming`, EarshotProtocol: what RTP validation uses) and by libopus (`opus_packet_parse`,
// `opus_packet_get_nb_samples`, `opus_packet_get_nb_frames`, `opus_packet_get_samples_per_frame`), and through
// `OpusDecoder.validatedFrameCount(of:)` / `frameCount(of:)` (EarshotCodec: what the receiver queues by).
//
// The contract checked: all three accept exactly the same packets, and for an accepted packet agree on the frame
// count and the samples per channel at 48 kHz. No difference is tolerated: RFC 6716's R1–R7 are what both implement,
// and the 120 ms cap (R5) is what `opus_packet_parse` enforces for code 3 and what codes 0–2 cannot exceed.

import COpus
import EarshotCodec
@testable import EarshotProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func opusFramingDifferentialFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size <= 4096 else { return 0 }  // libopus takes an opus_int32 length; real packets are under 1500 bytes.
    let packet = UnsafeRawBufferPointer(start: data, count: size)

    let ours = OpusPacketFraming.frameCount(packet)
    let oursSamples = OpusPacketFraming.samplesPerChannel(packet)
    precondition(OpusPacketFraming.isWellFormed(packet) == (ours != nil))
    precondition((oursSamples != nil) == (ours != nil))

    var dummy: UInt8 = 0
    let libopus = withUnsafePointer(to: &dummy) { fallback in
        LibopusVerdict(data ?? fallback, length: size)
    }

    guard (ours != nil) == (libopus.frames != nil) else {
        preconditionFailure(
            "framing disagrees with opus_packet_parse (ours \(ours.map(String.init) ?? "malformed"), libopus "
                + "\(libopus.frames.map(String.init) ?? "malformed")) for \(hex(packet))")
    }
    if size >= 1 {
        let perFrame = Int(opus_packet_get_samples_per_frame(data!, 48_000))
        precondition(OpusPacketFraming.frameDurationTicks(toc: packet[0]) * 120 == perFrame, "frame duration")
    }

    let codec = OpusDecoder.validatedFrameCount(of: packet)
    var throwing: Int?
    do { throwing = try OpusDecoder.frameCount(of: packet) } catch { throwing = nil }
    precondition(codec == throwing, "OpusDecoder.frameCount(of:) and validatedFrameCount(of:) disagree")

    guard let frames = ours, let samples = oursSamples else {
        precondition(codec == nil, "OpusDecoder accepts what the framing rejects: \(hex(packet))")
        return 0
    }
    precondition(frames == libopus.frames, "frame count differs from opus_packet_parse for \(hex(packet))")
    precondition(frames == Int(opus_packet_get_nb_frames(data!, Int32(size))), "frame count vs nb_frames")
    precondition(samples == libopus.samples, "samples differ from opus_packet_get_nb_samples for \(hex(packet))")
    precondition(codec == samples, "OpusDecoder.validatedFrameCount differs from the framing for \(hex(packet))")
    precondition(samples >= 120 && samples <= 5760, "2.5 ... 120 ms")
    return 0
}

/// What libopus makes of a packet: frame count and samples per channel at 48 kHz, nil when it rejects it.
private struct LibopusVerdict {
    var frames: Int?
    var samples: Int?

    init(_ data: UnsafePointer<UInt8>, length: Int) {
        var toc: UInt8 = 0
        var payloadOffset: Int32 = 0
        let count = withUnsafeTemporaryAllocation(of: UnsafePointer<UInt8>?.self, capacity: 48) { frames in
            withUnsafeTemporaryAllocation(of: opus_int16.self, capacity: 48) { sizes in
                let count = opus_packet_parse(
                    data, Int32(length), &toc, frames.baseAddress, sizes.baseAddress!, &payloadOffset)
                if count > 0 {
                    // libopus's own frame table lies inside the packet.
                    var end = 0
                    for index in 0..<Int(count) {
                        let start = frames[index]! - data
                        precondition(start >= end && sizes[index] >= 0 && sizes[index] <= 1275)
                        end = start + Int(sizes[index])
                    }
                    precondition(end <= length && Int(payloadOffset) <= length)
                }
                return count
            }
        }
        guard count > 0 else { return }
        frames = Int(count)
        let samples = opus_packet_get_nb_samples(data, Int32(length), 48_000)
        samples > 0 ? (self.samples = Int(samples)) : ()
    }
}

private func hex(_ bytes: UnsafeRawBufferPointer) -> String {
    let digits = Array("0123456789abcdef")
    var text = ""
    for byte in bytes.prefix(64) { text.append(digits[Int(byte >> 4)]); text.append(digits[Int(byte & 15)]) }
    return bytes.count > 64 ? text + "… (\(bytes.count) bytes)" : text
}
