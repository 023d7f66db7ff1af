import Atomics
import EarshotRealtime
import Foundation
import Logging
import Testing

@testable import EarshotReceiver

/// What the receiver does about a device it cannot play as asked, and the commands it runs for an amplifier.
@Suite struct PlaybackDeviceFaultTests {
    /// A device at 44.1 kHz is converted to (no refusal); one at a rate outside the range, or a device opened again
    /// at another rate than it had, is refused with what to do.
    @Test func aDeviceAtARateThatCannotBeServedIsRefusedWithWhatToDo() throws {
        #expect(throws: Never.self) { try ReceiverPipeline.checkRate(granted: 48_000, device: "hw:0") }
        #expect(throws: Never.self) { try ReceiverPipeline.checkRate(granted: 44_100, device: "hw:0") }
        let error = try #require(throws: ReceiverPipelineError.self) {
            try ReceiverPipeline.checkRate(granted: 192_000, device: "hw:1")
        }
        let text = "\(error)"
        #expect(text.contains("hw:1") && text.contains("192000 Hz") && text.contains("16000 ... 96000 Hz"), "\(text)")
        #expect(text.contains("--device-rate") && text.contains("plughw"), "the message says what to do: \(text)")
        let reopened = try #require(throws: ReceiverPipelineError.self) {
            try ReceiverPipeline.checkRate(granted: 44_100, device: "hw:1", required: 48_000)
        }
        #expect("\(reopened)".contains("48000 Hz, the rate it had before"), "\(reopened)")
    }

    @Test func theStandInForAnAbsentDeviceTakesThePeriodsAtTheDeviceRate() {
        let ring = RingBuffer(minimumCapacity: 4096, channels: 2)
        defer { ring.deallocate() }
        let discarded = UnsafeAtomic<Int>.create(0)
        defer { discarded.destroy() }
        let frames = [Float](repeating: 0.25, count: 2 * 2000)
        frames.withUnsafeBufferPointer { _ = ring.write($0.baseAddress!, frames: 2000) }
        var drain = AbsentDeviceDrain(
            ring: ring, periodFrames: 240, sampleRate: 48_000, deviceFrames: 720, cadence: nil, standby: nil,
            discardedFrames: discarded)
        defer { drain.deallocate() }
        let start = 1_000_000_000
        drain.begin(nowNanoseconds: start)
        // Nothing is due before a period has passed.
        #expect(drain.takeDuePeriods(nowNanoseconds: start + 4_000_000) == start + 5_000_000)
        #expect(discarded.load(ordering: .relaxed) == 0)
        // 22 ms later: four periods are due, taken at once, and the next is due at 25 ms.
        #expect(drain.takeDuePeriods(nowNanoseconds: start + 22_000_000) == start + 25_000_000)
        #expect(discarded.load(ordering: .relaxed) == 4 * 240)
        #expect(ring.availableToRead() == 2000 - 4 * 240)
    }

    @Test func theStandInHonoursStandbyLikeThePlaybackThread() {
        let ring = RingBuffer(minimumCapacity: 4096, channels: 2)
        defer { ring.deallocate() }
        let discarded = UnsafeAtomic<Int>.create(0)
        defer { discarded.destroy() }
        let standby = PlaybackStandby()
        defer { standby.destroy() }
        var drain = AbsentDeviceDrain(
            ring: ring, periodFrames: 240, sampleRate: 48_000, deviceFrames: 720, cadence: nil, standby: standby,
            discardedFrames: discarded)
        defer { drain.deallocate() }
        drain.begin(nowNanoseconds: 0)
        standby.request(true)
        _ = drain.takeDuePeriods(nowNanoseconds: 10_000_000)
        #expect(standby.isActive)
        standby.request(false)
        _ = drain.takeDuePeriods(nowNanoseconds: 20_000_000)
        #expect(!standby.isActive)
    }

    /// The commands run in the background with `EARSHOT_ACTIVITY` set, once per change, and `update` does not wait
    /// for them (the idle command sleeps 5 s).
    @Test func activityCommandsRunOncePerChangeWithoutWaiting() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("activity-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let commands = ActivityCommands(
            onActive: "echo \"$EARSHOT_ACTIVITY\" >> \(file)", onIdle: "echo \"$EARSHOT_ACTIVITY\" >> \(file); sleep 5",
            logger: Logger(label: "test"))
        let start = Date()
        #expect(commands.update(streamActive: false, idle: false) == nil)
        #expect(commands.update(streamActive: false, idle: true) == .idle)
        #expect(commands.update(streamActive: false, idle: true) == nil)
        usleep(200_000)
        #expect(commands.update(streamActive: true, idle: false) == .active)
        #expect(commands.update(streamActive: true, idle: false) == nil)
        #expect(Date().timeIntervalSince(start) < 2, "update waited for a command")
        usleep(300_000)
        commands.reap()
        let lines = (try String(contentsOfFile: file, encoding: .utf8)).split(separator: "\n")
        #expect(lines == ["idle", "active"])
    }
}
