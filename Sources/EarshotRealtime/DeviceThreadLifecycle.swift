import Atomics
import EarshotALSA

/// The start/stop half that `PlaybackThread` and `CaptureThread` share: it owns the PCM and the stop flag, prepares
/// the device, spawns the loop's real-time thread, and on stop raises the flag, joins, and drops queued frames.
///
/// Invariant: the loop reads `stopRequested` at least once per period, so `stop()` returns within about a period.
/// Threads: control thread only (`start`, `stop`, deinit); the loop thread only reads the flag.
struct DeviceThreadLifecycle: ~Copyable {
    let device: PCMDevice
    /// Set by `stop()` (releasing), read by the loop (acquiring).
    let stopRequested: UnsafeAtomic<Bool>
    private let scheduling: RealtimeScheduling
    private var thread: RealtimeThread?

    init(device: consuming PCMDevice, scheduling: RealtimeScheduling) {
        self.device = device
        self.scheduling = scheduling
        stopRequested = .create(false)
    }

    deinit {
        stopRequested.destroy()
    }

    /// Prepares the PCM and runs `entry(context)` on a new real-time thread. Returns the one scheduling warning to
    /// log, if real-time scheduling was refused.
    mutating func start(
        context: UnsafeMutableRawPointer, entry: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?
    ) throws(ALSAError) -> String? {
        precondition(thread == nil, "\(device.name): device thread started twice")
        try device.check(device.prepare(), "snd_pcm_prepare")
        stopRequested.store(false, ordering: .releasing)
        let spawned = RealtimeThread.spawn(scheduling: scheduling, context: context, entry: entry)
        guard let started = spawned.thread else {
            throw ALSAError.callFailed(device: device.name, operation: "pthread_create", code: -spawned.error)
        }
        thread = started
        return spawned.warning
    }

    /// Asks the loop to stop, waits for it, and drops what the device still queues. Safe when not started.
    mutating func stop() {
        guard let running = thread else { return }
        stopRequested.store(true, ordering: .releasing)
        running.join()
        thread = nil
        _ = device.drop()
    }
}
