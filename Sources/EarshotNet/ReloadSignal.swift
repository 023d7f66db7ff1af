import CEarshotLinux

/// SIGHUP as a request a loop polls ("reopen what you hold"), the daemon convention.
///
/// The handler only counts the signal (in the C shim). Install once from the main thread at start-up, before other
/// threads start; `take()` from one polling thread.
public enum ReloadSignal {
    public static func install() { earshot_install_reload_signal_handler() }

    /// Whether SIGHUP arrived since the last call (several count as one).
    public static func take() -> Bool { earshot_take_reload_signals() != 0 }
}
