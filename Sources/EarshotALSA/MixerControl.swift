import CALSA

#if canImport(Glibc)
    import Glibc
#endif

/// One playback control of a card's mixer (ALSA simple mixer, `snd_mixer_selem_*`), set in dB with a mute.
///
/// Where the control has a dB scale, the level is set in dB (rounded down to a step the control has, and held within
/// its range). Where it has none, the raw range is taken as a cube-root scale of amplitude, as alsamixer maps it and
/// as PulseAudio's own volume is (`rawVolume(decibels:in:)`). Mute uses the control's switch; a control without
/// one is turned down to its minimum instead.
///
/// Threads: one at a time, never a real-time thread (every call talks to the driver or the sound server). Open on a
/// control thread; closed when the object goes away.
public final class MixerControl: @unchecked Sendable {
    /// How the control's level is expressed.
    public enum Scale: Sendable, Equatable {
        /// The control's own dB range.
        case decibels(ClosedRange<Double>)
        /// Raw steps without a dB scale.
        case raw(ClosedRange<Int>)
    }

    /// The simple control's name (e.g. `Master`, `PCM`, `Digital`).
    public let control: String
    /// The control device (e.g. `hw:0`, `default`, or a `ctl.NAME` from the configuration).
    public let device: String
    public let scale: Scale
    /// Whether the control has a playback switch (mute).
    public let hasSwitch: Bool

    private let mixer: OpaquePointer
    private let element: OpaquePointer
    /// Private configuration tree when opened with `configurationFile`; deleted after the mixer is closed.
    private let localConfiguration: OpaquePointer?

    /// Opens `device`'s mixer and finds the simple control `control` (index 0).
    ///
    /// - Parameter configurationFile: an asoundrc-style file merged over the system configuration for this device
    ///   only (as `PCMDevice` does), e.g. to reach a `ctl.NAME` defined there.
    public init(control: String, device: String, configurationFile: String? = nil) throws(MixerError) {
        var localConfiguration: OpaquePointer? = nil
        if let configurationFile {
            do {
                localConfiguration = try PCMDevice.loadConfiguration(file: configurationFile, device: device)
            } catch {
                throw .cannotOpen(device: device, operation: "loading \(configurationFile)", code: error.code)
            }
        }
        var opened: OpaquePointer? = nil
        var result = snd_mixer_open(&opened, 0)
        guard result >= 0, let mixer = opened else {
            if let localConfiguration { snd_config_delete(localConfiguration) }
            throw .cannotOpen(device: device, operation: "snd_mixer_open", code: result)
        }
        func fail(_ operation: String, _ code: Int32) -> MixerError {
            snd_mixer_close(mixer)
            if let localConfiguration { snd_config_delete(localConfiguration) }
            return .cannotOpen(device: device, operation: operation, code: code)
        }
        if let localConfiguration {
            var ctl: OpaquePointer? = nil
            result = snd_ctl_open_lconf(&ctl, device, 0, localConfiguration)
            guard result >= 0 else { throw fail("snd_ctl_open", result) }
            var hctl: OpaquePointer? = nil
            result = snd_hctl_open_ctl(&hctl, ctl)
            guard result >= 0 else {
                snd_ctl_close(ctl)
                throw fail("snd_hctl_open_ctl", result)
            }
            // The mixer owns the hctl from here (and releases it itself when attaching fails).
            result = snd_mixer_attach_hctl(mixer, hctl)
            guard result >= 0 else { throw fail("snd_mixer_attach", result) }
        } else {
            result = snd_mixer_attach(mixer, device)
            guard result >= 0 else { throw fail("snd_mixer_attach", result) }
        }
        result = snd_mixer_selem_register(mixer, nil, nil)
        guard result >= 0 else { throw fail("snd_mixer_selem_register", result) }
        result = snd_mixer_load(mixer)
        guard result >= 0 else { throw fail("snd_mixer_load", result) }

        guard let element = Self.findElement(control, in: mixer) else {
            let available = Self.elementNames(in: mixer)
            snd_mixer_close(mixer)
            if let localConfiguration { snd_config_delete(localConfiguration) }
            throw .controlNotFound(control: control, device: device, available: available)
        }
        guard snd_mixer_selem_has_playback_volume(element) != 0 else {
            snd_mixer_close(mixer)
            if let localConfiguration { snd_config_delete(localConfiguration) }
            throw .noPlaybackVolume(control: control, device: device)
        }
        var minimum = 0
        var maximum = 0
        if snd_mixer_selem_get_playback_dB_range(element, &minimum, &maximum) == 0 && minimum < maximum {
            scale = .decibels(Double(minimum) / 100...Double(maximum) / 100)
        } else {
            _ = snd_mixer_selem_get_playback_volume_range(element, &minimum, &maximum)
            scale = .raw(minimum...max(minimum, maximum))
        }
        hasSwitch = snd_mixer_selem_has_playback_switch(element) != 0
        self.control = control
        self.device = device
        self.mixer = mixer
        self.element = element
        self.localConfiguration = localConfiguration
    }

    deinit {
        snd_mixer_close(mixer)
        if let localConfiguration { snd_config_delete(localConfiguration) }
    }

    /// Sets the level to `decibels` (held within what the control can do) and the mute. Unmuting sets the level
    /// before the switch, so the old level never sounds; muting without a switch turns the control to its minimum.
    public func set(decibels: Double, muted: Bool) throws(MixerError) {
        if muted {
            if hasSwitch {
                try setSwitch(on: false)
                try setLevel(decibels)
            } else {
                try setRaw(Self.minimumRaw(of: element))
            }
        } else {
            try setLevel(decibels)
            if hasSwitch {
                try setSwitch(on: true)
            }
        }
    }

    /// The level of the control's first channel in dB as it stands now (another program may have changed it): the
    /// control's dB, or its raw value through the cube-root scale (−∞ at the minimum).
    public func readDecibels() throws(MixerError) -> Double {
        _ = snd_mixer_handle_events(mixer)
        switch scale {
        case .decibels:
            var value = 0
            try check(
                snd_mixer_selem_get_playback_dB(element, SND_MIXER_SCHN_FRONT_LEFT, &value),
                "snd_mixer_selem_get_playback_dB")
            return Double(value) / 100
        case .raw(let range):
            var value = 0
            try check(
                snd_mixer_selem_get_playback_volume(element, SND_MIXER_SCHN_FRONT_LEFT, &value),
                "snd_mixer_selem_get_playback_volume")
            return Self.decibels(rawVolume: value, in: range)
        }
    }

    /// Whether the control's first channel is switched off now (false for a control without a switch).
    public func readMuted() throws(MixerError) -> Bool {
        guard hasSwitch else { return false }
        _ = snd_mixer_handle_events(mixer)
        var on: Int32 = 1
        try check(
            snd_mixer_selem_get_playback_switch(element, SND_MIXER_SCHN_FRONT_LEFT, &on),
            "snd_mixer_selem_get_playback_switch")
        return on == 0
    }

    /// The raw step for `decibels` on a control without a dB scale: the top of `range` is 0 dB and the fraction of
    /// the range is the cube root of the amplitude, 10^(dB/60) (alsamixer's mapping; PulseAudio's volume scale),
    /// held within the range.
    public static func rawVolume(decibels: Double, in range: ClosedRange<Int>) -> Int {
        let fraction = min(1, max(0, pow(10, decibels / 60)))
        let span = Double(range.upperBound - range.lowerBound)
        return range.lowerBound + Int((fraction * span).rounded())
    }

    /// The inverse of `rawVolume(decibels:in:)`: −∞ at the bottom of the range.
    public static func decibels(rawVolume: Int, in range: ClosedRange<Int>) -> Double {
        let span = Double(range.upperBound - range.lowerBound)
        guard span > 0, rawVolume > range.lowerBound else { return -.infinity }
        return 60 * log10(Double(min(rawVolume, range.upperBound) - range.lowerBound) / span)
    }

    // MARK: - Private

    private func setLevel(_ decibels: Double) throws(MixerError) {
        switch scale {
        case .decibels(let range):
            let held = min(range.upperBound, max(range.lowerBound, decibels))
            // Direction -1: rounded down to a step the control has, never louder than asked.
            try check(
                snd_mixer_selem_set_playback_dB_all(element, Int((held * 100).rounded()), -1),
                "snd_mixer_selem_set_playback_dB_all")
        case .raw(let range):
            try setRaw(Self.rawVolume(decibels: decibels, in: range))
        }
    }

    private func setSwitch(on: Bool) throws(MixerError) {
        try check(
            snd_mixer_selem_set_playback_switch_all(element, on ? 1 : 0), "snd_mixer_selem_set_playback_switch_all")
    }

    private func setRaw(_ value: Int) throws(MixerError) {
        try check(snd_mixer_selem_set_playback_volume_all(element, value), "snd_mixer_selem_set_playback_volume_all")
    }

    private static func minimumRaw(of element: OpaquePointer) -> Int {
        var minimum = 0
        var maximum = 0
        _ = snd_mixer_selem_get_playback_volume_range(element, &minimum, &maximum)
        return minimum
    }

    private func check(_ result: Int32, _ operation: String) throws(MixerError) {
        if result < 0 { throw .callFailed(control: control, device: device, operation: operation, code: result) }
    }

    private static func findElement(_ name: String, in mixer: OpaquePointer) -> OpaquePointer? {
        var id: OpaquePointer? = nil
        guard snd_mixer_selem_id_malloc(&id) >= 0, let id else { return nil }
        defer { snd_mixer_selem_id_free(id) }
        snd_mixer_selem_id_set_index(id, 0)
        snd_mixer_selem_id_set_name(id, name)
        return snd_mixer_find_selem(mixer, id)
    }

    private static func elementNames(in mixer: OpaquePointer) -> [String] {
        var names: [String] = []
        var element = snd_mixer_first_elem(mixer)
        while let current = element {
            if let name = snd_mixer_selem_get_name(current) { names.append(String(cString: name)) }
            element = snd_mixer_elem_next(current)
        }
        return names
    }
}
