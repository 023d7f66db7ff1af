import EarshotALSA

#if canImport(Glibc)
    import Glibc
#endif

/// The one door from the real-time loops into ALSA (and into the sanitizer's controls).
///
/// ALSA calls are the loops' permitted exception: the compile-time `@_noLocks` check cannot see into C (so each call
/// sits in `_unsafePerformance`), and `snd_pcm_wait`/`writei` poll, and the pulse plugin locks, inside the library
/// by design. Under the RealtimeSanitizer probe the sanitizer is paused for exactly these calls, so everything else
/// in the loops stays checked. Real-time thread only.
struct ALSACall {
    let pcm: PCMHandle
    let sanitizer: RealtimeSanitizerHooks

    @inline(__always)
    func wait(timeoutMilliseconds: Int32) -> Int32 {
        _unsafePerformance {
            sanitizer.disable?()
            defer { sanitizer.enable?() }
            return pcm.wait(timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    @inline(__always)
    func write(_ samples: UnsafePointer<Float>, frames: Int) -> Int {
        _unsafePerformance {
            sanitizer.disable?()
            defer { sanitizer.enable?() }
            return pcm.writeInterleaved(samples, frames: frames)
        }
    }

    @inline(__always)
    func read(into samples: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        _unsafePerformance {
            sanitizer.disable?()
            defer { sanitizer.enable?() }
            return pcm.readInterleaved(into: samples, frames: frames)
        }
    }

    @inline(__always)
    func available() -> Int {
        _unsafePerformance {
            sanitizer.disable?()
            defer { sanitizer.enable?() }
            return pcm.availableFrames()
        }
    }

    /// `snd_pcm_delay`: frames until the next frame written leaves the device, or a negative errno.
    @inline(__always)
    func delay() -> Int {
        _unsafePerformance {
            sanitizer.disable?()
            defer { sanitizer.enable?() }
            return pcm.delayFrames()
        }
    }

    @inline(__always)
    func recover(fromError error: Int32) -> Int32 {
        _unsafePerformance {
            sanitizer.disable?()
            defer { sanitizer.enable?() }
            return pcm.recover(fromError: error)
        }
    }

    @inline(__always)
    func start() -> Int32 {
        _unsafePerformance {
            sanitizer.disable?()
            defer { sanitizer.enable?() }
            return pcm.start()
        }
    }

    @inline(__always)
    func pause(_ paused: Bool) -> Int32 {
        _unsafePerformance {
            sanitizer.disable?()
            defer { sanitizer.enable?() }
            return pcm.pause(paused)
        }
    }

    @inline(__always)
    func drop() -> Int32 {
        _unsafePerformance {
            sanitizer.disable?()
            defer { sanitizer.enable?() }
            return pcm.drop()
        }
    }

    @inline(__always)
    func prepare() -> Int32 {
        _unsafePerformance {
            sanitizer.disable?()
            defer { sanitizer.enable?() }
            return pcm.prepare()
        }
    }

    /// Sleeps on CLOCK_MONOTONIC for `nanoseconds`: the timer-paced loop's wait for a device that will have room
    /// then (see `PlaybackThread.Pacing.timer`), the same kind of wait as `snd_pcm_wait`, so the sanitizer is paused
    /// for it too.
    @inline(__always)
    func sleepForDevice(nanoseconds: Int) {
        _unsafePerformance {
            sanitizer.disable?()
            defer { sanitizer.enable?() }
            var interval = timespec(tv_sec: nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
            _ = clock_nanosleep(CLOCK_MONOTONIC, 0, &interval, nil)
        }
    }

    /// Marks the calling thread real-time for the sanitizer (no-op without it).
    @inline(__always)
    func enterRealtime() { _unsafePerformance { sanitizer.realtimeEnter?() } }

    @inline(__always)
    func exitRealtime() { _unsafePerformance { sanitizer.realtimeExit?() } }
}
