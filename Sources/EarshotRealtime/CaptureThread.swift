import Atomics
import EarshotALSA

/// Captures from an ALSA PCM into a ring buffer on a dedicated real-time thread.
///
/// Each period: wait for data, read one period, push it into the ring; frames that do not fit are dropped and
/// counted as an overrun; `-EPIPE`/`-ESTRPIPE` are recovered (capture restarted) and counted as xruns.
///
/// Threads: the consumer reads the ring; `start`, `stop` and `deinit` belong to one control thread; `counters` may
/// be read from any thread.
public final class CaptureThread: @unchecked Sendable {
    /// Where the consumer waits for a whole frame: the capture thread signals the eventfd `descriptor` (owned by the
    /// caller, open until the thread stopped) after each period it stores that leaves the ring holding at least
    /// `frames`, so the consumer wakes once per frame instead of polling. Signals coalesce in the eventfd's count.
    public struct FrameReady: Sendable {
        public let descriptor: Int32
        public let frames: Int

        public init(descriptor: Int32, frames: Int) {
            self.descriptor = descriptor
            self.frames = frames
        }
    }

    public let parameters: PCMParameters
    private var lifecycle: DeviceThreadLifecycle
    private let loop: UnsafeMutablePointer<CaptureLoop>
    private let counterCells: CaptureCounterCells
    /// When the captured audio entered the device (for the sender's reports). Any thread.
    public let timestamps = CaptureTimestamps()

    /// Takes ownership of `device` (a capture PCM, closed when this object goes away). `ring` stays owned by the
    /// caller and must outlive the thread; its channel count must match the device's.
    public init(
        device: consuming PCMDevice, ring: RingBuffer, scheduling: RealtimeScheduling = .fifo(priority: 80),
        frameReady: FrameReady? = nil
    ) {
        let parameters = device.parameters
        precondition(device.stream == .capture, "CaptureThread needs a capture PCM")
        precondition(
            ring.channels == parameters.channels, "ring has \(ring.channels) channels, device \(parameters.channels)")
        self.parameters = parameters
        let period = UnsafeMutablePointer<Float>.allocate(capacity: parameters.periodFrames * parameters.channels)
        period.initialize(repeating: 0, count: parameters.periodFrames * parameters.channels)
        counterCells = CaptureCounterCells()
        let lifecycle = DeviceThreadLifecycle(device: device, scheduling: scheduling)
        loop = .allocate(capacity: 1)
        loop.initialize(
            to: CaptureLoop(
                alsa: ALSACall(pcm: lifecycle.device.handle, sanitizer: .resolve()), ring: ring,
                periodFrames: parameters.periodFrames, channels: parameters.channels,
                waitTimeoutMilliseconds: Int32(max(1, parameters.periodMilliseconds)), period: period,
                counters: counterCells, stopRequested: lifecycle.stopRequested, frameReady: frameReady,
                timestamps: timestamps, sampleRate: parameters.sampleRate))
        self.lifecycle = lifecycle
    }

    /// Any thread.
    public var counters: CaptureCounters { counterCells.snapshot() }

    /// Prepares the PCM and starts the thread. Returns the one scheduling warning to log, if any. Control thread.
    @discardableResult
    public func start() throws(ALSAError) -> String? {
        try lifecycle.start(context: UnsafeMutableRawPointer(loop)) { context in
            context!.assumingMemoryBound(to: CaptureLoop.self).pointee.run()
            return nil
        }
    }

    /// Stops the thread (within about one period) and stops the PCM. Control thread; safe when not started.
    public func stop() { lifecycle.stop() }

    deinit {
        stop()
        loop.pointee.period.deallocate()
        loop.deinitialize(count: 1)
        loop.deallocate()
        counterCells.destroy()
        timestamps.destroy()
    }
}
