import Atomics
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
    /// Wake on a timer instead of on the device's poll descriptor (`DevicePacing.timer`).
    let pacedByTimer: Bool
    /// One period's duration: the timer-paced loop's longest sleep.
    let periodNanoseconds: Int
    /// One period of interleaved samples as read from ALSA.
    let period: UnsafeMutablePointer<Float>
    let counters: CaptureCounterCells
    let stopRequested: UnsafeAtomic<Bool>
    var inOverrun = false

    /// Runs until `stopRequested` is set (checked at least once per period) or ALSA fails unrecoverably.
    @_noLocks
    mutating func run() {
        alsa.enterRealtime()
        _ = alsa.start()
        if pacedByTimer { runPacedByTimerUntilFirstPeriod() }
        runPacedByDevice()
        alsa.exitRealtime()
    }

    /// Each turn: wait on the device's poll descriptor, then take everything that is ready.
    @_noLocks
    mutating func runPacedByDevice() {
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
            if !readPeriods(max(1, waiting / periodFrames)) { break }
        }
    }

    /// While a sound server's stream starts (PulseAudio holds a new stream for about 2 s), `snd_pcm_wait` on its
    /// plugin spins inside the library: the descriptor stays readable while the plugin reports nothing to read
    /// (measured: most of the sender's CPU time in a 10 s run). Until the first period has come, look on a timer
    /// instead: every quarter period, or when the next period should be complete. From then on the plugin's
    /// wake-ups are followed: on the timer a period is read up to a quarter period late, and the receiver saw more
    /// late packets with it.
    @_noLocks
    mutating func runPacedByTimerUntilFirstPeriod() {
        while !stopRequested.load(ordering: .acquiring) && counters.periods.load(ordering: .relaxed) == 0 {
            let waiting = alsa.available()
            if waiting < 0 {
                if !recover(Int32(truncatingIfNeeded: waiting)) { break }
                continue
            }
            let periods = waiting / periodFrames
            if periods > 0 && !readPeriods(periods) { break }
            let missingFrames = periodFrames - (waiting - periods * periodFrames)
            let nanoseconds = missingFrames * periodNanoseconds / periodFrames
            alsa.sleepForDevice(nanoseconds: max(periodNanoseconds / 4, nanoseconds))
        }
    }

    /// Reads up to `periods` periods into the ring. Returns false when the thread must end.
    @_noLocks
    mutating func readPeriods(_ periods: Int) -> Bool {
        var remaining = periods
        while remaining > 0 {
            let got = alsa.read(into: period, frames: periodFrames)
            if got < 0 {
                if got != -Int(EAGAIN) { return recover(Int32(truncatingIfNeeded: got)) }
                return true
            }
            store(frames: got)
            remaining -= 1
        }
        return true
    }

    /// Moves captured frames into the ring, counting what did not fit.
    @_noLocks
    mutating func store(frames: Int) {
        let stored = ring.write(period, frames: frames)
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
