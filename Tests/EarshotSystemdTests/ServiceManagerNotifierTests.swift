import EarshotSystemd
import EarshotTestRig
import Foundation
import Testing

/// The wrapper against libsystemd's real `sd_notify`/`sd_watchdog_enabled`, with this process's environment pointed
/// at a `NotifySocketListener` (serialized: the environment is the process's).
@Suite(.serialized) struct ServiceManagerNotifierTests {
    @Test func assignmentsAreSystemdsAndStatusIsOneLine() {
        #expect(ServiceNotification.ready.assignment == "READY=1")
        #expect(ServiceNotification.watchdog.assignment == "WATCHDOG=1")
        #expect(ServiceNotification.stopping.assignment == "STOPPING=1")
        // A second line would be read as another assignment.
        #expect(ServiceNotification.status("a\nREADY=1").assignment == "STATUS=a READY=1")
    }

    @Test func noManagerWithoutNotifySocket() throws {
        unsetenv("NOTIFY_SOCKET")
        #expect(try ServiceManagerNotifier.fromEnvironment() == nil)
    }

    @Test func sendsToTheSocketAndReadsTheWatchdogInterval() throws {
        let manager = try NotifySocketListener()
        defer {
            manager.close()
            unsetenv("NOTIFY_SOCKET")
            unsetenv("WATCHDOG_USEC")
        }
        for (name, value) in manager.environment(watchdogMicroseconds: 2_500_000) { setenv(name, value, 1) }
        let notifier = try #require(try ServiceManagerNotifier.fromEnvironment())
        #expect(notifier.watchdogIntervalMicroseconds == 2_500_000)
        try notifier.send(.ready)
        try notifier.send(.status("playing, device playing"))
        try notifier.send(.watchdog)
        _ = manager.wait(seconds: 2) { $0.text == "WATCHDOG=1" }
        #expect(manager.messages.map(\.text) == ["READY=1", "STATUS=playing, device playing", "WATCHDOG=1"])

        unsetenv("WATCHDOG_USEC")
        #expect(try ServiceManagerNotifier.fromEnvironment()?.watchdogIntervalMicroseconds == nil)
        setenv("WATCHDOG_USEC", "soon", 1)
        #expect(throws: ServiceNotificationError.invalidWatchdogInterval(value: "soon")) {
            try ServiceManagerNotifier.fromEnvironment()
        }
    }

    @Test func aVanishedManagerIsATypedError() throws {
        defer { unsetenv("NOTIFY_SOCKET") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-gone-\(UUID())").path
        setenv("NOTIFY_SOCKET", path, 1)
        let notifier = try #require(try ServiceManagerNotifier.fromEnvironment())
        #expect(throws: ServiceNotificationError.self) { try notifier.send(.watchdog) }
    }
}
