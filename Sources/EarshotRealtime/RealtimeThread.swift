#if canImport(Glibc)
    import Glibc
#endif

/// A dedicated pthread (not a Swift concurrency task: those share a cooperative pool and may be delayed by any
/// other task) created with the requested scheduling, falling back to normal scheduling with one warning.
struct RealtimeThread {
    let thread: pthread_t

    /// Starts `entry(context)` on a new thread. Control thread only.
    static func spawn(
        scheduling: RealtimeScheduling,
        context: UnsafeMutableRawPointer,
        entry: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?
    ) -> (thread: RealtimeThread?, warning: String?, error: Int32) {
        var warning: String? = nil
        if case .fifo(let priority) = scheduling {
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            pthread_attr_setinheritsched(&attributes, Int32(PTHREAD_EXPLICIT_SCHED))
            pthread_attr_setschedpolicy(&attributes, SCHED_FIFO)
            var parameters = sched_param()
            parameters.sched_priority = priority
            pthread_attr_setschedparam(&attributes, &parameters)
            var thread = pthread_t()
            let result = pthread_create(&thread, &attributes, entry, context)
            if result == 0 { return (RealtimeThread(thread: thread), nil, 0) }
            warning = RealtimeScheduling.warning(priority: priority, code: result)
        }
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, entry, context)
        guard result == 0 else { return (nil, warning, result) }
        return (RealtimeThread(thread: thread), warning, 0)
    }

    func join() {
        pthread_join(thread, nil)
    }
}
