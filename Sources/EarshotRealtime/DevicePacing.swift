import EarshotALSA

/// What wakes a playback or capture thread for its next period.
public enum DevicePacing: Sendable, Equatable {
    /// The timer for a sound server's plugin (`PCMHandle.isServerBacked`), the device otherwise.
    case automatic
    /// `snd_pcm_wait` on the device's poll descriptor: right for hardware, whose interrupt is the clock.
    case deviceWakeups
    /// A CLOCK_MONOTONIC sleep until the device will have a period (timer-based scheduling, as PulseAudio and
    /// PipeWire drive hardware themselves). For a sound server's plugin the poll descriptor is signalled by the
    /// plugin's own thread: on playback it still holds the stream lock when it wakes us (a priority-inheritance
    /// hand-over every period), and on capture, while a new stream starts, `snd_pcm_wait` spins inside the library
    /// (the descriptor stays readable while the plugin reports nothing to read). A capture thread uses the timer
    /// only until its first period has come (see `CaptureLoop.runPacedByTimerUntilFirstPeriod`).
    case timer

    /// Whether a thread on `handle` sleeps on the timer.
    func usesTimer(for handle: PCMHandle) -> Bool {
        self == .timer || (self == .automatic && handle.isServerBacked)
    }
}
