// EarshotProtocol: placeholder until its first type lands.
