// EarshotImpairment: placeholder until its first type lands.
