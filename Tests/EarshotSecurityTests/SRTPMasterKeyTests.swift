import EarshotSecurity
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Keys: base64 both ways, lengths per suite, key files and their permissions, and which source wins.
@Suite struct SRTPMasterKeyTests {
    @Test func base64RoundTripsAndMatchesAKnownEncoding() throws {
        // RFC 4648 §10 vectors, through a 30-byte key built from them.
        let key = try SRTPMasterKey(suite: .aesCM128HMACSHA1_80, bytes: Array("foobar".utf8) + Array(repeating: 0, count: 24))
        #expect(key.base64.hasPrefix("Zm9vYmFy"))
        #expect(try SRTPMasterKey(suite: .aesCM128HMACSHA1_80, base64: key.base64 + "\n") == key)
        for suite in SRTPSuite.allCases {
            let fresh = SRTPMasterKey.generate(suite: suite)
            #expect(fresh.bytes.count == suite.masterKeyBytes)
            #expect(try SRTPMasterKey(suite: suite, base64: fresh.base64) == fresh)
        }
        #expect(SRTPSuite.aesCM128HMACSHA1_80.masterKeyBytes == 30 && SRTPSuite.aeadAES128GCM.masterKeyBytes == 28)
    }

    @Test func malformedTextAndWrongLengthsAreNamed() {
        #expect(throws: SRTPMasterKey.ParseError.notBase64) {
            try SRTPMasterKey(suite: .aesCM128HMACSHA1_80, base64: "not base64!")
        }
        #expect(throws: SRTPMasterKey.ParseError.notBase64) {
            try SRTPMasterKey(suite: .aesCM128HMACSHA1_80, base64: "QUJD=QUJD")
        }
        let gcm = SRTPMasterKey.generate(suite: .aeadAES128GCM)
        #expect(throws: SRTPMasterKey.ParseError.wrongLength(bytes: 28, expected: 30, suite: .aesCM128HMACSHA1_80)) {
            try SRTPMasterKey(suite: .aesCM128HMACSHA1_80, base64: gcm.base64)
        }
    }

    @Test func keyFilesAreWrittenPrivateNeverOverwrittenAndRefusedWhenOthersMayReadThem() throws {
        let path = "/tmp/earshot-key-test-\(getpid()).key"
        unlink(path)
        defer { unlink(path) }
        let key = SRTPMasterKey.generate(suite: .aesCM128HMACSHA1_80)
        try SRTPKeyFile.write(key, path: path)
        var status = stat()
        #expect(stat(path, &status) == 0 && status.st_mode & 0o777 == 0o600)
        #expect(try SRTPKeyFile.read(path: path, suite: .aesCM128HMACSHA1_80) == key)
        #expect(throws: SRTPKeyError.keyFileExists(path: path)) { try SRTPKeyFile.write(key, path: path) }
        chmod(path, 0o640)
        #expect(throws: SRTPKeyError.fileReadableByOthers(path: path, mode: 0o100640)) {
            try SRTPKeyFile.read(path: path, suite: .aesCM128HMACSHA1_80)
        }
        #expect(throws: SRTPKeyError.missingFile(path: path + ".none")) {
            try SRTPKeyFile.read(path: path + ".none", suite: .aesCM128HMACSHA1_80)
        }
        #expect("\(SRTPKeyError.fileReadableByOthers(path: path, mode: 0o100640))".contains("--key-file"))
    }

    @Test func keyFileWinsOverTheEnvironmentAndASuiteNeedsAKey() throws {
        let key = SRTPMasterKey.generate(suite: .aeadAES128GCM)
        let environment: String? = key.base64
        #expect(try SRTPKeyFile.resolve(keyFile: nil, suiteName: "aead-aes-128-gcm", environmentKey: environment) == key)
        #expect(try SRTPKeyFile.resolve(keyFile: nil, suiteName: nil, environmentKey: nil) == nil)
        #expect(throws: SRTPKeyError.suiteWithoutKey) {
            try SRTPKeyFile.resolve(keyFile: nil, suiteName: "aead-aes-128-gcm", environmentKey: nil)
        }
        #expect(throws: SRTPKeyError.unknownSuite("aes-256")) {
            try SRTPKeyFile.resolve(keyFile: nil, suiteName: "aes-256", environmentKey: environment)
        }
        // The GCM key is 28 bytes; the default suite needs 30.
        #expect(throws: SRTPKeyError.malformedKey(
            source: SRTPMasterKey.environmentVariable,
            .wrongLength(bytes: 28, expected: 30, suite: .aesCM128HMACSHA1_80))
        ) {
            try SRTPKeyFile.resolve(keyFile: nil, suiteName: nil, environmentKey: environment)
        }
    }
}
