"""A local fake of the Bot Framework connector on 127.0.0.1: records the activities the bot posts and the conversations it
opens, accepts file uploads as a OneDrive upload session does, answers like Teams, and checks every card it is sent
against Adaptive Cards 1.5 (tests/bot/teams/adaptive_cards.py)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from tests.bot.teams.adaptive_cards import cards_in, validate_card


@dataclass(frozen=True)
class Upload:
    path: str
    headers: dict[str, str]
    content: bytes


@dataclass(frozen=True)
class Posted:
    conversation_id: str
    reply_to: str | None  # the activity ID for POST .../activities/{id}, else None
    body: dict[str, Any]
    authorization: str | None


class FakeConnector:
    """Start with `with FakeConnector() as teams:`; put `teams.service_url` into activities' serviceUrl."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._posted: list[Posted] = []
        self._failures: list[tuple[int, dict[str, Any]]] = []
        self._uploads: list[Upload] = []
        self._conversations: list[dict[str, Any]] = []
        self.card_errors: list[str] = []  # every card posted here, or answered to an invoke, is checked
        self.refuse_conversations = False  # answer creating a personal chat with 403, as Teams does when the app is not installed
        self.departed: set[str] = set()  # members a personal chat cannot be opened with (403): they left the tenant
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FakeConnector:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def service_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def reset(self) -> None:
        with self._lock:
            self._posted.clear()
            self._failures.clear()
            self._uploads.clear()
            self._conversations.clear()
            self.card_errors.clear()
            self.refuse_conversations = False
            self.departed.clear()

    def fail_next(self, status: int, code: str) -> None:
        """Answer the next post with an error, as the connector does (e.g. 404 ConversationNotFound)."""
        with self._lock:
            self._failures.append((status, {"error": {"code": code, "message": code}}))

    def posted(self) -> list[Posted]:
        with self._lock:
            return list(self._posted)

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[Posted]:
        with self._lock:
            self._lock.wait_for(lambda: len(self._posted) >= count, timeout=timeout)
            found = list(self._posted)
        assert len(found) >= count, f"expected {count} post(s), got {len(found)}"
        return found

    def uploads(self) -> list[Upload]:
        with self._lock:
            return list(self._uploads)

    def conversations(self) -> list[dict[str, Any]]:
        """The bodies of POST /v3/conversations: the personal chats the bot opened."""
        with self._lock:
            return list(self._conversations)

    def upload_url(self, name: str) -> str:
        """Where an accepted file consent says to upload: an upload session on this fake."""
        return f"{self.service_url}upload/{name}"

    def check_cards(self, payload: Any, where: str) -> None:
        """Validate every Adaptive Card in an activity or invoke response; what is wrong is kept in card_errors."""
        for card in cards_in(payload):
            errors = validate_card(card)
            if errors:
                with self._lock:
                    self.card_errors.extend(f"{where}: {e}" for e in errors)

    def quiet_for(self, seconds: float) -> None:
        time.sleep(seconds)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # else every small response waits ~40 ms for a delayed ACK

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_PUT(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?")[0]
                if not path.startswith("/upload/"):
                    self._send(404, {"error": {"code": "NotFound"}})
                    return
                with fake._lock:
                    fake._uploads.append(Upload(unquote(path[len("/upload/") :]), dict(self.headers.items()), raw))
                    fake._lock.notify_all()
                self._send(201, {"id": "onedrive-item", "name": unquote(path.rsplit("/", 1)[-1]), "size": len(raw)})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path.split("?")[0].strip("/").split("/")
                if parts == ["v3", "conversations"]:
                    body = json.loads(raw)
                    member = ((body.get("members") or [{}])[0]).get("id", "nobody")
                    if fake.refuse_conversations or member in fake.departed:
                        self._send(403, {"error": {"code": "Forbidden", "message": "The bot is not installed for the user"}})
                        return
                    with fake._lock:
                        fake._conversations.append(body)
                    self._send(201, {"id": f"a:personal-{member}"})
                    return
                # v3/conversations/{id}/activities[/{activityId}]
                if len(parts) not in (4, 5) or parts[:2] != ["v3", "conversations"] or parts[3] != "activities":
                    self._send(404, {"error": {"code": "NotFound"}})
                    return
                with fake._lock:
                    failure = fake._failures.pop(0) if fake._failures else None
                if failure is not None:
                    self._send(*failure)
                    return
                posted = Posted(
                    unquote(parts[2]), unquote(parts[4]) if len(parts) == 5 else None, json.loads(raw), self.headers.get("Authorization")
                )
                fake.check_cards(posted.body, f"post to {posted.conversation_id}")
                with fake._lock:
                    fake._posted.append(posted)
                    fake._lock.notify_all()
                self._send(201, {"id": f"1700000000{next(fake._ids):03d}"})

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
