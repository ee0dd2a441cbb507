"""The library: every rule, every table, every external protocol.

Nothing in here imports an interface (CLI, daemon, TUI, client, sandbox); import-linter enforces it.
"""
