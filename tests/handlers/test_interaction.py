"""What replies offer beyond text, through dispatch on SQLite and PostgreSQL: pages with Previous/Next and a process-area
menu, people and links as references, channel-wide changes announced, and only real answers marked shareable."""

from __future__ import annotations

import pytest

from handlers import Context, Link, Person, Reply, Request, UserError, dispatch, plain
from handlers.support.actions import Kind, permits

pytestmark = pytest.mark.calendar  # evidence is dated by the store's clock


def say(ctx: Context, text: str, user: str = "U1", channel: str = "C1", ws: str = "W1", admin: bool = False) -> Reply:
    return dispatch(Request(text=text, user_id=user, workspace_id=ws, channel_id=channel, is_admin=admin, transport="test"), ctx)


def everything(reply: Reply) -> str:
    parts = [reply.text]
    for s in reply.sections:
        parts += [s.title or "", plain(s.body), s.note or "", *(f"{n}: {plain(v)}" for n, v in s.fields), *map(plain, s.items)]
    return "\n".join(parts)


@pytest.fixture
def desk(db_ctx: Context) -> Context:
    say(db_ctx, 'group add "Service Desk"')
    say(db_ctx, "group use Service Desk")
    return db_ctx


def press(ctx: Context, reply: Reply, label: str) -> Reply:
    [action] = [a for a in reply.actions if a.label == label]
    assert permits(action.id, action.command), action.command  # what every transport checks before running it
    return dispatch(Request(text=action.command, user_id="U1", workspace_id="W1", channel_id="C1", transport="test", via="action"), ctx)


# ---- pages ----------------------------------------------------------------------------------------


def test_evidence_list_pages_through_everything_with_previous_and_next(desk: Context) -> None:
    ids = [say(desk, f"evidence add WMC.SP1.{1 + n % 7} item {n}").data["evidence_id"] for n in range(45)]
    first = say(desk, "evidence list")
    assert first.data == {**first.data, "page": 1, "pages": 3, "total": 45} and first.data["ids"] == ids[::-1][:20]
    assert [a.label for a in first.actions if a.id == Kind.PAGE] == ["Next ▶"]
    second = press(desk, first, "Next ▶")
    assert second.data["ids"] == ids[::-1][20:40]
    assert [a.label for a in second.actions if a.id == Kind.PAGE] == ["◀ Previous", "Next ▶"]
    third = press(desk, second, "Next ▶")
    assert third.data["ids"] == ids[::-1][40:] and [a.label for a in third.actions if a.id == Kind.PAGE] == ["◀ Previous"]
    assert press(desk, third, "◀ Previous").data["ids"] == second.data["ids"]
    assert "41–45 of 45" in everything(third)
    for reply in (first, second, third):
        assert "not shown" not in everything(reply)


def test_one_page_has_no_page_buttons(desk: Context) -> None:
    say(desk, "evidence add WMC.SP1.6 one")
    reply = say(desk, "evidence list")
    assert reply.data["pages"] == 1 and not [a for a in reply.actions if a.id == Kind.PAGE]


def test_the_process_area_menu_narrows_the_list_and_pages_keep_the_scope(desk: Context) -> None:
    say(desk, "group add Network")
    for n in range(22):
        say(desk, f"evidence add IRP.SP2.1 incident {n} --group Network")
    say(desk, "evidence add WMC.SP1.6 review --group Network")
    say(desk, "evidence add CAM.SP1.1 capacity")  # Service Desk's: not in Network's menu
    listed = say(desk, 'evidence list --group "Network"')
    [menu] = [a for a in listed.actions if a.choices]
    in_model_order = [pa.abbr for pa in desk.model.process_areas if pa.abbr in ("WMC", "IRP")]
    assert menu.id == Kind.FILTER and [c.value for c in menu.choices] == in_model_order  # only what has evidence
    narrowed_command = menu.command.replace("{value}", "IRP")
    assert permits(Kind.FILTER, narrowed_command)
    narrowed = dispatch(Request(text=narrowed_command, user_id="U1", workspace_id="W1", channel_id="C1", via="action"), desk)
    assert narrowed.data["total"] == 22 and narrowed.data["pages"] == 2
    following = press(desk, narrowed, "Next ▶")
    assert following.data["total"] == 22 and len(following.data["ids"]) == 2
    back = press(desk, following, "All process areas")
    assert back.data["total"] == 23  # the group's whole list again
    practice = say(desk, 'evidence list IRP.SP2.1 --group "Network"')
    assert press(desk, practice, "Next ▶").data["ids"] == following.data["ids"]  # a practice's pages too


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("evidence list --page 0", "--page takes a page number"),
        ("evidence list --page two", "--page takes"),
        ("evidence list --page 3", "only 1 page"),
    ],
)
def test_a_page_that_is_not_there_says_which_are(desk: Context, text: str, said: str) -> None:
    say(desk, "evidence add WMC.SP1.6 one")
    with pytest.raises(UserError, match=said):
        say(desk, text)


# ---- people and links ----------------------------------------------------------------------------


def test_evidence_show_names_people_and_links_the_evidence(desk: Context) -> None:
    evidence_id = say(desk, "evidence add WMC.SP1.6 https://wiki.example.com/r minutes", user="UALICE").data["evidence_id"]
    say(desk, f"evidence remove {evidence_id}", user="UBOSS", admin=True)
    shown = say(desk, f"evidence show {evidence_id}")
    fields = dict(shown.sections[0].fields)
    assert Person("UALICE") in fields["Logged"] and Person("UBOSS") in fields["Removed"]
    assert shown.sections[1].body == (Link("https://wiki.example.com/r"), " · minutes")
    assert [next(p for p in line if isinstance(p, Person)) for line in shown.sections[2].items] == [Person("UALICE"), Person("UBOSS")]


def test_refusals_that_name_a_person_carry_them(desk: Context) -> None:
    evidence_id = say(desk, "evidence add WMC.SP1.6 note", user="UALICE").data["evidence_id"]
    with pytest.raises(UserError) as refused:
        say(desk, f"evidence remove {evidence_id}", user="UBOB")
    assert Person("UALICE") in refused.value.text
    assert str(refused.value) == f"Only the person who logged evidence #{evidence_id} (UALICE) or a workspace admin can remove it."
    say(desk, "group add Network", user="UALICE")
    with pytest.raises(UserError) as renaming:
        say(desk, "group rename Network to Networks", user="UBOB")
    assert Person("UALICE") in renaming.value.text and "UALICE" in str(renaming.value)
    assert desk.store.evidence.count(workspace_id="W1") == 1 and say(desk, "group list").data["groups"] == ["Network", "Service Desk"]


# ---- announcements -------------------------------------------------------------------------------


def test_channel_wide_changes_are_announced_naming_who_made_them(db_ctx: Context) -> None:
    say(db_ctx, 'group add "Service Desk"')
    bound = say(db_ctx, "group use Service Desk", user="UCAROL")
    assert bound.text == 'This channel now logs to "Service Desk".'  # the private reply is as it was
    assert bound.announce[0] == Person("UCAROL") and '"Service Desk"' in plain(bound.announce)
    on = say(db_ctx, "digest on friday 16:30 Europe/Berlin", user="UCAROL")
    assert on.announce[0] == Person("UCAROL") and "turned on" in plain(on.announce) and "Fridays" in plain(on.announce)
    changed = say(db_ctx, "digest on monday 09:00 UTC", user="UDAN")
    assert changed.announce[0] == Person("UDAN") and "changed" in plain(changed.announce) and "Mondays" in plain(changed.announce)
    off = say(db_ctx, "digest off", user="UDAN")
    assert off.announce == (Person("UDAN"), " turned off this channel's weekly CMMI digest.")
    for quiet in ("digest", "group list", "digest preview", 'group add "Network"'):
        assert say(db_ctx, quiet).announce is None, quiet


# ---- what may be shared ----------------------------------------------------------------------------


def test_only_real_answers_are_shareable(db_ctx: Context) -> None:
    assert say(db_ctx, "what does WMC.SP1.6 require").shareable
    assert say(db_ctx, "practices of IRP").shareable
    assert say(db_ctx, "OPF vs OPD").shareable
    for not_an_answer in ("qwxzy plorf", "explain the RD process area", "help", "group list", "feedback good what is CAM"):
        assert not say(db_ctx, not_an_answer).shareable, not_an_answer
