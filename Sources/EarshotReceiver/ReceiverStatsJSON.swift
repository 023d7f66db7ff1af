extension ReceiverStats {
    /// One line of JSON with every figure (keys in a fixed order, malformed reasons sorted), for scripts and tests:
    /// `{"packetsReceived":1200,...,"packetsMalformedByReason":{"rtp_bad_version":2}}`.
    public var json: String {
        let integers: [(String, Int)] = [
            ("packetsReceived", packetsReceived), ("packetsLost", packetsLost), ("packetsLate", packetsLate),
            ("packetsDuplicated", packetsDuplicated), ("packetsReordered", packetsReordered),
            ("packetsMalformed", packetsMalformed), ("packetsTooLarge", packetsTooLarge),
            ("packetsOutOfRange", packetsOutOfRange), ("resyncs", resyncs), ("framesPlayed", framesPlayed),
            ("concealedSamples", concealedSamples), ("concealmentEvents", concealmentEvents),
            ("fecRecoveredFrames", fecRecoveredFrames),
            ("insertedSamplesForDeceleration", insertedSamplesForDeceleration),
            ("removedSamplesForAcceleration", removedSamplesForAcceleration), ("underruns", underruns),
            ("deviceUnderruns", deviceUnderruns), ("deviceUnderrunFrames", deviceUnderrunFrames), ("xruns", xruns),
            ("rtcpReportsSent", rtcpReportsSent), ("rtcpSenderReportsReceived", rtcpSenderReportsReceived),
            ("rtcpGoodbyesReceived", rtcpGoodbyesReceived), ("sourceChanges", sourceChanges),
            ("packetsInSourceProbation", packetsInSourceProbation), ("standbyEntries", standbyEntries),
            ("inStandby", inStandby ? 1 : 0), ("deviceLosses", deviceLosses), ("deviceReturns", deviceReturns),
            ("deviceFailedOpens", deviceFailedOpens), ("deviceReleases", deviceReleases),
            ("framesWithoutDevice", framesWithoutDevice), ("syncLost", syncLost ? 1 : 0),
        ]
        var fields = integers.map { "\"\($0.0)\":\($0.1)" }
        let figures = [
            ("jitterMs", jitterMs), ("playoutDelayMs", playoutDelayMs), ("targetDelayMs", targetDelayMs),
            ("outputQueueMs", outputQueueMs), ("driftPpm", driftPpm), ("delayErrorMs", delayErrorMs),
        ]
        for (key, value) in figures {
            fields.append("\"\(key)\":\(value.isFinite ? "\((value * 1000).rounded() / 1000)" : "null")")
        }
        // Ratios differ from 1 by ppm: nine decimals.
        let ratio = resampleRatio.isFinite ? "\((resampleRatio * 1e9).rounded() / 1e9)" : "null"
        fields.append("\"resampleRatio\":\(ratio)")
        fields.append("\"syncErrorMs\":\(syncErrorMs.isFinite ? "\((syncErrorMs * 1000).rounded() / 1000)" : "null")")
        fields.append("\"deviceState\":\"\(deviceState.rawValue)\"")
        let reasons = packetsMalformedByReason.keys.sorted().map { "\"\($0)\":\(packetsMalformedByReason[$0]!)" }
        fields.append("\"packetsMalformedByReason\":{\(reasons.joined(separator: ","))}")
        return "{" + fields.joined(separator: ",") + "}"
    }
}
