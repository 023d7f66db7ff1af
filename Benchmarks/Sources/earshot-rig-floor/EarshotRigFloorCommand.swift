import ArgumentParser
import EarshotALSA
import EarshotRealtime

#if canImport(Glibc)
    import Glibc
#endif

/// `earshot-rig-floor`: loops an ALSA capture device into a playback device with the given period and buffers, so
/// `earshot-latency` can measure what the rig itself costs at the same device settings as a system under test.
@main
struct EarshotRigFloorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "earshot-rig-floor",
        abstract: "Loop ALSA capture straight into ALSA playback (the latency floor of a pair of devices).",
        discussion: "Runs until SIGTERM or SIGINT, then prints the periods looped, dropped and the xruns.")

    @Option(help: "ALSA capture PCM.")
    var capture: String

    @Option(help: "ALSA playback PCM.")
    var playback: String

    @Option(help: "Period in ms (1 ... 50), for both devices.")
    var periodMs = 5.0

    @Option(help: "Capture buffer in periods (2 ... 16).")
    var captureBufferPeriods = 4

    @Option(help: "Playback buffer in periods (2 ... 16).")
    var playbackBufferPeriods = 3

    @Option(help: "Channels (1 or 2).")
    var channels = 2

    @Option(help: "SCHED_FIFO priority (0: normal scheduling).")
    var priority: Int32 = 80

    func validate() throws {
        guard (1...50).contains(periodMs) else { throw ValidationError("--period-ms \(periodMs): valid 1 ... 50") }
        guard (2...16).contains(captureBufferPeriods) else {
            throw ValidationError("--capture-buffer-periods \(captureBufferPeriods): valid 2 ... 16")
        }
        guard (2...16).contains(playbackBufferPeriods) else {
            throw ValidationError("--playback-buffer-periods \(playbackBufferPeriods): valid 2 ... 16")
        }
        guard channels == 1 || channels == 2 else { throw ValidationError("--channels \(channels): valid 1 or 2") }
    }

    func run() throws {
        let periodFrames = Int((periodMs * 48).rounded())
        let captureDevice = try PCMDevice(
            name: capture, stream: .capture,
            configuration: PCMConfiguration(
                channels: channels, periodFrames: periodFrames, bufferFrames: captureBufferPeriods * periodFrames))
        let playbackDevice = try PCMDevice(
            name: playback, stream: .playback,
            configuration: PCMConfiguration(
                channels: channels, periodFrames: periodFrames, bufferFrames: playbackBufferPeriods * periodFrames))
        guard captureDevice.parameters.periodFrames == playbackDevice.parameters.periodFrames else {
            throw ValidationError(
                "devices granted different periods: capture \(captureDevice.parameters.periodFrames), "
                    + "playback \(playbackDevice.parameters.periodFrames) frames")
        }
        let scheduling: RealtimeScheduling = priority == 0 ? .normal : .fifo(priority: priority)
        if let warning = scheduling.applyToCurrentThread() { fputs("earshot-rig-floor: \(warning)\n", stderr) }
        signal(SIGTERM) { _ in stopSignalled = 1 }
        signal(SIGINT) { _ in stopSignalled = 1 }
        var loop = DirectLoop(capture: captureDevice, playback: playbackDevice)
        try loop.run()
        print(
            "stats periods=\(loop.periods) dropped=\(loop.droppedPeriods) capture_xruns=\(loop.captureXruns) "
                + "playback_xruns=\(loop.playbackXruns)")
    }
}
