from whoosh.filedb.filestore import Storage
from whoosh.scoring import WeightingModel
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

class Index:
    storage: Storage
    def writer(self, **kwargs: object) -> IndexWriter: ...
    def searcher(self, *, weighting: WeightingModel = ...) -> Searcher: ...
    def doc_count(self) -> int: ...
