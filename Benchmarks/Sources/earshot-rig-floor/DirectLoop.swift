import EarshotALSA

#if canImport(Glibc)
    import Glibc
#endif

/// Set by SIGTERM/SIGINT; the loop checks it once per capture wake-up.
nonisolated(unsafe) var stopSignalled: sig_atomic_t = 0

/// Captured periods go straight to playback, on one thread: the least any system can add between the two devices.
///
/// A period is written only if the playback buffer has room for it, otherwise it is dropped and counted. So a
/// backlog (the rig stalls each new stream for about 2 s, and a capture stream may then deliver it at once) cannot
/// pile up in front of the playback buffer, and the loop's latency stays at most one capture period plus the
/// playback buffer, however the two streams started. That bound is what a real-time system with these buffers could
/// reach, which is what the floor is for; `arecord | aplay` keeps any start-up backlog in the pipe for the whole run.
struct DirectLoop: ~Copyable {
    let capture: PCMDevice
    let playback: PCMDevice
    let period: UnsafeMutablePointer<Float>
    var periods = 0
    var droppedPeriods = 0
    var captureXruns = 0
    var playbackXruns = 0

    init(capture: consuming PCMDevice, playback: consuming PCMDevice) {
        precondition(capture.parameters.channels == playback.parameters.channels)
        precondition(capture.parameters.periodFrames == playback.parameters.periodFrames)
        let samples = capture.parameters.periodFrames * capture.parameters.channels
        period = .allocate(capacity: samples)
        period.initialize(repeating: 0, count: samples)
        self.capture = capture
        self.playback = playback
    }

    deinit { period.deallocate() }

    mutating func run() throws(ALSAError) {
        let periodFrames = capture.parameters.periodFrames
        try playback.check(playback.prepare(), "snd_pcm_prepare")
        try capture.check(capture.start(), "snd_pcm_start")
        while stopSignalled == 0 {
            let ready = capture.wait(timeoutMilliseconds: 100)
            if ready < 0 {
                recoverCapture(ready)
                continue
            }
            var waiting = capture.availableFrames()
            if waiting < 0 {
                recoverCapture(Int32(truncatingIfNeeded: waiting))
                continue
            }
            while waiting >= periodFrames {
                let got = capture.readInterleaved(into: period, frames: periodFrames)
                if got < 0 {
                    recoverCapture(Int32(truncatingIfNeeded: got))
                    break
                }
                waiting -= got
                play(frames: got)
            }
        }
    }

    mutating func play(frames: Int) {
        periods += 1
        let room = playback.availableFrames()
        if room < 0 {
            recoverPlayback(Int32(truncatingIfNeeded: room))
            // A recovered stream is empty: restart it with this period.
        } else if room < frames {
            droppedPeriods += 1
            return
        }
        let written = playback.writeInterleaved(period, frames: frames)
        if written < 0 { recoverPlayback(Int32(truncatingIfNeeded: written)) }
    }

    mutating func recoverCapture(_ error: Int32) {
        captureXruns += 1
        if capture.recover(fromError: error) >= 0 { _ = capture.start() }
    }

    mutating func recoverPlayback(_ error: Int32) {
        playbackXruns += 1
        _ = playback.recover(fromError: error)
    }
}
