"""The Block Kit checks every Slack test runs (blockkit.py, in the fake Slack and on acks), and the renderer against them."""

from __future__ import annotations

import json

import pytest
from blockkit import ack_problems, message_problems, options_problems, view_problems
from fake_slack import FakeSlack
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import render, views
from handlers import Action, Choice, Link, Person, Reply, Section


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(label: str, value: str = "v") -> dict:
    return {
        "type": "actions",
        "elements": [{"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": label}, "value": value}],
    }


@pytest.mark.parametrize(
    ("blocks", "found"),
    [
        ([section("x")] * 51, "51 blocks in one message"),
        ([section("x" * 3001)], "3001 characters"),
        ([button("b" * 76)], "76 characters"),
        ([button("b", "v" * 2001)], "2001 characters"),
        ([{"type": "sectoin", "text": {"type": "mrkdwn", "text": "x"}}], "not a Block Kit block type"),
        ([{**section("x"), "verbatim": True}], "reads this block differently"),  # a key in the wrong place
        ([{"type": "actions", "elements": [{"type": "static_select", "action_id": "m", "options": []}]}], "options"),
    ],
)
def test_what_slack_refuses_is_found(blocks: list, found: str) -> None:
    problems = message_problems({"text": "fallback", "blocks": blocks}, "test")
    assert any(found in p for p in problems), problems


def test_what_slack_takes_passes() -> None:
    assert message_problems({"text": "ok", "blocks": [section("x" * 3000), button("b" * 75, "v" * 2000)] * 25}, "test") == []


def test_views_options_and_acks_are_checked() -> None:
    assert any("101 blocks" in p for p in view_problems({"type": "home", "blocks": [section("x")] * 101}, "v"))
    assert any(
        "title" in p
        for p in view_problems({"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "blocks": [section("x")]}, "v")
    )
    assert options_problems([{"text": {"type": "plain_text", "text": "o" * 76}, "value": "v"}], "o")
    assert ack_problems(json.dumps({"text": "t", "blocks": [section("x" * 3001)]}))
    assert ack_problems(json.dumps({"response_action": "update", "view": {"type": "modal", "blocks": [section("x")] * 101}}))
    assert ack_problems("") == [] and ack_problems(json.dumps({"response_action": "errors", "errors": {"note": "too long"}})) == []


def test_the_fake_refuses_invalid_blocks_as_slack_does_and_remembers_why() -> None:
    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.api_url)
        client.chat_postMessage(channel="C1", text="fine", blocks=[section("fine")])
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="C1", text="too long", blocks=[section("x" * 3001)])
        assert refused.value.response["error"] == "invalid_blocks"
        assert fake.calls("chat.postMessage")[0].body["text"] == "fine" and len(fake.calls("chat.postMessage", ok_only=False)) == 2
        [problem] = [p for p in fake.take_problems() if "3001" in p]
        assert problem.startswith("chat.postMessage")
        assert fake.take_problems() == []


def test_a_fake_left_with_problems_fails_when_it_stops() -> None:
    with pytest.raises(AssertionError, match="Slack would have refused"), FakeSlack() as fake:
        fake.note_problems(["something Slack refuses"])


# Replies as handlers could build them: any words (escaping grows & < > fivefold), people, links, long labels, and
# many buttons and menus. Whatever they hold, the renderer must send Block Kit that Slack takes. Long texts are drawn
# from a few sizes around Slack's limits rather than generated character by character, which would be slow.
short = st.text(alphabet=st.sampled_from("ab <>&@|*_\n\u00e9\U0001f44d"), max_size=12)
long = st.sampled_from([74, 75, 76, 150, 151, 600, 2000, 2001, 3000, 3001, 6200]).flatmap(
    lambda n: st.sampled_from(["a", "<", "&", " ", "\n", "\U0001f44d", "a "]).map(lambda unit: (unit * n)[:n])
)
words = st.one_of(short, short, long)
inline = st.one_of(
    words,
    st.builds(Person, st.sampled_from(["U0ALICE", "W0BOB", "not-an-id"])),
    st.builds(Link, st.just("https://x.example/a?b=1&c=<2>"), words),
)
text = st.one_of(words, st.lists(inline, max_size=4).map(tuple))
choices = st.lists(st.builds(Choice, words, words), max_size=3).map(tuple) | st.just(
    tuple(Choice(f"v{n}", f"choice {n}") for n in range(130))
)
commands = st.sampled_from(["ask GP2.8", 'home --group "{value}"', "x" * 2001, "gaps {value}"])
action = st.builds(
    Action, st.sampled_from(["page", "show", "home"]), words, commands, st.sampled_from(["default", "primary", "danger"]), choices
)
sections = st.builds(
    Section,
    title=st.none() | words,
    body=text,
    fields=st.lists(st.tuples(words, text), max_size=12).map(tuple),
    items=st.lists(text, max_size=8).map(tuple),
    note=st.none() | words,
    actions=st.lists(action, max_size=3).map(tuple) | st.lists(action, min_size=26, max_size=30).map(tuple),
)
replies = st.builds(
    Reply,
    text=words,
    sections=st.lists(sections, max_size=8).map(tuple) | st.lists(sections, min_size=40, max_size=60).map(tuple),
    actions=st.lists(action, max_size=30).map(tuple),
)


# Shrinking these nested replies takes minutes; the failing example is reported as found, which is enough to read.
@settings(
    max_examples=60,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")  # a failing reply's repr is long
@given(reply=replies, asked=st.none() | words, share=st.none() | words)
def test_every_reply_renders_as_block_kit_slack_takes(reply: Reply, asked: str | None, share: str | None) -> None:
    problems = message_problems(render.message(reply, asked=asked, share_value=share), "message")
    problems += view_problems(views.home(reply), "home") + message_problems(render.notice(reply.text), "notice")
    assert not problems, "\n".join(p[:300] for p in problems[:5])
