import Atomics

/// The orderings of every hand-over between the real-time threads (ring indices, cadence, standby flags): a
/// publishing store is releasing, a consuming load acquiring, so a thread that sees a value also sees what the writer
/// did before storing it.
///
/// Under `EARSHOT_TSAN_NEGATIVE_CONTROL` (Package.swift; only `Tests/run-thread-sanitizer.sh` sets it) both are
/// deliberately `.relaxed`, so that ThreadSanitizer must report the races this opens: the proof that its clean run
/// means something.
extension AtomicStoreOrdering {
    @_semantics("constant_evaluable") @_alwaysEmitIntoClient @_transparent
    static var handOverPublishing: Self {
        #if EARSHOT_TSAN_NEGATIVE_CONTROL
            .relaxed
        #else
            .releasing
        #endif
    }
}

extension AtomicLoadOrdering {
    @_semantics("constant_evaluable") @_alwaysEmitIntoClient @_transparent
    static var handOverConsuming: Self {
        #if EARSHOT_TSAN_NEGATIVE_CONTROL
            .relaxed
        #else
            .acquiring
        #endif
    }
}
