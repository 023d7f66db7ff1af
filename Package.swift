// swift-tools-version: 6.1
import Foundation
import PackageDescription

// MARK: - ThreadSanitizer negative control

/// `EARSHOT_TSAN_NEGATIVE_CONTROL=1` breaks the lock-free hand-overs that Tests/run-thread-sanitizer.sh checks
/// (RingBuffer, PlaybackCadence and PlaybackStandby: publishing stores and acquiring loads made `.relaxed`;
/// SequenceLockedWords, behind the receiver's mailboxes: words as plain memory), so that its `swift test --sanitize=thread` run must report a data
/// race in each component's stress test, or the check could not fail. Never set it for anything else.
let tsanNegativeControl: [SwiftSetting] =
    ProcessInfo.processInfo.environment["EARSHOT_TSAN_NEGATIVE_CONTROL"] == "1"
    ? [.define("EARSHOT_TSAN_NEGATIVE_CONTROL")] : []

// MARK: - Test hooks: debug builds only

/// `EARSHOT_TEST_HOOKS` compiles in switches that only tests use (e.g. `PlaybackThread.Options.injectsLoopAllocation`):
/// defined in debug builds (what `swift build --build-tests` and `swift test` build), never in release, so no
/// shipped binary carries them.
let testHooks: [SwiftSetting] = [.define("EARSHOT_TEST_HOOKS", .when(configuration: .debug))]

// MARK: - Executables: Swift runtime linked statically in release

/// The shared Swift runtime libraries (libswiftCore, Foundation Essentials, Dispatch, …) are mapped whole and page in
/// with the kernel's fault-around: linked statically only the code used is mapped, which took earshot-recv's peak RSS
/// from 18.9 to 16.2 MB (Benchmarks/BENCHMARKS.md). Release only: debug links stay fast.
/// ArgumentParser's FoundationEssentials needs its two helper archives named when linked statically (the shared
/// library contains them).
let staticSwiftRuntimeInRelease: [LinkerSetting] = [
    .unsafeFlags(["-static-stdlib"], .when(configuration: .release)),
    .linkedLibrary("_FoundationCollections", .when(configuration: .release)),
    .linkedLibrary("_FoundationCShims", .when(configuration: .release)),
    .linkedLibrary("swiftSynchronization", .when(configuration: .release)),
]

// MARK: - Dependencies (local mirror; named once)

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let atomics: Target.Dependency = .product(name: "Atomics", package: "swift-atomics")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let nioHTTP1: Target.Dependency = .product(name: "NIOHTTP1", package: "swift-nio")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")

let package = Package(
    name: "Earshot",
    products: [
        .executable(name: "earshot-recv", targets: ["earshot-recv"]),
        .executable(name: "earshot-send", targets: ["earshot-send"]),
        .executable(name: "earshot-impair", targets: ["earshot-impair"]),
        // Libraries for the separate Benchmarks/ package (micro benchmarks and the latency harness).
        .library(name: "EarshotALSA", targets: ["EarshotALSA"]),
        .library(name: "EarshotRealtime", targets: ["EarshotRealtime"]),
        .library(name: "EarshotProtocol", targets: ["EarshotProtocol"]),
        .library(name: "EarshotCodec", targets: ["EarshotCodec"]),
        .library(name: "EarshotReceiver", targets: ["EarshotReceiver"]),
        .library(name: "EarshotDSP", targets: ["EarshotDSP"]),
        .library(name: "EarshotResample", targets: ["EarshotResample"]),
        .library(name: "EarshotSecurity", targets: ["EarshotSecurity"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: - C: system libraries and Linux shims

        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CSpeexDSP", pkgConfig: "speexdsp", providers: [.apt(["libspeexdsp-dev"])]),
        .systemLibrary(name: "COpenSSLCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libsrtp 2.5.0 built from its sources (Sources/CSRTP/README.md): Debian's libsrtp2 runs on NSS, which allocates
        // per packet and misses the 2 µs budget; this build uses OpenSSL's AES and libsrtp's own HMAC-SHA1.
        .target(
            name: "CSRTP",
            dependencies: ["COpenSSLCrypto"],
            exclude: ["README.md", "libsrtp/LICENSE"],
            cSettings: [
                .define("HAVE_CONFIG_H"),
                .headerSearchPath("."),
                .headerSearchPath("include/srtp2"),
                .headerSearchPath("libsrtp/include"),
                .headerSearchPath("libsrtp/crypto/include"),
                // Optimized in debug too (the debug-built producer tests run it per packet); upstream's code, its
                // warnings are not ours to fix.
                .unsafeFlags(["-O2", "-w"]),
            ]
        ),
        .target(name: "CEarshotLinux"),

        // MARK: - Thin typed wrappers over C

        .target(name: "EarshotALSA", dependencies: ["CALSA"]),
        .target(name: "EarshotCodec", dependencies: ["COpus"]),
        .target(name: "EarshotNet", dependencies: ["CEarshotLinux"]),
        .target(name: "EarshotSystemd", dependencies: ["CSystemd"]),
        // libspeexdsp's resampler (Benchmarks/BENCHMARKS.md: better than AdaptiveResampler on every quality measure).
        .target(name: "EarshotResample", dependencies: ["CSpeexDSP"]),
        // SRTP/SRTCP through libsrtp2 (never a hand-written cipher); key files and key parsing.
        .target(name: "EarshotSecurity", dependencies: ["CSRTP"]),

        // MARK: - Real-time core: lock-free, allocation-free after start

        // Whole-module compilation even in debug: `@_noLocks` can only check calls whose bodies it sees, and in
        // debug's per-file mode a call into another file of the module is "not available" and rejected.
        .target(
            name: "EarshotRealtime",
            dependencies: ["EarshotALSA", "CEarshotLinux", atomics],
            swiftSettings: [.unsafeFlags(["-wmo", "-num-threads", "2"])] + tsanNegativeControl + testHooks
        ),

        // MARK: - Pure Swift: protocol, DSP, impairment model (no devices, no I/O)

        .target(name: "EarshotProtocol"),
        .target(name: "EarshotDSP"),
        .target(name: "EarshotImpairment"),

        // MARK: - Pipelines

        .target(
            name: "EarshotReceiver",
            dependencies: [
                "EarshotProtocol", "EarshotCodec", "EarshotDSP", "EarshotNet", "EarshotRealtime", "EarshotALSA",
                "CEarshotLinux", "EarshotSystemd", "EarshotSecurity", atomics, logging,
            ],
            swiftSettings: tsanNegativeControl + testHooks
        ),
        .target(
            name: "EarshotSender",
            dependencies: [
                "EarshotProtocol", "EarshotCodec", "EarshotDSP", "EarshotNet", "EarshotRealtime", "EarshotALSA",
                "EarshotSecurity", atomics, logging,
            ]
        ),

        // The `--http` control and observation endpoint: one NIO event-loop thread beside the receiver's threads.
        .target(
            name: "EarshotControl",
            dependencies: ["EarshotReceiver", "EarshotNet", nioCore, nioPosix, nioHTTP1, prometheus, atomics, logging]
        ),

        // MARK: - Executables: parse flags, wire, run

        .executableTarget(
            name: "earshot-recv",
            dependencies: ["EarshotReceiver", "EarshotControl", "EarshotSecurity", argumentParser, logging],
            swiftSettings: testHooks, linkerSettings: staticSwiftRuntimeInRelease
        ),
        .executableTarget(
            name: "earshot-send", dependencies: ["EarshotSender", "EarshotSecurity", argumentParser, logging],
            linkerSettings: staticSwiftRuntimeInRelease
        ),
        .executableTarget(
            name: "earshot-impair",
            dependencies: ["EarshotImpairment", "EarshotNet", "EarshotSecurity", argumentParser],
            linkerSettings: staticSwiftRuntimeInRelease
        ),

        // MARK: - Tests

        // Test-only: counts one thread's allocations (see counter.c for why not a published interposer).
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        .target(
            name: "EarshotTestRig",
            dependencies: [
                "EarshotDSP", "EarshotCodec", "EarshotNet", "EarshotProtocol", "CEarshotLinux", "CAllocationCounter",
            ],
            path: "Tests/EarshotTestRig"
        ),
        // Test-only: PlaybackThread in its own process, watched by RealtimeSanitizer from EarshotRealtimeTests.
        .executableTarget(
            name: "earshot-realtime-probe",
            dependencies: ["EarshotRealtime", "EarshotALSA", "EarshotDSP"],
            path: "Tests/RealtimeProbe",
            swiftSettings: testHooks
        ),
        .testTarget(
            name: "EarshotRealtimeTests",
            dependencies: ["EarshotRealtime", "EarshotALSA", "EarshotDSP", "EarshotTestRig"]
        ),
        .testTarget(name: "EarshotALSATests", dependencies: ["EarshotALSA", "EarshotTestRig"]),
        .testTarget(name: "EarshotCodecTests", dependencies: ["EarshotCodec", "EarshotDSP"]),
        .testTarget(name: "EarshotDSPTests", dependencies: ["EarshotDSP", "EarshotTestRig"]),
        .testTarget(name: "EarshotSecurityTests", dependencies: ["EarshotSecurity", "EarshotProtocol"]),
        .testTarget(name: "EarshotResampleTests", dependencies: ["EarshotResample", "EarshotDSP", "EarshotTestRig"]),
        .testTarget(
            name: "EarshotProtocolTests",
            dependencies: ["EarshotProtocol", "EarshotTestRig"]
        ),
        .testTarget(name: "EarshotNetTests", dependencies: ["EarshotNet", "EarshotTestRig"]),
        .testTarget(name: "EarshotSystemdTests", dependencies: ["EarshotSystemd", "EarshotTestRig"]),
        // EarshotProtocol: the attack packets are parsed back with the receiver's own RTP/RTCP/Opus parsers.
        .testTarget(name: "EarshotImpairmentTests", dependencies: ["EarshotImpairment", "EarshotProtocol"]),
        .testTarget(
            name: "EarshotReceiverTests",
            dependencies: [
                "EarshotReceiver", "EarshotCodec", "EarshotProtocol", "EarshotNet", "EarshotDSP", "EarshotRealtime",
                "EarshotTestRig", atomics, logging,
            ]
        ),
        .testTarget(
            name: "EarshotControlTests",
            dependencies: ["EarshotControl", "EarshotReceiver", "EarshotNet", "EarshotTestRig"]
        ),
        .testTarget(
            name: "EarshotSenderTests",
            dependencies: [
                "EarshotSender", "EarshotCodec", "EarshotDSP", "EarshotNet", "EarshotProtocol", "EarshotTestRig",
                atomics,
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "EarshotCodec", "EarshotDSP", "EarshotNet", "EarshotProtocol", "EarshotReceiver", "EarshotRealtime",
                "EarshotSecurity", "EarshotTestRig", atomics,
            ]
        ),
    ],
    swiftLanguageModes: [.v5]
)
