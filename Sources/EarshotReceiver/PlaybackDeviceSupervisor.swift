import Atomics
import EarshotALSA
import EarshotNet
import EarshotRealtime
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps the receiver's playback device playing for as long as the process runs: the one owner of the playback
/// thread after `start`, on a thread of its own (normal scheduling).
///
/// - A playback thread that ends by itself (the device failed beyond ALSA's recovery: unplugged, its sound server
///   gone) is noticed within `watchNanoseconds`; the device is closed, the state becomes `.lost`, and opening is
///   retried with a backoff from `firstRetryNanoseconds` doubling to `longestRetryNanoseconds`. Meanwhile an
///   `AbsentDeviceDrain` takes the ring at the device's rate, so the producer receives, decodes and counts as before.
///   The first attempt that opens the device starts a new playback thread: sound is back within a retry interval plus
///   the device's start-up.
/// - With `standbyCloses`, a device in standby (the playback thread paused it for want of a stream) is closed
///   (`.closed`) so that a DAC can power down and other programs can use it; the producer's request to leave standby
///   (the next stream's first packet, signalled on `wakeup`) opens it again at once.
/// - `requestReopen()` (SIGHUP) closes and opens the device again.
///
/// Each change of state is logged once (`device lost: …`, `device back …`); failed attempts are counted, not logged.
/// Threads: `start` and `stop` belong to the pipeline's control thread; `requestReopen`, `state` and the counters may
/// be used from any thread.
final class PlaybackDeviceSupervisor: @unchecked Sendable {
    /// Opens the configured device, checks what it granted and makes a playback thread on it (not started).
    typealias PlaybackOpener = () throws(ReceiverPipelineError) -> PlaybackThread

    static let watchNanoseconds: Int64 = 100_000_000
    static let firstRetryNanoseconds: Int64 = 250_000_000
    static let longestRetryNanoseconds: Int64 = 2_000_000_000

    let deviceName: String
    private let open: PlaybackOpener
    /// Called on the supervisor thread after a lost device plays again (e.g. to set its mixer control again).
    private let onReturn: () -> Void
    private var drain: AbsentDeviceDrain
    private let standby: PlaybackStandby?
    private let standbyCloses: Bool
    private let playbackCounters: PlaybackCounterCells
    private let wakeup: WakeupEvent
    private let logger: Logger

    private let stateCell = ManagedAtomic<UInt8>(0)
    private let stopRequested = ManagedAtomic<Bool>(false)
    private let reopenRequested = ManagedAtomic<Bool>(false)
    let losses = ManagedAtomic<Int>(0)
    let returns = ManagedAtomic<Int>(0)
    let failedOpens = ManagedAtomic<Int>(0)
    let releases = ManagedAtomic<Int>(0)
    /// Frames the stand-in discarded while there was no device (`AbsentDeviceDrain`).
    let framesWithoutDevice: UnsafeAtomic<Int>

    /// The supervisor thread's own: touched by `start` before it runs and by `stop` after it ended.
    private var playback: PlaybackThread?
    private var thread: pthread_t?
    private var lostSinceNanoseconds: Int64 = 0
    private var retryDelayNanoseconds = PlaybackDeviceSupervisor.firstRetryNanoseconds
    private var nextAttemptNanoseconds: Int64 = 0
    private var lastFailure = ""
    /// Waiting for a device that was not there at start (`start(first: nil)`): its opening is not a return.
    private var waitingSinceStart = false

    init(
        deviceName: String, open: @escaping PlaybackOpener, onReturn: @escaping () -> Void = {}, drain: AbsentDeviceDrain, standby: PlaybackStandby?,
        standbyCloses: Bool, playbackCounters: PlaybackCounterCells, framesWithoutDevice: UnsafeAtomic<Int>,
        wakeup: WakeupEvent, logger: Logger
    ) {
        self.deviceName = deviceName
        self.open = open
        self.onReturn = onReturn
        self.drain = drain
        self.standby = standby
        self.standbyCloses = standbyCloses
        self.playbackCounters = playbackCounters
        self.framesWithoutDevice = framesWithoutDevice
        self.wakeup = wakeup
        self.logger = logger
    }

    /// Where the device stands. Any thread.
    var state: PlaybackDeviceState { PlaybackDeviceState.allCases[Int(stateCell.load(ordering: .relaxed))] }

    private func publish(_ state: PlaybackDeviceState) {
        stateCell.store(UInt8(PlaybackDeviceState.allCases.firstIndex(of: state)!), ordering: .relaxed)
    }

    /// Starts `first` (opened by the caller, so that a device missing at start is the caller's error), then the
    /// supervisor thread. Without `first` (`waitingBecause` says why), the device is waited for as a lost one, but
    /// not counted as lost. Returns the playback thread's scheduling warning, if any. Control thread.
    func start(first: PlaybackThread?, waitingBecause reason: String? = nil) throws(ReceiverPipelineError) -> String? {
        precondition(thread == nil, "PlaybackDeviceSupervisor started twice")
        var warning: String?
        if let first {
            do { warning = try first.start() } catch { throw .device(error) }
            playback = first
        } else {
            let now = MonotonicInstant.now().nanoseconds
            waitingSinceStart = true
            lostSinceNanoseconds = now
            logger.warning("""
                device \(deviceName) not available at start: \(reason ?? "unknown"); waiting for it \
                (--wait-for-device): the stream is received and counted meanwhile
                """)
            becomeLost(now: now)
            nextAttemptNanoseconds = now
        }
        stopRequested.store(false, ordering: .relaxed)
        var created = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&created, nil, { context in
            let supervisor = Unmanaged<PlaybackDeviceSupervisor>.fromOpaque(context!).takeRetainedValue()
            supervisor.run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<PlaybackDeviceSupervisor>.fromOpaque(context).release()
            first?.stop()
            playback = nil
            throw .thread(code: result)
        }
        thread = created
        return warning
    }

    /// Stops the supervisor thread, then the playback thread (which drops what the device queues). Idempotent.
    /// Control thread.
    func stop() {
        if let running = thread {
            stopRequested.store(true, ordering: .releasing)
            wakeup.signal()
            pthread_join(running, nil)
            thread = nil
        }
        playback?.stop()
        playback = nil
    }

    /// Asks for the device to be closed and opened again (SIGHUP). Any thread.
    func requestReopen() {
        reopenRequested.store(true, ordering: .releasing)
        wakeup.signal()
    }

    // MARK: - Supervisor thread

    private func run() {
        while !stopRequested.load(ordering: .acquiring) {
            let now = MonotonicInstant.now().nanoseconds
            if reopenRequested.exchange(false, ordering: .acquiring) {
                logger.info("device \(deviceName): reopening (SIGHUP)")
                closePlayback()
                lastFailure = ""
                attemptOpen(now: now, after: "reopened")
            }
            let wakeAt: Int64
            switch state {
            case .playing, .standby:
                wakeAt = watch(now: now)
            case .closed:
                if standby?.isRequested == false {
                    attemptOpen(now: now, after: "opened again for a stream")
                    continue
                }
                wakeAt = now + 1_000_000_000
            case .lost:
                let nextTake = Int64(drain.takeDuePeriods(nowNanoseconds: Int(now)))
                if now >= nextAttemptNanoseconds {
                    attemptOpen(now: now, after: "back")
                    continue
                }
                wakeAt = min(nextTake, nextAttemptNanoseconds)
            }
            wakeup.wait(timeoutNanoseconds: max(0, wakeAt - MonotonicInstant.now().nanoseconds))
        }
        closePlayback()
    }

    /// Playing or in standby: notices a thread that ended by itself, and closes a device in standby when asked to.
    /// Returns when to look again.
    private func watch(now: Int64) -> Int64 {
        guard let playback else { return now }
        if playback.hasEnded {
            let code = playback.counters.fatalError
            closePlayback()
            losses.wrappingIncrement(ordering: .relaxed)
            lostSinceNanoseconds = now
            lastFailure = "ALSA error \(code) (\(ALSAError.message(for: code)))"
            logger.error("""
                device lost: \(deviceName) failed with \(lastFailure); the stream is still received and counted, \
                opening is retried every \(Self.firstRetryNanoseconds / 1_000_000) ms to \
                \(Self.longestRetryNanoseconds / 1_000_000_000) s
                """)
            lastFailure = ""
            becomeLost(now: now)
            return now
        }
        if let standby, standby.isActive {
            if standbyCloses {
                closePlayback()
                releases.wrappingIncrement(ordering: .relaxed)
                publish(.closed)
                logger.info("device \(deviceName) released while idle (--standby close)")
                return now
            }
            publish(.standby)
        } else {
            publish(.playing)
        }
        return now + Self.watchNanoseconds
    }

    private func becomeLost(now: Int64) {
        publish(.lost)
        // Each attempt would print alsa-lib's own line: the loss was logged once, and no other thread uses ALSA now.
        ALSALibraryMessages.setQuiet(true)
        drain.begin(nowNanoseconds: Int(now))
        retryDelayNanoseconds = Self.firstRetryNanoseconds
        nextAttemptNanoseconds = now + retryDelayNanoseconds
    }

    /// Opens the device and starts a playback thread; on failure the state is (or stays) `.lost`, with the next
    /// attempt scheduled with backoff.
    private func attemptOpen(now: Int64, after verb: String) {
        let wasLost = state == .lost
        do throws(ReceiverPipelineError) {
            let opened = try open()
            do { _ = try opened.start() } catch { throw .device(error) }
            playback = opened
            ALSALibraryMessages.setQuiet(false)
            playbackCounters.clearFatalError()
            publish(.playing)
            if wasLost && waitingSinceStart {
                waitingSinceStart = false
                onReturn()
                let seconds = Double(MonotonicInstant.now().nanoseconds - lostSinceNanoseconds) / 1e9
                logger.notice("device ready: \(deviceName) plays after \(ReceiverStats.format(seconds)) s of waiting for it")
            } else if wasLost {
                returns.wrappingIncrement(ordering: .relaxed)
                onReturn()
                let seconds = Double(MonotonicInstant.now().nanoseconds - lostSinceNanoseconds) / 1e9
                logger.notice("""
                    device back: \(deviceName) plays again after \(ReceiverStats.format(seconds)) s without it \
                    (\(failedOpens.load(ordering: .relaxed)) failed attempts in all)
                    """)
            } else {
                let milliseconds = (MonotonicInstant.now().nanoseconds - now) / 1_000_000
                logger.info("device \(deviceName) \(verb) (open and start took \(milliseconds) ms)")
            }
        } catch {
            failedOpens.wrappingIncrement(ordering: .relaxed)
            let failure = "\(error)"
            if !wasLost {
                lostSinceNanoseconds = now
                losses.wrappingIncrement(ordering: .relaxed)
                lastFailure = failure
                logger.error("device lost: \(deviceName) could not be \(verb): \(failure); retrying")
                becomeLost(now: now)
                return
            }
            // The first failure is the loss's; a different one later (gone → busy) is worth a line.
            if lastFailure.isEmpty {
                lastFailure = failure
                logger.debug("device \(deviceName) still missing: \(failure)")
            } else if failure != lastFailure {
                lastFailure = failure
                logger.warning("device \(deviceName) still missing: \(failure)")
            }
            retryDelayNanoseconds = min(2 * retryDelayNanoseconds, Self.longestRetryNanoseconds)
            nextAttemptNanoseconds = now + retryDelayNanoseconds
        }
    }

    /// Stops and closes the current playback thread's device, if any.
    private func closePlayback() {
        playback?.stop()
        playback = nil
    }

    deinit {
        drain.deallocate()
    }
}
