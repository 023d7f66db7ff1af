// EarshotSender: placeholder until its first type lands.
