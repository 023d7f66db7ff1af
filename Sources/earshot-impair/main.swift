print("earshot-impair: not yet wired")
