"""Search over the model: Whoosh index plus query understanding, behind build_index/search."""

from index.engine import Answer, Hit, Intent, ModelIndex, build_index

__all__ = ["Answer", "Hit", "Intent", "ModelIndex", "build_index"]
