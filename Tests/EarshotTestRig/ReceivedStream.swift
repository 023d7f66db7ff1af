import EarshotCodec
import EarshotNet
import EarshotProtocol

/// Test side of a stream: RTP datagrams received on a socket, with their kernel receive times, and their decoding.
public struct ReceivedPacket {
    public let bytes: [UInt8]
    /// CLOCK_REALTIME ns (kernel timestamp).
    public let receiveTime: Int64
    public var header: (marker: Bool, payloadType: UInt8, sequence: UInt16, timestamp: UInt32, ssrc: UInt32) {
        (bytes[1] & 0x80 != 0, bytes[1] & 0x7F, UInt16(bytes[2]) << 8 | UInt16(bytes[3]),
         UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7]),
         UInt32(bytes[8]) << 24 | UInt32(bytes[9]) << 16 | UInt32(bytes[10]) << 8 | UInt32(bytes[11]))
    }
}

public enum ReceivedStream {
    /// Receives until `idleNanoseconds` pass without a datagram or `limit` arrived.
    public static func receive(on socket: UDPSocket, idleNanoseconds: Int64 = 1_500_000_000, limit: Int = 1_000_000) throws
        -> [ReceivedPacket]
    {
        try socket.setReceiveTimeout(nanoseconds: idleNanoseconds)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer { buffer.deallocate() }
        var packets: [ReceivedPacket] = []
        while packets.count < limit, let datagram = try socket.receive(into: buffer) {
            packets.append(ReceivedPacket(
                bytes: Array(buffer[0..<datagram.byteCount]), receiveTime: datagram.receiveTime))
        }
        return packets
    }

    /// Decodes the Opus payloads in order (no loss expected on loopback) to interleaved stereo.
    public static func decode(_ packets: [ReceivedPacket], channels: Int = 2) throws -> [Float] {
        var decoder = try OpusDecoder(channels: channels)
        var pcm = [Float](repeating: 0, count: OpusDecoder.maximumFramesPerPacket * channels)
        var output: [Float] = []
        for packet in packets {
            let frames = try packet.bytes.withUnsafeBytes { raw in
                let rtp = try RTPPacket(validating: raw, payloadType: nil)
                return try pcm.withUnsafeMutableBufferPointer { target in
                    try decoder.decode(
                        UnsafeRawBufferPointer(rebasing: raw[rtp.payloadOffset..<(rtp.payloadOffset + rtp.payloadCount)]),
                        into: target.baseAddress!, capacityFrames: OpusDecoder.maximumFramesPerPacket)
                }
            }
            output.append(contentsOf: pcm[0..<(frames * channels)])
        }
        return output
    }
}
