import CSpeexDSPBaseline

#if canImport(Glibc)
import Glibc
#endif

/// `speex_resampler_process_interleaved_float` on 240-frame stereo blocks and nothing else: the peer of the
/// AdaptiveResampler rows, fed the same block at the same ratio (`inputRate / outputRate` as a fraction, so 1.0005
/// is 2000 → 2001).
final class SpeexResample: @unchecked Sendable {
    static let blockFrames = 240
    static let channels = 2

    private let state: OpaquePointer
    private let input: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<Float>
    private let outputCapacity = 512

    init(quality: Int32, ratioNumerator: UInt32, ratioDenominator: UInt32, inputRate: UInt32, outputRate: UInt32) {
        var status: Int32 = 0
        guard
            let state = speex_resampler_init_frac(
                UInt32(Self.channels), ratioNumerator, ratioDenominator, inputRate, outputRate, quality, &status),
            status == Int32(RESAMPLER_ERR_SUCCESS)
        else { fatalError("speex_resampler_init_frac failed: \(status)") }
        self.state = state
        input = .allocate(capacity: Self.blockFrames * Self.channels)
        for frame in 0..<Self.blockFrames {
            let value = Float(0.5 * sin(2 * Double.pi * 997 * Double(frame) / Double(inputRate)))
            input[frame * 2] = value
            input[frame * 2 + 1] = -value
        }
        output = .allocate(capacity: outputCapacity * Self.channels)
        for _ in 0..<100 { step() }
    }

    deinit {
        speex_resampler_destroy(state)
        input.deallocate()
        output.deallocate()
    }

    @inline(never)
    func step() {
        var inputFrames = UInt32(Self.blockFrames)
        var outputFrames = UInt32(outputCapacity)
        let status = speex_resampler_process_interleaved_float(state, input, &inputFrames, output, &outputFrames)
        precondition(status == 0 && inputFrames == UInt32(Self.blockFrames), "speex resample failed: \(status)")
    }
}
