#if canImport(Glibc)
    import Glibc
#endif

/// clang RealtimeSanitizer (rtsan) entry points, found at run time.
///
/// In production no rtsan runtime is loaded and every hook is nil (a no-op). A test that runs a process with the
/// runtime preloaded (`LD_PRELOAD=librtsan.so`, see `RealtimeAllocationProbeTests`) gets real checks: after
/// `realtimeEnter` the sanitizer aborts the process (exit 43) on any malloc, free, lock, or blocking system call made
/// by the real-time thread outside `ALSACall`'s `disable`/`enable` bracket.
///
/// Resolved with `dlsym` once, on the control thread, when a real-time thread object is created; a trivial value the
/// loop can copy.
struct RealtimeSanitizerHooks {
    typealias Hook = @convention(c) () -> Void
    let realtimeEnter: Hook?
    let realtimeExit: Hook?
    let disable: Hook?
    let enable: Hook?

    static func resolve() -> RealtimeSanitizerHooks {
        let process = dlopen(nil, RTLD_NOW)
        func hook(_ name: String) -> Hook? {
            guard let symbol = dlsym(process, name) else { return nil }
            return unsafeBitCast(symbol, to: Hook.self)
        }
        // A preloaded runtime is not initialised by the loader (that happens via .preinit_array only in executables).
        hook("__rtsan_ensure_initialized")?()
        return RealtimeSanitizerHooks(
            realtimeEnter: hook("__rtsan_realtime_enter"), realtimeExit: hook("__rtsan_realtime_exit"),
            disable: hook("__rtsan_disable"), enable: hook("__rtsan_enable"))
    }
}
