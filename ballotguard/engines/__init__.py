"""Pure domain engines: no Django, no apps, no I/O beyond what their arguments give them.

They are called by the apps, the CLI, benchmarks and tests alike; an import-linter contract
(pyproject.toml) keeps them free of the web framework.
"""
