import Atomics

/// The output gain the playback thread ramps to (`GainRamp`): a linear factor that any thread sets, and the playback
/// thread reads once per period, so a change starts within one period and reaches its target `rampFrames` later.
///
/// Lives outside `PlaybackThread` (the owner passes it in `PlaybackThread.Options.gain`), so a thread started later on
/// a reopened device begins at the gain last set, without a ramp.
///
/// Threads: any thread calls `setTarget` and reads `target`; the owner creates it before the playback thread starts
/// and calls `destroy()` after it has stopped. A trivial value: copies share the cell. The target is stored with the
/// hand-over orderings (`handOverPublishing`, `handOverConsuming`) as the bits of a `Float`.
public struct PlaybackGain: @unchecked Sendable {
    /// 5 ms at 48 kHz: a step of any size makes no click, and the ramp ends within the period that starts it (at the
    /// receiver's default 5 ms period).
    public static let defaultRampFrames = 240

    /// Frames a change takes to reach its target.
    public let rampFrames: Int
    private let targetBits: UnsafeAtomic<UInt32>

    /// Starts at `linear` (finite, ≥ 0).
    public init(linear: Float = 1, rampFrames: Int = defaultRampFrames) {
        precondition(linear.isFinite && linear >= 0, "PlaybackGain needs a finite gain ≥ 0, not \(linear)")
        self.rampFrames = max(1, rampFrames)
        targetBits = .create(linear.bitPattern)
    }

    /// Owner only, after the playback thread has stopped.
    public func destroy() {
        targetBits.destroy()
    }

    /// Sets the gain to ramp to (finite, ≥ 0; 0 mutes). Any thread.
    public func setTarget(_ linear: Float) {
        precondition(linear.isFinite && linear >= 0, "PlaybackGain needs a finite gain ≥ 0, not \(linear)")
        targetBits.store(linear.bitPattern, ordering: .handOverPublishing)
    }

    /// The gain last set. Any thread.
    public var target: Float {
        Float(bitPattern: targetBits.load(ordering: .handOverConsuming))
    }
}
