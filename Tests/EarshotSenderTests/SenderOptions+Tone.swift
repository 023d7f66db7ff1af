import EarshotSender

extension SenderOptions {
    /// Valid options for the tests: a 997 Hz tone to 127.0.0.1:5004, then `change`.
    static func tone(_ change: (inout SenderOptions) -> Void = { _ in }) -> SenderOptions {
        var options = SenderOptions()
        options.tone = 997
        options.destinations = ["127.0.0.1:5004"]
        change(&options)
        return options
    }
}
