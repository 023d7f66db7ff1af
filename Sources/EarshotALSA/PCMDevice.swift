import CALSA

/// An open, configured ALSA PCM (playback or capture) with `Float` interleaved I/O.
///
/// Opening negotiates rate, channels, sample format (float preferred; integer formats are converted in a buffer
/// allocated here, never in the I/O calls), period and buffer size with ALSA's `set_*_near`, then software parameters.
/// `parameters` holds what the device granted. The per-period calls are on `handle`, a trivial value the real-time
/// thread can use without reference counting; they are forwarded here for convenience.
///
/// Noncopyable so the PCM is closed exactly once: by `close()` or when the value is destroyed.
/// Open and close on a control thread; I/O from one thread at a time.
public struct PCMDevice: ~Copyable, @unchecked Sendable {
    public let name: String
    public let stream: PCMStream
    public let parameters: PCMParameters
    public let handle: PCMHandle
    /// Private configuration tree when opened with `configurationFile`; deleted after the PCM is closed.
    private let localConfiguration: OpaquePointer?

    /// Opens `name` (e.g. `default`, `hw:0,0`, `plughw:0`, `pulse`, or a name defined in `configurationFile`).
    ///
    /// - Parameter configurationFile: an asoundrc-style file merged over the system configuration for this PCM only
    ///   (via `snd_pcm_open_lconf`), so a process can use several private configurations without touching the
    ///   environment or `~/.asoundrc`.
    public init(
        name: String,
        stream: PCMStream,
        configuration: PCMConfiguration = PCMConfiguration(),
        configurationFile: String? = nil
    ) throws(ALSAError) {
        var localConfiguration: OpaquePointer? = nil
        if let configurationFile {
            localConfiguration = try Self.loadConfiguration(file: configurationFile, device: name)
        }
        var pcm: OpaquePointer? = nil
        let openResult: Int32
        if let localConfiguration {
            openResult = snd_pcm_open_lconf(&pcm, name, stream.alsaValue, 0, localConfiguration)
        } else {
            openResult = snd_pcm_open(&pcm, name, stream.alsaValue, 0)
        }
        guard openResult >= 0, let pcm else {
            if let localConfiguration { snd_config_delete(localConfiguration) }
            throw ALSAError.opening(name, code: openResult)
        }
        let parameters: PCMParameters
        do {
            parameters = try Self.negotiate(pcm: pcm, name: name, stream: stream, configuration: configuration)
        } catch {
            snd_pcm_close(pcm)
            if let localConfiguration { snd_config_delete(localConfiguration) }
            throw error
        }
        self.name = name
        self.stream = stream
        self.parameters = parameters
        self.localConfiguration = localConfiguration
        self.handle = PCMHandle(
            pcm: pcm, channels: parameters.channels, format: parameters.format,
            conversionFrames: max(parameters.periodFrames, 64))
    }

    deinit {
        snd_pcm_close(handle.pcm)
        handle.deallocateConversion()
        if let localConfiguration { snd_config_delete(localConfiguration) }
    }

    /// Closes the PCM (dropping pending frames) and frees its buffers.
    public consuming func close() {
        // deinit does the work; consuming ends the value's lifetime here.
    }

    // MARK: Per-period calls (see `PCMHandle`)

    public func writeInterleaved(_ samples: UnsafePointer<Float>, frames: Int) -> Int {
        handle.writeInterleaved(samples, frames: frames)
    }
    public func readInterleaved(into samples: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        handle.readInterleaved(into: samples, frames: frames)
    }
    public func wait(timeoutMilliseconds: Int32) -> Int32 { handle.wait(timeoutMilliseconds: timeoutMilliseconds) }
    public func availableFrames() -> Int { handle.availableFrames() }
    public func recover(fromError error: Int32) -> Int32 { handle.recover(fromError: error) }
    public func prepare() -> Int32 { handle.prepare() }
    public func start() -> Int32 { handle.start() }
    public func drop() -> Int32 { handle.drop() }
    public func drain() -> Int32 { handle.drain() }

    /// Throws `ALSAError` for a negative result of a control call (not for the real-time loop).
    public func check(_ result: Int32, _ operation: String) throws(ALSAError) {
        if result < 0 { throw ALSAError.callFailed(device: name, operation: operation, code: result) }
    }

    // MARK: Negotiation

    /// A copy of the system configuration with `file` merged over it, for `*_open_lconf` (the caller deletes it).
    static func loadConfiguration(file: String, device: String) throws(ALSAError) -> OpaquePointer {
        var top: OpaquePointer? = nil
        var result = snd_config_update_ref(&top)
        guard result >= 0, let top else {
            throw ALSAError.callFailed(device: device, operation: "snd_config_update_ref", code: result)
        }
        defer { snd_config_unref(top) }
        var copy: OpaquePointer? = nil
        result = snd_config_copy(&copy, top)
        guard result >= 0, let copy else {
            throw ALSAError.callFailed(device: device, operation: "snd_config_copy", code: result)
        }
        var input: OpaquePointer? = nil
        result = snd_input_stdio_open(&input, file, "r")
        guard result >= 0, let input else {
            snd_config_delete(copy)
            throw ALSAError.callFailed(device: device, operation: "snd_input_stdio_open(\(file))", code: result)
        }
        result = snd_config_load(copy, input)
        snd_input_close(input)
        guard result >= 0 else {
            snd_config_delete(copy)
            throw ALSAError.callFailed(device: device, operation: "snd_config_load(\(file))", code: result)
        }
        return copy
    }

    private static func negotiate(
        pcm: OpaquePointer, name: String, stream: PCMStream, configuration: PCMConfiguration
    ) throws(ALSAError) -> PCMParameters {
        func check(_ result: Int32, _ parameter: String) throws(ALSAError) {
            if result < 0 { throw ALSAError.unsupportedParameter(device: name, parameter: parameter, code: result) }
        }
        var hw: OpaquePointer? = nil
        try check(snd_pcm_hw_params_malloc(&hw), "hardware parameters (allocation)")
        defer { snd_pcm_hw_params_free(hw) }

        try check(snd_pcm_hw_params_any(pcm, hw), "hardware parameters")
        try check(
            snd_pcm_hw_params_set_rate_resample(pcm, hw, configuration.allowSoftwareResampling ? 1 : 0),
            "software resampling setting")
        try check(snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED), "interleaved access")

        guard
            let format = configuration.formatPreference.first(where: {
                snd_pcm_hw_params_test_format(pcm, hw, $0.alsaValue) == 0
            })
        else {
            throw ALSAError.unsupportedParameter(
                device: name, parameter: "sample format (FLOAT_LE, S32_LE or S16_LE)", code: -EINVAL)
        }
        try check(snd_pcm_hw_params_set_format(pcm, hw, format.alsaValue), "sample format")

        var channels = UInt32(configuration.channels)
        try check(snd_pcm_hw_params_set_channels_near(pcm, hw, &channels), "\(configuration.channels) channels")

        var rate = UInt32(configuration.sampleRate)
        var direction: Int32 = 0
        try check(snd_pcm_hw_params_set_rate_near(pcm, hw, &rate, &direction), "rate \(configuration.sampleRate) Hz")

        var period = snd_pcm_uframes_t(configuration.periodFrames)
        direction = 0
        try check(
            snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, &direction),
            "period of \(configuration.periodFrames) frames")

        var buffer = snd_pcm_uframes_t(max(configuration.bufferFrames, Int(period) * 2))
        try check(
            snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer),
            "buffer of \(configuration.bufferFrames) frames")

        try check(snd_pcm_hw_params(pcm, hw), "hardware parameters (install)")

        // Read back what was installed: the near-setters' outputs can change once later parameters are fixed.
        direction = 0
        _ = snd_pcm_hw_params_get_rate(hw, &rate, &direction)
        _ = snd_pcm_hw_params_get_channels(hw, &channels)
        direction = 0
        _ = snd_pcm_hw_params_get_period_size(hw, &period, &direction)
        _ = snd_pcm_hw_params_get_buffer_size(hw, &buffer)

        let periodFrames = Int(period)
        let bufferFrames = Int(buffer)
        let startThreshold =
            stream == .capture ? 1 : min(configuration.startThresholdFrames ?? periodFrames, bufferFrames)
        let availMin = configuration.availMinFrames ?? periodFrames

        var sw: OpaquePointer? = nil
        try check(snd_pcm_sw_params_malloc(&sw), "software parameters (allocation)")
        defer { snd_pcm_sw_params_free(sw) }
        try check(snd_pcm_sw_params_current(pcm, sw), "software parameters")
        if stream == .playback {
            try check(
                snd_pcm_sw_params_set_start_threshold(pcm, sw, snd_pcm_uframes_t(startThreshold)),
                "start threshold of \(startThreshold) frames")
        }
        try check(
            snd_pcm_sw_params_set_avail_min(pcm, sw, snd_pcm_uframes_t(availMin)), "avail-min of \(availMin) frames")
        try check(snd_pcm_sw_params(pcm, sw), "software parameters (install)")

        return PCMParameters(
            sampleRate: Int(rate), channels: Int(channels), format: format, periodFrames: periodFrames,
            bufferFrames: bufferFrames, startThresholdFrames: startThreshold, availMinFrames: availMin)
    }
}
