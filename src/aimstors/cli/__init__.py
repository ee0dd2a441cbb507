"""The `aimstors` command line: one module per command group, each a thin shell over a core service."""
