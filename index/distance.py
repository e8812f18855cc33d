"""Edit distance between two words: the one helper behind typo tolerance for abbreviations and for words."""

from __future__ import annotations


def edit_distance(a: str, b: str, *, transpositions: bool = False) -> int:
    """Levenshtein distance: insertions, deletions and substitutions cost 1 each.

    With transpositions, swapping two adjacent letters costs 1 too (optimal string alignment), so "CMA" is one edit
    from "CAM": people swap letters when they type abbreviations."""
    before: list[int] = []  # the row two above, for transpositions
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if transpositions and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, previous = previous, current
    return previous[-1]
