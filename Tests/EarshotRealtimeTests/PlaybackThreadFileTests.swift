import EarshotALSA
import EarshotRealtime
import Foundation
import Testing

/// PlaybackThread against ALSA's unpaced `file` plugin: what the thread writes is exactly what lands in the file.
@Suite struct PlaybackThreadFileTests {
    /// A 2-channel, 240 × 4-frame playback PCM that writes raw floats to a file in a fresh directory.
    struct FilePCM {
        let directory: URL
        let raw: String
        let configuration: String

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-pt-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            raw = directory.appendingPathComponent("out.raw").path
            configuration = directory.appendingPathComponent("asoundrc").path
            try "pcm.tofile { type file; slave.pcm null; file \"\(raw)\"; format raw }\n"
                .write(toFile: configuration, atomically: true, encoding: .utf8)
        }

        func openDevice() throws -> PCMDevice {
            try PCMDevice(
                name: "tofile", stream: .playback,
                configuration: PCMConfiguration(channels: 2, periodFrames: 240, bufferFrames: 960),
                configurationFile: configuration)
        }

        /// The left channel of everything written so far.
        func left() throws -> [Float] {
            let data = try Data(contentsOf: URL(fileURLWithPath: raw))
            return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }.enumerated()
                .filter { $0.offset % 2 == 0 }.map(\.element)
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func shortageIsConcealedWithAFadeThenSilenceAndCountedOnce() throws {
        let file = try FilePCM()
        defer { file.remove() }
        let device = try file.openDevice()
        let ring = RingBuffer(minimumCapacity: 4_096, channels: 2)
        defer { ring.deallocate() }
        let dataFrames = 1_000  // not a whole number of periods: the shortage starts mid-period
        let input = [Float](repeating: 0.5, count: dataFrames * 2)
        #expect(ring.write(input, frames: dataFrames) == dataFrames)

        let fadeFrames = 48
        let playback = PlaybackThread(
            device: device, ring: ring,
            options: .init(concealmentFadeFrames: fadeFrames, scheduling: .normal))
        #expect(!playback.isPacedByTimer, "the file plugin is not a sound server's: it keeps device wake-ups")
        try playback.start()
        let deadline = Date().addingTimeInterval(10)
        while playback.counters.periods < 20 && Date() < deadline { usleep(1_000) }
        playback.stop()
        let counters = playback.counters

        #expect(counters.framesFromRing == dataFrames)
        #expect(counters.underrunEvents == 1)
        #expect(counters.underrunFrames == counters.periods * 240 - dataFrames)
        #expect(counters.xruns == 0)

        let left = try file.left()
        #expect(left.count >= counters.periods * 240)
        #expect(left[0..<dataFrames].allSatisfy { $0 == 0.5 })
        // The fade starts just below the last real sample, falls monotonically and reaches silence after 48 frames.
        let fade = Array(left[dataFrames..<(dataFrames + fadeFrames)])
        #expect(fade.first! < 0.5 && fade.first! > 0.45)
        #expect(zip(fade, fade.dropFirst()).allSatisfy { $0 > $1 })
        #expect(left[(dataFrames + fadeFrames - 1)..<(counters.periods * 240)].allSatisfy { $0 == 0 })
    }

    /// The output gain lives outside the thread: a thread started on it plays at its target from the first sample
    /// (no ramp from unity), concealment included, and a second thread (a reopened device) starts where the first
    /// left it.
    @Test func aThreadStartsAtTheGainLastSetWithoutARamp() throws {
        let gain = PlaybackGain(linear: 0.25)
        defer { gain.destroy() }
        for expected: Float in [0.25, 0] {
            let file = try FilePCM()
            defer { file.remove() }
            let ring = RingBuffer(minimumCapacity: 4_096, channels: 2)
            defer { ring.deallocate() }
            #expect(ring.write([Float](repeating: 0.5, count: 1_000 * 2), frames: 1_000) == 1_000)
            let playback = PlaybackThread(
                device: try file.openDevice(), ring: ring,
                options: .init(concealmentFadeFrames: 48, scheduling: .normal, gain: gain))
            try playback.start()
            let deadline = Date().addingTimeInterval(10)
            while playback.counters.periods < 8 && Date() < deadline { usleep(1_000) }
            playback.stop()
            let left = try file.left()
            #expect(left.count >= 1_048)
            #expect(left[0..<1_000].allSatisfy { $0 == 0.5 * expected }, "gain \(expected): \(left[0..<4])")
            // The shortage's fade starts from the last frame played and is scaled alike.
            #expect(left[1_000] < 0.5 * expected || expected == 0)
            #expect(left[1_000] > 0.45 * expected || expected == 0)
            #expect(left[1_047...].allSatisfy { $0 == 0 })
            gain.setTarget(0)
        }
    }

    /// On the timer with two periods per wake-up, the thread still plays the ring in order, whole, and counts no
    /// shortage; and the periods per wake are clamped below the buffer, and are 1 on device wake-ups.
    @Test func twoPeriodsPerTimedWakePlayTheRingInOrder() throws {
        let file = try FilePCM()
        defer { file.remove() }
        let ring = RingBuffer(minimumCapacity: 8_192, channels: 2)
        defer { ring.deallocate() }
        let dataFrames = 4_800
        let input: [Float] = (0..<dataFrames).flatMap { frame -> [Float] in [Float(frame) / 8_192, 0] }
        #expect(ring.write(input, frames: dataFrames) == dataFrames)

        let playback = PlaybackThread(
            device: try file.openDevice(), ring: ring,
            options: .init(scheduling: .normal, pacing: .timer, periodsPerWake: 2))
        #expect(playback.isPacedByTimer && playback.periodsPerWake == 2)
        try playback.start()
        let deadline = Date().addingTimeInterval(10)
        while playback.counters.framesFromRing < dataFrames && Date() < deadline { usleep(1_000) }
        playback.stop()
        #expect(playback.counters.framesFromRing == dataFrames)
        #expect(playback.counters.underrunEvents == 0)
        let left = try file.left()
        #expect(left.count >= dataFrames)
        #expect(Array(left[0..<dataFrames]) == (0..<dataFrames).map { Float($0) / 8_192 })

        let clamped = PlaybackThread(
            device: try file.openDevice(), ring: ring, options: .init(pacing: .timer, periodsPerWake: 9))
        #expect(clamped.periodsPerWake == 3, "a 4-period buffer allows at most 3 periods per wake")
        let deviceWoken = PlaybackThread(
            device: try file.openDevice(), ring: ring, options: .init(pacing: .deviceWakeups, periodsPerWake: 2))
        #expect(deviceWoken.periodsPerWake == 1, "a device wakes the thread once a period")
    }

    @Test func periodsPerWakeApplyToTheTimerAndLeaveAPeriodInTheDevice() {
        #expect(PlaybackThread.periodsPerWake(requested: nil, pacedByTimer: true, bufferPeriods: 3) == 1)
        #expect(PlaybackThread.periodsPerWake(requested: 2, pacedByTimer: true, bufferPeriods: 3) == 2)
        #expect(PlaybackThread.periodsPerWake(requested: 2, pacedByTimer: true, bufferPeriods: 2) == 1)
        #expect(PlaybackThread.periodsPerWake(requested: 2, pacedByTimer: false, bufferPeriods: 6) == 1)
        #expect(PlaybackThread.periodsPerWake(requested: 5, pacedByTimer: true, bufferPeriods: 3) == 2)
    }

    /// Standby on a device that takes everything at once: the thread plays the ring down to less than a period,
    /// stops the device (the `file` plugin pauses or is dropped; either way the thread must start it again), and on
    /// resume plays on from where the ring was, with nothing lost, repeated or counted as a shortage.
    @Test func standbyStopsTheDeviceOnceTheRingIsDrainedAndResumesWhereItWas() throws {
        let file = try FilePCM()
        defer { file.remove() }
        let device = try file.openDevice()
        let ring = RingBuffer(minimumCapacity: 4_096, channels: 2)
        defer { ring.deallocate() }
        let standby = PlaybackStandby()
        defer { standby.destroy() }
        // Not a whole number of periods: 40 frames stay in the ring over the standby.
        #expect(ring.write([Float](repeating: 0.5, count: 1_000 * 2), frames: 1_000) == 1_000)
        standby.request(true)
        let playback = PlaybackThread(
            device: device, ring: ring, options: .init(scheduling: .normal, standby: standby))
        try playback.start()
        func waitUntil(_ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(10)
            while !condition() && Date() < deadline { usleep(1_000) }
            return condition()
        }
        #expect(waitUntil { standby.isActive }, "never went into standby")
        let stopped = playback.counters
        usleep(50_000)
        #expect(playback.counters.periods == stopped.periods, "the device kept playing in standby")
        #expect(stopped.framesFromRing == 960 && ring.availableToRead() == 40)
        #expect(stopped.standbyEntries == 1)

        #expect(ring.write([Float](repeating: 0.25, count: 200 * 2), frames: 200) == 200)
        standby.request(false)
        #expect(waitUntil { playback.counters.framesFromRing >= 1_200 }, "\(playback.counters)")
        #expect(waitUntil { !standby.isActive })
        // The unpaced device drains the ring at once and then conceals: only the frames up to here are judged.
        playback.stop()
        let counters = playback.counters
        #expect(counters.xruns == 0 && counters.fatalError == 0)

        let left = try file.left()
        // Whatever the device held when it stopped may or may not reach the file (paused: kept; dropped: discarded);
        // what the thread wrote after the standby starts with the 40 leftover frames and goes on with the new ones.
        let resumed = try #require(left.indices.first { left[$0] == 0.25 }, "new frames never played")
        #expect(resumed >= 40 && left[(resumed - 40)..<resumed].allSatisfy { $0 == 0.5 })
        #expect(left[resumed..<(resumed + 200)].allSatisfy { $0 == 0.25 })
        #expect(left[0..<960].allSatisfy { $0 == 0.5 })
    }
}
