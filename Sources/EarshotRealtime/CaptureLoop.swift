import Atomics
import CEarshotLinux
import EarshotALSA

#if canImport(Glibc)
    import Glibc
#endif

/// The state and body of the capture thread: trivial fields only, touched only by the capture thread between start
/// and join. Mirror image of `PlaybackLoop`.
struct CaptureLoop {
    let alsa: ALSACall
    let ring: RingBuffer
    let periodFrames: Int
    let channels: Int
    let waitTimeoutMilliseconds: Int32
    /// One period of interleaved samples as read from ALSA.
    let period: UnsafeMutablePointer<Float>
    let counters: CaptureCounterCells
    let stopRequested: UnsafeAtomic<Bool>
    /// Signalled (an eventfd, see `CaptureThread.FrameReady`) after a store that leaves the ring holding `frames`.
    let frameReady: CaptureThread.FrameReady?
    var inOverrun = false
    /// Where each wake notes when its audio entered the device, at `sampleRate`.
    let timestamps: CaptureTimestamps
    let sampleRate: Int
    /// Frames stored into the ring since start.
    var storedFrames = 0

    /// Runs until `stopRequested` is set (checked at least once per period) or ALSA fails unrecoverably.
    @_noLocks
    mutating func run() {
        alsa.enterRealtime()
        _ = alsa.start()
        while !stopRequested.load(ordering: .acquiring) {
            let ready = alsa.wait(timeoutMilliseconds: waitTimeoutMilliseconds)
            if ready < 0 {
                if !recover(ready) { break }
                continue
            }
            if ready == 0 { continue }
            // Take everything that is ready: a server may wake us less often than once a period.
            let waiting = alsa.available()
            if waiting < 0 {
                if !recover(Int32(truncatingIfNeeded: waiting)) { break }
                continue
            }
            var periods = max(1, waiting / periodFrames)
            var healthy = true
            while periods > 0 {
                let got = alsa.read(into: period, frames: periodFrames)
                if got < 0 {
                    if got != -Int(EAGAIN) { healthy = recover(Int32(truncatingIfNeeded: got)) }
                    break
                }
                store(frames: got)
                periods -= 1
            }
            if !healthy { break }
            stampCapture()
        }
        alsa.exitRealtime()
    }

    /// Notes when the next frame to be stored entered the device: it is the oldest of the `snd_pcm_delay` frames the
    /// device still holds (what is ready to read when it reports no delay), so it entered that long before now.
    @_noLocks
    mutating func stampCapture() {
        var held = alsa.delay()
        if held < 0 { held = max(0, alsa.available()) }
        let now = PlaybackCadence.nowNanoseconds()
        timestamps.record(storedFrames: storedFrames, nextFrameNanoseconds: now - held * 1_000_000_000 / sampleRate)
    }

    /// Moves captured frames into the ring, counting what did not fit.
    @_noLocks
    mutating func store(frames: Int) {
        let stored = ring.write(period, frames: frames)
        storedFrames += stored
        if let frameReady, ring.availableToRead() >= frameReady.frames { signal(frameReady.descriptor) }
        counters.periods.wrappingIncrement(ordering: .relaxed)
        counters.framesToRing.wrappingIncrement(by: stored, ordering: .relaxed)
        if stored < frames {
            if !inOverrun { counters.overrunEvents.wrappingIncrement(ordering: .relaxed) }
            counters.overrunFrames.wrappingIncrement(by: frames - stored, ordering: .relaxed)
            inOverrun = true
        } else {
            inOverrun = false
        }
    }

    /// One write(2) to a non-blocking eventfd: no allocation and no lock in user space, and it never waits. Hidden
    /// from the `@_noLocks` check (which cannot see into C) and paused under the RealtimeSanitizer probe, like
    /// ALSA's calls (`ALSACall`).
    @inline(__always)
    func signal(_ descriptor: Int32) {
        _unsafePerformance {
            alsa.sanitizer.disable?()
            defer { alsa.sanitizer.enable?() }
            _ = earshot_eventfd_signal(descriptor)
        }
    }

    /// Recovers from an xrun or suspend and restarts capture. Returns false (recording the error) when impossible.
    @_noLocks
    func recover(_ error: Int32) -> Bool {
        if error == -EPIPE || error == -ESTRPIPE { counters.xruns.wrappingIncrement(ordering: .relaxed) }
        var result = alsa.recover(fromError: error)
        if result >= 0 { result = alsa.start() }
        if result < 0 {
            counters.fatalError.store(Int(result), ordering: .relaxed)
            return false
        }
        return true
    }
}
