"""Limits are the app's, not the database's: long IDs, folding names, huge numbers and unstorable characters get the
same answer on SQLite and PostgreSQL, a success or a clear UserError, and a refusal writes nothing."""

from __future__ import annotations

import random
import re
import string
import sys

import pytest

from handlers import Context, Reply, Request, UserError, dispatch
from handlers.evidence import add_evidence
from handlers.support.parse import MAX_GROUP_KEY, MAX_GROUP_NAME, MAX_ID, check_group_name, check_note, parse_link
from store import MAX_ROW_ID, Store
from store.schema import ChannelBinding, DigestSubscription, WorkGroup

pytestmark = pytest.mark.calendar  # evidence dates come from the injected clock


def teams_personal_chat_id(seed: int = 1) -> str:
    """The shape of a Teams personal chat's conversation ID: 'a:1' and 128 URL-safe characters (131 in all)."""
    rng = random.Random(seed)
    return "a:1" + "".join(rng.choice(string.ascii_letters + string.digits + "-_") for _ in range(128))


TEAMS_USER = "29:1" + "x" * 86  # Teams user IDs when no AAD object ID is sent: about 90 characters
TEAMS_TENANT = "teams:72f988bf-86f1-41af-91ab-2d7cd011db47"


def say(ctx: Context, text: str, *, ws: str = "W1", channel: str = "C1", user: str = "U1", transport: str = "test") -> Reply:
    return dispatch(Request(text=text, user_id=user, workspace_id=ws, channel_id=channel, transport=transport), ctx)


def rows(store: Store, ws: str = "W1") -> tuple[int, int, int, int]:
    groups = store.groups.list(workspace_id=ws)
    return (
        store.evidence.count(workspace_id=ws),
        len(store.ratings.current(workspace_id=ws)),
        len(groups),
        len(store.evidence.list(workspace_id=ws, include_removed=True)),
    )


@pytest.fixture
def desk(db_ctx: Context) -> Context:
    say(db_ctx, 'group add "Service Desk"')
    say(db_ctx, "group use Service Desk")
    return db_ctx


# ---- IDs ------------------------------------------------------------------------------------------


def test_a_teams_personal_chat_can_bind_a_group_and_subscribe_to_digests(db_ctx: Context) -> None:
    chat = teams_personal_chat_id()
    assert len(chat) == 131
    kw = dict(ws=TEAMS_TENANT, channel=chat, user=TEAMS_USER, transport="teams")
    say(db_ctx, 'group add "Service Desk"', **kw)
    assert "now logs" in say(db_ctx, "group use Service Desk", **kw).text
    assert "weekly digest" in say(db_ctx, "digest on", **kw).text
    logged = say(db_ctx, "evidence add WMC.SP1.6 https://wiki.example.com/review minutes", **kw)
    assert logged.data["created"]
    store = db_ctx.store
    assert store.groups.for_channel(workspace_id=TEAMS_TENANT, channel_id=chat).name == "Service Desk"
    sub = store.digests.subscription(workspace_id=TEAMS_TENANT, channel_id=chat)
    assert sub is not None and sub.channel_id == chat and sub.created_by == TEAMS_USER
    assert store.evidence.list(workspace_id=TEAMS_TENANT)[0].created_by == TEAMS_USER


def test_ids_of_the_longest_accepted_length_are_stored_whole(db_ctx: Context) -> None:
    ws, channel, user = "w" * MAX_ID, "c" * MAX_ID, "u" * MAX_ID
    say(db_ctx, "group add Desk", ws=ws, channel=channel, user=user)
    say(db_ctx, "group use Desk", ws=ws, channel=channel, user=user)
    say(db_ctx, "rate WMC.SP1.6 LI patchy", ws=ws, channel=channel, user=user)
    assert db_ctx.store.groups.for_channel(workspace_id=ws, channel_id=channel).created_by == user
    assert db_ctx.store.ratings.current(workspace_id=ws)


@pytest.mark.parametrize("which", ["ws", "channel", "user"])
def test_an_id_over_the_limit_is_refused_before_the_database(db_ctx: Context, which: str) -> None:
    say(db_ctx, "group add Desk")
    ids = {"ws": "W1", "channel": "C1", "user": "U1", which: "x" * (MAX_ID + 1)}
    before = rows(db_ctx.store)
    for text in ("group add Other", "group use Desk", "evidence add WMC.SP1.6 a note --group Desk", "digest on", "ask what is WMC"):
        with pytest.raises(UserError, match=rf"ID of this request is {MAX_ID + 1} characters long; cmmi-bot accepts IDs of up to {MAX_ID}"):
            say(db_ctx, text, **ids)
    assert rows(db_ctx.store) == before
    assert db_ctx.store.digests.subscription(workspace_id="W1", channel_id="C1") is None


@pytest.mark.parametrize(("which", "label"), [("ws", "workspace"), ("channel", "channel"), ("user", "user")])
def test_an_empty_id_is_refused(db_ctx: Context, which: str, label: str) -> None:
    ids = {"ws": "W1", "channel": "C1", "user": "U1", which: ""}
    with pytest.raises(UserError, match=f"This request names no {label}"):
        say(db_ctx, "group add Desk", **ids)
    assert db_ctx.store.groups.list(workspace_id="") == [] and db_ctx.store.groups.list(workspace_id="W1") == []


def test_the_modal_path_checks_ids_too(desk: Context) -> None:
    """The Slack modal stores through add_evidence without dispatch; it gets the same boundary check."""
    from handlers.support.lookup import resolve_practice

    practice = resolve_practice(desk, ["WMC.SP1.6"], None, "usage")[0]
    group = desk.store.groups.find(workspace_id="W1", name="Service Desk")
    request = Request(text="evidence add (modal)", user_id="u" * (MAX_ID + 1), workspace_id="W1", channel_id="C1")
    with pytest.raises(UserError, match="user ID of this request"):
        add_evidence(request, desk, practice=practice, group=group, note="minutes")
    assert desk.store.evidence.count(workspace_id="W1") == 0


# ---- group names ------------------------------------------------------------------------------------


def test_the_key_column_holds_the_longest_folded_name() -> None:
    widest = max(len(chr(c).casefold()) for c in range(sys.maxunicode + 1))
    assert MAX_GROUP_KEY >= widest * MAX_GROUP_NAME
    assert WorkGroup.__table__.c.name_key.type.length >= MAX_GROUP_KEY
    assert WorkGroup.__table__.c.name.type.length >= MAX_GROUP_NAME
    for column in (ChannelBinding.__table__.c.channel_id, DigestSubscription.__table__.c.channel_id, WorkGroup.__table__.c.workspace_id):
        assert column.type.length >= MAX_ID


@pytest.mark.parametrize("letter", ["ß", "ΐ", "ﬃ"])  # fold to 2, 3 and 3 characters
def test_names_that_grow_when_case_folded_are_stored_and_found(db_ctx: Context, letter: str) -> None:
    name = letter * MAX_GROUP_NAME
    assert len(name.casefold()) > MAX_GROUP_NAME
    assert "Added work group" in say(db_ctx, f'group add "{name}"').text
    assert "now logs" in say(db_ctx, f'group use "{name}"').text
    assert db_ctx.store.groups.for_channel(workspace_id="W1", channel_id="C1").name == name
    with pytest.raises(UserError, match="already exists"):
        say(db_ctx, f'group add "{name}"')
    renamed = letter * (MAX_GROUP_NAME - 1) + "x"
    say(db_ctx, f'group rename "{name}" to "{renamed}"')
    assert [g.name for g in db_ctx.store.groups.list(workspace_id="W1")] == [renamed]


def test_a_name_over_the_limit_is_refused(db_ctx: Context) -> None:
    with pytest.raises(UserError, match=f"use 1-{MAX_GROUP_NAME} letters"):
        say(db_ctx, f'group add "{"a" * (MAX_GROUP_NAME + 1)}"')
    assert db_ctx.store.groups.list(workspace_id="W1") == []


# ---- evidence numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [str(MAX_ROW_ID + 1), "3000000000", "#3000000000", str(2**63), "9" * 30, "0", "²", "٣", "①", "1" + "0" * 5000],
)
@pytest.mark.parametrize("verb", ["show", "remove"])
def test_numbers_no_evidence_can_have_are_answered_as_missing(desk: Context, verb: str, number: str) -> None:
    say(desk, "evidence add WMC.SP1.6 https://wiki.example.com/a minutes")
    before = rows(desk.store)
    shown = number.lstrip("#")
    shown = shown if len(shown) <= 24 else shown[:24] + "…"
    with pytest.raises(UserError) as caught:
        say(desk, f"evidence {verb} {number}")
    assert str(caught.value) == f"There is no evidence #{shown} in this workspace."
    assert rows(desk.store) == before


def test_the_largest_row_id_is_an_ordinary_missing_number(desk: Context) -> None:
    with pytest.raises(UserError, match=f"^There is no evidence #{MAX_ROW_ID} in this workspace"):
        say(desk, f"evidence show {MAX_ROW_ID}")


def test_an_ordinary_number_still_works(desk: Context) -> None:
    logged = say(desk, "evidence add WMC.SP1.6 https://wiki.example.com/a minutes")
    number = logged.data["evidence_id"]
    assert f"Evidence #{number}" in say(desk, f"evidence show #{number}").text
    assert f"Removed evidence #{number}" in say(desk, f"evidence remove 00{number}").text


# ---- characters no database can store --------------------------------------------------------------

UNSTORABLE = [("\x00", "a NUL character (U+0000)"), ("\ud800", "U+D800"), ("\udfff", "U+DFFF"), ("\udc80", "U+DC80")]


@pytest.mark.parametrize(("char", "named"), UNSTORABLE)
@pytest.mark.parametrize(
    "template",
    [
        "evidence add WMC.SP1.6 https://wiki.example.com/a minutes{c}here",
        "evidence add WMC.SP1.6 https://wiki.example.com/a{c}b minutes",
        "evidence add WMC.SP1.6 a note --group Service{c}Desk",
        "rate WMC.SP1.6 LI patchy{c}",
        'group add "Desk{c}2"',
        'group rename "Service Desk" to "Desk{c}"',
        "evidence list --group {c}",
        "what is{c} WMC.SP1.6",
    ],
)
def test_unstorable_characters_are_named_and_nothing_is_written(desk: Context, template: str, char: str, named: str) -> None:
    before = rows(desk.store)
    with pytest.raises(UserError) as caught:
        say(desk, template.format(c=char))
    message = str(caught.value)
    assert named in message and "cannot store" in message and "Remove it" in message
    assert char not in message
    assert rows(desk.store) == before
    assert [g.name for g in desk.store.groups.list(workspace_id="W1")] == ["Service Desk"]


@pytest.mark.parametrize(("char", "named"), UNSTORABLE)
def test_unstorable_characters_in_ids_are_refused(db_ctx: Context, char: str, named: str) -> None:
    with pytest.raises(UserError, match="contains a character that cannot be stored"):
        say(db_ctx, "group add Desk", channel=f"C{char}1")
    assert db_ctx.store.groups.list(workspace_id="W1") == []


def test_a_modal_note_with_a_nul_says_which_character() -> None:
    with pytest.raises(UserError, match=r"The note contains a NUL character \(U\+0000\)"):
        check_note("minutes\x00")
    assert check_note("  minutes of the review 🙂 ") == "minutes of the review 🙂"  # a paired astral character is fine


@pytest.mark.parametrize(("char", "named"), UNSTORABLE)
def test_the_parts_called_without_dispatch_name_the_character_too(char: str, named: str) -> None:
    for check, what, value in (
        (parse_link, "link", f"https://wiki.example.com/a{char}b"),
        (check_note, "note", f"minutes{char}"),
        (check_group_name, "work group name", f"Desk{char}"),
    ):
        with pytest.raises(UserError, match=f"^The {what} contains .*{re.escape(named)}"):
            check(value)
