"""Thin operators: each calls the core and the adapters and returns something XCom-safe."""
