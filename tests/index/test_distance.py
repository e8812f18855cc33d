"""The one edit-distance helper: plain Levenshtein for words, with adjacent swaps for abbreviations."""

from __future__ import annotations

import pytest

from index.distance import edit_distance


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("", "", 0),
        ("cam", "cam", 0),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
        ("incident", "incidnet", 2),  # a swap is two edits without transpositions
        ("cam", "cma", 2),
        ("irp", "irpp", 1),
    ],
)
def test_levenshtein(a: str, b: str, expected: int) -> None:
    assert edit_distance(a, b) == expected
    assert edit_distance(b, a) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("CAM", "CMA", 1),
        ("incident", "incidnet", 1),
        ("ab", "ba", 1),
        ("CAM", "CAR", 1),
        ("CAM", "MAC", 2),  # not adjacent: two substitutions
        ("abcd", "badc", 2),
        ("ca", "abc", 3),  # optimal string alignment: a swapped pair is not edited again
    ],
)
def test_with_transpositions(a: str, b: str, expected: int) -> None:
    assert edit_distance(a, b, transpositions=True) == expected
