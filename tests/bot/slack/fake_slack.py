"""A local fake of the Slack Web API and of response_url on 127.0.0.1: answers like Slack and records every call."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from blockkit import api_problems, message_problems

TEAM_ID = "T0FAKE"
BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
RESPONSE_URL = "response_url"  # the method name recorded for posts to a response_url
UPLOAD = "upload"  # the method name recorded for a file's bytes posted to an upload URL (files_upload_v2, step 2)


@dataclass(frozen=True)
class Call:
    method: str  # a Web API method such as "chat.postMessage", or RESPONSE_URL
    path: str
    body: dict[str, Any]
    token: str | None
    status: int  # what the fake answered
    ok: bool = True  # False when the fake answered {"ok": false, ...}

    @property
    def delivered(self) -> bool:
        return self.status == 200 and self.ok


class _Server(ThreadingHTTPServer):
    # A listen backlog like a real server's: socketserver's default of 5 overflows when dozens of workers answer at
    # once, and a client then waits out SYN retransmissions (1 s, 2 s, 4 s...) before its connection is taken.
    request_queue_size = 128
    daemon_threads = True


class FakeSlack:
    """Start with `with FakeSlack() as slack:`; point SLACK_API_URL at `slack.api_url`."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._failures: dict[str, list[tuple[int, str, dict[str, str]]]] = {}
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        self.users: dict[str, dict[str, Any]] = {}  # users.info overrides: user ID -> fields (is_admin, tz, ...)
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel -> messages posted there, for conversations.history
        self.uploads: dict[str, dict[str, Any]] = {}  # file ID -> {"filename", "length", "content", "channel", ...}
        self.grants: dict[str, tuple[str, str]] = {}  # OAuth code -> (team ID, bot token) that oauth.v2.access hands out
        self.teams: dict[str, str] = {}  # bot token -> team ID, for auth.test (other tokens: TEAM_ID)
        self.problems: list[str] = []  # Block Kit that Slack would refuse, sent by the app or acknowledged (blockkit.py)
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # ---- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        problems = self.take_problems()
        if exc[0] is None and problems:
            raise AssertionError("Slack would have refused what the app sent:\n" + "\n".join(problems))

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/response_url/{name}"

    # ---- what tests control and read -----------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self.users.clear()
            self.messages.clear()
            self.uploads.clear()
            self.grants.clear()
            self.teams.clear()

    def note_problems(self, problems: list[str]) -> None:
        with self._lock:
            self.problems.extend(problems)

    def take_problems(self) -> list[str]:
        """Block Kit problems found since the last call (the conftest fails the test that caused them)."""
        with self._lock:
            found, self.problems = self.problems, []
            return found

    def set_user(self, user_id: str, **fields: Any) -> None:
        """What users.info says about a user from now on, e.g. set_user("U1", is_admin=True, tz="Europe/Berlin")."""
        with self._lock:
            self.users[user_id] = fields

    def add_message(self, channel: str, ts: str, text: str = "", metadata: dict[str, Any] | None = None) -> None:
        """Put a message into a channel's history, as if posted earlier (by another process, say)."""
        with self._lock:
            message = {"type": "message", "ts": ts, "text": text, "bot_id": BOT_ID}
            if metadata:
                message["metadata"] = metadata
            self.messages.setdefault(channel, []).append(message)

    def grant(self, code: str, team_id: str, bot_token: str) -> None:
        """Let oauth.v2.access exchange `code` for `bot_token`, installed in `team_id` (as after "Allow" in Slack)."""
        with self._lock:
            self.grants[code] = (team_id, bot_token)
            self.teams[bot_token] = team_id

    def uploaded(self) -> list[dict[str, Any]]:
        """Files whose upload was completed (files.completeUploadExternal), oldest first."""
        with self._lock:
            return [dict(f) for f in self.uploads.values() if f.get("completed")]

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 and Retry-After, as Slack does."""
        self._fail(method, times, 429, "ratelimited", {"Retry-After": str(retry_after)})

    def refuse(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 200 and {"ok": false, "error": error}."""
        self._fail(method, times, 200, error, {})

    def _fail(self, method: str, times: int, status: int, error: str, headers: dict[str, str]) -> None:
        with self._lock:
            self._failures.setdefault(method, []).extend([(status, error, headers)] * times)

    def calls(self, method: str | None = None, *, ok_only: bool = True) -> list[Call]:
        """Calls so far, oldest first; by default only those the fake answered with success."""
        with self._lock:
            return [c for c in self._calls if (method is None or c.method == method) and (c.delivered or not ok_only)]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0, where: Callable[[Call], bool] | None = None) -> list[Call]:
        """Wait until at least `count` successful calls of `method` (matching `where`) arrived; return them."""

        def matching() -> list[Call]:
            return [c for c in self._calls if c.method == method and c.delivered and (where is None or where(c))]

        with self._lock:
            self._lock.wait_for(lambda: len(matching()) >= count, timeout=timeout)
            found = matching()
        assert len(found) >= count, f"expected {count} call(s) to {method}, got {len(found)}: {self._calls}"
        return found

    def quiet_for(self, seconds: float) -> None:
        """Wait a bounded time for stray calls (a second delivery, say) so a test can assert there were none."""
        time.sleep(seconds)

    # ---- the HTTP side -------------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()

    def _next_failure(self, method: str) -> tuple[int, str, dict[str, str]] | None:
        with self._lock:
            queue = self._failures.get(method)
            return queue.pop(0) if queue else None

    def _answer(self, method: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        channel = body.get("channel", "C0FAKE")
        if method == "auth.test":
            with self._lock:
                team_id = self.teams.get(token or "", TEAM_ID)
            return {
                "ok": True,
                "url": "https://fake.slack.test/",
                "team": "Fake",
                "user": "cmmi",
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
            }
        if method == "chat.postMessage":
            message = {"type": "message", "text": body.get("text", ""), "ts": ts, "bot_id": BOT_ID}
            metadata = body.get("metadata")
            if isinstance(metadata, str):  # form-encoded clients send it as JSON text
                metadata = json.loads(metadata)
            if metadata:
                message["metadata"] = metadata
            with self._lock:
                self.messages.setdefault(channel, []).append(message)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "conversations.history":
            oldest = float(body.get("oldest") or 0)
            include = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
            with self._lock:
                found = [dict(m) for m in self.messages.get(channel, []) if float(m["ts"]) > oldest]
            if not include:
                for m in found:
                    m.pop("metadata", None)
            found.sort(key=lambda m: float(m["ts"]), reverse=True)  # newest first, as Slack answers
            return {"ok": True, "messages": found, "has_more": False, "response_metadata": {"next_cursor": ""}}
        if method == "conversations.open":
            users = str(body.get("users", ""))
            return {"ok": True, "channel": {"id": "D" + users.lstrip("UW")[:10]}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._files):07d}"
            with self._lock:
                self.uploads[file_id] = {"filename": body.get("filename"), "length": int(body.get("length") or 0)}
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = body.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            done = []
            with self._lock:
                for f in files:
                    upload = self.uploads.get(f.get("id"))
                    if upload is None or "content" not in upload:
                        return {"ok": False, "error": "file_not_found"}
                    upload.update(
                        completed=True, title=f.get("title"), channel=body.get("channel_id"), initial_comment=body.get("initial_comment"),
                        thread_ts=body.get("thread_ts"),
                    )  # fmt: skip
                    done.append({"id": f["id"], "name": upload["filename"], "title": f.get("title")})
            return {"ok": True, "files": done}
        if method == "oauth.v2.access":
            with self._lock:
                grant = self.grants.pop(str(body.get("code", "")), None)  # a code is good once, as in Slack
            if grant is None:
                return {"ok": False, "error": "invalid_code"}
            team_id, bot_token = grant
            return {
                "ok": True,
                "app_id": "A0FAKE",
                "authed_user": {"id": "U0INSTALLER"},
                "scope": "commands,chat:write,users:read",
                "token_type": "bot",
                "access_token": bot_token,
                "bot_user_id": BOT_USER_ID,
                "team": {"id": team_id, "name": f"Team {team_id}"},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in {"views.open", "views.publish"}:
            return {"ok": True, "view": {"id": "V0FAKE", **(body.get("view") if isinstance(body.get("view"), dict) else {})}}
        if method == "chat.getPermalink":
            message_ts = str(body.get("message_ts", "")).replace(".", "")
            return {"ok": True, "channel": channel, "permalink": f"https://fake.slack.test/archives/{channel}/p{message_ts}"}
        if method == "users.info":
            user = body.get("user", "U0")
            with self._lock:
                override = dict(self.users.get(user, {}))
            return {
                "ok": True,
                "user": {"id": user, "team_id": TEAM_ID, "name": user.lower(), "is_admin": False, "tz": "Europe/London", **override},
            }
        return {"ok": False, "error": "unknown_method"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # else every small response waits ~40 ms for a delayed ACK

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/upload/"):
                    file_id = self.path.removeprefix("/upload/")
                    with fake._lock:
                        upload = fake.uploads.get(file_id)
                        if upload is not None:
                            upload["content"] = data
                    fake._record(Call(UPLOAD, self.path, {"file_id": file_id, "bytes": len(data)}, None, 200 if upload else 404))
                    self._send(200 if upload else 404, b"OK - " + str(len(data)).encode(), "text/plain")
                    return
                raw = data.decode("utf-8")
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw) if raw else {}
                else:
                    body = {k: v[0] for k, v in parse_qs(raw).items()}
                    for key in ("blocks", "view", "metadata"):  # form-encoded JSON values, as slack_sdk sends some
                        if isinstance(body.get(key), str):
                            body[key] = json.loads(body[key])
                auth = self.headers.get("Authorization") or ""
                token = auth.removeprefix("Bearer ") or body.get("token")
                if self.path.startswith("/response_url/"):
                    problems = message_problems(body, RESPONSE_URL)
                    if problems:  # as Slack does: the message is refused, and nothing is shown
                        fake.note_problems(problems)
                        fake._record(Call(RESPONSE_URL, self.path, body, token, 400, ok=False))
                        self._send(400, b"invalid_blocks", "text/plain")
                        return
                    fake._record(Call(RESPONSE_URL, self.path, body, token, 200))
                    self._send(200, b"ok", "text/plain")
                    return
                if not self.path.startswith("/api/"):
                    self._send(404, b"not found", "text/plain")
                    return
                method = self.path.removeprefix("/api/").split("?")[0]
                failure = fake._next_failure(method)
                if failure is not None:
                    status, error, headers = failure
                    fake._record(Call(method, self.path, body, token, status, ok=False))
                    self._send(status, json.dumps({"ok": False, "error": error}).encode(), "application/json", headers)
                    return
                problems = api_problems(method, body)
                if problems:  # as Slack does: invalid_blocks, and nothing is posted
                    fake.note_problems(problems)
                    fake._record(Call(method, self.path, body, token, 200, ok=False))
                    self._send(
                        200, json.dumps({"ok": False, "error": "invalid_blocks", "errors": problems[:5]}).encode(), "application/json"
                    )
                    return
                answer = fake._answer(method, body, token)
                fake._record(Call(method, self.path, body, token, 200, ok=bool(answer.get("ok"))))
                self._send(200, json.dumps(answer).encode(), "application/json")

            def _send(self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        return Handler
