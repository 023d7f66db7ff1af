// EarshotTestRig: shared test fixtures (audio rig, signal checks).
