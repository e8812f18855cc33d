"""Property-based tests: no input, however strange, crashes the parsers or shows a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import Context, Request, UserError, dispatch
from handlers.args import split_words, take_options
from index import ModelIndex
from index.understand import clean
from store import Store

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


@pytest.fixture(scope="module")
def hostile_ctx(ctx: Context, tmp_path_factory) -> Context:
    from store import make_engine, sqlite_url, upgrade
    from tests.conftest import Clock

    engine = make_engine(sqlite_url(tmp_path_factory.mktemp("hostile") / "h.db"))
    upgrade(engine)
    store = Store(engine, Clock())
    store.add_group("W1", "Desk", "U1")
    store.bind_channel("W1", "C1", store.find_group("W1", "Desk").id, "U1")
    return Context(model=ctx.model, index=ctx.index, store=store)


def _rows(store: Store) -> tuple[int, int, int, bool]:
    return (
        store.count_evidence("W1"),
        len(store.current_ratings("W1")),
        len(store.list_groups("W1")),
        store.subscription("W1", "C1") is not None,
    )


@relaxed
@given(text=messages, admin=st.booleans())
def test_any_command_answers_or_explains_and_errors_write_nothing(hostile_ctx: Context, text: str, admin: bool) -> None:
    before = _rows(hostile_ctx.store)
    try:
        reply = dispatch(Request(text=text, user_id="U1", workspace_id="W1", channel_id="C1", is_admin=admin), hostile_ctx)
    except UserError as exc:
        message = str(exc)
        assert message and "Traceback" not in message and 'File "' not in message
        assert _rows(hostile_ctx.store) == before
        return
    assert reply.text or reply.sections
