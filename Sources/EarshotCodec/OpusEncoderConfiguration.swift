extension OpusEncoder {
    /// Everything an `OpusEncoder` is created with. Defaults: stereo, 5 ms, 128 kbps, complexity 10, low delay.
    ///
    /// `validate()` checks every range before libopus sees it, so bad flags become a typed error naming the setting.
    public struct Configuration: Sendable, Equatable {
        /// 1 (mono) or 2 (stereo, interleaved L R).
        public var channels: Int
        public var frameDuration: OpusFrameDuration
        /// Target bitrate in bits per second, 6 000 ... 510 000.
        public var bitrate: Int
        /// Encoder effort 0 ... 10; 10 is best quality and costs the most CPU.
        public var complexity: Int
        public var application: OpusApplication
        /// Embed a low-bitrate copy of the previous frame (LBRR) so a lost packet can be rebuilt from the next one.
        /// Only SILK/hybrid frames carry it: not with `restrictedLowDelay` or frames shorter than 10 ms.
        public var inBandFEC: Bool
        /// Expected packet loss 0 ... 100 %; steers how much bitrate LBRR gets. FEC produces nothing when this is 0.
        public var expectedPacketLossPercent: Int
        /// Discontinuous transmission: during silence, packets shrink to 1–2 bytes that need not be sent.
        public var dtx: Bool

        public init(
            channels: Int = 2,
            frameDuration: OpusFrameDuration = .ms5,
            bitrate: Int = 128_000,
            complexity: Int = 10,
            application: OpusApplication = .restrictedLowDelay,
            inBandFEC: Bool = false,
            expectedPacketLossPercent: Int = 0,
            dtx: Bool = false
        ) {
            self.channels = channels
            self.frameDuration = frameDuration
            self.bitrate = bitrate
            self.complexity = complexity
            self.application = application
            self.inBandFEC = inBandFEC
            self.expectedPacketLossPercent = expectedPacketLossPercent
            self.dtx = dtx
        }

        /// Throws `OpusError.invalidSetting` naming the first setting out of range.
        public func validate() throws(OpusError) {
            guard channels == 1 || channels == 2 else {
                throw .invalidSetting(name: "channels", value: channels, allowed: "1 or 2")
            }
            guard (6_000...510_000).contains(bitrate) else {
                throw .invalidSetting(name: "bitrate", value: bitrate, allowed: "6000 ... 510000 bits per second")
            }
            guard (0...10).contains(complexity) else {
                throw .invalidSetting(name: "complexity", value: complexity, allowed: "0 ... 10")
            }
            guard (0...100).contains(expectedPacketLossPercent) else {
                throw .invalidSetting(
                    name: "expectedPacketLossPercent", value: expectedPacketLossPercent, allowed: "0 ... 100")
            }
        }

        /// Interleaved floats one `encode` call reads.
        public var samplesPerFrame: Int { frameDuration.samplesPerChannel * channels }
    }
}
