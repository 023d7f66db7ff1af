import Atomics

/// A request to stop the playback device while no stream plays, and whether the playback thread has done so.
///
/// Why: an idle receiver whose device keeps playing silence wakes about 780 times a second on the PulseAudio rig (the
/// playback thread, the producer on its cadence and the sound server's client thread), as much as while it plays:
/// on a speaker box that idles most of the day, that is CPU and power for nothing. Paused, the device wakes nobody.
///
/// Threads: the producer (or any control thread) calls `request`; only the playback thread calls `markActive`; any
/// thread may read. The owner creates it before either thread starts and calls `destroy()` after both have stopped.
/// A trivial value: copies share the cells. Both flags are stored releasing and loaded acquiring: a thread that sees a
/// new value also sees what the writer did before it.
public struct PlaybackStandby: @unchecked Sendable {
    private let requested: UnsafeAtomic<Bool>
    private let active: UnsafeAtomic<Bool>

    public init() {
        requested = .create(false)
        active = .create(false)
    }

    /// Owner only, after both threads have stopped.
    public func destroy() {
        requested.destroy()
        active.destroy()
    }

    /// Asks the playback thread to stop the device (`true`) once the ring holds less than a period, or to start it
    /// again (`false`).
    /// The playback thread looks at every wake, and every `PlaybackLoop.standbyPollNanoseconds` while stopped.
    public func request(_ standby: Bool) {
        requested.store(standby, ordering: .handOverPublishing)
    }

    /// Whether standby is asked for. Any thread.
    public var isRequested: Bool {
        requested.load(ordering: .handOverConsuming)
    }

    /// Whether the device is stopped now: the producer then has no takes to time its refills by, and waits for
    /// datagrams instead. Any thread.
    public var isActive: Bool {
        active.load(ordering: .handOverConsuming)
    }

    /// Playback thread only.
    @inline(__always)
    func markActive(_ standby: Bool) {
        active.store(standby, ordering: .handOverPublishing)
    }
}
