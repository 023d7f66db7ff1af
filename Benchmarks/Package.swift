// swift-tools-version: 6.1
import PackageDescription

// Benchmarks for Earshot, kept out of the main package so `swift build` / `swift test` there never pull in the
// benchmark framework. Run everything with `./run.sh`; see BENCHMARKS.md.

// MARK: - Dependencies (local mirror; named once)

let benchmark: Target.Dependency = .product(name: "Benchmark", package: "benchmark")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let mallocInterposer: Target.Dependency = .product(name: "MallocInterposerSwift", package: "malloc-interposer")

let package = Package(
    name: "EarshotBenchmarks",
    dependencies: [
        .package(name: "Earshot", path: ".."),
        // 1.38.1 declares swift-tools 6.3; the trait turns on its malloc counting (mallocCountTotal) on Linux.
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The allocation counter package-benchmark uses, for the resampler tool's allocations per call.
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
    ],
    targets: [
        // MARK: - Baseline: libopus itself, without our wrapper

        .systemLibrary(name: "CLibOpusBaseline", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        // libspeexdsp's resampler, the peer of AdaptiveResampler (run.sh installs libspeexdsp-dev).
        .systemLibrary(name: "CSpeexDSPBaseline", pkgConfig: "speexdsp", providers: [.apt(["libspeexdsp-dev"])]),

        // MARK: - Micro benchmarks (package-benchmark: `swift package benchmark`)

        .executableTarget(
            name: "EarshotMicro",
            dependencies: [
                benchmark, "CLibOpusBaseline", "CSpeexDSPBaseline",
                .product(name: "EarshotRealtime", package: "Earshot"),
                .product(name: "EarshotProtocol", package: "Earshot"),
                .product(name: "EarshotCodec", package: "Earshot"),
                .product(name: "EarshotReceiver", package: "Earshot"),
                .product(name: "EarshotDSP", package: "Earshot"),
                .product(name: "EarshotSecurity", package: "Earshot"),
            ],
            path: "Benchmarks/EarshotMicro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),

        // MARK: - End to end: glass-to-glass latency on the paced rig

        .target(name: "EarshotLatency", dependencies: [.product(name: "EarshotDSP", package: "Earshot")]),
        .executableTarget(name: "earshot-latency", dependencies: ["EarshotLatency", argumentParser]),
        // The rig floor: the same devices looped directly, capture to playback, with no network or codec between.
        .executableTarget(
            name: "earshot-rig-floor",
            dependencies: [
                argumentParser,
                .product(name: "EarshotALSA", package: "Earshot"),
                .product(name: "EarshotRealtime", package: "Earshot"),
            ]),

        // MARK: - Resampler quality: AdaptiveResampler against libspeexdsp and libsoxr (run.sh installs libsoxr-dev)

        .systemLibrary(name: "CSoxrBaseline", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
        .target(
            name: "ResamplerQuality",
            dependencies: [
                "CSpeexDSPBaseline", "CSoxrBaseline", mallocInterposer,
                .product(name: "EarshotDSP", package: "Earshot"),
                .product(name: "EarshotResample", package: "Earshot"),
            ]),
        .executableTarget(name: "earshot-resampler-quality", dependencies: ["ResamplerQuality", argumentParser]),
    ],
    swiftLanguageModes: [.v5]
)
