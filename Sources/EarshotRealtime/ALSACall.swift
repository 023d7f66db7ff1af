import CEarshotLinux
import EarshotALSA

/// The one door from the real-time loops into ALSA.
///
/// ALSA calls are the loops' permitted exception: the compile-time `@_noLocks` check cannot see into C (so each call
/// sits in `_unsafePerformance`), and `snd_pcm_wait`/`writei` poll, and the pulse plugin locks, inside the library
/// by design. Under the RealtimeSanitizer probe the sanitizer is paused for exactly these calls, so everything else
/// in the loops stays checked. Real-time thread only.
enum ALSACall {
    @inline(__always)
    static func wait(_ pcm: PCMHandle, timeoutMilliseconds: Int32) -> Int32 {
        _unsafePerformance {
            earshot_rtsan_disable()
            defer { earshot_rtsan_enable() }
            return pcm.wait(timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    @inline(__always)
    static func write(_ pcm: PCMHandle, _ samples: UnsafePointer<Float>, frames: Int) -> Int {
        _unsafePerformance {
            earshot_rtsan_disable()
            defer { earshot_rtsan_enable() }
            return pcm.writeInterleaved(samples, frames: frames)
        }
    }

    @inline(__always)
    static func read(_ pcm: PCMHandle, into samples: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        _unsafePerformance {
            earshot_rtsan_disable()
            defer { earshot_rtsan_enable() }
            return pcm.readInterleaved(into: samples, frames: frames)
        }
    }

    @inline(__always)
    static func recover(_ pcm: PCMHandle, fromError error: Int32) -> Int32 {
        _unsafePerformance {
            earshot_rtsan_disable()
            defer { earshot_rtsan_enable() }
            return pcm.recover(fromError: error)
        }
    }

    @inline(__always)
    static func start(_ pcm: PCMHandle) -> Int32 {
        _unsafePerformance {
            earshot_rtsan_disable()
            defer { earshot_rtsan_enable() }
            return pcm.start()
        }
    }

    @inline(__always)
    static func available(_ pcm: PCMHandle) -> Int {
        _unsafePerformance {
            earshot_rtsan_disable()
            defer { earshot_rtsan_enable() }
            return pcm.availableFrames()
        }
    }
}
