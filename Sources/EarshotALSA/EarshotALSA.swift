// EarshotALSA: placeholder until its first type lands.
