# Typed stubs for the few parts of Whoosh (whoosh-reloaded 2.7.5) that index/ uses; Whoosh ships none.
# Only index/ imports Whoosh (tests/test_architecture.py), so these types never reach the rest of the code.
# Checked against the installed library with: python -m mypy.stubtest --mypy-config-file pyproject.toml whoosh
# --ignore-missing-stub (what it still lists are parameters we never pass, and constructors we never call).

def versionstring(build: bool = ..., extra: bool = ...) -> str: ...
