import Atomics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Two threads hand plain memory over through a publication under test, one value at a time: a stress test for
/// ThreadSanitizer (Tests/run-thread-sanitizer.sh) that also checks the values.
///
/// The writer thread fills a plain (non-atomic) payload with `n`, then calls `publish(n)`; the reader, on the
/// caller's thread, waits until `isPublished(n)`, checks that every word of the payload reads `n`, and acknowledges
/// with its own releasing store, after which the writer may overwrite the payload with `n + 1`. So from writer to
/// reader the payload is ordered by the publication under test alone: if it does not release and acquire,
/// ThreadSanitizer reports the reader's load of the payload as a data race (the caller's test on its stack).
///
/// `publish(n)` must make `isPublished(n)` true and leave `isPublished(n + 1)` false; values start at 1. Runs for
/// `seconds`, then gives the reader 10 s more before it reports a time-out.
enum HandOverStress {
    struct Result {
        /// Values the reader saw published and checked.
        var handOvers: Int
        /// Payload words that did not read the value just published (a stale or torn payload).
        var mismatches: Int
        /// The reader gave up waiting for a value it was promised.
        var timedOut: Bool
    }

    static let payloadWords = 8

    static func run(seconds: Double, publish: @escaping @Sendable (Int) -> Void, isPublished: (Int) -> Bool) -> Result {
        let payload = UnsafeMutablePointer<Int>.allocate(capacity: payloadWords)
        payload.initialize(repeating: 0, count: payloadWords)
        let acknowledged = UnsafeAtomic<Int>.create(0)
        let finished = UnsafeAtomic<Bool>.create(false)
        let abandoned = UnsafeAtomic<Bool>.create(false)
        defer {
            payload.deallocate()
            acknowledged.destroy()
            finished.destroy()
            abandoned.destroy()
        }
        let deadline = Date().addingTimeInterval(seconds)
        let writer = Thread {
            var value = 1
            writing: while Date() < deadline {
                for index in 0..<payloadWords { payload[index] = value }
                publish(value)
                while acknowledged.load(ordering: .acquiring) != value {
                    if abandoned.load(ordering: .relaxed) { break writing }
                    sched_yield()
                }
                value += 1
            }
            finished.store(true, ordering: .releasing)
        }
        writer.start()

        var result = Result(handOvers: 0, mismatches: 0, timedOut: false)
        let giveUp = deadline.addingTimeInterval(10)
        var expected = 1
        while true {
            if isPublished(expected) {
                for index in 0..<payloadWords where payload[index] != expected { result.mismatches += 1 }
                acknowledged.store(expected, ordering: .releasing)
                result.handOvers += 1
                expected += 1
                continue
            }
            if finished.load(ordering: .acquiring) { break }
            if Date() > giveUp {
                result.timedOut = true
                abandoned.store(true, ordering: .relaxed)
                while !finished.load(ordering: .acquiring) { sched_yield() }
                break
            }
            sched_yield()
        }
        return result
    }
}
