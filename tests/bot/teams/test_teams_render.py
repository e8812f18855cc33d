"""Rendering Replies for Teams: card or text, escaping, size limits."""

from __future__ import annotations

from bot.teams import render
from handlers import Context, Reply, Request, Section, dispatch
from tests.bot.teams.adaptive_cards import validate_card


def test_escape_makes_markup_and_mentions_inert() -> None:
    escaped = render.escape("<at>everyone</at> <b>x</b> & *bold* [link](http://x) _i_ `c`")
    assert "<" not in escaped and ">" not in escaped
    assert "&lt;at&gt;" in escaped and "&amp;" in escaped
    assert "\\*bold\\*" in escaped and "\\[link\\]" in escaped and "\\_i\\_" in escaped and "\\`c\\`" in escaped
    assert render.escape("# title\n- item\n1. one") == "\\# title\n\\- item\n\\1. one"


def test_an_answer_is_a_card_with_the_asked_question_and_a_factset(ctx: Context) -> None:
    request = Request(text="what does WMC.SP1.6 require", transport="teams")
    message = render.message(dispatch(request, ctx), request)
    card = message["attachments"][0]["content"]
    assert card["version"] == render.CARD_VERSION
    assert card["body"][0]["text"] == "You asked: what does WMC.SP1.6 require"
    assert any(e["type"] == "FactSet" for e in card["body"])


def test_help_and_confirmations_are_text(ctx: Context) -> None:
    request = Request(text="help", transport="teams")
    message = render.message(dispatch(request, ctx), request)
    assert "attachments" not in message and message["textFormat"] == "markdown"


def test_a_huge_reply_is_cut_to_fit_and_says_so() -> None:
    sections = tuple(Section(title=f"S{i}", items=tuple("x" * 200 for _ in range(20))) for i in range(30))
    card = render.card(Reply(text="big", sections=sections))
    assert render.size_of(card) < render.MAX_CARD_BYTES and validate_card(card) == []
    wide = tuple(Section(title=f"S{i}", items=tuple("審" * 200 for _ in range(20))) for i in range(30))  # 3 bytes a character
    assert render.size_of(render.card(Reply(text="big", sections=wide))) < render.MAX_CARD_BYTES
    assert "more not shown" in card["body"][-1]["text"]
    text = render.text_message(Reply(text="big", sections=sections))["text"]
    assert len(text) < render.MAX_MESSAGE_CHARS + 100 and text.endswith("(shortened to fit one Teams message)")
