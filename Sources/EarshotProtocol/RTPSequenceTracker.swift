/// What one sequence number meant to ``RTPSequenceTracker``.
public enum RTPSequenceClassification: Equatable, Sendable {
    /// Source not yet confirmed: fewer than `minimumSequential` consecutive packets seen (RFC 3550 A.1 probation).
    case probation
    /// Newer than every packet so far; `gap` packets were skipped (0 when exactly the next one).
    case inOrder(gap: Int)
    /// Same sequence number as the newest packet.
    case duplicate
    /// Older than the newest packet but within `maximumMisorder`: late, reordered, or an older duplicate.
    case reordered
    /// A jump beyond the dropout/misorder windows. Not counted; if the next packet follows it, the tracker resyncs.
    case jump
    /// Second sequential packet after a jump: the sender restarted; all state was reset to this packet.
    case resync
}

/// Result of one ``RTPSequenceTracker/update(_:)``.
public struct RTPSequenceUpdate: Equatable, Sendable {
    public var classification: RTPSequenceClassification
    /// Sequence number extended with the wrap count; `nil` for ``RTPSequenceClassification/jump``.
    /// Monotonic within a sync epoch; restarts after ``RTPSequenceClassification/resync``. May be negative for a
    /// packet reordered from before the first accepted one.
    public var extendedSequence: Int64?

    /// Whether the packet should be used (RFC 3550 `update_seq` returned 1).
    public var isValid: Bool {
        switch classification {
        case .probation, .jump: false
        default: true
        }
    }
}

/// RFC 3550 appendix A.1 sequence number extension and validation for one SSRC.
///
/// Invariant: `maxSequence` is the newest accepted sequence number and `cycles` counts its wraps (in units of
/// 65536). Value type, allocation-free; owned by one thread (the receiver's producer thread).
public struct RTPSequenceTracker: Sendable {
    /// A.1 MAX_DROPOUT: a forward step smaller than this is a normal advance (possibly with loss).
    public static let maximumDropout: UInt16 = 3000
    /// A.1 MAX_MISORDER: a backward step up to this is a reordered/duplicate packet.
    public static let maximumMisorder: UInt16 = 100
    /// A.1 MIN_SEQUENTIAL: consecutive packets needed before a new source is valid.
    public static let minimumSequential = 2

    private static let sequenceModulo: UInt32 = 1 << 16

    private(set) var maxSequence: UInt16
    private(set) var cycles: UInt32 = 0
    /// First sequence number of the current sync epoch.
    public private(set) var baseSequence: UInt16
    /// Packets accepted (valid) in the current epoch, duplicates included, as A.1 counts them.
    public private(set) var received: UInt32 = 0
    private var badSequence: UInt32 = RTPSequenceTracker.sequenceModulo + 1
    private var probation: Int
    private let minimumSequential: Int

    /// Starts tracking a source whose first packet carries `firstSequence`. That packet is classified by calling
    /// ``update(_:)`` with it as well, exactly like A.1's `init_seq` + `update_seq`.
    public init(firstSequence: UInt16, minimumSequential: Int = RTPSequenceTracker.minimumSequential) {
        self.minimumSequential = minimumSequential
        baseSequence = firstSequence
        maxSequence = firstSequence &- 1
        probation = minimumSequential
    }

    /// `cycles + maxSequence` as a 32-bit value: the "extended highest sequence number received" of a report block.
    public var extendedHighestSequence: UInt32 { cycles &+ UInt32(maxSequence) }

    /// Whether the source has passed probation.
    public var isValidated: Bool { probation == 0 }

    private mutating func reset(to sequence: UInt16) {
        baseSequence = sequence
        maxSequence = sequence
        badSequence = Self.sequenceModulo + 1
        cycles = 0
        received = 0
    }

    private var extendedMax: Int64 { Int64(cycles) + Int64(maxSequence) }

    /// Classifies `sequence` and advances the state (RFC 3550 A.1 `update_seq`).
    public mutating func update(_ sequence: UInt16) -> RTPSequenceUpdate {
        let delta = sequence &- maxSequence
        if probation > 0 {
            if sequence == maxSequence &+ 1 {
                probation -= 1
                maxSequence = sequence
                if probation == 0 {
                    reset(to: sequence)
                    received += 1
                    return RTPSequenceUpdate(classification: .inOrder(gap: 0), extendedSequence: extendedMax)
                }
            } else {
                probation = minimumSequential - 1
                maxSequence = sequence
            }
            return RTPSequenceUpdate(classification: .probation, extendedSequence: Int64(sequence))
        }
        let classification: RTPSequenceClassification
        let extended: Int64
        if delta == 0 {
            classification = .duplicate
            extended = extendedMax
        } else if delta < Self.maximumDropout {
            if sequence < maxSequence { cycles &+= Self.sequenceModulo }
            maxSequence = sequence
            classification = .inOrder(gap: Int(delta) - 1)
            extended = extendedMax
        } else if UInt32(delta) <= Self.sequenceModulo - UInt32(Self.maximumMisorder) {
            if UInt32(sequence) == badSequence {
                reset(to: sequence)
                classification = .resync
                extended = extendedMax
            } else {
                badSequence = (UInt32(sequence) + 1) & (Self.sequenceModulo - 1)
                return RTPSequenceUpdate(classification: .jump, extendedSequence: nil)
            }
        } else {
            classification = .reordered
            extended = extendedMax - Int64(maxSequence &- sequence)
        }
        received &+= 1
        return RTPSequenceUpdate(classification: classification, extendedSequence: extended)
    }
}
