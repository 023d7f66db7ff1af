#if canImport(Glibc)
import Glibc
#endif

/// A network interface by kernel index, parsed from a name (`lo`) or a number (`1`), for `--interface`.
public struct NetworkInterface: Sendable, Equatable, CustomStringConvertible {
    public let index: UInt32
    public let name: String

    /// Looks the interface up now; throws `.unknownInterface` naming the input when it does not exist.
    public init(_ nameOrIndex: String) throws(SocketAddressError) {
        if let number = UInt32(nameOrIndex) {
            var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
            guard number != 0, if_indextoname(number, &buffer) != nil else {
                throw .unknownInterface(nameOrIndex)
            }
            index = number
            name = String(cString: buffer)
        } else {
            let number = if_nametoindex(nameOrIndex)
            guard number != 0 else { throw .unknownInterface(nameOrIndex) }
            index = number
            name = nameOrIndex
        }
    }

    public var description: String { "\(name) (index \(index))" }
}
