print("earshot-recv: not yet wired")
