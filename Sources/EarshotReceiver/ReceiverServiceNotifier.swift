import EarshotNet
import EarshotSystemd
import Logging

/// Tells the service manager that started the receiver (systemd, `Type=notify`) how it is doing: `READY=1` once
/// it runs, a `STATUS=` line (`ReceiverStatusSummary`) when it changes but at most once a second, `WATCHDOG=1` at half
/// the `WatchdogSec=` interval only while `ReceiverLiveness` sees both threads turning, and `STOPPING=1` at exit.
///
/// Threads: one control thread (the executable's main loop) calls everything; `update` at least every 100 ms
/// (a withheld watchdog is checked again at each call, so a thread that turns late still feeds it in time). Send
/// failures and a stalled thread are logged once per change, never per call.
public final class ReceiverServiceNotifier {
    private let pipeline: ReceiverPipeline
    private let notifier: ServiceManagerNotifier
    private let logger: Logger
    /// Half the watchdog interval (nil without `WatchdogSec=`).
    private let watchdogPeriodNanos: Int64?
    private let statusIntervalNanos: Int64 = 1_000_000_000
    private var liveness: ReceiverLiveness
    private var nextWatchdogNanos: Int64 = 0
    private var nextStatusNanos: Int64 = 0
    private var lastStatus = ""
    private var stalled: ReceiverLiveness.Thread?
    private var sendFailing = false

    /// Nil when no service manager started this process (no `NOTIFY_SOCKET`); a malformed `WATCHDOG_USEC` is logged
    /// and the notifier runs without a watchdog.
    public init?(pipeline: ReceiverPipeline, logger: Logger) {
        var found: ServiceManagerNotifier?
        do {
            found = try ServiceManagerNotifier.fromEnvironment()
        } catch {
            logger.warning("\(error)")
            found = ServiceManagerNotifier.withoutWatchdog()
        }
        guard let found else { return nil }
        self.pipeline = pipeline
        notifier = found
        self.logger = logger
        watchdogPeriodNanos = found.watchdogIntervalMicroseconds.map { Int64($0) * 1000 / 2 }
        liveness = ReceiverLiveness(baseline: pipeline.threadProgress)
    }

    /// `READY=1` and the first `STATUS=`: call once the sockets are bound and the device is open (or being retried).
    public func ready() {
        let now = MonotonicInstant.now().nanoseconds
        liveness = ReceiverLiveness(baseline: pipeline.threadProgress)
        send(.ready)
        if let watchdogPeriodNanos {
            nextWatchdogNanos = now + watchdogPeriodNanos
            let seconds = ReceiverStats.format(Double(watchdogPeriodNanos) / 1e9)
            logger.info("systemd watchdog: WATCHDOG=1 every \(seconds) s while the playback and producer threads turn")
        }
        update(nowNanoseconds: now)
    }

    /// Feeds the watchdog when due and both threads have turned, and sends the status line when it changed.
    public func update(nowNanoseconds now: Int64) {
        if let watchdogPeriodNanos, now >= nextWatchdogNanos {
            let progress = pipeline.threadProgress
            switch liveness.verdict(progress, deviceState: pipeline.deviceState) {
            case .alive:
                send(.watchdog)
                liveness.recordFed(progress)
                nextWatchdogNanos = now + watchdogPeriodNanos
                if let thread = stalled {
                    logger.notice("systemd watchdog: the \(thread.rawValue) thread turns again; WATCHDOG=1 resumed")
                    stalled = nil
                }
            case .stalled(let thread):
                if stalled != thread {
                    logger.error("""
                        systemd watchdog: the \(thread.rawValue) thread has not turned for \
                        \(ReceiverStats.format(Double(now - nextWatchdogNanos + watchdogPeriodNanos) / 1e9)) s; WATCHDOG=1 withheld \
                        (systemd restarts the service once WatchdogSec= passes without one)
                        """)
                    stalled = thread
                }
            }
        }
        if now >= nextStatusNanos {
            let line = ReceiverStatusSummary.line(
                stats: pipeline.stats(), stream: pipeline.stream, deviceState: pipeline.deviceState,
                stalled: stalled)
            if line != lastStatus {
                send(.status(line))
                lastStatus = line
                nextStatusNanos = now + statusIntervalNanos
            }
        }
    }

    /// `STOPPING=1`: call when a stop signal arrived, before the pipeline stops.
    public func stopping() {
        send(.stopping)
        send(.status("stopping"))
    }

    private func send(_ notification: ServiceNotification) {
        do {
            try notifier.send(notification)
            if sendFailing {
                logger.notice("sd_notify works again")
                sendFailing = false
            }
        } catch {
            if !sendFailing { logger.warning("\(error)") }
            sendFailing = true
        }
    }
}
