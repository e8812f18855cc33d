"""Start-up as operators meet it: real `cmmi-bot` processes against empty, busy, unreachable and malformed databases."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from store import make_engine, sqlite_url
from store.db import alembic_config
from tests.conftest import POSTGRES_ADMIN_URL

CLI = [sys.executable, "-m", "bot"]
ROOT = Path(__file__).parents[2]
INVALID = "cmmi-bot: CMMI_DATABASE_URL is not a valid database URL: "
BUSY = "cmmi-bot: the database is busy or unreachable ("


def environment(url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CMMI_", "SLACK_"))}
    return {**env, "CMMI_DATABASE_URL": url, "XDG_DATA_HOME": str(tmp_path / "data")}


def start(url: str, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *args], cwd=tmp_path, env=environment(url, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def run(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=tmp_path, env=environment(url, tmp_path), capture_output=True, text=True, timeout=120)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(make_engine(sqlite_url(Path("unused.db"))))).get_current_head() or ""


@pytest.fixture
def fresh_postgres() -> Iterator[Callable[[], str]]:
    """Empty PostgreSQL databases of this test's own, dropped afterwards."""
    admin = make_engine(POSTGRES_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"cmmi_start_{uuid.uuid4().hex[:10]}"
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except OperationalError as exc:
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL is required in CI and could not be reached: {exc}")
            pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}")
        made.append(name)
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_three_processes_starting_at_once_on_an_empty_database_all_come_up(kind: str, tmp_path: Path, fresh_postgres) -> None:
    head = head_revision()
    # Each round is a new empty database; a race shows in some rounds only, so there are several.
    for round_ in range(3):
        url = sqlite_url(tmp_path / f"round{round_}.db") if kind == "sqlite" else fresh_postgres()
        processes = [
            start(url, tmp_path, "db", "upgrade"),
            start(url, tmp_path, "db", "upgrade"),
            start(url, tmp_path, "say", "group", "list"),
        ]
        outcomes = [(*p.communicate(timeout=120), p.returncode) for p in processes]
        for _out, err, status in outcomes:
            assert status == 0, err
            assert "Traceback" not in err
        assert outcomes[2][0].startswith("No work groups yet")
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
                assert conn.execute(text("SELECT count(*) FROM work_group")).scalar() == 0
        finally:
            engine.dispose()


def malformed_urls(tmp_path: Path) -> list[str]:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    text_file = tmp_path / "notes.txt"
    text_file.write_text("these are notes, not an SQLite database " * 200)
    return [
        "nosuch://",
        "not a url",
        "postgresql+psycopg://:x@/",
        "postgresql+psycopg://cmmi:secretpw@db.internal:notaport/cmmi",
        "postgresql+psycopg://cmmi:secretpw@db.internal:5432/",
        "postgresql+psycopg2://cmmi:secretpw@db.internal/cmmi",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test?nosuchoption=1",
        "mysql://cmmi:secretpw@db.internal/cmmi",
        "sqlite://",
        "sqlite:///:memory:",
        sqlite_url(a_file / "cmmi.db"),  # a folder that cannot be made, even by root
        sqlite_url(text_file),
        sqlite_url(tmp_path),
    ]


def test_a_malformed_database_url_is_one_line_and_exit_2(tmp_path: Path) -> None:
    urls = malformed_urls(tmp_path)
    # `say` builds the whole context, `db upgrade` only the store: both must fail the same way.
    processes = [start(url, tmp_path, *(("say", "group", "list") if i % 2 else ("db", "upgrade"))) for i, url in enumerate(urls)]
    for url, process in zip(urls, processes, strict=True):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 2, (url, err)
        assert err.startswith(INVALID) and err.count("\n") == 1, (url, err)
        assert "Traceback" not in err and "secretpw" not in err and out == ""


def test_commands_without_a_database_do_not_mind_a_bad_url(tmp_path: Path) -> None:
    out = run("nosuch://", tmp_path, "ask", "what is CAM")
    assert out.returncode == 0 and out.stdout.startswith("CAM"), out.stderr


def test_an_unreachable_server_is_busy_or_unreachable_not_a_bad_url(tmp_path: Path) -> None:
    out = run("postgresql+psycopg://postgres:secretpw@127.0.0.1:1/cmmi?connect_timeout=2", tmp_path, "db", "upgrade")
    assert out.returncode == 2
    assert out.stderr.startswith(BUSY) and out.stderr.count("\n") == 1 and "secretpw" not in out.stderr, out.stderr


def test_a_database_the_server_does_not_have_is_refused_in_one_line(tmp_path: Path, fresh_postgres) -> None:
    fresh_postgres()  # skips when PostgreSQL is not here
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/cmmi_no_such_database"
    out = run(url, tmp_path, "db", "upgrade")
    assert out.returncode == 2
    assert out.stderr.startswith("cmmi-bot: the database server refused CMMI_DATABASE_URL: ") and out.stderr.count("\n") == 1, out.stderr
    assert 'database "cmmi_no_such_database" does not exist' in out.stderr


def test_a_locked_sqlite_database_is_busy_not_a_bad_url(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("CREATE TABLE held (x)")
    try:
        out = run(sqlite_url(path), tmp_path, "say", "group", "list")  # waits out the 5 s busy timeout, then gives up
    finally:
        holder.rollback()
        holder.close()
    assert out.returncode == 2
    assert out.stderr == BUSY + "database is locked). Nothing was changed; try again in a moment.\n"
