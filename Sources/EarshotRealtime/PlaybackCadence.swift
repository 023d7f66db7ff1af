import Atomics

#if canImport(Glibc)
    import Glibc
#endif

/// When the playback thread last took a period from the ring, so that the producer can wake once per period, just
/// before each take (`refillLeadNanoseconds`), instead of guessing the takes' phase from the ring's level; and what the
/// device held after that wake, so that the producer tops up the ring and the device together (`deviceHeldFrames`).
///
/// Why once per period: the device takes whole periods, so a producer that sleeps until the ring "should" have
/// drained to its refill level wakes a quarter more often than it refills (250 wake-ups a second against 200 refills
/// at 5 ms periods), and on a VM each wake-up costs more than the audio work it does.
///
/// Why just before the take: a frame decoded at the refill waits in the ring until the take. With the refill halfway
/// between two takes (the earlier rule) that wait was half a period, 2.5 ms of latency at the defaults; now it is the
/// lead, and the jitter buffer's delay, measured up to the refill, starts that much closer to the speaker.
/// A refill that comes late costs no audio: the playback thread holds the take back while the device still holds a
/// period, and comes back a quarter period later (`PlaybackLoop.periodsToWrite`).
///
/// Threads: only the playback thread calls `recordTake` and `recordHeld`; any thread may call `refillInstant` and
/// read `deviceHeldFrames`. The owner creates it before either thread starts and calls `destroy()` after both have
/// stopped. A trivial value: copies share the cells. Both cells are stored releasing and loaded acquiring: a thread
/// that sees a take's stamp or a level also sees what the playback thread did before it (the ring's read index).
public struct PlaybackCadence: @unchecked Sendable {
    /// The time between two of the playback thread's takes, in nanoseconds: one device period, or several
    /// (`PlaybackThread.periodsPerWake`).
    public let periodNanoseconds: Int
    /// How long before an expected take the producer refills: `refillLeadNanoseconds`, or half the time between two
    /// takes when that is shorter.
    public let refillLead: Int
    /// CLOCK_MONOTONIC nanoseconds of the last take; 0 before the first.
    private let lastTakeNanoseconds: UnsafeAtomic<Int>
    /// Frames the device held just after the last wake's writes; 0 before the first.
    private let heldFrames: UnsafeAtomic<Int>
    /// Measure what the device still holds before the sound leaves it (`snd_pcm_delay`) after every wake's writes,
    /// for `playoutAnchor` (a scheduled playout: `--sync-latency`). Off, no anchor is recorded (nothing reads it).
    public let measuresDeviceDelay: Bool
    /// (CLOCK_MONOTONIC ns, frames queued in the device ahead of the next frame written) after the last wake.
    private let anchor: SequenceLockedWords

    /// Room for the producer's wake-up and one refill (a decode takes 15–50 µs here). On the PulseAudio rig the
    /// clean latency read 1–2 ms lower at 0.3 ms than with the refill halfway (2.5 ms before the take), and no lower
    /// at 0.1 ms.
    public static let refillLeadNanoseconds = 300_000

    public init(periodNanoseconds: Int, measuresDeviceDelay: Bool = false) {
        precondition(periodNanoseconds > 0, "a period must be positive")
        self.periodNanoseconds = periodNanoseconds
        self.measuresDeviceDelay = measuresDeviceDelay
        refillLead = min(Self.refillLeadNanoseconds, periodNanoseconds / 2)
        lastTakeNanoseconds = .create(0)
        heldFrames = .create(0)
        anchor = SequenceLockedWords(count: 2)
    }

    /// Owner only, after both threads have stopped.
    public func destroy() {
        lastTakeNanoseconds.destroy()
        heldFrames.destroy()
        anchor.destroy()
    }

    /// Notes that, at `instant`, the device held `queuedFrames` before the next frame it will be given would leave
    /// it (its `snd_pcm_delay`, or what it held where that fails). Only with `measuresDeviceDelay`. Playback thread;
    /// a sequence-locked store of two words.
    @inline(__always)
    func recordPlayoutAnchor(atNanoseconds instant: Int, queuedFrames: Int) {
        anchor.write { words in
            words.set(0, UInt64(bitPattern: Int64(instant)))
            words.set(1, UInt64(bitPattern: Int64(queuedFrames)))
        }
    }

    /// When the playback thread last looked, and how many frames the device then had queued ahead of the next frame
    /// from the ring (nil before the first wake): that frame leaves the device `queuedFrames` plus the ring's
    /// level later than `nanoseconds`, at the device's rate. Any thread.
    public var playoutAnchor: (nanoseconds: Int, queuedFrames: Int)? {
        let words = anchor.read { reader in (reader.get(0), reader.get(1)) }
        let instant = Int(Int64(bitPattern: words.0))
        return instant == 0 ? nil : (instant, Int(Int64(bitPattern: words.1)))
    }

    /// Notes that the last period of this wake was taken now, leaving the device holding `deviceHeldFrames`.
    /// Playback thread; allocation- and lock-free (a vDSO clock read and two stores).
    @inline(__always)
    func recordTake(deviceHeldFrames: Int) {
        recordTake(atNanoseconds: Self.nowNanoseconds(), deviceHeldFrames: deviceHeldFrames)
    }

    /// Notes what the device holds after a wake that took nothing (no room, or the ring short of a period), so the
    /// producer does not top up against a level the device has since drained from. Playback thread; one store.
    @inline(__always)
    func recordHeld(deviceHeldFrames: Int) {
        heldFrames.store(deviceHeldFrames, ordering: .handOverPublishing)
    }

    @inline(__always)
    func recordTake(atNanoseconds instant: Int, deviceHeldFrames: Int) {
        recordHeld(deviceHeldFrames: deviceHeldFrames)
        // Releasing, paired with the acquiring load in `refillInstant`: a producer that sees this instant also sees
        // the ring's read index of the take it stamps.
        lastTakeNanoseconds.store(instant, ordering: .handOverPublishing)
    }

    /// The frames the device held after the playback thread's last wake (0 before the first): with the ring's level,
    /// what is queued ahead of the producer's next frame. Any thread.
    public var deviceHeldFrames: Int {
        heldFrames.load(ordering: .handOverConsuming)
    }

    /// The first instant after `nowNanoseconds` that lies `refillLead` before an expected take (the last take plus
    /// whole periods), or nil before the first take. Any thread.
    public func refillInstant(after nowNanoseconds: Int) -> Int? {
        let last = lastTakeNanoseconds.load(ordering: .handOverConsuming)
        guard last > 0 else { return nil }
        let first = last + periodNanoseconds - refillLead
        guard first <= nowNanoseconds else { return first }
        // A take that has not come (the device stalled, or took several periods at once): keep the phase.
        let periodsPast = (nowNanoseconds - first) / periodNanoseconds + 1
        return first + periodsPast * periodNanoseconds
    }

    /// When to refill next, for a producer that has just refilled at `nowNanoseconds`: before the first take still to
    /// come, which is the first refill instant more than half a take interval away (a take before now, or one due
    /// within the lead, was served by that refill). Nil before the first take. Any thread.
    ///
    /// Why not the first refill instant after now: a take that came a little late puts its refill instant just after
    /// a refill that has already served it, and the producer woke again for nothing: 254 wake-ups a second for 200
    /// refills on the PulseAudio rig, against 199 with this rule.
    public func nextRefillInstant(afterRefillAt nowNanoseconds: Int) -> Int? {
        refillInstant(after: nowNanoseconds + periodNanoseconds / 2)
    }

    /// CLOCK_MONOTONIC in nanoseconds. `clock_gettime` is served by the vDSO: no system call, lock or allocation, so it
    /// is hidden from the `@_noLocks` check, which cannot see into C.
    @inline(__always)
    static func nowNanoseconds() -> Int {
        _unsafePerformance {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return time.tv_sec * 1_000_000_000 + time.tv_nsec
        }
    }
}
