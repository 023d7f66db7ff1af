import EarshotALSA
import EarshotRealtime

#if canImport(Glibc)
    import Glibc
#endif

/// Where the receiver's output volume lives and goes: the volume last set, the software gain the playback thread
/// ramps to (`PlaybackGain`) or the card's mixer control that takes the volume instead, and the state file that keeps
/// it across restarts.
///
/// Threads: `volume` and `set` from any thread but a real-time one (the mixer and the file block); a lock makes each
/// change whole (mixer or gain, then the file) before the next. `gain` goes to the playback thread, which only reads
/// it; this object must outlive that thread (`ReceiverPipeline` stops it first).
final class OutputVolumeControl: @unchecked Sendable {
    /// The software gain: the volume's, or unity with a mixer.
    let gain: PlaybackGain
    /// Replaced by `reopenMixer()` when the card came back (its old handle is dead); under `lock`.
    private var mixer: MixerControl?
    private let mixerOpener: (() throws(MixerError) -> MixerControl)?
    let stateFile: OutputVolumeStateFile?
    /// Why the state file was not used at start (it could not be read or is corrupt), for the log.
    let loadWarning: String?
    private var current: OutputVolume
    private let lock: UnsafeMutablePointer<pthread_mutex_t>

    /// Starts at the state file's volume when it holds one, else `--volume` unmuted, and sets the mixer to it.
    /// Throws when the mixer control cannot be opened, found or set.
    init(configuration: ReceiverConfiguration) throws(MixerError) {
        var initial = OutputVolume(decibels: configuration.volumeDB)
        var loadWarning: String?
        stateFile = configuration.stateFile.map { OutputVolumeStateFile(path: $0) }
        if let stateFile {
            do {
                if let saved = try stateFile.load() { initial = saved }
            } catch {
                loadWarning = "\(error); starting at --volume \(configuration.volumeDB) dB, unmuted"
            }
        }
        if let control = configuration.mixer {
            let opener = { () throws(MixerError) -> MixerControl in
                try MixerControl(
                    control: control, device: configuration.mixerControlDevice,
                    configurationFile: configuration.deviceConfigurationFile)
            }
            mixerOpener = opener
            do {
                let mixer = try opener()
                try mixer.set(decibels: initial.decibels, muted: initial.isMuted)
                self.mixer = mixer
            } catch {
                // A card waited for (`waitsForDevice`) has no control yet either: set when it comes
                // (`reopenMixer`).
                guard configuration.waitsForDevice else { throw error }
                self.mixer = nil
            }
            gain = PlaybackGain(linear: 1)
        } else {
            mixer = nil
            mixerOpener = nil
            gain = PlaybackGain(linear: initial.linearGain)
        }
        self.loadWarning = loadWarning
        current = initial
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
        gain.destroy()
    }

    /// The gain a playback thread applies: nil with a mixer (the samples pass untouched).
    var playbackGain: PlaybackGain? { mixerOpener == nil ? gain : nil }

    /// With a mixer: opens its control again and sets it to the volume last set, for a card that came back (a DAC
    /// plugged in again starts at its own default level). Throws when the control cannot be opened or set; the old
    /// handle is kept then. Without a mixer: nothing to do.
    func reopenMixer() throws(MixerError) {
        guard let mixerOpener else { return }
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        let reopened = try mixerOpener()
        try reopened.set(decibels: current.decibels, muted: current.isMuted)
        mixer = reopened
    }

    /// The volume last set, exactly as set.
    var volume: OutputVolume {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return current
    }

    /// Applies `newVolume` (mixer, else the software gain's target), then replaces the state file. Throws
    /// `.outOfRange` or `.mixer` with nothing changed, `.notSaved` when only the file failed.
    func set(_ newVolume: OutputVolume) throws(OutputVolumeError) {
        guard newVolume.isValid else { throw .outOfRange(decibels: newVolume.decibels) }
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if let mixerOpener {
            do throws(MixerError) {
                let control: MixerControl
                if let mixer { control = mixer } else { control = try mixerOpener() }
                try control.set(decibels: newVolume.decibels, muted: newVolume.isMuted)
                mixer = control
            } catch {
                throw .mixer(error)
            }
        } else {
            gain.setTarget(newVolume.linearGain)
        }
        current = newVolume
        if let stateFile {
            do { try stateFile.save(newVolume) } catch { throw .notSaved(error) }
        }
    }
}
