/// A min-heap of elements keyed by a deadline (monotonic nanoseconds). Elements with equal deadlines come out in
/// insertion order, so duplicates and equal-delay packets keep their order.
///
/// Reserve capacity up front to keep `insert` from growing the storage. Single-threaded.
public struct DeadlineQueue<Element> {
    private struct Entry {
        var deadline: Int64
        var order: UInt64
        var element: Element
    }

    private var heap: [Entry] = []
    private var insertions: UInt64 = 0

    public init(reservingCapacity capacity: Int = 0) { heap.reserveCapacity(capacity) }

    public var count: Int { heap.count }
    public var isEmpty: Bool { heap.isEmpty }
    /// The earliest deadline, if any.
    public var nextDeadline: Int64? { heap.first?.deadline }

    public mutating func insert(_ element: Element, deadline: Int64) {
        heap.append(Entry(deadline: deadline, order: insertions, element: element))
        insertions &+= 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest element whose deadline is ≤ `now`, or nil.
    public mutating func popDue(now: Int64) -> Element? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first.element }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && precedes(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count && precedes(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first.element
    }

    private func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.order < b.order
    }
}
