from whoosh.analysis import Analyzer

class FieldType: ...

class ID(FieldType):
    def __init__(self, stored: bool = ..., unique: bool = ..., field_boost: float = ..., sortable: bool = ...) -> None: ...

class STORED(FieldType):
    def __init__(self) -> None: ...

class TEXT(FieldType):
    def __init__(
        self,
        analyzer: Analyzer | None = ...,
        phrase: bool = ...,
        chars: bool = ...,
        stored: bool = ...,
        field_boost: float = ...,
        multitoken_query: str = ...,
        spelling: bool = ...,
        sortable: bool = ...,
        lang: str | None = ...,
    ) -> None: ...

class Schema:
    # A field is given as an instance, or as a class Whoosh instantiates (order=STORED).
    def __init__(self, **fields: FieldType | type[FieldType]) -> None: ...
