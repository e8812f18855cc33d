"""Sending weekly digests and evidence reminders: find what is due, claim it in the database, deliver, record the outcome.

`run_due` is the whole job and is safe to run anywhere at any time: from `cmmi-bot digest run-due`
(cron), from the loop `cmmi-bot serve` starts, from several replicas at once. The (subscription,
period) claim row makes each week's digest go out once, and the (workspace, owner, period) claim row each
owner's reminder; the clock is passed in, never read here.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from handlers import Context, Reply
from handlers.digest import DigestBatch, DigestScope
from handlers.support.freshness import build_reminder
from handlers.support.review import workspace_review
from handlers.support.schedule import Weekly, period_key
from store import Claim, ReminderClaim, Store, StoreUnavailable, Subscription

log = logging.getLogger("cmmi_bot.scheduler")

STALE_CLAIM = timedelta(minutes=10)  # a claim older than this, not sent, was left by a crashed sender
LATE_AFTER = timedelta(minutes=15)  # sent this long after its slot, a digest says it is late
SKIP_AFTER = timedelta(days=7)  # more than a week late: skipped and recorded instead
# Evidence reminders go out once a week from Monday 09:00 UTC. One fixed slot for everyone: the store keeps no owner's
# time zone, and a slot that depends on a look-up (Slack's users.info) could differ between replicas and so between
# claims. Monday morning in Europe and Africa, Monday evening in Asia-Pacific, before dawn in the Americas: a DM
# waits to be read, and 09:00 UTC is nowhere in the 02:00-03:00 hour that clock changes move.
REMINDER_SLOT = Weekly(0, "09:00", "UTC")


class ChannelGone(Exception):
    """The transport can no longer post to the channel (archived, bot removed): stop trying."""


class OwnerGone(Exception):
    """The owner cannot be reached any more (left the workspace, account deactivated): their reminder is skipped."""


class Deliverer(Protocol):
    def deliver(self, sub: Subscription, reply: Reply, period: str) -> str | None:
        """Post the digest; return a reference to the message. Raise ChannelGone when the channel
        can never be posted to again; anything else is treated as temporary and retried."""

    def already_delivered(self, sub: Subscription, period: str, since: datetime) -> str | None:
        """After taking over a crashed sender's claim: the message reference if it did post."""


@runtime_checkable
class ReminderDeliverer(Protocol):
    """What a transport's deliverer offers to send weekly evidence reminders (a transport without it sends none)."""

    def remind(self, workspace_id: str, user_id: str, reply: Reply, period: str) -> str | None:
        """Send the reminder to the owner privately; return a reference to the message. Raise OwnerGone when the
        owner has left or cannot be written to; anything else is treated as temporary and retried."""

    def already_reminded(self, workspace_id: str, user_id: str, period: str, since: datetime) -> str | None:
        """After taking over a crashed sender's claim: the message reference if it did send."""


@dataclass
class RunReport:
    outcomes: Counter = field(default_factory=Counter)  # digests
    sent: list[tuple[int, str]] = field(default_factory=list)
    reminders: Counter = field(default_factory=Counter)
    reminded: list[tuple[str, str, str]] = field(default_factory=list)  # (workspace, owner, period)

    def __str__(self) -> str:
        digests = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "nothing due"
        if not self.reminders:
            return digests
        return f"{digests}; reminders: " + ", ".join(f"{k} {v}" for k, v in sorted(self.reminders.items()))


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_due(ctx: Context, store: Store, deliverers: Mapping[str, Deliverer], now: datetime, worker: str | None = None) -> RunReport:
    """Send every digest due at `now` that nobody has sent yet, then this week's evidence reminders.

    One subscription never stops the others: one whose schedule cannot be worked out (say a time zone
    saved by a replica with newer tzdata) is paused with the reason; any other failure is logged and
    counted, and the rest are still served in the same run. Only an unreachable database ends the run.
    """
    worker = worker or worker_id()
    report = RunReport()
    subs = store.digests.active_subscriptions()
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
    seen = store.digests.periods_seen(subscription_ids=[s.id for s in serving], periods=periods)
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
    remind_due(ctx, store, deliverers, now, worker, report)
    if report.outcomes or report.reminders:
        log.info("digest run at %s: %s", now.isoformat(), report)
    return report


def transport_of(workspace_id: str) -> str:
    """The transport a workspace belongs to: 'slack:T0123' is Slack's, 'teams:<tenant>' Teams'; one without a
    prefix ('local', the console's) is the console's."""
    prefix, colon, _ = workspace_id.partition(":")
    return prefix if colon else "console"


def remind_due(ctx: Context, store: Store, deliverers: Mapping[str, object], now: datetime, worker: str, report: RunReport) -> None:
    """This week's reminders: every owner of live evidence past its review date or due within 30 days gets one message
    listing it, once per week (from REMINDER_SLOT), whichever process gets there first. Evidence logged after the
    week's slot waits for the next week, so logging old evidence does not set off a message the same day."""
    slot = REMINDER_SLOT.latest_slot(now)
    period = period_key(slot)
    for ws in store.freshness.workspaces():
        try:
            _remind_workspace(ctx, store, deliverers, ws, now, slot, period, worker, report)
        except StoreUnavailable:
            raise  # the database is shared: no other workspace can be served either
        except Exception:
            log.warning("evidence reminders in workspace %s failed", ws, exc_info=True)
            report.reminders["error"] += 1


def _remind_workspace(ctx, store: Store, deliverers, ws: str, now, slot, period: str, worker: str, report: RunReport) -> None:
    review = workspace_review(ctx.review_months, store, ws, now.date())
    # Who is due is decided as of the week's slot, so the list cannot grow as the week's days pass (a Thursday run
    # must not find owners the Monday run did not); what each item says is as of now.
    before = replace(review, today=slot.date()).due_soon_before
    owners = store.freshness.owners_due(workspace_id=ws, before=before, created_before=slot)
    if not owners:
        return
    transport = transport_of(ws)
    deliverer = deliverers.get(transport)
    if not isinstance(deliverer, ReminderDeliverer):
        report.reminders["no transport"] += len(owners)
        return
    done = store.reminders.finished(workspace_id=ws, period=period)
    for owner in owners:
        if owner in done:
            continue
        try:
            _remind(ctx, store, deliverer, ws, owner, transport, review, before, slot, period, worker, report)
        except StoreUnavailable:
            raise
        except Exception:  # one owner never stops the others
            log.warning("evidence reminder in workspace %s failed", ws, exc_info=True)
            report.reminders["error"] += 1


def _remind(ctx, store: Store, deliverer: ReminderDeliverer, ws, owner, transport, review, before, slot, period, worker, report) -> None:
    claim = store.reminders.claim(
        workspace_id=ws, user_id=owner, transport=transport, period=period, worker=worker, stale_after=STALE_CLAIM
    )
    if claim is None:
        report.reminders["taken by another"] += 1
        return
    try:
        if claim.taken_over:
            ref = deliverer.already_reminded(ws, owner, period, slot)
            if ref:
                _finish(store, claim, worker, ref, report, "recovered")
                return
        items = store.freshness.due(workspace_id=ws, before=before, created_by=owner, created_before=slot)
        if not items:  # renewed or removed since the owners were listed
            store.reminders.mark_skipped(claim=claim, worker=worker, detail="nothing due any more")
            return
        ref = deliverer.remind(ws, owner, build_reminder(ctx.model, items, review), period)
    except OwnerGone as exc:
        store.reminders.mark_skipped(claim=claim, worker=worker, detail=f"owner has left the workspace ({exc})")
        log.info("evidence reminder in workspace %s skipped: the owner has left (%s)", ws, exc)
        report.reminders["owner gone"] += 1
        return
    except Exception as exc:
        log.warning("evidence reminder in workspace %s failed, will retry", ws, exc_info=True)
        store.reminders.release(claim=claim, worker=worker, detail=f"{type(exc).__name__}: {exc}")
        report.reminders["retry"] += 1
        return
    _finish(store, claim, worker, ref, report, "sent")


def _finish(store: Store, claim: ReminderClaim, worker: str, ref: str | None, report: RunReport, outcome: str) -> None:
    store.reminders.mark_sent(claim=claim, worker=worker, detail=ref)
    report.reminders[outcome] += 1
    report.reminded.append((claim.workspace_id, claim.user_id, claim.period))


def _pause(store: Store, sub: Subscription, weekly: Weekly, exc: Exception, report: RunReport) -> None:
    reason = weekly.problem() or f"the bot could not work out when this digest is due ({type(exc).__name__})"
    if store.digests.disable_subscription(subscription_id=sub.id, reason=reason):
        # The reason quotes what the channel saved; the log names only the row and the kind of error.
        log.warning("digest subscription %s paused: its schedule could not be worked out (%s)", sub.id, type(exc).__name__)
        report.outcomes["paused"] += 1


def _serve(ctx, store, deliverers, sub: Subscription, slot, previous, now, seen, worker, content, report) -> None:
    if slot < sub.created_at:
        return  # subscribed (or rescheduled) after this week's slot: the first digest is next week
    if previous >= sub.created_at and (sub.id, period_key(previous)) not in seen and now - previous > SKIP_AFTER:
        if store.digests.record_skipped(
            subscription_id=sub.id, period=period_key(previous), detail="more than a week late: the bot was not running"
        ):
            report.outcomes["skipped"] += 1
    period = period_key(slot)
    if (sub.id, period) in seen:
        return
    deliverer = deliverers.get(sub.transport)
    if deliverer is None:
        report.outcomes["no transport"] += 1
        return
    late = now - slot > LATE_AFTER
    claim = store.digests.claim(subscription_id=sub.id, period=period, worker=worker, late=late, stale_after=STALE_CLAIM)
    if claim is None:
        report.outcomes["taken by another"] += 1
        return
    _send(ctx, store, deliverer, sub, claim, slot, previous, late, worker, content, report)


def _send(ctx, store, deliverer, sub, claim: Claim, slot, previous, late, worker, content, report) -> None:
    try:
        if claim.taken_over:
            ref = deliverer.already_delivered(sub, claim.period, slot)
            if ref:
                store.digests.mark_sent(claim=claim, worker=worker, message_ref=ref)
                report.outcomes["recovered"] += 1
                return
        scope = DigestScope(sub.workspace_id, sub.work_group_id, sub.level, sub.quiet_full, sub.chart)
        ref = deliverer.deliver(sub, content.build(scope, previous, slot, late), claim.period)
    except ChannelGone as exc:
        store.digests.mark_failed(claim=claim, worker=worker, detail=f"channel gone: {exc}")
        store.digests.disable_subscription(subscription_id=sub.id, reason=f"the bot can no longer post here ({exc})")
        log.warning("digest subscription %s disabled: %s", sub.id, exc)
        report.outcomes["disabled"] += 1
        return
    except Exception as exc:
        log.warning("digest for subscription %s failed, will retry", sub.id, exc_info=True)
        store.digests.release(claim=claim, worker=worker, detail=f"{type(exc).__name__}: {exc}")
        report.outcomes["retry"] += 1
        return
    store.digests.mark_sent(claim=claim, worker=worker, message_ref=ref)
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
    """Digests for console subscriptions and reminders for console workspaces: printed, for local use and trying things out."""

    def __init__(self, render: Callable[[Reply], str], write: Callable[[str], object]) -> None:
        self.render, self.write = render, write

    def deliver(self, sub: Subscription, reply: Reply, period: str) -> str | None:
        self.write(f"[digest for {sub.channel_id} · {period}]\n{self.render(reply)}\n")
        return f"console:{sub.channel_id}:{period}"

    def already_delivered(self, sub: Subscription, period: str, since: datetime) -> str | None:
        return None

    def remind(self, workspace_id: str, user_id: str, reply: Reply, period: str) -> str | None:
        self.write(f"[reminder for {user_id} · {period}]\n{self.render(reply)}\n")
        return f"console:{workspace_id}:{user_id}:{period}"

    def already_reminded(self, workspace_id: str, user_id: str, period: str, since: datetime) -> str | None:
        return None
