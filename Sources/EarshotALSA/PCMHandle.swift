import CALSA

/// The per-period face of an open PCM: a trivial value (raw pointers and integers) that a real-time thread can copy
/// and call without reference counting, allocation or locks in Swift code.
///
/// Obtained from `PCMDevice.handle`; valid until that device is closed. Every method returns ALSA's result unchanged:
/// a count of frames, or a negative errno (`-EPIPE` underrun/overrun, `-ESTRPIPE` suspended, `-EAGAIN`, …).
/// One thread at a time: the thread that runs the PCM (the playback or capture thread).
public struct PCMHandle: @unchecked Sendable {
    @usableFromInline let pcm: OpaquePointer
    public let channels: Int
    public let format: PCMSampleFormat
    /// Scratch space for integer formats (`conversionFrames * channels` samples), nil for float.
    @usableFromInline let conversion: UnsafeMutableRawPointer?
    @usableFromInline let conversionFrames: Int

    init(pcm: OpaquePointer, channels: Int, format: PCMSampleFormat, conversionFrames: Int) {
        self.pcm = pcm
        self.channels = channels
        self.format = format
        if format == .float32LittleEndian {
            self.conversion = nil
            self.conversionFrames = 0
        } else {
            self.conversionFrames = conversionFrames
            self.conversion = UnsafeMutableRawPointer.allocate(
                byteCount: conversionFrames * channels * format.bytesPerSample, alignment: 16)
        }
    }

    /// Writes up to `frames` interleaved frames (`frames * channels` samples). Returns frames written (may be fewer
    /// than asked) or a negative errno. Blocks only if the device has less room than asked: call `wait` first.
    @inlinable
    public func writeInterleaved(_ samples: UnsafePointer<Float>, frames: Int) -> Int {
        guard let conversion else {
            return snd_pcm_writei(pcm, samples, snd_pcm_uframes_t(frames))
        }
        var done = 0
        while done < frames {
            let chunk = min(frames - done, conversionFrames)
            let source = samples + done * channels
            let count = chunk * channels
            switch format {
            case .signed16LittleEndian:
                let target = conversion.assumingMemoryBound(to: Int16.self)
                for index in 0..<count { target[index] = PCMSampleConversion.int16(from: source[index]) }
            case .signed32LittleEndian:
                let target = conversion.assumingMemoryBound(to: Int32.self)
                for index in 0..<count { target[index] = PCMSampleConversion.int32(from: source[index]) }
            case .float32LittleEndian:
                break
            }
            let written = snd_pcm_writei(pcm, conversion, snd_pcm_uframes_t(chunk))
            if written < 0 { return done > 0 ? done : written }
            done += written
            if written < chunk { break }
        }
        return done
    }

    /// Reads up to `frames` interleaved frames into `samples`. Returns frames read or a negative errno.
    @inlinable
    public func readInterleaved(into samples: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        guard let conversion else {
            return snd_pcm_readi(pcm, samples, snd_pcm_uframes_t(frames))
        }
        var done = 0
        while done < frames {
            let chunk = min(frames - done, conversionFrames)
            let got = snd_pcm_readi(pcm, conversion, snd_pcm_uframes_t(chunk))
            if got < 0 { return done > 0 ? done : got }
            let target = samples + done * channels
            let count = got * channels
            switch format {
            case .signed16LittleEndian:
                let source = conversion.assumingMemoryBound(to: Int16.self)
                for index in 0..<count { target[index] = Float(source[index]) * (1.0 / 32768.0) }
            case .signed32LittleEndian:
                let source = conversion.assumingMemoryBound(to: Int32.self)
                for index in 0..<count { target[index] = Float(Double(source[index]) * (1.0 / 2147483648.0)) }
            case .float32LittleEndian:
                break
            }
            done += got
            if got < chunk { break }
        }
        return done
    }

    /// Waits until the device can take (playback) or give (capture) at least avail-min frames.
    /// Returns 1 when ready, 0 on time-out, or a negative errno (`-EPIPE` after an xrun).
    @inlinable
    public func wait(timeoutMilliseconds: Int32) -> Int32 {
        snd_pcm_wait(pcm, timeoutMilliseconds)
    }

    /// True when the PCM is an external plugin (`ioplug`: PulseAudio's or PipeWire's `pulse`/`pipewire` PCMs): a
    /// sound server, not hardware, clocks it, and its wake-ups come from the plugin's own thread.
    public var isServerBacked: Bool { snd_pcm_type(pcm) == SND_PCM_TYPE_IOPLUG }

    /// Frames that can be written (playback) or read (capture) now, or a negative errno.
    @inlinable
    public func availableFrames() -> Int {
        snd_pcm_avail_update(pcm)
    }

    /// Frames between the application pointer and the sound leaving (playback) or entering (capture) the device,
    /// or a negative errno.
    @inlinable
    public func delayFrames() -> Int {
        var delay: snd_pcm_sframes_t = 0
        let result = snd_pcm_delay(pcm, &delay)
        return result < 0 ? Int(result) : delay
    }

    /// Recovers from `-EPIPE` (xrun), `-ESTRPIPE` (suspend) and `-EINTR` by re-preparing the PCM (silently: ALSA does
    /// not print). Returns 0 when the PCM is usable again, else the error.
    @inlinable
    public func recover(fromError error: Int32) -> Int32 {
        snd_pcm_recover(pcm, error, 1)
    }

    @inlinable public func prepare() -> Int32 { snd_pcm_prepare(pcm) }
    @inlinable public func start() -> Int32 { snd_pcm_start(pcm) }
    /// Stops at once, discarding queued frames.
    @inlinable public func drop() -> Int32 { snd_pcm_drop(pcm) }
    /// Pauses (`true`) or resumes a running PCM, keeping what is queued; a negative errno where the device cannot
    /// pause (`-ENOSYS`) or is not running (`-EBADFD`).
    @inlinable public func pause(_ paused: Bool) -> Int32 { snd_pcm_pause(pcm, paused ? 1 : 0) }
    /// Stops after queued playback frames have been played (blocks). Not for the real-time loop.
    @inlinable public func drain() -> Int32 { snd_pcm_drain(pcm) }

    func deallocateConversion() { conversion?.deallocate() }
}

/// Float ↔ integer sample conversion, clamping out-of-range input instead of trapping.
public enum PCMSampleConversion {
    @inlinable
    public static func int16(from sample: Float) -> Int16 {
        guard sample == sample else { return 0 }  // NaN
        let scaled = (sample * 32768.0).rounded()
        return Int16(max(-32768.0, min(32767.0, scaled)))
    }

    @inlinable
    public static func int32(from sample: Float) -> Int32 {
        guard sample == sample else { return 0 }  // NaN
        let scaled = (Double(sample) * 2147483648.0).rounded()
        return Int32(max(-2147483648.0, min(2147483647.0, scaled)))
    }
}
