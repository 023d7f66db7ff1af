import EarshotReceiver
import Testing

@Suite struct ReceiverConfigurationTests {
    static func scheduled(_ schedule: PlayoutSchedule, latency: ReceiverConfiguration.Latency = .automatic)
        -> ReceiverConfiguration
    {
        var configuration = ReceiverConfiguration(latency: latency)
        configuration.schedule = schedule
        return configuration
    }

    @Test func scheduleParsesAndValidates() throws {
        try Self.scheduled(PlayoutSchedule(syncLatencyMs: 80, outputOffsetMs: -2.5)).validate()
        #expect(try PlayoutSchedule.clockSource(parsing: "Sender") == .sender)
        #expect(throws: ReceiverConfigurationError.self) { try PlayoutSchedule.clockSource(parsing: "ptp") }
    }

    @Test func defaultsAreValid() throws {
        try ReceiverConfiguration().validate()
        // Standby is on by default, and 0 turns it off.
        #expect(ReceiverConfiguration().standbyAfterSeconds == 10)
        try ReceiverConfiguration(standbyAfterSeconds: 0).validate()
    }

    @Test(arguments: [
        (ReceiverConfiguration(periodMs: 0.2), "--period"),
        (ReceiverConfiguration(payloadType: 200), "--payload-type"),
        (ReceiverConfiguration(channels: 3), "--channels"),
        (ReceiverConfiguration(volumeDB: 40), "--volume"),
        (ReceiverConfiguration(minimumLatencyMs: 50, maximumLatencyMs: 10), "--min-latency"),
        (ReceiverConfiguration(latency: .fixed(milliseconds: -1)), "--latency"),
        (ReceiverConfiguration(listen: "5004"), "--listen"),
        (ReceiverConfiguration(interface: "no-such-if0"), "--interface"),
        (ReceiverConfiguration(priority: 120), "--priority"),
        (ReceiverConfiguration(standbyAfterSeconds: 0.01), "--standby-after"),
        (ReceiverConfiguration(standbyAfterSeconds: -1), "--standby-after"),
        (ReceiverConfiguration(standbyAfterSeconds: .nan), "--standby-after"),
        (ReceiverConfiguration(bufferPeriods: 3, periodsPerWake: 3), "--periods-per-wake"),
        (ReceiverConfiguration(periodsPerWake: 0), "--periods-per-wake"),
        (Self.scheduled(PlayoutSchedule(syncLatencyMs: 5)), "--sync-latency"),
        (Self.scheduled(PlayoutSchedule(syncLatencyMs: .nan)), "--sync-latency"),
        (Self.scheduled(PlayoutSchedule(syncLatencyMs: 80, outputOffsetMs: 900)), "--output-offset"),
        (Self.scheduled(PlayoutSchedule(syncLatencyMs: 80), latency: .fixed(milliseconds: 20)), "--latency"),
    ])
    func badValuesNameTheFlag(configuration: ReceiverConfiguration, flag: String) {
        #expect {
            try configuration.validate()
        } throws: { error in
            "\(error)".contains(flag)
        }
    }

    @Test func latencyParses() throws {
        #expect(try ReceiverConfiguration.Latency(parsing: "auto") == .automatic)
        #expect(try ReceiverConfiguration.Latency(parsing: "25") == .fixed(milliseconds: 25))
        #expect(throws: ReceiverConfigurationError.self) { try ReceiverConfiguration.Latency(parsing: "fast") }
    }

    @Test func pacingParsesAndNamesTheFlag() throws {
        #expect(try ReceiverConfiguration.pacing(parsing: "device") == .deviceWakeups)
        #expect(try ReceiverConfiguration.pacing(parsing: "Timer") == .timer)
        #expect(try ReceiverConfiguration.pacing(parsing: "auto") == .automatic)
        #expect {
            try ReceiverConfiguration.pacing(parsing: "fast")
        } throws: { error in
            "\(error)".contains("--pacing") && "\(error)".contains("device, timer or auto")
        }
    }

    @Test func volumeIsDecibels() {
        #expect(abs(ReceiverConfiguration(volumeDB: -6.0206).linearGain - 0.5) < 1e-4)
    }
}
