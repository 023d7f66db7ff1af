/// How far the receiver's two threads have turned: counters that only grow while each thread runs its loop, for a
/// watchdog that must not be fed by a process whose audio threads are stuck (`ReceiverLiveness`). A value; any thread.
public struct ReceiverThreadProgress: Sendable, Equatable {
    /// The playback thread's loop turns (`PlaybackCounters.turns`); nil when there is no playback thread (the caller
    /// drains the ring).
    public var playbackTurns: Int?
    /// The producer thread's wake-ups (each turn of its loop).
    public var producerWakes: Int

    public init(playbackTurns: Int?, producerWakes: Int) {
        self.playbackTurns = playbackTurns
        self.producerWakes = producerWakes
    }
}
