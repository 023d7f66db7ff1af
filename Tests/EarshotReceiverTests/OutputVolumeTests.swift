import EarshotALSA
@testable import EarshotReceiver
import Foundation
import Testing

/// `ReceiverPipeline.outputVolume` / `setOutputVolume(_:)` without a device (`Output.caller`): reported back exactly
/// as set, bad values refused with nothing changed, the state file loaded over `--volume` at start and written on
/// each change, a corrupt one a warning and the defaults; and the `--mixer` flags' checks.
@Suite(.serialized) struct OutputVolumeTests {
    static func pipeline(volumeDB: Double = 0, stateFile: String? = nil) throws -> ReceiverPipeline {
        try ReceiverPipeline(
            configuration: ReceiverConfiguration(
                listen: "127.0.0.1:0", volumeDB: volumeDB, priority: 0, stateFile: stateFile),
            output: .caller)
    }

    @Test func theVolumeIsReportedBackExactlyAsSet() throws {
        let pipeline = try Self.pipeline(volumeDB: -3)
        #expect(pipeline.outputVolume == OutputVolume(decibels: -3, isMuted: false))
        for volume in [
            OutputVolume(decibels: -12.5), OutputVolume(decibels: -12.5, isMuted: true),
            OutputVolume(decibels: 0.1 + 0.2), OutputVolume(decibels: -60), OutputVolume(decibels: 20),
        ] {
            try pipeline.setOutputVolume(volume)
            #expect(pipeline.outputVolume == volume)
        }
    }

    @Test(arguments: [-60.5, 20.01, Double.nan, Double.infinity, -Double.infinity])
    func anOutOfRangeVolumeIsRefusedAndNothingChanges(decibels: Double) throws {
        let pipeline = try Self.pipeline(volumeDB: -3)
        #expect {
            try pipeline.setOutputVolume(OutputVolume(decibels: decibels, isMuted: true))
        } throws: { error in
            guard case .outOfRange = error as? OutputVolumeError else { return false }
            return "\(error)".contains("-60.0 ... 20.0 dB")
        }
        #expect(pipeline.outputVolume == OutputVolume(decibels: -3, isMuted: false))
    }

    /// A receiver sets a volume and stops; the next one, started with another `--volume`, comes back at the saved
    /// one.
    @Test func theStateFileBringsTheVolumeBackOverTheVolumeFlag() throws {
        let directory = try OutputVolumeStateFileTests.Directory()
        defer { directory.remove() }
        let path = directory.path("volume.state")
        do {
            let first = try Self.pipeline(volumeDB: -3, stateFile: path)
            #expect(try first.start().isEmpty, "a missing state file is a first start, not a warning")
            #expect(first.outputVolume == OutputVolume(decibels: -3))
            try first.setOutputVolume(OutputVolume(decibels: -12.5, isMuted: true))
            first.stop()
        }
        let second = try Self.pipeline(volumeDB: -3, stateFile: path)
        #expect(second.outputVolume == OutputVolume(decibels: -12.5, isMuted: true))
        #expect(try OutputVolumeStateFile(path: path).load() == OutputVolume(decibels: -12.5, isMuted: true))
    }

    @Test func aCorruptStateFileIsAWarningAndTheDefaultsUntilTheNextChangeReplacesIt() throws {
        let directory = try OutputVolumeStateFileTests.Directory()
        defer { directory.remove() }
        let path = directory.path("volume.state")
        try "volume_db=very loud\n".write(toFile: path, atomically: false, encoding: .utf8)
        let pipeline = try Self.pipeline(volumeDB: -3, stateFile: path)
        let warnings = try pipeline.start()
        defer { pipeline.stop() }
        #expect(warnings.count == 1)
        let warning = warnings.first ?? ""
        #expect(warning.hasPrefix("--state-file: state file \(path) is not an earshot-recv state file"), "\(warning)")
        #expect(warning.contains("line 1: volume_db 'very loud'") && warning.contains("starting at --volume -3.0 dB"))
        #expect(pipeline.outputVolume == OutputVolume(decibels: -3, isMuted: false))
        try pipeline.setOutputVolume(OutputVolume(decibels: -6))
        #expect(try OutputVolumeStateFile(path: path).load() == OutputVolume(decibels: -6))
    }

    /// A state file that cannot be written: the level still takes effect, and the error says it was not kept.
    @Test func aStateFileThatCannotBeWrittenStillChangesTheVolume() throws {
        let pipeline = try Self.pipeline(stateFile: "/nonexistent-earshot-dir/volume.state")
        #expect {
            try pipeline.setOutputVolume(OutputVolume(decibels: -9))
        } throws: { error in
            guard case .notSaved(.unwritable) = error as? OutputVolumeError else { return false }
            return "\(error)".hasPrefix("volume changed, but not saved")
        }
        #expect(pipeline.outputVolume == OutputVolume(decibels: -9))
    }

    @Test func theMixerDeviceIsTheCardOfThePlaybackDevice() {
        #expect(ReceiverConfiguration.mixerDevice(forPlaybackDevice: "hw:0") == "hw:0")
        #expect(ReceiverConfiguration.mixerDevice(forPlaybackDevice: "hw:1,0") == "hw:1")
        #expect(ReceiverConfiguration.mixerDevice(forPlaybackDevice: "plughw:2,1") == "hw:2")
        #expect(ReceiverConfiguration.mixerDevice(forPlaybackDevice: "hw:CARD=DAC,DEV=0") == "hw:CARD=DAC")
        #expect(ReceiverConfiguration.mixerDevice(forPlaybackDevice: "default") == "default")
        #expect(ReceiverConfiguration.mixerDevice(forPlaybackDevice: "spk") == "default")
        #expect(ReceiverConfiguration(device: "hw:1,0", mixer: "PCM").mixerControlDevice == "hw:1")
        #expect(ReceiverConfiguration(device: "hw:1,0", mixer: "PCM", mixerDevice: "spk").mixerControlDevice == "spk")
    }

    @Test(arguments: [
        (ReceiverConfiguration(mixerDevice: "hw:0"), "--mixer-device: needs --mixer"),
        (ReceiverConfiguration(mixer: ""), "--mixer ''"),
        (ReceiverConfiguration(mixer: "Master", mixerDevice: ""), "--mixer-device ''"),
        (ReceiverConfiguration(stateFile: ""), "--state-file ''"),
    ])
    func badVolumeFlagsNameTheFlag(configuration: ReceiverConfiguration, message: String) {
        #expect {
            try configuration.validate()
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    /// A mixer that cannot be opened is an error at start that names the device and what to give instead.
    @Test func aMixerDeviceThatDoesNotExistIsAClearErrorAtStart() {
        #expect {
            try ReceiverPipeline(
                configuration: ReceiverConfiguration(
                    listen: "127.0.0.1:0", priority: 0, mixer: "Master", mixerDevice: "no_such_card"),
                output: .caller)
        } throws: { error in
            guard case .mixer(.cannotOpen(device: "no_such_card", _, _)) = error as? ReceiverPipelineError else {
                return false
            }
            let text = "\(error)"
            return text.hasPrefix("--mixer: ALSA mixer device no_such_card") && text.contains("--mixer-device")
        }
    }
}
