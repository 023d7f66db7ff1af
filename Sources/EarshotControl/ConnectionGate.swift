import Atomics

/// Counts the endpoint's open connections against `ControlServerLimits.maximumConnections`. Any thread.
final class ConnectionGate: Sendable {
    let limit: Int
    private let open = ManagedAtomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    /// Takes a place for a new connection; false (and no place taken) when all are taken.
    func admit() -> Bool {
        while true {
            let current = open.load(ordering: .relaxed)
            guard current < limit else { return false }
            if open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed).exchanged {
                return true
            }
        }
    }

    /// Gives back the place of a connection that closed.
    func release() { open.wrappingDecrement(ordering: .relaxed) }

    var openConnections: Int { open.load(ordering: .relaxed) }
}
