"""The edge every transport shares: the error policy, and the record of deliveries taken (database, or memory without one)."""

from __future__ import annotations

import logging
import threading

import pytest

from bot import edge
from handlers import Context, Person, Request


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
    stored = db_ctx.store.inbox.get(key="slack:event:Ev1")
    assert stored is not None and edge.from_payload(stored.payload["request"]) == request
    replica_a.done("slack:event:Ev1")
    assert db_ctx.store.inbox.get(key="slack:event:Ev1").payload is None  # answered: what it said is forgotten, its key kept
    assert replica_b.receive("slack:event:Ev1", request, kind="event", reply_to={}) is False


def test_a_refusal_that_names_a_person_reaches_every_renderer_as_text(db_ctx: Context) -> None:
    from bot.render_text import notice as console_notice
    from bot.slack import render as slack

    def run(text: str, user: str, admin: bool = False) -> edge.Outcome:
        return edge.run(Request(text=text, user_id=user, workspace_id="W1", channel_id="C1", is_admin=admin), db_ctx, kind="test")

    run('group add "Service Desk"', "UALICE")
    logged = run('evidence add WMC.SP1.6 <!channel> look --group "Service Desk"', "UALICE")
    evidence_id = logged.reply.data["evidence_id"]
    refused = run(f"evidence remove {evidence_id}", "UBOB")
    assert refused.reply is None and Person("UALICE") in refused.notice
    said = slack.notice(refused.notice)
    assert "(<@UALICE>)" in said["blocks"][0]["text"]["text"] and said["text"].startswith(
        f"Only the person who logged evidence #{evidence_id}"
    )
    assert (
        console_notice(refused.notice) == f"Only the person who logged evidence #{evidence_id} (UALICE) or a workspace admin can remove it."
    )
    # plain words around a person stay words: what a person typed never becomes a mention
    shown = slack.notice(("Note: <!channel> from ", Person("UALICE")))["blocks"][0]["text"]["text"]
    assert shown.startswith("Note: &lt;!channel&gt; from ") and shown.endswith("<@UALICE>")
    assert console_notice(("\x1b[31mred ", Person("UALICE"))) == "\N{REPLACEMENT CHARACTER}[31mred UALICE"


def test_a_form_with_errors_comes_back_in_the_outcome(db_ctx: Context) -> None:
    db_ctx.store.groups.add(workspace_id="W1", name="Service Desk", actor="U1")
    request = Request(text="evidence add", workspace_id="W1", channel_id="C1", user_id="U1", form={"practice": "WMC.SP1.6"}, via="form")
    outcome = edge.run(request, db_ctx, kind="test")
    assert outcome.reply is None and outcome.form is not None and set(outcome.form.errors) == {"group", "note"}
    assert outcome.form.named("practice").value == "WMC.SP1.6"
