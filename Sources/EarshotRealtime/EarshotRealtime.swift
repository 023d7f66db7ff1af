// EarshotRealtime: placeholder until its first type lands.
