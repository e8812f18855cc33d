"""Block Kit rendering: structure, Slack's size limits, and escaping of every piece of text."""

from __future__ import annotations

import json
from typing import Any

from bot.slack import render, views
from handlers import Context, Person, Reply, Request, Section, dispatch

HOSTILE = "<!channel> <@U123> <https://evil.example|click> & <!here>"


def texts(message: dict[str, Any]) -> list[str]:
    """Every text a person could see in a message: fallback, headers, sections, fields, context, buttons."""
    found = [message["text"]]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in {"mrkdwn", "plain_text"}:
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message["blocks"])
    return found


def test_answer_layout_header_fields_bullets_context(ctx: Context) -> None:
    reply = dispatch(Request(text="what does WMC.SP1.6 require"), ctx)
    message = render.message(reply)
    blocks = message["blocks"]
    assert message["text"] == "WMC.SP1.6 Conduct Progress Reviews"
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "WMC.SP1.6 Conduct Progress Reviews"}}
    body = blocks[1]
    assert body["type"] == "section" and "Periodically review" in body["text"]["text"]
    assert [f["text"].split("\n")[0] for f in body["fields"]] == ["*Goal*", "*Process area*"]
    assert {"type": "context", "elements": [{"type": "mrkdwn", "text": "specific practice · WMC.SP1.6", "verbatim": True}]} in blocks
    related = next(b for b in blocks if b["type"] == "section" and b["text"]["text"].startswith("*Related*"))
    assert "\n• Same goal: WMC.SP1.1 Monitor Work Planning Parameters" in related["text"]["text"]
    [buttons] = [b for b in blocks if b["type"] == "actions"]  # the next steps for a practice, and no Share unless asked for
    assert [(e["text"]["text"], e["value"]) for e in buttons["elements"]] == [
        ("Log evidence", "evidence form WMC.SP1.6"),
        ("Rate", "rate form WMC.SP1.6"),
        ("Goal WMC.SG1", "ask WMC.SG1"),
        ("Process area WMC", "ask WMC"),
    ]
    assert [e["action_id"] for e in buttons["elements"]] == ["cmmi:log_evidence:0", "cmmi:rate:1", "cmmi:show:2", "cmmi:show:3"]
    assert not any(b["type"] == "header" for b in blocks[1:])  # one header: later titles are bold text


def test_share_button_carries_the_question_and_is_dropped_past_slacks_limit(ctx: Context) -> None:
    reply = dispatch(Request(text="GP2.8"), ctx)
    actions = render.message(reply, share_value="GP2.8")["blocks"][-1]
    assert actions["type"] == "actions"
    button = actions["elements"][-1]  # after the answer's own next steps
    assert button["action_id"] == render.SHARE_ACTION and button["value"] == "GP2.8"
    assert button["text"]["text"] == "Share in channel"
    long_question = "x" * (render.MAX_BUTTON_VALUE + 1)
    [tail] = [b for b in render.message(reply, share_value=long_question)["blocks"] if b["type"] == "actions"]
    assert render.SHARE_ACTION not in {e["action_id"] for e in tail["elements"]}


def test_every_text_field_is_escaped() -> None:
    reply = Reply(
        text=f"fallback {HOSTILE}",
        sections=(
            Section(
                title=f"title {HOSTILE}",
                body=f"body {HOSTILE}",
                fields=((f"name {HOSTILE}", f"value {HOSTILE}"),),
                items=(f"item {HOSTILE}",),
                note=f"note {HOSTILE}",
            ),
            Section(title=f"second {HOSTILE}", body=f"body two {HOSTILE}"),
        ),
    )
    message = render.message(reply, asked=f"asked {HOSTILE}", asked_by="U0ALICE", share_value=HOSTILE)
    shown = texts(message)
    assert "Share in channel" in shown
    hostile_fields = [t for t in shown if "channel" in t and t != "Share in channel"]
    assert len(hostile_fields) == 8  # fallback, asked, header, body, field, item, note, second title and body
    for text in hostile_fields:
        assert "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; &amp; &lt;!here&gt;" in text, text
    for text in shown:
        assert "<!" not in text and "<http" not in text
        assert "<@" not in text or text.startswith("<@U0ALICE> asked")  # the only mention is the renderer's own
    # the button's value is data Slack hands back to us, not shown text: it stays as typed
    assert message["blocks"][-1]["elements"][0]["value"] == HOSTILE
    # mrkdwn is verbatim, so Slack does not link bare @here, #channel or URLs in model or user text either
    assert all(node.get("verbatim") for node in _mrkdwn_nodes(message["blocks"]))


def _mrkdwn_nodes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        own = [node] if node.get("type") == "mrkdwn" else []
        return own + [n for v in node.values() for n in _mrkdwn_nodes(v)]
    if isinstance(node, list):
        return [n for v in node for n in _mrkdwn_nodes(v)]
    return []


def test_asked_by_must_look_like_a_slack_user_id() -> None:
    message = render.message(Reply(text="x"), asked="q", asked_by="<!channel>")
    assert message["blocks"][0]["elements"][0]["text"] == "You asked: q"


def test_escaping_order_keeps_typed_entities_visible() -> None:
    assert render.escape("a &lt; b & <c>") == "a &amp;lt; b &amp; &lt;c&gt;"


def test_a_long_list_stays_within_50_blocks_and_says_how_many_are_left_out() -> None:
    items = tuple(f"item {i:02d} " + "words " * 450 for i in range(80))  # ~2,700 characters each: one block per item
    reply = Reply(text="a long list", sections=(Section(title="Long list", items=items),))
    message = render.message(reply, share_value="long list")
    blocks = message["blocks"]
    assert len(blocks) == render.MAX_BLOCKS
    assert blocks[-1]["type"] == "actions"  # the Share button survives the cut
    note = blocks[-2]
    assert note["type"] == "context"
    shown_items = sum(b["text"]["text"].count("• item") for b in blocks if b["type"] == "section")
    assert shown_items == 47  # header + 47 items + note + button
    assert note["elements"][0]["text"].startswith(f"… {80 - shown_items} more not shown")
    assert "Ask a narrower question" in note["elements"][0]["text"]


def test_many_sections_are_cut_at_the_limit_with_a_count() -> None:
    sections = tuple(Section(title=f"Part {i}", body=f"Body {i}", note=f"note {i}") for i in range(80))
    message = render.message(Reply(text="many", sections=sections))
    assert len(message["blocks"]) == render.MAX_BLOCKS
    note = message["blocks"][-1]["elements"][0]["text"]
    shown = sum(1 for b in message["blocks"] if b["type"] in {"header", "section"} and "Part" in b["text"]["text"])
    assert 20 < shown < 30
    assert note.startswith(f"… {80 - shown} more not shown")


def test_home_limit_is_a_parameter() -> None:
    sections = tuple(Section(body=f"Body {i}") for i in range(120))
    blocks = render.message(Reply(text="home", sections=sections), max_blocks=render.MAX_HOME_BLOCKS)["blocks"]
    assert len(blocks) == render.MAX_HOME_BLOCKS
    assert blocks[-1]["elements"][0]["text"].startswith("… 21 more not shown")


def test_section_text_is_split_at_3000_characters_without_losing_anything() -> None:
    body = " ".join(f"w{i:04d}" for i in range(1500))  # 8,999 characters
    message = render.message(Reply(text="long", sections=(Section(body=body),)))
    sections = [b for b in message["blocks"] if b["type"] == "section"]
    assert len(sections) == 3
    assert all(len(b["text"]["text"]) <= render.MAX_SECTION_TEXT for b in sections)
    assert " ".join(b["text"]["text"] for b in sections) == body
    assert not any(b["type"] == "context" for b in message["blocks"])  # nothing was cut, so no note


def test_splitting_never_breaks_an_escaped_character() -> None:
    body = "<" * 4000  # escapes to 16,000 characters with no space to split at
    sections = [b for b in render.message(Reply(text="x", sections=(Section(body=body),)))["blocks"] if b["type"] == "section"]
    assert all(len(b["text"]["text"]) <= render.MAX_SECTION_TEXT for b in sections)
    joined = "".join(b["text"]["text"] for b in sections)
    assert joined == "&lt;" * 4000


def test_long_header_field_and_many_fields_fit_with_a_note() -> None:
    fields = tuple((f"F{i}", "v" * 2500 if i == 0 else "v") for i in range(13))
    reply = Reply(text="t" * 5000, sections=(Section(title="T" * 200, body="b", fields=fields),))
    message = render.message(reply)
    header = message["blocks"][0]["text"]["text"]
    assert len(header) == render.MAX_HEADER_TEXT and header.endswith("…")
    field_blocks = [b for b in message["blocks"] if b.get("fields")]
    assert [len(b["fields"]) for b in field_blocks] == [10, 3]
    assert all(len(f["text"]) <= render.MAX_FIELD_TEXT for b in field_blocks for f in b["fields"])
    assert len(message["text"]) <= render.MAX_FALLBACK_TEXT
    assert message["blocks"][-1]["elements"][0]["text"] == "Some long text was shortened to fit Slack."


def test_reply_without_sections_shows_its_text_and_notices_are_plain() -> None:
    assert render.message(Reply(text="just <this>"))["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "just &lt;this&gt;", "verbatim": True}}
    ]
    notice = render.notice("There is no command '<!channel>'.")
    assert notice["text"] == "There is no command '&lt;!channel&gt;'."
    assert json.dumps(notice).count("&lt;!channel&gt;") == 2


def test_a_notice_modal_escapes_its_words_and_shows_people() -> None:
    modal = views.notice_modal(("Only ", Person("U0OWNER"), " may do that <!channel> & more"), "Log CMMI evidence")
    [block] = modal["blocks"]
    assert block["text"]["text"] == "Only <@U0OWNER> may do that &lt;!channel&gt; &amp; more"
    assert modal["title"]["text"] == "Log CMMI evidence" and "submit" not in modal
