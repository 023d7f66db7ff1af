// earshot-realtime-probe: runs PlaybackThread on a PCM for a while so a test can watch it from outside, e.g. with
// clang's RealtimeSanitizer preloaded (exit 43 on any allocation, lock or blocking call in the real-time loop).
//
//   earshot-realtime-probe CONFIGURATION_FILE PCM SECONDS
//
// Prints the playback counters and exits 0; exits 2 on bad arguments or an ALSA error.
// EARSHOT_INJECT_LOOP_ALLOCATION=1 makes the loop allocate once per period (to prove the detector works): a debug
// build's test hook (`PlaybackThread.Options.injectsLoopAllocation`); a build without it exits 3 instead of running
// a loop that cannot be caught.
// Two seconds before the end the device goes into standby for 0.3 s (the feed stops so the ring drains), so the
// pause and the resume run under the sanitizer too. The output gain changes every half second (−12 dB, mute, unity),
// so its ramps run under the sanitizer as well.
import EarshotALSA
import EarshotDSP
import EarshotRealtime
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 4, let seconds = Double(arguments[3]) else {
    FileHandle.standardError.write("usage: earshot-realtime-probe CONFIGURATION_FILE PCM SECONDS\n".data(using: .utf8)!)
    exit(2)
}

do {
    let device = try PCMDevice(
        name: arguments[2], stream: .playback,
        configuration: PCMConfiguration(periodFrames: 240, bufferFrames: 1920),
        configurationFile: arguments[1])
    let ring = RingBuffer(minimumCapacity: 16_384, channels: device.parameters.channels)
    // With a cadence, so the take stamp is inside what the sanitizer watches.
    let cadence = PlaybackCadence(periodNanoseconds: 5_000_000)
    let standby = PlaybackStandby()
    let gain = PlaybackGain()
    var options = PlaybackThread.Options(cadence: cadence, standby: standby, gain: gain)
    if ProcessInfo.processInfo.environment["EARSHOT_INJECT_LOOP_ALLOCATION"] == "1" {
        #if EARSHOT_TEST_HOOKS
            options.injectsLoopAllocation = true
        #else
            let message = "EARSHOT_INJECT_LOOP_ALLOCATION needs a debug build (EARSHOT_TEST_HOOKS)\n"
            FileHandle.standardError.write(message.data(using: .utf8)!)
            exit(3)
        #endif
    }
    let playback = PlaybackThread(device: device, ring: ring, options: options)
    var tone = ToneGenerator(frequency: 997, amplitude: 0.5, channels: ring.channels)
    var chunk = [Float](repeating: 0, count: 480 * ring.channels)
    if let warning = try playback.start() { print("scheduling: \(warning)") }
    let deadline = Date().addingTimeInterval(seconds)
    var standbyAt: Date? = deadline.addingTimeInterval(-2)
    var standbyReached = false
    var gainChanges = 0
    var nextGainChange = Date().addingTimeInterval(0.5)
    while Date() < deadline {
        if Date() >= nextGainChange {
            gainChanges += 1
            gain.setTarget([0.25, 0, 1][gainChanges % 3])
            nextGainChange = nextGainChange.addingTimeInterval(0.5)
        }
        if let start = standbyAt, Date() >= start {
            standbyAt = nil
            standby.request(true)
            let giveUp = Date().addingTimeInterval(1)
            while !standby.isActive && Date() < giveUp { usleep(1_000) }
            standbyReached = standby.isActive
            usleep(300_000)
            standby.request(false)
        }
        while ring.availableToWrite() >= 480 && ring.availableToRead() < 4_800 {
            chunk.withUnsafeMutableBufferPointer { tone.fill($0.baseAddress!, frames: 480) }
            _ = chunk.withUnsafeBufferPointer { ring.write($0.baseAddress!, frames: 480) }
        }
        usleep(2_000)
    }
    let counters = playback.counters
    playback.stop()
    let stamped = cadence.refillInstant(after: 0) != nil
    cadence.destroy()
    standby.destroy()
    gain.destroy()
    ring.deallocate()
    print(
        "periods=\(counters.periods) framesFromRing=\(counters.framesFromRing)",
        "underrunEvents=\(counters.underrunEvents) xruns=\(counters.xruns) fatalError=\(counters.fatalError)",
        "takesStamped=\(stamped) standbyEntries=\(counters.standbyEntries) standbyReached=\(standbyReached)",
        "gainChanges=\(gainChanges)")
    exit(0)
} catch {
    FileHandle.standardError.write("\(error)\n".data(using: .utf8)!)
    exit(2)
}
