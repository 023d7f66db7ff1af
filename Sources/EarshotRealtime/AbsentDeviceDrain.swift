import Atomics

/// Stands in for the playback device while there is none (it failed, or is being opened again): takes whole periods
/// from the ring at the device's rate and discards them, counting the frames, and stamps the cadence as a full device
/// would, so the producer goes on receiving, deciding and decoding exactly as while playing: the stream's timing and
/// every counter carry on, and when a device is back it continues from where the stream is.
///
/// Honours standby like the playback loop: asked for standby, it stops taking once the ring holds less than a period
/// and marks standby active (the producer then waits for datagrams); asked to leave it, it marks it inactive again.
///
/// Threads: the ring's consumer. Call `takeDuePeriods` only while no playback thread runs on the same ring (after one
/// stopped and before the next starts: thread creation and join order the hand-over). Not real-time: the caller may
/// sleep between calls; what a late call owes is taken at once.
public struct AbsentDeviceDrain {
    let ring: RingBuffer
    let periodFrames: Int
    let periodNanoseconds: Int
    let deviceFrames: Int
    let cadence: PlaybackCadence?
    let standby: PlaybackStandby?
    let discardedFrames: UnsafeAtomic<Int>
    private var nextTakeNanoseconds = 0
    private let scratch: UnsafeMutablePointer<Float>

    /// `deviceFrames`: what the cadence reports the stand-in holds (the absent device's buffer, so the producer keeps
    /// the ring as it would ahead of a full device). `discardedFrames`: where the discarded frames are counted
    /// (owned by the caller).
    public init(
        ring: RingBuffer, periodFrames: Int, sampleRate: Int, deviceFrames: Int, cadence: PlaybackCadence?,
        standby: PlaybackStandby?, discardedFrames: UnsafeAtomic<Int>
    ) {
        self.ring = ring
        self.periodFrames = periodFrames
        periodNanoseconds = periodFrames * 1_000_000_000 / sampleRate
        self.deviceFrames = deviceFrames
        self.cadence = cadence
        self.standby = standby
        self.discardedFrames = discardedFrames
        scratch = .allocate(capacity: periodFrames * ring.channels)
    }

    /// Frees the scratch period. Owner, once no longer used.
    public func deallocate() { scratch.deallocate() }

    /// Starts the stand-in's clock at `nowNanoseconds` (its first take is a period later).
    public mutating func begin(nowNanoseconds: Int) {
        nextTakeNanoseconds = nowNanoseconds + periodNanoseconds
        cadence?.recordHeld(deviceHeldFrames: deviceFrames)
    }

    /// Takes the periods due by `nowNanoseconds` and returns when the next one is due.
    public mutating func takeDuePeriods(nowNanoseconds: Int) -> Int {
        if let standby {
            if standby.isRequested {
                if !standby.isActive && ring.availableToRead() < periodFrames {
                    cadence?.recordHeld(deviceHeldFrames: 0)
                    standby.markActive(true)
                }
            } else if standby.isActive {
                standby.markActive(false)
                begin(nowNanoseconds: nowNanoseconds)
            }
            if standby.isActive { return nowNanoseconds + PlaybackLoop.standbyPollNanoseconds }
        }
        var took = false
        while nextTakeNanoseconds <= nowNanoseconds {
            let frames = ring.read(into: scratch, frames: periodFrames)
            discardedFrames.wrappingIncrement(by: frames, ordering: .relaxed)
            nextTakeNanoseconds += periodNanoseconds
            took = true
        }
        if took { cadence?.recordTake(deviceHeldFrames: deviceFrames) }
        return nextTakeNanoseconds
    }
}
