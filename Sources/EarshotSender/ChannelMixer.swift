/// Converts interleaved frames between channel counts: mono is copied to every output channel, several inputs
/// to mono are averaged, and N > 2 inputs to stereo keep the first two (front left/right in WAV order).
/// Pure and allocation-free; any thread.
struct ChannelMixer {
    let inputChannels: Int
    let outputChannels: Int

    func mix(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, frames: Int) {
        for frame in 0..<frames {
            let source = input + frame * inputChannels
            let destination = output + frame * outputChannels
            if inputChannels == outputChannels {
                destination.update(from: source, count: outputChannels)
            } else if inputChannels == 1 {
                destination.update(repeating: source[0], count: outputChannels)
            } else if outputChannels == 1 {
                var sum: Float = 0
                for channel in 0..<inputChannels { sum += source[channel] }
                destination[0] = sum / Float(inputChannels)
            } else {
                destination.update(from: source, count: outputChannels)
            }
        }
    }
}
