from collections.abc import Callable, Container, Iterator
from re import Pattern

class Token:
    text: str

class Analyzer:
    def __call__(self, value: str, **kwargs: object) -> Iterator[Token]: ...

def StandardAnalyzer(
    expression: str | Pattern[str] = ...,
    stoplist: Container[str] | None = ...,
    minsize: int = ...,
    maxsize: int | None = ...,
    gaps: bool = ...,
) -> Analyzer: ...
def StemmingAnalyzer(
    expression: str | Pattern[str] = ...,
    stoplist: Container[str] | None = ...,
    minsize: int = ...,
    maxsize: int | None = ...,
    gaps: bool = ...,
    stemfn: Callable[[str], str] = ...,
    ignore: Container[str] | None = ...,
    cachesize: int | None = ...,
) -> Analyzer: ...
