// EarshotReceiver: placeholder until its first type lands.
