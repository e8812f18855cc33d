"""Logging as the composition root sets it up: what a log line may never carry, whichever library writes it."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.logs import DropQueryStrings, RedactSecrets, redact
from store import make_engine

NOTE = "what-they-typed-K7p"


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("Failed to fetch oauth.v2.access result with code: 1234.5678.abcd - error: invalid_code", "1234.5678.abcd"),
        ("body_params: {'code': '1234.5678.abcd', 'redirect_uri': None}", "1234.5678.abcd"),
        ("request: {'code': ['1234.5678.abcd'], 'state': ['9f8e-7d6c']}", "9f8e-7d6c"),
        ('body: {"ok": true, "access_token": "xoxb-11-22-aabb", "token_type": "bot"}', "xoxb-11-22-aabb"),
        ("GET /slack/oauth_redirect?code=1234.5678.abcd&state=9f8e-7d6c", "1234.5678.abcd"),
        ("headers: {'Authorization': 'Bearer eyJ0eXAiOiJKV1Qi.e30.sig'}", "eyJ0eXAiOiJKV1Qi.e30.sig"),
        ("connecting with xapp-1-A0123-456-abcdef", "xapp-1-A0123-456-abcdef"),
        ("client_secret=3f2e1d0c9b8a", "3f2e1d0c9b8a"),
        (f"DETAIL:  Key (workspace_id, name_key)=(T1, {NOTE}) already exists.", NOTE),
        (f"DETAIL:  Failing row contains (7, T1, {NOTE}).", NOTE),
    ],
)
def test_secrets_are_redacted_wherever_they_appear(line: str, secret: str) -> None:
    cleaned = redact(line)
    assert secret not in cleaned and "[redacted]" in cleaned


def test_ordinary_lines_are_left_alone() -> None:
    for line in ["the code is here", "state machine", "status_code=200", "token_type: bot", "digest run at 09:00: sent=3"]:
        assert redact(line) == line


def test_a_database_error_logged_with_its_traceback_keeps_no_row_values(db_url: str) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets())
    log = logging.getLogger("cmmi_bot.test_wiring")
    log.addHandler(handler)
    engine = make_engine(db_url)
    insert = text(
        "INSERT INTO work_group (workspace_id, name, name_key, created_by, created_at) VALUES ('T1', :n, :n, 'U1', CURRENT_TIMESTAMP)"
    )
    try:
        with engine.begin() as conn:
            conn.execute(insert, {"n": NOTE})
            conn.execute(insert, {"n": NOTE})  # the same name twice in a workspace: the unique constraint fails
    except IntegrityError:
        log.exception("could not add a group")
    else:
        pytest.fail("the second insert should have failed")
    finally:
        engine.dispose()
        log.removeHandler(handler)
    logged = stream.getvalue()
    assert "could not add a group" in logged and "IntegrityError" in logged  # the traceback was there
    assert NOTE not in logged


def test_access_lines_lose_their_query_strings() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/slack/oauth_redirect?code=1234.5678&state=abc", "1.1", 200), None,
    )  # fmt: skip
    assert DropQueryStrings().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /slack/oauth_redirect HTTP/1.1" 200'
