import EarshotDSP
import EarshotRealtime
import Foundation

/// Test producer: keeps a ring buffer filled with a sine to `targetFrames` from an ordinary thread, the way the
/// receiver's decoder thread will. Start, then `stop()` before deallocating the ring.
final class ToneProducer: @unchecked Sendable {
    private let ring: RingBuffer
    private let targetFrames: Int
    private var tone: ToneGenerator
    private let stopFlag = DoneFlag()
    private let finished = DispatchSemaphore(value: 0)
    private(set) var framesWritten = 0

    init(ring: RingBuffer, frequency: Double, amplitude: Float, targetFrames: Int) {
        self.ring = ring
        self.targetFrames = targetFrames
        self.tone = ToneGenerator(frequency: frequency, amplitude: amplitude, channels: ring.channels)
    }

    /// Fills the ring to the target at once (so playback starts with data), then keeps it there on a thread.
    func start() {
        topUp()
        Thread { [self] in
            while !stopFlag.load() {
                topUp()
                usleep(2_000)
            }
            finished.signal()
        }.start()
    }

    func stop() {
        stopFlag.store(true)
        finished.wait()
    }

    private func topUp() {
        let chunk = 480
        var buffer = [Float](repeating: 0, count: chunk * ring.channels)
        while ring.availableToRead() < targetFrames && ring.availableToWrite() >= chunk {
            buffer.withUnsafeMutableBufferPointer { tone.fill($0.baseAddress!, frames: chunk) }
            framesWritten += buffer.withUnsafeBufferPointer { ring.write($0.baseAddress!, frames: chunk) }
        }
    }
}
