import EarshotNet
import Testing

@Suite struct SocketAddressTests {
    @Test func parsesIPv4() throws {
        let address = try SocketAddress(parsing: "127.0.0.1:5004")
        #expect(address.family == AF_INET_FAMILY)
        #expect(address.port == 5004)
        #expect(address.host == "127.0.0.1")
        #expect(address.description == "127.0.0.1:5004")
        #expect(!address.isMulticast)
    }

    @Test func parsesBracketedIPv6() throws {
        let address = try SocketAddress(parsing: "[::1]:6000")
        #expect(address.port == 6000)
        #expect(address.host == "::1")
        #expect(address.description == "[::1]:6000")
        #expect(!address.isMulticast)
    }

    @Test func parsesIPv6WithInterfaceScope() throws {
        let address = try SocketAddress(parsing: "[ff02::1%lo]:5004")
        #expect(address.isMulticast)
        #expect(address.description.hasPrefix("[ff02::1%"))
    }

    @Test func recognisesMulticast() throws {
        #expect(try SocketAddress(parsing: "239.255.0.1:5004").isMulticast)
        #expect(try SocketAddress(parsing: "224.0.0.1:5004").isMulticast)
        #expect(try !SocketAddress(parsing: "240.0.0.1:5004").isMulticast)
        #expect(try SocketAddress(parsing: "[ff15::1]:5004").isMulticast)
        #expect(try !SocketAddress(parsing: "[fe80::1]:5004").isMulticast)
    }

    @Test func resolvesLocalhostName() throws {
        let address = try SocketAddress.resolve("localhost:5004")
        #expect(address.port == 5004)
        #expect(address.host == "127.0.0.1" || address.host == "::1")
    }

    @Test(arguments: [
        "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:50x", ":5004", "::1:5004",
        "[::1]5004", "[::1:5004", "256.1.1.1:5004", "localhost:5004", "",
    ])
    func rejectsMalformedInput(_ text: String) {
        #expect {
            _ = try SocketAddress(parsing: text)
        } throws: { error in
            guard case .malformed(let input, let expected)? = error as? SocketAddressError else { return false }
            return input == text && expected.contains("HOST:PORT")
        }
    }

    @Test func errorMessageNamesInputAndForm() {
        let error = SocketAddressError.malformed(input: "x", expected: "HOST:PORT")
        #expect(error.description.contains("'x'"))
        #expect(error.description.contains("HOST:PORT"))
    }

    @Test func unresolvableHostThrowsResolutionFailed() {
        #expect {
            _ = try SocketAddress.resolve("no-such-host.invalid:5004")
        } throws: { error in
            guard case .resolutionFailed(let host, _)? = error as? SocketAddressError else { return false }
            return host == "no-such-host.invalid"
        }
    }

    @Test func interfaceByNameAndIndex() throws {
        let byName = try NetworkInterface("lo")
        let byIndex = try NetworkInterface(String(byName.index))
        #expect(byIndex.name == "lo")
        #expect(throws: SocketAddressError.unknownInterface("nosuch0")) { try NetworkInterface("nosuch0") }
    }
}

/// `AF_INET` without importing Glibc into every test file.
let AF_INET_FAMILY = try! SocketAddress(parsing: "127.0.0.1:1").family
