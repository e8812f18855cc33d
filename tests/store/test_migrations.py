"""Migration 0004 on real SQLite and PostgreSQL: wider ID columns, workspaces namespaced by transport, and back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy import Engine, insert, text

from store import Store, make_engine
from store.db import alembic_config, current_revision
from store.schema import DigestSubscription
from tests.conftest import Clock
from tests.helpers import log_evidence

SLACK_TEAM = "T0123ABCD"
SLACK_ENTERPRISE = "E0ENTERPRISE1"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SLACK_SHAPED_TEAMS = "T0AAAAAAA"  # looks like a Slack team, but its digest subscription says Teams
GUID_SHAPED_SLACK = "0b7c0e4e-6a43-4f4b-9d5e-3c7a2d1f0e11"  # looks like a tenant, but its digest subscription says Slack
UNCHANGED = ("local", "W1", "tenant-0001", "t0123abcd")
TABLES = ("work_group", "channel_binding", "evidence", "rating", "audit_log", "digest_subscription")
EXPECTED = {
    SLACK_TEAM: f"slack:{SLACK_TEAM}",
    SLACK_ENTERPRISE: f"slack:{SLACK_ENTERPRISE}",
    TENANT: f"teams:{TENANT}",
    SLACK_SHAPED_TEAMS: f"teams:{SLACK_SHAPED_TEAMS}",
    GUID_SHAPED_SLACK: f"slack:{GUID_SHAPED_SLACK}",
    **{ws: ws for ws in UNCHANGED},
}
SUBSCRIBED = {SLACK_SHAPED_TEAMS: "teams", GUID_SHAPED_SLACK: "slack", TENANT: "teams", "local": "console"}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    command.upgrade(alembic_config(engine), "head")  # the PostgreSQL database is shared by the session's tests
    engine.dispose()


def populate(store: Store) -> None:
    """A little of everything in every workspace: group, channel binding, evidence, rating, audit, maybe a digest."""
    for n, ws in enumerate(EXPECTED):
        group = store.groups.add(workspace_id=ws, name="Service Desk", actor="U1")
        store.groups.bind_channel(workspace_id=ws, channel_id=f"C{n}", group_id=group.id, actor="U1")
        log_evidence(store, ws, group, actor="U1", link="https://wiki.example.com/a", note="minutes", on=date(2026, 11, 1))
        store.ratings.rate(workspace_id=ws, group=group, practice_key="WMC.SP1.6", process_area="WMC", value="LI", note=None, actor="U1")
        if ws in SUBSCRIBED:  # written as code of 0003's time did: today's Store also reads later columns (chart)
            now = store.clock()
            with store.engine.begin() as c:
                c.execute(
                    insert(DigestSubscription.__table__).values(
                        workspace_id=ws, channel_id=f"C{n}", transport=SUBSCRIBED[ws], weekday=0, local_time="09:00", timezone="UTC",
                        work_group_id=group.id, level=3, quiet_full=False, enabled=True, created_by="U1", created_at=now, updated_at=now,
                    )
                )  # fmt: skip


def workspaces(engine: Engine) -> dict[str, set[str]]:
    with engine.connect() as c:
        return {t: {row[0] for row in c.execute(text(f"SELECT DISTINCT workspace_id FROM {t}"))} for t in TABLES}


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as c:
        return {t: c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}


def head(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def test_upgrade_namespaces_every_table_keeps_every_row_and_downgrade_restores(engine: Engine) -> None:
    cfg = alembic_config(engine)
    command.downgrade(cfg, "0003")
    store = Store(engine, Clock())
    populate(store)
    before = counts(engine)
    assert before["channel_binding"] == len(EXPECTED)

    command.upgrade(cfg, "head")
    assert current_revision(engine) == head(engine)
    assert counts(engine) == before  # on SQLite the tables were copied: nothing cascaded away
    found = workspaces(engine)
    assert found["work_group"] == set(EXPECTED.values())
    for table in ("channel_binding", "evidence", "rating", "audit_log"):
        assert found[table] == set(EXPECTED.values()), table
    assert found["digest_subscription"] == {EXPECTED[ws] for ws in SUBSCRIBED}
    for n, (old, new) in enumerate(EXPECTED.items()):
        group = store.groups.for_channel(workspace_id=new, channel_id=f"C{n}")
        assert group is not None and group.name == "Service Desk", old
        assert store.evidence.count(workspace_id=new) == 1 and len(store.ratings.current(workspace_id=new)) == 1
    if engine.dialect.name == "sqlite":
        with engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1  # enforcement is back on after the migration
    try:
        command.check(cfg)
    except CommandError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(str(exc))

    command.downgrade(cfg, "0003")
    assert counts(engine) == before
    assert workspaces(engine)["work_group"] == set(EXPECTED)
    command.upgrade(cfg, "head")
    assert workspaces(engine)["work_group"] == set(EXPECTED.values())


def test_long_ids_fit_after_the_upgrade_and_downgrade_refuses_to_cut_them(engine: Engine) -> None:
    store = Store(engine, Clock())
    chat = "a:1" + "x" * 128
    group = store.groups.add(workspace_id="teams:" + TENANT, name="Desk", actor="U1")
    store.groups.bind_channel(workspace_id="teams:" + TENANT, channel_id=chat, group_id=group.id, actor="U1")
    with pytest.raises(RuntimeError, match=r"channel_binding\.channel_id are longer than 64"):
        command.downgrade(alembic_config(engine), "0003")
    assert current_revision(engine) == head(engine)  # a refused downgrade changes nothing
    assert store.groups.for_channel(workspace_id="teams:" + TENANT, channel_id=chat).name == "Desk"


def test_downgrade_refuses_to_merge_a_slack_and_a_teams_workspace(engine: Engine) -> None:
    store = Store(engine, Clock())
    store.groups.add(workspace_id=f"slack:{SLACK_TEAM}", name="Desk", actor="U1")
    store.groups.add(workspace_id=f"teams:{SLACK_TEAM}", name="Desk", actor="U2")
    with pytest.raises(RuntimeError, match="would both become"):
        command.downgrade(alembic_config(engine), "0003")
    assert current_revision(engine) == head(engine)  # a refused downgrade changes nothing
    assert [g.created_by for g in store.groups.list(workspace_id=f"teams:{SLACK_TEAM}")] == ["U2"]


def test_upgrade_refuses_to_merge_into_an_already_prefixed_workspace(engine: Engine) -> None:
    cfg = alembic_config(engine)
    command.downgrade(cfg, "0003")
    store = Store(engine, Clock())
    store.groups.add(workspace_id=SLACK_TEAM, name="Desk", actor="U1")
    store.groups.add(workspace_id=f"slack:{SLACK_TEAM}", name="Desk", actor="U2")  # `say --workspace slack:...` before 0004
    with pytest.raises(RuntimeError, match="would both become"):
        command.upgrade(cfg, "head")
    assert current_revision(engine) == "0003"
    assert [g.created_by for g in store.groups.list(workspace_id=SLACK_TEAM)] == ["U1"]
    with engine.begin() as c:  # so the fixture can upgrade the shared database again
        c.execute(text("DELETE FROM audit_log"))
        c.execute(text("DELETE FROM work_group"))
