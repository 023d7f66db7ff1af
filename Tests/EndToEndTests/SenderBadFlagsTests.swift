import EarshotTestRig
import Foundation
import Testing

/// Every invalid flag makes `earshot-send` exit non-zero with a message naming the flag and the valid range.
@Suite(.serialized) struct SenderBadFlagsTests {
    private func run(_ arguments: [String]) throws -> (status: Int32?, log: String) {
        let process = try ChildProcess(ChildProcess.earshotSend, arguments)
        let status = process.wait(seconds: 10)
        return (status, process.log)
    }

    @Test(arguments: [
        (["--frame", "3"], "--frame", "2.5, 5, 10 or 20"),
        (["--bitrate", "600"], "--bitrate", "6 ... 510"),
        (["--complexity=-1"], "--complexity", "0 ... 10"),
        (["--expected-loss", "200"], "--expected-loss", "0 ... 100"),
        (["--application", "voip"], "--application", "lowdelay or audio"),
        (["--channels", "6"], "--channels", "1 (mono) or 2"),
        (["--payload-type", "8"], "--payload-type", "96 ... 127"),
        (["--ttl", "300"], "--ttl", "1 ... 255"),
        (["--stats", "0"], "--stats", "0.1 ... 3600"),
        (["--duration=-1"], "--duration", "> 0"),
        (["--tone", "0"], "--tone", "1 ... 23999"),
        (["--interface", "nosuchif0"], "--interface", "ip link"),
        (["--fec"], "--fec", "--application audio"),
        (["--bitrate", "fast"], "--bitrate", "fast"),
    ])
    func invalidFlagNamesFlagAndRange(extra: [String], flag: String, range: String) throws {
        let (status, log) = try run(["--tone", "997", "--to", "127.0.0.1:9"] + extra)
        #expect(status != nil && status != 0)
        #expect(log.contains(flag), "\(log)")
        #expect(log.contains(range), "\(log)")
    }

    @Test func twoSourcesIsAClearError() throws {
        let (status, log) = try run(["--tone", "997", "--device", "default", "--to", "127.0.0.1:9"])
        #expect(status != nil && status != 0)
        #expect(log.contains("several audio sources given (--device, --tone)"), "\(log)")
    }

    @Test func noSourceAndNoDestinationAreClearErrors() throws {
        let noSource = try run(["--to", "127.0.0.1:9"])
        #expect(noSource.status != 0 && noSource.log.contains("no audio source"), "\(noSource.log)")
        let noDestination = try run(["--tone", "997"])
        #expect(noDestination.status != 0 && noDestination.log.contains("missing --to"), "\(noDestination.log)")
    }

    @Test func missingALSADeviceNamesItAndHowToListDevices() throws {
        let (status, log) = try run(["--device", "earshot_no_such_pcm", "--to", "127.0.0.1:9", "--duration", "1"])
        #expect(status == 1)
        #expect(log.contains("earshot_no_such_pcm"), "\(log)")
        #expect(log.contains("arecord -L"), "\(log)")
    }

    @Test func helpExplainsUnitsAndDefaults() throws {
        let (status, log) = try run(["--help"])
        #expect(status == 0)
        for text in ["--frame <ms>", "(default: 5.0)", "kbit/s", "default: 128, or 384", "--to <host:port>",
                     "arecord -L", "--expected-loss <pct>", "--duration <seconds>"] {
            #expect(log.contains(text), "help lacks \(text)")
        }
    }
}
