"""The edge every transport shares: the error policy, and the record of deliveries taken (database, or memory without one)."""

from __future__ import annotations

import logging
import threading

import pytest

from bot import edge
from handlers import Context, Request


def test_a_user_error_is_what_to_type_and_anything_else_an_apology_with_a_reference(
    ctx: Context, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = edge.run(Request(text="evidence add WMC.SP1.6 x"), ctx, kind="test")
    assert refused.reply is None and "Evidence storage is not set up" in (refused.notice or "")
    answered = edge.run(Request(text="GP2.8"), ctx, kind="test")
    assert answered.ok and answered.reply is not None and answered.reply.text.startswith("GP2.8")

    def broken(request: Request, ctx: Context) -> None:
        raise RuntimeError("boom: secret note text")

    monkeypatch.setattr(edge, "dispatch", broken)
    with caplog.at_level(logging.ERROR, logger="cmmi_bot.edge"):
        failed = edge.run(Request(text="GP2.8", transport="slack"), ctx, kind="mention")
    ref = (failed.notice or "").split("error reference ")[1].split(")")[0]
    assert failed.notice == edge.APOLOGY.format(ref=ref)
    [record] = caplog.records
    assert ref in record.getMessage() and record.exc_info is not None  # logged once, with the traceback, at the edge


def test_requests_survive_the_round_trip_through_json(ctx: Context) -> None:
    request = Request(text="rate WMC.SP1.6 LI", user_id="U1", workspace_id="T1", channel_id="C1", thread_id="1.0", is_admin=True,
                      transport="slack", timezone="Europe/Berlin", address={"conversationId": "19:x"})  # fmt: skip
    assert edge.from_payload(edge.to_payload(request)) == request


def test_without_a_database_deliveries_are_remembered_in_memory_once_each_and_bounded(ctx: Context) -> None:
    deliveries = edge.Deliveries(ctx, memory=3)
    request = Request(text="GP2.8")
    taken = [deliveries.receive(k, request, kind="event", reply_to={}) for k in ("a", "b", "a", "c", "d")]
    assert taken == [True, True, False, True, True]
    assert deliveries.receive("a", request, kind="event", reply_to={}) is True  # the oldest was forgotten to stay within bounds
    assert deliveries.receive("d", request, kind="event", reply_to={}) is False


def test_memory_deliveries_are_taken_once_across_threads(ctx: Context) -> None:
    deliveries = edge.Deliveries(ctx)
    wins: list[str] = []
    start = threading.Barrier(8)

    def deliver() -> None:
        start.wait(timeout=5)
        for i in range(200):
            if deliveries.receive(f"Ev{i}", Request(text="x"), kind="event", reply_to={}):
                wins.append(f"Ev{i}")

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(wins) == sorted(f"Ev{i}" for i in range(200))


def test_database_deliveries_are_taken_once_across_replicas(db_ctx: Context) -> None:
    request = Request(text="GP2.8", workspace_id="T1", transport="slack")
    replica_a, replica_b = edge.Deliveries(db_ctx), edge.Deliveries(db_ctx)
    assert replica_a.receive("slack:event:Ev1", request, kind="event", reply_to={"channel": "C1"}) is True
    assert replica_b.receive("slack:event:Ev1", request, kind="event", reply_to={"channel": "C1"}) is False  # a retry, elsewhere
    stored = db_ctx.store.inbox.get("slack:event:Ev1")
    assert stored is not None and edge.from_payload(stored.payload["request"]) == request
    replica_a.done("slack:event:Ev1")
    assert db_ctx.store.inbox.get("slack:event:Ev1").payload is None  # answered: what it said is forgotten, its key kept
    assert replica_b.receive("slack:event:Ev1", request, kind="event", reply_to={}) is False
