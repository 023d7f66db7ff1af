import EarshotImpairment
import Testing

@Suite struct RandomNumberGeneratorTests {
    @Test func splitMix64MatchesReferenceOutput() {
        // Reference values of Vigna's splitmix64.c for seed 0.
        var generator = SplitMix64(state: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(generator.next() == 0x06C4_5D18_8009_454F)
    }

    @Test func xoshiroUnitDrawsAreUniform() {
        var generator = Xoshiro256StarStar(seed: 1)
        var histogram = [Int](repeating: 0, count: 10)
        let count = 100_000
        for _ in 0..<count {
            let u = generator.nextUnit()
            #expect(u >= 0 && u < 1)
            histogram[Int(u * 10)] += 1
        }
        // Each decile: 10 000 ± 5σ (σ ≈ 95).
        #expect(histogram.allSatisfy { abs($0 - count / 10) < 475 })
    }
}

@Suite struct CorruptionTests {
    @Test func flipsExactlyTheRequestedBitsDeterministically() {
        let original = [UInt8](repeating: 0, count: 200)
        for seed: UInt64 in 0..<200 {
            var bytes = original
            Corruption(seed: seed, bitFlips: 1, truncate: false).apply(to: &bytes)
            #expect(bytes.count == 200)
            #expect(bytes.reduce(0) { $0 + $1.nonzeroBitCount } == 1)
            var again = original
            Corruption(seed: seed, bitFlips: 1, truncate: false).apply(to: &again)
            #expect(again == bytes)
        }
    }

    @Test func multipleFlipsChangeAtMostThatManyBits() {
        var bytes = [UInt8](repeating: 0xFF, count: 64)
        Corruption(seed: 9, bitFlips: 5, truncate: false).apply(to: &bytes)
        let flipped = bytes.reduce(0) { $0 + (8 - $1.nonzeroBitCount) }
        // Two flips of the same bit cancel; odd count means at least one survives.
        #expect(flipped >= 1 && flipped <= 5 && flipped % 2 == 1)
    }

    @Test func truncationShortensButKeepsAByte() {
        var lengths = Set<Int>()
        for seed: UInt64 in 0..<300 {
            var bytes = [UInt8](repeating: 7, count: 20)
            Corruption(seed: seed, bitFlips: 1, truncate: true).apply(to: &bytes)
            #expect(bytes.count >= 1 && bytes.count < 20)
            lengths.insert(bytes.count)
        }
        #expect(lengths.count == 19)  // every length 1...19 occurs
    }
}

@Suite struct DeadlineQueueTests {
    @Test func popsInDeadlineOrderAndFIFOOnTies() {
        var queue = DeadlineQueue<String>()
        queue.insert("c", deadline: 30)
        queue.insert("a1", deadline: 10)
        queue.insert("b", deadline: 20)
        queue.insert("a2", deadline: 10)
        queue.insert("a3", deadline: 10)
        #expect(queue.nextDeadline == 10)
        #expect(queue.popDue(now: 9) == nil)
        var out: [String] = []
        while let next = queue.popDue(now: 100) { out.append(next) }
        #expect(out == ["a1", "a2", "a3", "b", "c"])
        #expect(queue.isEmpty)
    }

    @Test func matchesStableSortOnRandomInput() {
        var generator = Xoshiro256StarStar(seed: 3)
        var queue = DeadlineQueue<Int>()
        var reference: [(deadline: Int64, index: Int)] = []
        for index in 0..<5000 {
            let deadline = Int64(generator.next() % 500)
            queue.insert(index, deadline: deadline)
            reference.append((deadline, index))
        }
        // Swift's sort is stable, so equal deadlines keep insertion order.
        let expected = reference.sorted { $0.deadline < $1.deadline }.map(\.index)
        var out: [Int] = []
        var now: Int64 = 0
        while !queue.isEmpty {
            while let next = queue.popDue(now: now) { out.append(next) }
            now += 1
        }
        #expect(out == expected)
    }
}

@Suite struct RTPSequencePeekTests {
    private func sequence(_ bytes: [UInt8]) -> UInt16? { bytes.withUnsafeBytes { rtpSequenceNumber($0) } }

    @Test func readsVersion2Packets() {
        #expect(sequence([0x80, 96, 0x12, 0x34] + [UInt8](repeating: 0, count: 8)) == 0x1234)
        #expect(sequence([0x80, 0x80 | 96, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 20)) == 0xFFFF)
    }

    @Test func ignoresNonRTP() {
        #expect(sequence([0x00, 96, 0, 1] + [UInt8](repeating: 0, count: 8)) == nil)  // version 0
        #expect(sequence([0x80, 96, 0, 1]) == nil)  // shorter than the fixed header
        #expect(sequence([0x80, 200, 0, 6] + [UInt8](repeating: 0, count: 24)) == nil)  // RTCP sender report
    }
}
