"""Property-based tests: no input, however strange, crashes the parsers or shows a traceback; every command, on SQLite
and PostgreSQL and from every kind of chat ID, answers or explains, and an explained refusal writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack import render as slack_render
from bot.teams import render as teams_render
from handlers import Context, Reply, Request, UserError, dispatch
from handlers.support.parse import split_words, take_options
from index import ModelIndex
from index.understand import clean
from store import Store
from tests.helpers import log_evidence

# Words the parsers react to, mixed into random text so the interesting paths are reached.
KEYWORDS = [
    "evidence", "add", "list", "show", "remove", "rate", "status", "gaps", "group", "use", "rename", "to", "export", "digest",
    "on", "off", "now", "preview", "help", "ask", "WMC.SP1.6", "wmc sp 1.6", "GP2.8", "WMC.GP2.8", "ML3", "FI", "NY", "--group",
    "--kind", "--date", "--pa", "--level", "--full", "—group", '"', "'", "“", "<!channel>", "<@U1>", "https://x.example.com",
    "htp://", "2026-02-30", "Europe/Berlin", "09:00", "AND", "OR", "(", ")", "*", "~", "^", ":", "\\", "\x00", "\x1b[31m", "🙂",
    "你好", "' OR 1=1 --", "%s", "{0}", "${x}",
]  # fmt: skip
words = st.one_of(st.sampled_from(KEYWORDS), st.text(max_size=12))
messages = st.lists(words, max_size=12).map(" ".join) | st.text(max_size=300)
relaxed = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@relaxed
@given(text=messages)
def test_question_parser_never_crashes(index: ModelIndex, text: str) -> None:
    answer = index.search(text)
    assert answer.intent in {"empty", "none", "search", "lookup", "list"}
    assert all(h.id in index.model.elements for h in answer.hits)


@relaxed
@given(chunk=messages, repeat=st.integers(min_value=50, max_value=2_000))
def test_huge_questions(index: ModelIndex, chunk: str, repeat: int) -> None:
    text = (chunk + " ") * repeat  # up to hundreds of kilobytes
    answer = index.search(text)
    assert answer.intent in {"empty", "none", "search", "lookup", "list"}
    truncated = clean(text)[1]  # after Unicode normalisation and collapsing white space
    assert truncated == any("first 1,000 characters" in n for n in answer.notes)


@relaxed
@given(text=messages)
def test_word_splitting_is_total(text: str) -> None:
    """Splitting and option parsing either succeed or raise a UserError that explains itself."""
    try:
        positional, options = take_options(split_words(text), ("group", "kind"), "evidence add PRACTICE [--group NAME]")
    except UserError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return
    assert set(options) <= {"group", "kind"}
    assert all(isinstance(w, str) for w in positional)


# ---- every command, on SQLite and PostgreSQL, from every kind of chat ID ------------------------------------

TEAMS_PERSONAL_CHAT = "a:1" + "Pj2v0sRk8n-Yq3WbX_7mZt1LcFh9DgAaEo5uKi4NwQe6rTy0Hs2Vj8Bp3Ml7Cx1Zf" * 2  # 131 characters, as Teams sends them
TEAMS_CHANNEL = "19:4a5b2f3c8d1e4f6a9b0c7d2e5f8a1b3c@thread.tacv2"
TEAMS_USER = "29:1" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_" * 2 + "xyz"
WORKSPACES = ["W1", "slack:T0123ABCD", "teams:72f988bf-86f1-41af-91ab-2d7cd011db47", "w" * 255]
CHANNELS = ["C1", TEAMS_PERSONAL_CHAT, TEAMS_CHANNEL, "c" * 255]
USERS = ["U1", TEAMS_USER, "aad-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "u" * 255]
# What a request may carry beyond those: nothing, an oversized ID, characters no database stores.
ODD_IDS = ["", "x" * 256, "C\x001", "U\ud800", "é" * 255]
FOLDING = ["ß" * 80, "ΐ" * 80, "ﬃ" * 80, "İ" * 80, "ß" * 79 + "x"]
NUMBERS = [str(2**31 - 1), str(2**31), "3000000000", str(2**63), "9" * 40, "²", "٣", "#4294967296", "0", "1"]
HOSTILE_KEYWORDS = [
    *KEYWORDS, "\ud800", "\udfff", "\udc80\ud800", "a\x00b", *FOLDING, *NUMBERS, f'"{FOLDING[0]}"', "--group", "show", "remove",
]  # fmt: skip
hostile_words = st.one_of(
    st.sampled_from(HOSTILE_KEYWORDS),
    st.text(max_size=12),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=2),
)
hostile_messages = (
    st.lists(hostile_words, max_size=12).map(" ".join)
    | st.tuples(st.sampled_from(["evidence show", "evidence remove", "group add", "group use", "rate WMC.SP1.6 LI"]), hostile_words).map(
        " ".join
    )
    | st.text(max_size=300)
)
ids = {
    "workspace": st.sampled_from(WORKSPACES) | st.sampled_from(ODD_IDS),
    "channel": st.sampled_from(CHANNELS) | st.sampled_from(ODD_IDS),
    "user": st.sampled_from(USERS) | st.sampled_from(ODD_IDS),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hostile_ctx(request: pytest.FixtureRequest, ctx: Context, tmp_path_factory) -> Iterator[Context]:
    from sqlalchemy import text

    from store import make_engine, sqlite_url, upgrade
    from tests.conftest import TABLES, Clock

    if request.param == "sqlite":
        engine = make_engine(sqlite_url(tmp_path_factory.mktemp("hostile") / "h.db"))
        upgrade(engine)
    else:
        engine = make_engine(request.getfixturevalue("postgres_url"))
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    store = Store(engine, Clock())
    for ws in WORKSPACES:
        group = store.groups.add(workspace_id=ws, name="Desk", actor="U1")
        store.groups.add(workspace_id=ws, name=FOLDING[0], actor="U1")
        store.groups.bind_channel(workspace_id=ws, channel_id="C1", group_id=group.id, actor="U1")
        log_evidence(store, ws, group, actor="U1", link="https://wiki.example.com/a", note="minutes")
    yield Context(model=ctx.model, index=ctx.index, store=store)
    engine.dispose()


def _rows(store: Store, ws: str, channel: str) -> tuple[int, int, int, int, bool, str | None]:
    return (
        store.evidence.count(workspace_id=ws),
        len(store.evidence.list(workspace_id=ws, include_removed=True)),
        len(store.ratings.current(workspace_id=ws)),
        len(store.groups.list(workspace_id=ws)),
        store.digests.subscription(workspace_id=ws, channel_id=channel) is not None,
        (bound.name if (bound := store.groups.for_channel(workspace_id=ws, channel_id=channel)) else None),
    )


def _renders_everywhere(reply: Reply, request: Request) -> None:
    """What the adapters do next: render for Slack and Teams and encode as UTF-8, the step where an unpaired surrogate
    or a NUL that slipped through would fail and turn into the apology."""
    json.dumps(slack_render.message(reply)).encode("utf-8")
    json.dumps(teams_render.message(reply, request), ensure_ascii=False).encode("utf-8")


@relaxed
@given(text=hostile_messages, admin=st.booleans(), ws=ids["workspace"], channel=ids["channel"], user=ids["user"])
def test_any_command_answers_or_explains_and_errors_write_nothing(
    hostile_ctx: Context, text: str, admin: bool, ws: str, channel: str, user: str
) -> None:
    store = hostile_ctx.store
    storable = all(len(v) <= 255 and "\x00" not in v and "\ud800" not in v for v in (ws, channel, user))
    before = _rows(store, ws, channel) if storable else None
    request = Request(text=text, user_id=user, workspace_id=ws, channel_id=channel, is_admin=admin, transport="test")
    try:
        reply = dispatch(request, hostile_ctx)
    except UserError as exc:
        message = str(exc)
        assert message and "Traceback" not in message and 'File "' not in message
        json.dumps(slack_render.notice(message)).encode("utf-8")
        json.dumps(teams_render.notice(message), ensure_ascii=False).encode("utf-8")
        if storable:
            assert _rows(store, ws, channel) == before
        return
    assert reply.text or reply.sections
    _renders_everywhere(reply, request)


@pytest.mark.parametrize("number", NUMBERS[:-1])
def test_out_of_range_and_odd_numbers_are_missing_evidence_on_both_databases(hostile_ctx: Context, number: str) -> None:
    for verb in ("show", "remove"):
        with pytest.raises(UserError, match=r"^There is no evidence #"):
            dispatch(Request(text=f"evidence {verb} {number}", user_id="U1", workspace_id="W1", channel_id="C1"), hostile_ctx)


def test_a_real_evidence_number_still_answers(hostile_ctx: Context) -> None:
    [item] = hostile_ctx.store.evidence.list(workspace_id="W1", limit=1)
    reply = dispatch(Request(text=f"evidence show {item.id}", user_id="U1", workspace_id="W1", channel_id="C1"), hostile_ctx)
    assert reply.text == f"Evidence #{item.id}"
