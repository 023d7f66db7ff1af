import EarshotReceiver
import Prometheus

/// `GET /metrics`: the receiver's counters and gauges in the Prometheus text format, rendered by swift-prometheus.
///
/// Each scrape fills a new `PrometheusCollectorRegistry` from one `ReceiverSnapshot` (a custom collector, in
/// Prometheus' terms): the receiver's counters are already monotonic totals kept by the producer, so every sample is
/// exactly the snapshot's figure, scrapes share no state, and two scrapes at once cannot race. Names carry their unit
/// (`_seconds`, `_samples` per channel, `_frames` of audio, `_codec_frames` of Opus, `_packets`); counters end in
/// `_total`. `earshot_packets_lost` is a gauge: like RTCP's cumulative loss it falls when a packet counted lost
/// arrives late after all.
enum ReceiverMetrics {
    /// One counter: its name (without `earshot_` and `_total`), help line and value.
    struct CounterDefinition {
        let name: String
        let value: KeyPath<ReceiverStats, Int>
        let help: String

        init(_ name: String, _ value: KeyPath<ReceiverStats, Int>, _ help: String) {
            self.name = name
            self.value = value
            self.help = help
        }
    }

    static let counters: [CounterDefinition] = [
        .init("packets_received", \.packetsReceived,
              "RTP packets handed to the jitter buffer (duplicates and late included)."),
        .init("packets_late", \.packetsLate,
              "RTP packets that arrived after their playout time and were dropped."),
        .init("packets_duplicated", \.packetsDuplicated,
              "RTP packets received twice."),
        .init("packets_reordered", \.packetsReordered,
              "RTP packets that arrived after one with a higher sequence number."),
        .init("packets_too_large", \.packetsTooLarge,
              "RTP packets larger than a jitter-buffer slot, dropped."),
        .init("packets_out_of_range", \.packetsOutOfRange,
              "RTP packets far outside the sequence window, dropped."),
        .init("packets_in_source_probation", \.packetsInSourceProbation,
              "First packets of a new source dropped during its probation."),
        .init("jitter_buffer_resyncs", \.resyncs,
              "Flushes that restarted playout (sender restart, long pause)."),
        .init("jitter_buffer_underruns", \.underruns,
              "Times the jitter buffer ran dry and rebuffered."),
        .init("codec_frames_played", \.framesPlayed,
              "Opus frames decoded and played as received."),
        .init("fec_recovered_codec_frames", \.fecRecoveredFrames,
              "Missing Opus frames rebuilt from in-band FEC."),
        .init("concealed_samples", \.concealedSamples,
              "Samples per channel produced by packet-loss concealment."),
        .init("concealment_events", \.concealmentEvents,
              "Runs of consecutive concealed frames."),
        .init("inserted_samples_for_deceleration", \.insertedSamplesForDeceleration,
              "Samples per channel inserted to grow the delay."),
        .init("removed_samples_for_acceleration", \.removedSamplesForAcceleration,
              "Samples per channel removed to shrink the delay."),
        .init("device_xruns", \.xruns,
              "ALSA playback xruns."),
        .init("device_underruns", \.deviceUnderruns,
              "Times the playback ring ran short of audio for the device."),
        .init("device_underrun_frames", \.deviceUnderrunFrames,
              "Audio frames filled with fade or silence for want of audio."),
        .init("rtcp_receiver_reports_sent", \.rtcpReportsSent,
              "RTCP receiver reports sent."),
        .init("rtcp_sender_reports_received", \.rtcpSenderReportsReceived,
              "RTCP sender reports received from the locked source."),
        .init("rtcp_goodbyes_received", \.rtcpGoodbyesReceived,
              "RTCP BYEs received from the locked source."),
        .init("source_changes", \.sourceChanges,
              "Times playback switched to another SSRC."),
        .init("standby_entries", \.standbyEntries,
              "Times the device was stopped because no stream played."),
        .init("device_losses", \.deviceLosses,
              "Times the playback device failed or went away (then reopened with backoff)."),
        .init("device_returns", \.deviceReturns,
              "Times a lost playback device was opened again and played."),
        .init("device_failed_opens", \.deviceFailedOpens,
              "Attempts to open the playback device that failed."),
        .init("device_releases", \.deviceReleases,
              "Times the device was released while idle (--standby close)."),
        .init("frames_without_device", \.framesWithoutDevice,
              "Audio frames decoded while there was no device, discarded at its rate (the gap heard)."),
    ]

    /// The malformed/rejected packets counter, one series per reason (`ReceiverGauges.rejectionReasons`).
    static let rejectedHelp = "Packets and datagrams dropped as malformed or not admitted, by reason."

    static func render(_ snapshot: ReceiverSnapshot) -> String {
        let registry = PrometheusCollectorRegistry()
        let stats = snapshot.stats
        for counter in counters {
            registry.makeCounter(descriptor: descriptor(counter.name, unit: "total", counter.help))
                .increment(by: Int64(stats[keyPath: counter.value]))
        }
        var seenReasons = Set<String>()
        let rejected = descriptor("packets_malformed", unit: "total", rejectedHelp)
        for reason in ReceiverGauges.rejectionReasons where seenReasons.insert(reason).inserted {
            registry.makeCounter(descriptor: rejected, labels: [("reason", reason)])
                .increment(by: Int64(stats.packetsMalformedByReason[reason] ?? 0))
        }

        func gauge(_ name: String, unit: String = "", _ help: String, _ value: Double, labels: [(String, String)] = []) {
            registry.makeGauge(descriptor: descriptor(name, unit: unit, help), labels: labels).set(value)
        }
        gauge("packets_lost", "RTP packets whose playout passed without them (falls when one arrives late).",
              Double(stats.packetsLost))
        gauge("jitter", unit: "seconds", "RFC 3550 interarrival jitter of the stream (the last one while none plays).",
              stats.jitterMs / 1000)
        gauge("playout_delay", unit: "seconds", "Playout delay held by the jitter buffer.", stats.playoutDelayMs / 1000)
        gauge("target_delay", unit: "seconds", "Playout delay the jitter buffer aims for.", stats.targetDelayMs / 1000)
        if stats.outputQueueMs.isFinite {
            gauge("output_queue", unit: "seconds", "Decoded audio queued ahead of the speaker (ring and device).",
                  stats.outputQueueMs / 1000)
        }
        gauge("clock_drift", unit: "ppm",
              "The sender's clock against the device's as the drift loop estimates it (positive: the sender is fast).",
              stats.driftPpm)
        gauge("resample_ratio", "The playout resampler's ratio now (output frames per input frame).",
              stats.resampleRatio)
        gauge("delay_error", unit: "seconds", "Smoothed playout delay minus the target.", stats.delayErrorMs / 1000)
        if stats.syncErrorMs.isFinite {
            gauge("sync_error", unit: "seconds",
                  "A scheduled playout (--sync-latency): how late it plays against its instants.",
                  stats.syncErrorMs / 1000)
        }
        gauge("sync_lost", "1 while a scheduled playout misses its instants by more than 1 ms for 2 s.",
              stats.syncLost ? 1 : 0)
        for state in [PlaybackDeviceState.playing, .standby, .closed, .lost] {
            gauge("device_state", "The playback device's state: 1 for the current one.",
                  state == snapshot.deviceState ? 1 : 0, labels: [("state", state.rawValue)])
        }
        gauge("output_volume", unit: "decibels", "Output gain set (--volume, PUT /volume).", snapshot.volume.decibels)
        gauge("output_muted", "1 while the output is muted (PUT /mute).", snapshot.volume.isMuted ? 1 : 0)
        gauge("stream_active", "1 while a stream is locked and played.", snapshot.stream == nil ? 0 : 1)
        if let stream = snapshot.stream {
            gauge("stream_frame", unit: "seconds", "Duration of the stream's Opus frames (one per RTP packet).",
                  Double(stream.frameSamples) / 48_000)
        }
        return registry.emitToString()
    }

    /// `earshot_NAME_UNIT` with its help line.
    private static func descriptor(_ name: String, unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "earshot", metricName: name, unitName: unit, helpText: help)
    }
}
