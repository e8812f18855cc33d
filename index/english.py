"""Is it an English word? pyspellchecker's English word list, loaded on first use."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spellchecker import SpellChecker


@functools.cache
def _dictionary() -> SpellChecker:  # the library's own type stays inside this module
    # Imported here: loading the list takes about 0.1 s, which an ID lookup or a start-up should not pay.
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


def is_english(word: str) -> bool:
    """True for a word in the English list (about 160,000 words seen in real text, inflections included)."""
    return word.lower() in _dictionary()
