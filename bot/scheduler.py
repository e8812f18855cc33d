"""Sending weekly digests: find what is due, claim it in the database, deliver, record the outcome.

`run_due` is the whole job and is safe to run anywhere at any time: from `cmmi-bot digest run-due`
(cron), from the loop `cmmi-bot serve` starts, from several replicas at once. The (subscription,
period) claim row makes each week's digest go out once; the clock is passed in, never read here.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from handlers import Context, Reply
from handlers.digest import DigestBatch, DigestScope
from handlers.schedule import Weekly, period_key
from store import Claim, Store, StoreUnavailable, Subscription

log = logging.getLogger("cmmi_bot.scheduler")

STALE_CLAIM = timedelta(minutes=10)  # a claim older than this, not sent, was left by a crashed sender
LATE_AFTER = timedelta(minutes=15)  # sent this long after its slot, a digest says it is late
SKIP_AFTER = timedelta(days=7)  # more than a week late: skipped and recorded instead


class ChannelGone(Exception):
    """The transport can no longer post to the channel (archived, bot removed): stop trying."""


class Deliverer(Protocol):
    def deliver(self, sub: Subscription, reply: Reply, period: str) -> str | None:
        """Post the digest; return a reference to the message. Raise ChannelGone when the channel
        can never be posted to again; anything else is treated as temporary and retried."""

    def already_delivered(self, sub: Subscription, period: str, since: datetime) -> str | None:
        """After taking over a crashed sender's claim: the message reference if it did post."""


@dataclass
class RunReport:
    outcomes: Counter = field(default_factory=Counter)
    sent: list[tuple[int, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "nothing due"


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_due(ctx: Context, store: Store, deliverers: Mapping[str, Deliverer], now: datetime, worker: str | None = None) -> RunReport:
    """Send every digest due at `now` that nobody has sent yet.

    One subscription never stops the others: one whose schedule cannot be worked out (say a time zone
    saved by a replica with newer tzdata) is paused with the reason; any other failure is logged and
    counted, and the rest are still served in the same run. Only an unreachable database ends the run.
    """
    worker = worker or worker_id()
    report = RunReport()
    subs = store.active_subscriptions()
    slots: dict[int, tuple[datetime, datetime]] = {}
    for sub in subs:
        weekly = Weekly(sub.weekday, sub.local_time, sub.timezone)
        try:
            slot = weekly.latest_slot(now)
            slots[sub.id] = (slot, weekly.latest_slot(slot - timedelta(seconds=1)))
        except Exception as exc:
            _pause(store, sub, weekly, exc, report)
    # Grouped by workspace and week: each workspace's figures are read once, and only one workspace's are held at a time.
    serving = sorted((sub for sub in subs if sub.id in slots), key=lambda sub: (sub.workspace_id, slots[sub.id], sub.id))
    periods = sorted({period_key(s) for pair in slots.values() for s in pair})
    seen = store.periods_seen([s.id for s in serving], periods)
    content = DigestBatch(ctx, store)  # channels with the same scope and week share one computation
    for sub in serving:
        slot, previous = slots[sub.id]
        try:
            _serve(ctx, store, deliverers, sub, slot, previous, now, seen, worker, content, report)
        except StoreUnavailable:
            raise  # the database is shared: no other subscription can be served either
        except Exception:
            log.warning("digest for subscription %s failed", sub.id, exc_info=True)
            report.outcomes["error"] += 1
    if report.outcomes:
        log.info("digest run at %s: %s", now.isoformat(), report)
    return report


def _pause(store: Store, sub: Subscription, weekly: Weekly, exc: Exception, report: RunReport) -> None:
    reason = weekly.problem() or f"the bot could not work out when this digest is due ({type(exc).__name__})"
    if store.disable_subscription(sub.id, reason):
        # The reason quotes what the channel saved; the log names only the row and the kind of error.
        log.warning("digest subscription %s paused: its schedule could not be worked out (%s)", sub.id, type(exc).__name__)
        report.outcomes["paused"] += 1


def _serve(ctx, store, deliverers, sub: Subscription, slot, previous, now, seen, worker, content, report) -> None:
    if slot < sub.created_at:
        return  # subscribed (or rescheduled) after this week's slot: the first digest is next week
    if previous >= sub.created_at and (sub.id, period_key(previous)) not in seen and now - previous > SKIP_AFTER:
        if store.record_skipped(sub.id, period_key(previous), "more than a week late: the bot was not running"):
            report.outcomes["skipped"] += 1
    period = period_key(slot)
    if (sub.id, period) in seen:
        return
    deliverer = deliverers.get(sub.transport)
    if deliverer is None:
        report.outcomes["no transport"] += 1
        return
    late = now - slot > LATE_AFTER
    claim = store.claim(sub.id, period, worker, late, STALE_CLAIM)
    if claim is None:
        report.outcomes["taken by another"] += 1
        return
    _send(ctx, store, deliverer, sub, claim, slot, previous, late, worker, content, report)


def _send(ctx, store, deliverer, sub, claim: Claim, slot, previous, late, worker, content, report) -> None:
    try:
        if claim.taken_over:
            ref = deliverer.already_delivered(sub, claim.period, slot)
            if ref:
                store.mark_sent(claim, worker, ref)
                report.outcomes["recovered"] += 1
                return
        reply = content.build(DigestScope(sub.workspace_id, sub.work_group_id, sub.level, sub.quiet_full), previous, slot, late)
        ref = deliverer.deliver(sub, reply, claim.period)
    except ChannelGone as exc:
        store.mark_failed(claim, worker, f"channel gone: {exc}")
        store.disable_subscription(sub.id, f"the bot can no longer post here ({exc})")
        log.warning("digest subscription %s disabled: %s", sub.id, exc)
        report.outcomes["disabled"] += 1
        return
    except Exception as exc:
        log.warning("digest for subscription %s failed, will retry", sub.id, exc_info=True)
        store.release(claim, worker, f"{type(exc).__name__}: {exc}")
        report.outcomes["retry"] += 1
        return
    store.mark_sent(claim, worker, ref)
    report.outcomes["sent late" if late else "sent"] += 1
    report.sent.append((sub.id, claim.period))


class SchedulerThread(threading.Thread):
    """The in-process loop `cmmi-bot serve` runs: check what is due every interval, until stopped."""

    def __init__(self, job: Callable[[], object], interval: float = 60.0) -> None:
        super().__init__(name="cmmi-digests", daemon=True)
        self.job, self.interval, self.stopping = job, interval, threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.job()
            except Exception:
                log.exception("digest run failed; trying again in %s s", self.interval)
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()


class ConsoleDeliverer:
    """Digests for console subscriptions: printed, for local use and trying things out."""

    def __init__(self, render: Callable[[Reply], str], write: Callable[[str], object]) -> None:
        self.render, self.write = render, write

    def deliver(self, sub: Subscription, reply: Reply, period: str) -> str | None:
        self.write(f"[digest for {sub.channel_id} · {period}]\n{self.render(reply)}\n")
        return f"console:{sub.channel_id}:{period}"

    def already_delivered(self, sub: Subscription, period: str, since: datetime) -> str | None:
        return None
