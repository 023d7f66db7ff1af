import EarshotALSA
import Foundation
import Testing

/// The mixer wrapper without a card: the dB mapping of a control without a dB scale, and the error for a control
/// device that does not exist (a control that does is tested on the rig: `OutputVolumeRigTests`).
@Suite struct MixerControlTests {
    /// PulseAudio's own range (0 ... 65536, 65536 = 0 dB): `pactl` then shows the dB we asked for.
    @Test func decibelsMapToARawRangeOnTheCubeRootScale() {
        let pulse = 0...65_536
        #expect(MixerControl.rawVolume(decibels: 0, in: pulse) == 65_536)
        #expect(MixerControl.rawVolume(decibels: -12, in: pulse) == 41_350)  // 65536 · 10^(−12/60) = 41 350.3
        #expect(MixerControl.rawVolume(decibels: -60, in: pulse) == 6_554)
        #expect(MixerControl.rawVolume(decibels: 6, in: pulse) == 65_536, "held within the range")
        #expect(MixerControl.rawVolume(decibels: -12, in: 100...200) == 163)
        #expect(abs(MixerControl.decibels(rawVolume: 41_350, in: pulse) - -12) < 0.001)
        #expect(MixerControl.decibels(rawVolume: 0, in: pulse) == -.infinity)
        for decibels in stride(from: -60.0, through: 0, by: 0.5) {
            let raw = MixerControl.rawVolume(decibels: decibels, in: pulse)
            let back = MixerControl.decibels(rawVolume: raw, in: pulse)
            #expect(abs(back - decibels) < 0.01, "\(decibels) dB")
        }
    }

    @Test func aControlDeviceThatDoesNotExistSaysWhatToGiveInstead() {
        #expect {
            try MixerControl(control: "Master", device: "no_such_card")
        } throws: { error in
            guard case .cannotOpen(device: "no_such_card", _, let code) = error as? MixerError else { return false }
            return code < 0 && "\(error)".contains("--mixer-device") && "\(error)".contains("aplay -l")
        }
    }
}
