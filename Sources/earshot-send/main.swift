print("earshot-send: not yet wired")
