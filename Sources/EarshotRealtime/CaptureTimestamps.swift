/// When the captured audio entered the device: after each wake's reads, the capture thread notes how many frames it
/// has stored into the ring in all (`storedFrames`) and the CLOCK_MONOTONIC instant the next frame, the one to be
/// stored after them, entered the ADC (now, less what the device still holds: `snd_pcm_delay`). A sender stamps its
/// RTCP reports from it, so that their NTP ↔ RTP mapping is the capture instant, not the read.
///
/// Threads: the capture thread writes (`record`, a sequence-locked store of two words); any thread reads `latest`.
/// The owner (`CaptureThread`) creates it before the thread starts and destroys it after it has stopped.
public struct CaptureTimestamps: @unchecked Sendable {
    private let words = SequenceLockedWords(count: 2)

    public init() {}

    func destroy() { words.destroy() }

    @inline(__always)
    func record(storedFrames: Int, nextFrameNanoseconds: Int) {
        words.write { writer in
            writer.set(0, UInt64(bitPattern: Int64(storedFrames)))
            writer.set(1, UInt64(bitPattern: Int64(nextFrameNanoseconds)))
        }
    }

    /// The last note: frames stored so far, and when the next one entered the device (nil before the first).
    public var latest: (storedFrames: Int, nextFrameNanoseconds: Int64)? {
        let values = words.read { reader in (reader.get(0), reader.get(1)) }
        let instant = Int64(bitPattern: values.1)
        return instant == 0 ? nil : (Int(Int64(bitPattern: values.0)), instant)
    }
}
