import CEarshotLinux

/// SIGINT/SIGTERM as a flag a loop polls, for graceful shutdown of command-line tools.
///
/// The handler only sets a `volatile sig_atomic_t` (in the C shim); no `SA_RESTART`, so a blocking `ppoll`
/// returns early. Install once from the main thread at start-up; read from any thread.
public enum StopSignal {
    public static func install() { earshot_install_stop_signal_handlers() }

    public static var received: Bool { earshot_stop_signal_received() != 0 }
}
