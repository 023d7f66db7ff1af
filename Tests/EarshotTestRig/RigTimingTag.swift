import Testing

extension Tag {
    /// A test whose pass depends on the paced PulseAudio rig keeping time (its stream underflows when the host steals
    /// CPU). `Tests/run-all.sh` reruns a failed test once only when it carries this tag, and prints every rerun.
    @Tag public static var rigTiming: Self
}
