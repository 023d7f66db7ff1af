import EarshotReceiver

/// Everything `/metrics` and `/status` show, read from the pipeline at request time: the counters through their
/// mailbox, the gauges, the stream's identity, the device state and the output volume. Reading takes no lock the
/// real-time threads could wait on and allocates only on the reading thread. A value; any thread.
struct ReceiverSnapshot: Sendable {
    var stats: ReceiverStats
    var stream: ReceiverStreamIdentity?
    /// The ALSA device name (nil when the caller drains the ring: no device).
    var deviceName: String?
    var deviceState: PlaybackDeviceState
    var volume: OutputVolume
    var payloadType: Int

    init(
        stats: ReceiverStats, stream: ReceiverStreamIdentity?, deviceName: String?, deviceState: PlaybackDeviceState,
        volume: OutputVolume, payloadType: Int
    ) {
        self.stats = stats
        self.stream = stream
        self.deviceName = deviceName
        self.deviceState = deviceState
        self.volume = volume
        self.payloadType = payloadType
    }

    init(_ pipeline: ReceiverPipeline) {
        self.init(
            stats: pipeline.stats(), stream: pipeline.stream,
            deviceName: pipeline.deviceParameters == nil ? nil : pipeline.configuration.device,
            deviceState: pipeline.deviceState, volume: pipeline.outputVolume,
            payloadType: pipeline.configuration.payloadType)
    }
}
