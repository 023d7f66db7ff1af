import EarshotRealtime

#if canImport(Glibc)
import Glibc
#endif

/// A dedicated pthread for the send loop (not a Swift concurrency task: those share a cooperative pool, and a
/// pacing thread must wake on time). It asks for `scheduling` from inside the thread and reports the one warning
/// if that is refused. Start and join from the control thread.
final class SendThread {
    private final class Body {
        let scheduling: RealtimeScheduling
        let work: () -> Void
        var schedulingWarning: String?

        init(scheduling: RealtimeScheduling, work: @escaping () -> Void) {
            self.scheduling = scheduling
            self.work = work
        }
    }

    private let body: Body
    private var thread: pthread_t?

    init(scheduling: RealtimeScheduling, work: @escaping () -> Void) {
        body = Body(scheduling: scheduling, work: work)
    }

    /// Starts the thread; returns `pthread_create`'s error code (0 on success).
    func start() -> Int32 {
        var created = pthread_t()
        let context = Unmanaged.passRetained(body).toOpaque()
        let result = pthread_create(&created, nil, { context in
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            body.schedulingWarning = body.scheduling.applyToCurrentThread()
            body.work()
            return nil
        }, context)
        if result != 0 {
            Unmanaged<Body>.fromOpaque(context).release()
            return result
        }
        thread = created
        return 0
    }

    /// Waits for the loop to end. Returns the scheduling warning, if the thread had one.
    @discardableResult
    func join() -> String? {
        guard let running = thread else { return nil }
        pthread_join(running, nil)
        thread = nil
        return body.schedulingWarning
    }
}
