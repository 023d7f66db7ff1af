import Atomics
import EarshotNet
import EarshotRealtime

#if canImport(Glibc)
import Glibc
#endif

/// Audio captured by a `CaptureThread` into a `RingBuffer`, handed out one encoder frame at a time.
///
/// `read` waits until a whole frame is in the ring, then converts it to the sender's channel count. It first sleeps
/// for as long as the missing frames take to arrive at 48 frames per ms (one wake-up per frame when the device
/// delivers on time), then ¼ frame at a time, so a frame is taken at most that long after it is complete. The device paces the stream: no
/// pacer is involved. `read` returns `.endOfStream` once `stopRequested` is set, and throws `.captureStalled` when no
/// audio came for `stallTimeout` (the capture thread died or the device stopped). Send thread only; buffers are
/// allocated in `init`.
public struct CaptureRingSource: AudioSource {
    public let channels: Int
    public let framesPerBlock: Int
    public let device: String
    private let ring: RingBuffer
    private let mixer: ChannelMixer
    private let scratch: UnsafeMutablePointer<Float>
    private let stopRequested: UnsafeAtomic<Bool>
    private let stallTimeoutNanoseconds: Int64
    /// The capture thread's notes of when its audio entered the device (nil: none kept).
    private let timestamps: CaptureTimestamps?
    /// Frames read from the ring since start (the capture thread counts what it stored in the same units).
    private var framesTaken = 0

    /// `ring` and `stopRequested` are owned by the caller and must outlive this source; call `deallocate()` once.
    public init(
        ring: RingBuffer, device: String, channels: Int, framesPerBlock: Int, stopRequested: UnsafeAtomic<Bool>,
        stallTimeoutNanoseconds: Int64 = 2_000_000_000, timestamps: CaptureTimestamps? = nil
    ) throws(AudioSourceError) {
        self.timestamps = timestamps
        guard channels == 1 || channels == 2 else { throw .unsupportedChannels(source: device, channels: channels) }
        guard framesPerBlock > 0, framesPerBlock <= ring.capacity else { throw .invalidBlockSize(frames: framesPerBlock) }
        self.ring = ring
        self.device = device
        self.channels = channels
        self.framesPerBlock = framesPerBlock
        self.mixer = ChannelMixer(inputChannels: ring.channels, outputChannels: channels)
        self.scratch = .allocate(capacity: framesPerBlock * ring.channels)
        self.scratch.initialize(repeating: 0, count: framesPerBlock * ring.channels)
        self.stopRequested = stopRequested
        self.stallTimeoutNanoseconds = stallTimeoutNanoseconds
    }

    public func deallocate() { scratch.deallocate() }

    public var bufferedFrames: Int { ring.availableToRead() }

    /// From the capture thread's last note: the frames it had stored beyond what was read, and when the next one
    /// entered the device.
    public var captureInstant: (framesAhead: Int, nanoseconds: Int64)? {
        guard let latest = timestamps?.latest else { return nil }
        return (latest.storedFrames - framesTaken, latest.nextFrameNanoseconds)
    }

    public mutating func read(into buffer: UnsafeMutablePointer<Float>) throws(AudioSourceError) -> AudioSourceRead {
        let quarterFrameNanoseconds = Int64(framesPerBlock) * 1_000_000_000 / Int64(audioSourceSampleRate) / 4
        var waited: Int64 = 0
        var firstNap = true
        while true {
            let available = ring.availableToRead()
            if available >= framesPerBlock { break }
            if stopRequested.load(ordering: .acquiring) { return .endOfStream }
            guard waited < stallTimeoutNanoseconds else {
                throw .captureStalled(device: device, seconds: Int(stallTimeoutNanoseconds / 1_000_000_000))
            }
            // Polling every ¼ frame from the start cost four wake-ups per frame (most of the sender's CPU time).
            let missingNanoseconds = Int64(framesPerBlock - available) * 1_000_000_000 / Int64(audioSourceSampleRate)
            let napNanoseconds = firstNap ? max(quarterFrameNanoseconds, missingNanoseconds) : quarterFrameNanoseconds
            firstNap = false
            MonotonicInstant.sleep(nanoseconds: napNanoseconds)
            waited += napNanoseconds
        }
        framesTaken += ring.read(into: scratch, frames: framesPerBlock)
        mixer.mix(scratch, into: buffer, frames: framesPerBlock)
        return .block
    }
}
