// EarshotDSP: placeholder until its first type lands.
