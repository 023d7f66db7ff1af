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
    let mixer: MixerControl?
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
            let mixer = try MixerControl(
                control: control, device: configuration.mixerControlDevice,
                configurationFile: configuration.deviceConfigurationFile)
            try mixer.set(decibels: initial.decibels, muted: initial.isMuted)
            self.mixer = mixer
            gain = PlaybackGain(linear: 1)
        } else {
            mixer = nil
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
    var playbackGain: PlaybackGain? { mixer == nil ? gain : nil }

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
        if let mixer {
            do { try mixer.set(decibels: newVolume.decibels, muted: newVolume.isMuted) } catch { throw .mixer(error) }
        } else {
            gain.setTarget(newVolume.linearGain)
        }
        current = newVolume
        if let stateFile {
            do { try stateFile.save(newVolume) } catch { throw .notSaved(error) }
        }
    }
}
