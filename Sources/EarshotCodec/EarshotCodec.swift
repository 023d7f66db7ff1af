// EarshotCodec: placeholder until its first type lands.
