"""Weekly evidence reminders: each owner with evidence to review gets one message a week, whatever runs the job."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.scheduler import STALE_CLAIM, OwnerGone, ReminderDeliverer, run_due, transport_of
from handlers import Context, Reply, Request, dispatch
from handlers.support.actions import Kind, permits
from handlers.support.freshness import REMINDER_BUTTONS
from handlers.support.review import review_by
from tests.conftest import Clock

pytestmark = pytest.mark.calendar  # also run with the clock a year ahead (make test-future)

LOGGED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
MONDAY_0905 = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)  # reminders go out from Monday 09:00 UTC
PERIOD = "2026-11-30T09:00Z"


class Recorder:
    """A reminder deliverer that records what it sent; it can be told an owner has left, or that a send fails once."""

    def __init__(self, gone: set[str] = frozenset(), flaky: set[str] = frozenset()) -> None:
        self.sent: list[tuple[str, str, str, Reply]] = []
        self.gone, self.flaky = set(gone), set(flaky)
        self.lock = threading.Lock()
        self.reminded_before: dict[tuple[str, str], str] = {}

    def remind(self, workspace_id: str, user_id: str, reply: Reply, period: str) -> str | None:
        if user_id in self.gone:
            raise OwnerGone("account_inactive")
        if user_id in self.flaky:
            self.flaky.discard(user_id)
            raise ConnectionError("connection reset")
        with self.lock:
            self.sent.append((workspace_id, user_id, period, reply))
        return f"dm-{len(self.sent)}"

    def already_reminded(self, workspace_id: str, user_id: str, period: str, since: datetime) -> str | None:
        return self.reminded_before.get((user_id, period))

    def owners(self) -> list[str]:
        return sorted(u for _, u, _, _ in self.sent)


def say(ctx: Context, text: str, user: str = "U1", ws: str = "W1", admin: bool = False) -> Reply:
    return dispatch(Request(text=text, user_id=user, workspace_id=ws, channel_id="C1", transport="test", is_admin=admin), ctx)


def log(ctx: Context, clock: Clock, user: str, key: str, days_old: int, ws: str = "W1") -> int:
    """Evidence logged on LOGGED by `user`, dated `days_old` days before the reminder slot."""
    clock.now = LOGGED
    dated = (MONDAY_0905.date() - timedelta(days=days_old)).isoformat()
    note = f"https://wiki.example.com/{key}/{days_old} minutes --date {dated}"
    return say(ctx, f"evidence add {key} {note} --group Desk", user=user, ws=ws).data["evidence_id"]


@pytest.fixture
def owners(db_ctx: Context, clock: Clock) -> dict[str, int]:
    """alice: overdue; bob: due within 30 days; carol: current. All logged the Wednesday before the slot."""
    clock.now = LOGGED
    say(db_ctx, "group add Desk")
    return {
        "alice": log(db_ctx, clock, "alice", "WMC.SP1.6", 400),
        "bob": log(db_ctx, clock, "bob", "WMC.SP1.1", 350),
        "carol": log(db_ctx, clock, "carol", "WMC.SP1.2", 100),
    }


def run(ctx: Context, clock: Clock, now: datetime, recorder: Recorder, worker: str | None = None):
    clock.now = now
    return run_due(ctx, ctx.store, {"console": recorder}, now, worker)


def test_each_owner_with_evidence_to_review_gets_one_reminder_a_week(db_ctx: Context, clock: Clock, owners: dict[str, int]) -> None:
    recorder = Recorder()
    assert run(db_ctx, clock, MONDAY_0905 - timedelta(minutes=10), recorder).reminders == {}  # last week's slot: logged after it
    report = run(db_ctx, clock, MONDAY_0905, recorder)
    assert report.reminders == {"sent": 2} and recorder.owners() == ["alice", "bob"]
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(hours=5), recorder).reminders == {}
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(days=3), recorder).reminders == {}  # the same week
    [alice] = [r for _, u, _, r in recorder.sent if u == "alice"]
    assert alice.data["ids"] == [owners["alice"]] and alice.data["overdue"] == 1
    assert db_ctx.store.reminders.record(workspace_id="W1", user_id="alice", period=PERIOD).status == "sent"
    # a week later both are still due; once alice says "still valid", only bob is reminded
    say(db_ctx, f"evidence renew {owners['alice']}", user="alice")
    run(db_ctx, clock, MONDAY_0905 + timedelta(days=7), recorder)
    assert [u for _, u, p, _ in recorder.sent if p == "2026-12-07T09:00Z"] == ["bob"]


def test_the_reminder_lists_oldest_first_with_still_valid_replace_and_remove(db_ctx: Context, clock: Clock) -> None:
    clock.now = LOGGED
    say(db_ctx, "group add Desk")
    keys = [f"WMC.SP1.{n}" for n in range(1, 8)] + [f"WMC.SP2.{n}" for n in range(1, 4)] + [f"WP.SP1.{n}" for n in range(1, 5)]
    keys += [f"WP.SP2.{n}" for n in range(1, 8)] + ["WP.SP3.1"]
    ids = [log(db_ctx, clock, "alice", key, 360 + n) for n, key in enumerate(keys)]  # the later, the older
    recorder = Recorder()
    run(db_ctx, clock, MONDAY_0905, recorder)
    [(_, _, _, reply)] = recorder.sent
    assert reply.data["ids"] == list(reversed(ids))  # oldest first
    with_buttons = [s for s in reply.sections if s.actions]
    assert len(with_buttons) == REMINDER_BUTTONS
    top = with_buttons[0]
    assert str(top.body).startswith(f"#{ids[-1]} {keys[-1]} ")
    assert [(a.label, a.command) for a in top.actions] == [
        ("Still valid", f"evidence renew {ids[-1]}"),
        ("Replace", f"evidence form {ids[-1]}"),
        ("Remove", f"evidence remove {ids[-1]}"),
    ]
    for section in with_buttons:
        for action in section.actions:
            assert permits(action.id, action.command), action  # what the transports check before running a press
    assert {a.id for a in top.actions} == {Kind.RENEW, Kind.REPLACE, Kind.REMOVE}
    [rest] = [s for s in reply.sections if (s.title or "").startswith("Also due")]
    assert len(rest.items) == len(keys) - REMINDER_BUTTONS
    # the buttons do what they say, for the owner
    assert say(db_ctx, top.actions[0].command, user="alice").data["changed"]
    assert say(db_ctx, top.actions[1].command, user="alice").form.named("practice").value == keys[-1]


def test_an_owner_who_left_is_skipped_and_recorded(db_ctx: Context, clock: Clock, owners: dict[str, int]) -> None:
    recorder = Recorder(gone={"bob"})
    assert run(db_ctx, clock, MONDAY_0905, recorder).reminders == {"sent": 1, "owner gone": 1}
    record = db_ctx.store.reminders.record(workspace_id="W1", user_id="bob", period=PERIOD)
    assert (record.status, record.transport) == ("skipped", "console") and "account_inactive" in record.detail
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(hours=1), recorder).reminders == {}  # not tried again this week
    assert recorder.owners() == ["alice"]


def test_a_failed_send_is_retried_on_the_next_run(db_ctx: Context, clock: Clock, owners: dict[str, int]) -> None:
    recorder = Recorder(flaky={"alice"})
    assert run(db_ctx, clock, MONDAY_0905, recorder).reminders == {"sent": 1, "retry": 1}
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(minutes=1), recorder).reminders == {"sent": 1}
    assert recorder.owners() == ["alice", "bob"]


def test_a_crashed_senders_claim_is_taken_over_once(db_ctx: Context, clock: Clock, owners: dict[str, int]) -> None:
    clock.now = MONDAY_0905
    for user in ("alice", "bob"):
        claim = db_ctx.store.reminders.claim(
            workspace_id="W1", user_id=user, transport="console", period=PERIOD, worker="crashed", stale_after=STALE_CLAIM
        )
        assert claim is not None  # ...and then the process died; it had sent bob's
    recorder = Recorder()
    recorder.reminded_before[("bob", PERIOD)] = "dm-from-the-crashed-sender"
    assert run(db_ctx, clock, MONDAY_0905 + STALE_CLAIM / 2, recorder).reminders == {"taken by another": 2}
    report = run(db_ctx, clock, MONDAY_0905 + STALE_CLAIM + timedelta(minutes=1), recorder)
    assert report.reminders == {"sent": 1, "recovered": 1} and recorder.owners() == ["alice"]
    assert db_ctx.store.reminders.record(workspace_id="W1", user_id="alice", period=PERIOD).attempts == 2
    assert run(db_ctx, clock, MONDAY_0905 + timedelta(hours=1), recorder).reminders == {}


def test_the_workspace_review_period_decides_who_is_due(db_ctx: Context, clock: Clock, owners: dict[str, int]) -> None:
    clock.now = LOGGED
    say(db_ctx, "settings review-months 24", admin=True)
    recorder = Recorder()
    assert run(db_ctx, clock, MONDAY_0905, recorder).reminders == {}
    say(db_ctx, "settings review-months 3", admin=True)  # now carol's 100-day-old evidence is overdue too
    run(db_ctx, clock, MONDAY_0905 + timedelta(days=7), recorder)
    assert recorder.owners() == ["alice", "bob", "carol"]


def test_removed_evidence_and_evidence_logged_after_the_slot_wait(db_ctx: Context, clock: Clock, owners: dict[str, int]) -> None:
    say(db_ctx, f"evidence remove {owners['alice']}", user="alice")
    clock.now = MONDAY_0905 + timedelta(hours=1)  # after this week's slot, bob and dave log old evidence
    late = {
        user: say(db_ctx, f"evidence add WMC.SP1.3 https://wiki.example.com/{user} old --group Desk --date 2024-01-01", user=user)
        for user in ("bob", "dave")
    }
    recorder = Recorder()
    run(db_ctx, clock, MONDAY_0905 + timedelta(hours=2), recorder)
    assert [(u, r.data["ids"]) for _, u, _, r in recorder.sent] == [("bob", [owners["bob"]])]  # alice's is removed
    assert db_ctx.store.reminders.record(workspace_id="W1", user_id="dave", period=PERIOD) is None  # not even looked at
    run(db_ctx, clock, MONDAY_0905 + timedelta(days=7), recorder)
    next_week = {u: r.data["ids"] for _, u, p, r in recorder.sent if p == "2026-12-07T09:00Z"}
    assert next_week == {"bob": [late["bob"].data["evidence_id"], owners["bob"]], "dave": [late["dave"].data["evidence_id"]]}


def test_who_is_due_is_decided_at_the_weeks_slot(db_ctx: Context, clock: Clock) -> None:
    """Evidence that comes within 30 days of its review date on the Thursday waits for the next Monday: the week's
    list is the Monday list, whenever in the week a run happens."""
    clock.now = LOGGED
    say(db_ctx, "group add Desk")
    dated = date(2026, 1, 2)  # review by 2 Jan 2027: 33 days after the slot, 30 days after the Thursday
    assert review_by(dated, 12) - MONDAY_0905.date() == timedelta(days=33)
    say(db_ctx, f"evidence add WMC.SP1.6 https://wiki.example.com/x minutes --group Desk --date {dated}", user="erin")
    recorder = Recorder()
    for hours in (0, 24, 72, 96):  # Monday to Friday
        assert run(db_ctx, clock, MONDAY_0905 + timedelta(hours=hours), recorder).reminders == {}
    run(db_ctx, clock, MONDAY_0905 + timedelta(days=7), recorder)
    assert recorder.owners() == ["erin"]


def test_each_workspace_goes_to_its_own_transport(db_ctx: Context, clock: Clock) -> None:
    clock.now = LOGGED
    for ws in ("slack:T1", "teams:tenant-1", "local"):
        say(db_ctx, "group add Desk", ws=ws)
        log(db_ctx, clock, "U1", "WMC.SP1.6", 400, ws=ws)
    assert [transport_of(w) for w in ("slack:T1", "teams:tenant-1", "local", "W1")] == ["slack", "teams", "console", "console"]
    slack, console = Recorder(), Recorder()
    clock.now = MONDAY_0905
    report = run_due(db_ctx, db_ctx.store, {"slack": slack, "console": console, "teams": object()}, MONDAY_0905)
    assert [w for w, _, _, _ in slack.sent] == ["slack:T1"] and [w for w, _, _, _ in console.sent] == ["local"]
    assert report.reminders == {"sent": 2, "no transport": 1}  # the Teams deliverer here sends no reminders
    assert isinstance(slack, ReminderDeliverer) and not isinstance(object(), ReminderDeliverer)


def test_concurrent_runs_in_threads_remind_each_owner_once(db_ctx: Context, clock: Clock) -> None:
    clock.now = LOGGED
    say(db_ctx, "group add Desk")
    people = [f"user{n}" for n in range(20)]
    for n, person in enumerate(people):
        log(db_ctx, clock, person, "WMC.SP1.6", 400 + n)
    clock.now = MONDAY_0905
    recorder, errors = Recorder(), []

    def worker(n: int) -> None:
        try:
            run_due(db_ctx, db_ctx.store, {"console": recorder}, MONDAY_0905, f"worker-{n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert recorder.owners() == sorted(people)


def test_concurrent_processes_remind_each_owner_once(db_url: str, tmp_path: Path) -> None:
    """Real processes on one database, as replicas or a doubled cron would run: every owner's reminder is printed once."""
    env = {**os.environ, "CMMI_DATABASE_URL": db_url, "XDG_DATA_HOME": str(tmp_path)}
    cli = [sys.executable, "-m", "bot"]
    root = Path(__file__).parents[2]

    def say_cli(*args: str) -> None:
        subprocess.run([*cli, "say", "--now", LOGGED.isoformat(), *args], env=env, cwd=root, check=True, capture_output=True, timeout=60)

    say_cli("group add Desk")
    people = [f"owner{n}" for n in range(8)]
    dated = (MONDAY_0905.date() - timedelta(days=400)).isoformat()
    for person in people:
        say_cli("--user", person, f"evidence add WMC.SP1.6 https://wiki.example.com/{person} minutes --group Desk --date {dated}")
    procs = [
        subprocess.Popen(
            [*cli, "digest", "run-due", "--now", MONDAY_0905.isoformat()],
            env=env,
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    printed = [line for out, _ in outputs for line in out.splitlines() if line.startswith("[reminder for ")]
    assert sorted(printed) == sorted(f"[reminder for {p} · {PERIOD}]" for p in people)
    again = subprocess.run(
        [*cli, "digest", "run-due", "--now", (MONDAY_0905 + timedelta(hours=1)).isoformat()],
        env=env, cwd=root, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "[reminder for " not in again.stdout
