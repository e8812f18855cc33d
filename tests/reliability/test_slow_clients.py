"""Slow, stalled and vanishing clients against the real HTTP server on 127.0.0.1: each is closed within its deadline,
the number of connections stays bounded, and nothing is logged above DEBUG for a client that simply went away."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from bot import http
from handlers import Context
from tests.reliability.conftest import Served, serve_slack

DEADLINE = 0.5  # seconds: header and body timeouts, shortened for the test


@pytest.fixture
def served(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setattr(http, "HEADER_TIMEOUT", DEADLINE)
    monkeypatch.setattr(http, "BODY_TIMEOUT", DEADLINE)
    monkeypatch.setattr(http, "MAX_CONNECTIONS", 20)
    with serve_slack(ctx) as served:
        yield served


def connect(served: Served) -> socket.socket:
    url = urlparse(served.url)
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    return sock


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """(True, what the server sent before closing) when the server closed the connection within `seconds`."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return False, received
    except ConnectionResetError:
        pass
    return True, received


def head(length: int) -> bytes:
    return (
        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def test_a_client_that_never_finishes_its_headers_is_closed(served: Served) -> None:
    sock = connect(served)
    sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # ... and nothing more
    started = time.monotonic()
    closed, _ = closed_within(sock, 10)
    assert closed and time.monotonic() - started < 5  # closed by the header deadline, not left open
    sock.close()


def test_a_client_that_stalls_in_its_body_gets_408_and_is_closed(served: Served) -> None:
    sock = connect(served)
    sock.sendall(head(1000) + b'{"type": "event_callback"')
    closed, received = closed_within(sock, 10)
    assert closed and received.startswith(b"HTTP/1.1 408")
    sock.close()


def test_a_client_that_disconnects_mid_body_leaves_no_error_in_the_log(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        for _ in range(20):
            sock = connect(served)
            sock.sendall(head(5000) + b'{"type": "event_callback", "event": {')
            sock.close()
        time.sleep(0.5)
        assert served.post('{"type": "url_verification", "challenge": "still-here"}', "application/json") == 200
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert noisy == [], [r.getMessage() for r in noisy][:3]
    assert not any(r.exc_info for r in caplog.records)  # no traceback at any level
    assert any("disconnected before sending its whole request" in r.getMessage() for r in caplog.records)


def test_connections_beyond_the_limit_are_closed_at_once_and_the_server_keeps_serving(served: Served) -> None:
    held = [connect(served) for _ in range(20)]
    try:
        for sock in held:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\n")  # slow clients holding their connections
        time.sleep(0.2)
        extra = [connect(served) for _ in range(10)]
        refused = sum(closed_within(sock, 0.3)[0] for sock in extra)
        assert refused == 10  # each closed at once, long before the header deadline
        for sock in extra:
            sock.close()
    finally:
        for sock in held:
            sock.close()
    time.sleep(DEADLINE)
    assert served.post('{"type": "url_verification", "challenge": "after-the-flood"}', "application/json") == 200
