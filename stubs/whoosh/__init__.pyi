# Typed stubs for the few parts of Whoosh (whoosh-reloaded 2.7.5) that index/ uses; Whoosh ships none.
# Only index/ imports Whoosh (tests/test_architecture.py), so these types never reach the rest of the code.

def versionstring(build: bool = ..., extra: bool = ...) -> str: ...
