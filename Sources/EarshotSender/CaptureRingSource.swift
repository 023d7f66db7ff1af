import Atomics
import EarshotNet
import EarshotRealtime

#if canImport(Glibc)
import Glibc
#endif

/// Audio captured by a `CaptureThread` into a `RingBuffer`, handed out one encoder frame at a time.
///
/// `read` waits until a whole frame is in the ring: the capture thread signals `frameReady` after the period that
/// completes one (`CaptureThread.FrameReady`), so the send thread wakes once per frame, as soon as it can be taken.
/// The device paces the stream: no pacer is involved. `read` returns `.endOfStream` once `stopRequested` is set (seen
/// within `stopCheckNanoseconds`), and throws `.captureStalled` when no audio came for `stallTimeout` (the capture
/// thread died or the device stopped). Send thread only; buffers are allocated in `init`.
public struct CaptureRingSource: AudioSource {
    public let channels: Int
    public let framesPerBlock: Int
    public let device: String
    private let ring: RingBuffer
    private let frameReady: WakeupEvent
    private let mixer: ChannelMixer
    private let scratch: UnsafeMutablePointer<Float>
    private let stopRequested: UnsafeAtomic<Bool>
    private let stallTimeoutNanoseconds: Int64
    /// The longest single wait for `frameReady`: how late a stop request is noticed while no audio comes.
    static let stopCheckNanoseconds: Int64 = 100_000_000
    /// The capture thread's notes of when its audio entered the device (nil: none kept).
    private let timestamps: CaptureTimestamps?
    /// Frames read from the ring since start (the capture thread counts what it stored in the same units).
    private var framesTaken = 0

    /// `ring`, `frameReady` (signalled by the capture thread filling `ring`) and `stopRequested` are owned by the
    /// caller and must outlive this source; call `deallocate()` once.
    public init(
        ring: RingBuffer, frameReady: WakeupEvent, device: String, channels: Int, framesPerBlock: Int,
        stopRequested: UnsafeAtomic<Bool>, stallTimeoutNanoseconds: Int64 = 2_000_000_000,
        timestamps: CaptureTimestamps? = nil
    ) throws(AudioSourceError) {
        self.timestamps = timestamps
        guard channels == 1 || channels == 2 else { throw .unsupportedChannels(source: device, channels: channels) }
        guard framesPerBlock > 0, framesPerBlock <= ring.capacity else { throw .invalidBlockSize(frames: framesPerBlock) }
        self.ring = ring
        self.frameReady = frameReady
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
        var waitedSince: Int64?
        while ring.availableToRead() < framesPerBlock {
            if stopRequested.load(ordering: .acquiring) { return .endOfStream }
            let now = MonotonicInstant.now().nanoseconds
            let since = waitedSince ?? now
            waitedSince = since
            guard now - since < stallTimeoutNanoseconds else {
                throw .captureStalled(device: device, seconds: Int(stallTimeoutNanoseconds / 1_000_000_000))
            }
            // A signal left over from a frame already taken returns at once; the loop then waits again.
            frameReady.wait(timeoutNanoseconds: Self.stopCheckNanoseconds)
        }
        framesTaken += ring.read(into: scratch, frames: framesPerBlock)
        mixer.mix(scratch, into: buffer, frames: framesPerBlock)
        return .block
    }
}
