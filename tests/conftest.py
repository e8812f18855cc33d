"""Shared fixtures: the real model and one real Whoosh index built from it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from handlers import Context
from index import ModelIndex, build_index
from model_data import Model, load_model
from store import Store, make_engine, sqlite_url, upgrade

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT.parent / "shared" / "eval" / "questions_dev.jsonl"
TEAM_SET = ROOT / "tests" / "data" / "questions_team.jsonl"


@pytest.fixture(scope="session", autouse=True)
def index_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Processes the tests start keep their built search index in a folder of this run's own, never the real cache."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@pytest.fixture(scope="session")
def model() -> Model:
    return load_model()


@pytest.fixture(scope="session")
def index(model: Model) -> ModelIndex:
    return build_index(model)


@pytest.fixture(scope="session")
def ctx(model: Model, index: ModelIndex) -> Context:
    return Context(model=model, index=index)


# ---- databases: every store and command test runs on SQLite and on PostgreSQL ---------------------


POSTGRES_ADMIN_URL = os.environ.get("CMMI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TABLES = (
    "digest_delivery", "digest_subscription", "audit_log", "rating", "evidence", "channel_binding", "work_group",
    "slack_bots", "slack_installations", "slack_oauth_states", "inbox", "feedback", "person", "workspace_setting",
    "reminder_delivery", "thread_context",
)  # fmt: skip


class Clock:
    """A clock tests move by hand; the store reads it for every timestamp."""

    def __init__(self, start: datetime = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of our own on the local PostgreSQL, created for this run and dropped after it."""
    admin = make_engine(POSTGRES_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"cmmi_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and could not be reached: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "cmmi.db")
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[Store]:
    engine = make_engine(db_url)
    yield Store(engine, clock)
    engine.dispose()


@pytest.fixture
def db_ctx(model: Model, index: ModelIndex, store: Store) -> Context:
    return Context(model=model, index=index, store=store)
