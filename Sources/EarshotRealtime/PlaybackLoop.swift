import Atomics
import EarshotALSA

#if canImport(Glibc)
    import Glibc
#endif

/// The state and body of the playback thread: trivial fields only (raw pointers, integers, atomics), so the loop
/// runs without reference counting, allocation or locks. Lives in memory allocated by `PlaybackThread`; touched only
/// by the playback thread between start and join.
struct PlaybackLoop {
    let alsa: ALSACall
    let ring: RingBuffer
    let periodFrames: Int
    /// The device buffer: what it holds is its size less the room `available()` reports.
    let bufferFrames: Int
    let channels: Int
    let waitTimeoutMilliseconds: Int32
    /// Wake on a timer instead of on the device's poll descriptor (`PlaybackThread.Pacing.timer`).
    let pacedByTimer: Bool
    /// One period's duration.
    let periodNanoseconds: Int
    /// The timer-paced loop sleeps until the device has this many periods of room (`PlaybackThread.Options`).
    let periodsPerWake: Int
    /// One period of interleaved samples: what is written to ALSA.
    let period: UnsafeMutablePointer<Float>
    /// The last frame played, the starting point of the concealment fade.
    let lastFrame: UnsafeMutablePointer<Float>
    let fadeFrames: Int
    let counters: PlaybackCounterCells
    let stopRequested: UnsafeAtomic<Bool>
    /// Set (releasing) as `run` returns, for the control thread to tell a failed device from a running one.
    let ended: UnsafeAtomic<Bool>
    /// Optional copy of every period played (see `PlaybackThread.Options.tap`).
    let tap: RingBuffer?
    /// Optional stamp of each wake's takes from the ring (see `PlaybackThread.Options.cadence`).
    let cadence: PlaybackCadence?
    /// Optional request to stop the device while nothing plays (see `PlaybackThread.Options.standby`).
    let standby: PlaybackStandby?
    /// Optional output gain, ramped to by `gainRamp` (see `PlaybackThread.Options.gain`); nil plays at unity.
    let gain: PlaybackGain?
    /// Where the output gain stands, moved toward `gain`'s target once per period.
    var gainRamp: GainRamp
    #if EARSHOT_TEST_HOOKS
        /// Test hook, debug builds only (`PlaybackThread.Options.injectsLoopAllocation`): when set, each period
        /// allocates once and stores the address here, so that the allocation detector has something to catch.
        var injectedAllocationSink: UnsafeAtomic<Int>? = nil
        /// Test hook, debug builds only (`PlaybackThread.Options.stallsAfterNanoseconds`): the loop stops turning
        /// this long after it starts, as a stuck thread would, and only waits for `stopRequested`.
        var stallsAfterNanoseconds: Int? = nil
    #endif

    var hasPlayed = false
    var inUnderrun = false
    var fadePosition = 0
    var standbyState = StandbyState.off

    /// How the device was stopped for standby, which decides how it is started again.
    enum StandbyState {
        case off
        /// `snd_pcm_pause`: the queue is kept, and resuming is immediate (a sound server's plugin corks its stream).
        case paused
        /// `snd_pcm_drop`, where the device cannot pause: prepared again on resume.
        case dropped
    }

    /// How often a stopped device's thread looks for the end of standby: what it adds to the first packet's wait for a
    /// device (the jitter buffer holds its start-up delay meanwhile), at 50 wake-ups a second.
    static let standbyPollNanoseconds = 20_000_000

    /// Runs until `stopRequested` is set (checked at least once per period) or ALSA fails unrecoverably, then sets
    /// `ended`. A thread started on a standby left by an earlier one (a device released while idle and opened again)
    /// starts out of it: `holdsStandby` enters it again if it is still asked for.
    @_noLocks
    mutating func run() {
        standby?.markActive(false)
        alsa.enterRealtime()
        #if EARSHOT_TEST_HOOKS
            if let stall = stallsAfterNanoseconds { stallsAfterNanoseconds = PlaybackCadence.nowNanoseconds() + stall }
        #endif
        if pacedByTimer {
            runPacedByTimer()
        } else {
            runPacedByDevice()
        }
        alsa.exitRealtime()
        ended.store(true, ordering: .releasing)
    }

    /// Each turn: wait on the device's poll descriptor (`snd_pcm_wait`), then fill the room (see `periodsToWrite`).
    @_noLocks
    mutating func runPacedByDevice() {
        while !stopRequested.load(ordering: .acquiring) {
            #if EARSHOT_TEST_HOOKS
                if stallsForTest() { break }
            #endif
            counters.turns.wrappingIncrement(ordering: .relaxed)
            if holdsStandby() { continue }
            let ready = alsa.wait(timeoutMilliseconds: waitTimeoutMilliseconds)
            if ready < 0 {
                if !recover(ready) { break }
                continue
            }
            if ready == 0 { continue }
            // All the room there is counts: a server such as PulseAudio may wake us less often than once a period.
            let room = alsa.available()
            if room < 0 {
                if !recover(Int32(truncatingIfNeeded: room)) { break }
                continue
            }
            let periods = periodsToWrite(room: max(room, periodFrames))
            if !writePeriods(periods, room: room) { break }
            // Held back for the producer while the device still holds a period: the device would wake us again at
            // once, so wait a little on the clock instead.
            if periods < room / periodFrames { alsa.sleepForDevice(nanoseconds: periodNanoseconds / 4) }
        }
    }

    /// Each turn: fill the room (see `periodsToWrite`), then sleep until the device, draining at its rate, will have
    /// room for `periodsPerWake` periods. For a sound server's plugin: its poll descriptor is signalled by the plugin's
    /// thread, which still holds the stream lock when it wakes us, so every `snd_pcm_wait` ended in a
    /// priority-inheritance hand-over (a real-time thread blocking on a normal one), and each period cost three
    /// plugin calls. On the timer, a period costs one `avail` and one write, and they seldom meet the plugin's thread.
    /// Each period is its own write: two periods in one call made the thread on the PulseAudio rig wake once a period
    /// again (197 times a second instead of 102; each wake found a frame less than two periods of room).
    @_noLocks
    mutating func runPacedByTimer() {
        while !stopRequested.load(ordering: .acquiring) {
            #if EARSHOT_TEST_HOOKS
                if stallsForTest() { break }
            #endif
            counters.turns.wrappingIncrement(ordering: .relaxed)
            if holdsStandby() { continue }
            let room = alsa.available()
            if room < 0 {
                if !recover(Int32(truncatingIfNeeded: room)) { break }
                continue
            }
            let periods = periodsToWrite(room: room)
            if !writePeriods(periods, room: room) { break }
            // Normally the room left is under a period and the device frees the rest at its rate (a server may free it
            // in one later burst instead, then a turn finds no room and sleeps again). Held back for the producer, a
            // period or more is left: come back in a quarter period.
            let roomLeft = room - periods * periodFrames
            let missingFrames = roomLeft >= periodFrames ? 0 : periodsPerWake * periodFrames - roomLeft
            let nanoseconds = missingFrames * periodNanoseconds / periodFrames
            alsa.sleepForDevice(nanoseconds: max(periodNanoseconds / 4, nanoseconds))
        }
    }

    #if EARSHOT_TEST_HOOKS
        /// Once the stall deadline has passed (`stallsAfterNanoseconds`, made absolute in `run`), waits for
        /// `stopRequested` without turning and returns true; false before it or without the hook.
        @_noLocks
        func stallsForTest() -> Bool {
            guard let deadline = stallsAfterNanoseconds, PlaybackCadence.nowNanoseconds() >= deadline else { return false }
            while !stopRequested.load(ordering: .acquiring) { alsa.sleepForDevice(nanoseconds: 10_000_000) }
            return true
        }

    #endif

    /// Enters, keeps or leaves standby as `standby` asks; true while the device is stopped (the turn is over: the
    /// thread has slept `standbyPollNanoseconds`). It stops the device only once the ring holds less than a period,
    /// so a stream's tail is played first. After standby the device starts as at the beginning: silence until the
    /// first frame from the ring, and no shortage counted before it.
    @_noLocks
    mutating func holdsStandby() -> Bool {
        guard let standby else { return false }
        if standby.isRequested {
            if standbyState == .off {
                // Less than a period left would wait for a producer that no longer writes (time-stretched frames
                // leave any count): it plays after the standby, silence as it is by then.
                guard ring.availableToRead() < periodFrames else { return false }
                // Paused, the device keeps its queue and resumes at once (a sound server's plugin corks its stream).
                // A device that cannot pause (or is not running yet) is dropped, and prepared again on resume.
                if alsa.pause(true) == 0 {
                    standbyState = .paused
                } else {
                    _ = alsa.drop()
                    standbyState = .dropped
                    cadence?.recordHeld(deviceHeldFrames: 0)
                }
                counters.standbyEntries.wrappingIncrement(ordering: .relaxed)
                standby.markActive(true)
            }
            alsa.sleepForDevice(nanoseconds: Self.standbyPollNanoseconds)
            return true
        }
        guard standbyState != .off else { return false }
        if standbyState == .dropped || alsa.pause(false) < 0 {
            // A prepare that fails leaves the PCM unusable: the next write fails, and its recovery ends the thread
            // with the error recorded, as any other.
            _ = alsa.drop()
            _ = alsa.prepare()
            cadence?.recordHeld(deviceHeldFrames: 0)
        }
        standbyState = .off
        hasPlayed = false
        inUnderrun = false
        standby.markActive(false)
        return false
    }

    @_noLocks
    func periodsToWrite(room: Int) -> Int {
        Self.periodsToWrite(
            room: room, ringFrames: ring.availableToRead(), bufferFrames: bufferFrames, periodFrames: periodFrames,
            hasPlayed: hasPlayed)
    }

    /// How many periods to write into `room` frames of room: as many as the ring holds whole (`ringFrames`), so the
    /// ring and the device buffer together carry the margin; one more, with its shortage concealed, only when the
    /// device would otherwise be left holding less than a period. Before the first frame came from the ring
    /// (`hasPlayed` false), every period of room is filled, with silence.
    ///
    /// Why: a sound server may free the whole buffer at once, and filling all of it at every wake made the ring keep
    /// a device buffer of audio in reserve (10 ms of latency on the PulseAudio rig). A producer late by part of a
    /// period now costs nothing while the device still holds a period: the thread comes back a quarter period later.
    @_noLocks
    static func periodsToWrite(room: Int, ringFrames: Int, bufferFrames: Int, periodFrames: Int, hasPlayed: Bool)
        -> Int
    {
        let wanted = room / periodFrames
        guard wanted > 0, hasPlayed else { return wanted }
        let ready = ringFrames / periodFrames
        if ready >= wanted { return wanted }
        let heldAfterWriting = max(0, bufferFrames - room) + ready * periodFrames
        return heldAfterWriting >= periodFrames ? ready : ready + 1
    }

    /// Renders and writes `periods` periods (possibly none) into `room` frames of room, then stamps the cadence.
    /// Returns false when the thread must end.
    @_noLocks
    mutating func writePeriods(_ periods: Int, room: Int) -> Bool {
        // A batch sized before the first frame came (all the room, in silence) may meet the ring's first frames
        // halfway and then run dry: that is the lead-in, not a shortage.
        let countsShortage = hasPlayed
        var remaining = periods
        while remaining > 0 {
            renderPeriod(countsShortage: countsShortage)
            applyGain()
            if let tap { _ = tap.write(period, frames: periodFrames) }
            if !writePeriod() { return false }
            remaining -= 1
        }
        // Once per wake, after its last take: the producer times its refill from the last one only, and tops the ring
        // up against what the device now holds.
        if let cadence {
            let held = min(bufferFrames, max(0, bufferFrames - room) + periods * periodFrames)
            if periods > 0 {
                cadence.recordTake(deviceHeldFrames: held)
            } else {
                cadence.recordHeld(deviceHeldFrames: held)
            }
            if cadence.measuresDeviceDelay {
                // A scheduled playout only: what the device reports it still holds (a sound server's own queue and
                // latency included), read after the writes; what it held by our count where it reports nothing.
                let delay = alsa.delay()
                cadence.recordPlayoutAnchor(
                    atNanoseconds: PlaybackCadence.nowNanoseconds(), queuedFrames: delay >= 0 ? delay : held)
            }
        }
        return true
    }

    /// Fills `period` from the ring; any shortage becomes a short fade from the last played frame, then silence, and is
    /// counted when `countsShortage`.
    @_noLocks
    mutating func renderPeriod(countsShortage: Bool) {
        #if EARSHOT_TEST_HOOKS
            if let injectedAllocationSink {
                // Hidden from the compile-time check on purpose: it stands for a C call that allocates behind our back.
                _unsafePerformance {
                    let allocation = malloc(64)
                    injectedAllocationSink.store(Int(bitPattern: allocation), ordering: .relaxed)
                    free(allocation)
                }
            }
        #endif
        let got = ring.read(into: period, frames: periodFrames)
        if got > 0 {
            hasPlayed = true
            fadePosition = 0
            RingBuffer.copy(from: period + (got - 1) * channels, to: lastFrame, samples: channels)
            counters.framesFromRing.wrappingIncrement(by: got, ordering: .relaxed)
        }
        guard got < periodFrames else {
            inUnderrun = false
            return
        }
        let shortage = periodFrames - got
        if countsShortage {
            if !inUnderrun { counters.underrunEvents.wrappingIncrement(ordering: .relaxed) }
            counters.underrunFrames.wrappingIncrement(by: shortage, ordering: .relaxed)
            inUnderrun = true
        }
        var frame = got
        while frame < periodFrames {
            let gain: Float = fadePosition < fadeFrames ? Float(fadeFrames - fadePosition - 1) / Float(fadeFrames) : 0
            let target = period + frame * channels
            for channel in 0..<channels { target[channel] = lastFrame[channel] * gain }
            fadePosition += 1
            frame += 1
        }
    }

    /// Scales the rendered period by the output gain (concealment included): a target set since the last period
    /// starts a ramp from the gain reached (`GainRamp`). Without a `gain`, the period is left as it is.
    @_noLocks
    mutating func applyGain() {
        guard let gain else { return }
        gainRamp.retarget(gain.target)
        gainRamp.apply(to: period, frames: periodFrames, channels: channels)
    }

    /// Writes `period` to ALSA. Returns false when the thread must end (an xrun is recovered and returns true).
    @_noLocks
    mutating func writePeriod() -> Bool {
        var done = 0
        while done < periodFrames {
            let written = alsa.write(period + done * channels, frames: periodFrames - done)
            if written < 0 {
                if written == -Int(EAGAIN) { continue }
                // The device restarts from the next write; the rest of this period is lost with the xrun.
                return recover(Int32(truncatingIfNeeded: written))
            }
            done += written
        }
        counters.periods.wrappingIncrement(ordering: .relaxed)
        return true
    }

    /// Recovers from an xrun or suspend. Returns false (and records the error) when recovery is impossible.
    @_noLocks
    func recover(_ error: Int32) -> Bool {
        if error == -EPIPE || error == -ESTRPIPE { counters.xruns.wrappingIncrement(ordering: .relaxed) }
        let result = alsa.recover(fromError: error)
        if result < 0 {
            counters.fatalError.store(Int(result), ordering: .relaxed)
            return false
        }
        return true
    }
}
