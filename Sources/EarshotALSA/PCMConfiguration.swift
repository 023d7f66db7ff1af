/// What a caller asks of a PCM. The device may grant different values ("near"); `PCMParameters` holds what it granted.
public struct PCMConfiguration: Sendable, Equatable {
    /// Frames per second; the device grants this or the nearest rate it supports.
    public var sampleRate: Int
    public var channels: Int
    /// Frames per period: the unit of one wake-up of the real-time thread.
    public var periodFrames: Int
    /// Frames in the device buffer; latency of a full playback buffer is `bufferFrames / sampleRate`.
    public var bufferFrames: Int
    /// Playback starts once this many frames are queued; `nil` means one period. Ignored for capture.
    public var startThresholdFrames: Int?
    /// The thread is woken when this many frames are free (playback) or ready (capture); `nil` means one period.
    public var availMinFrames: Int?
    /// Formats to try, in order; the first the device accepts wins.
    public var formatPreference: [PCMSampleFormat]
    /// Let ALSA resample in software when the device cannot do `sampleRate`.
    public var allowSoftwareResampling: Bool

    public init(
        sampleRate: Int = 48_000,
        channels: Int = 2,
        periodFrames: Int = 240,
        bufferFrames: Int = 960,
        startThresholdFrames: Int? = nil,
        availMinFrames: Int? = nil,
        formatPreference: [PCMSampleFormat] = PCMSampleFormat.allCases,
        allowSoftwareResampling: Bool = true
    ) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.periodFrames = periodFrames
        self.bufferFrames = bufferFrames
        self.startThresholdFrames = startThresholdFrames
        self.availMinFrames = availMinFrames
        self.formatPreference = formatPreference
        self.allowSoftwareResampling = allowSoftwareResampling
    }
}

/// What the device granted after hardware and software parameter negotiation.
public struct PCMParameters: Sendable, Equatable {
    public var sampleRate: Int
    public var channels: Int
    public var format: PCMSampleFormat
    public var periodFrames: Int
    public var bufferFrames: Int
    public var startThresholdFrames: Int
    public var availMinFrames: Int

    public init(
        sampleRate: Int, channels: Int, format: PCMSampleFormat, periodFrames: Int, bufferFrames: Int,
        startThresholdFrames: Int, availMinFrames: Int
    ) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.format = format
        self.periodFrames = periodFrames
        self.bufferFrames = bufferFrames
        self.startThresholdFrames = startThresholdFrames
        self.availMinFrames = availMinFrames
    }

    /// Duration of one period in milliseconds, rounded up (for `snd_pcm_wait` time-outs).
    public var periodMilliseconds: Int { (periodFrames * 1000 + sampleRate - 1) / sampleRate }
}
