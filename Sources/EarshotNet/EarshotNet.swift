// EarshotNet: placeholder until its first type lands.
