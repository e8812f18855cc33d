"""A practice ID written out in full is resolved without the ID grammar's regexes, to the same answer they would give."""

from __future__ import annotations

from dataclasses import replace

import pytest

from handlers import Context, UserError
from handlers.support.lookup import resolve_practice


class _NoShortcut(dict):
    """The model's elements without .get: resolve_practice then takes its general path."""

    def get(self, key, default=None):  # type: ignore[override]
        return default


FOLLOWING = ([], ["https://wiki.example.com/x", "minutes"], ["of", "CM"], ["x"], ["GP2.8"], ["SP1.2"], ["2", "notes"], ["--group"])


@pytest.mark.parametrize("following", FOLLOWING)
def test_every_practice_id_resolves_as_the_general_path_does(ctx: Context, following: list[str]) -> None:
    general = replace(ctx, model=replace(ctx.model, elements=_NoShortcut(ctx.model.elements)))
    for practice in ctx.model.practices:
        for written in (practice.id, practice.id.lower()):
            words = [written, *following]
            fast = resolve_practice(ctx, words, None, "usage")
            try:
                slow = resolve_practice(general, words, None, "usage")
            except UserError as exc:  # pragma: no cover - would mean the shortcut accepts what the grammar refuses
                pytest.fail(f"{words}: the general path refuses it ({exc}), the shortcut took it")
            assert fast == slow == (fast[0], 1) and fast[0].key == practice.id, words
