"""Votes on answers in the store, on SQLite and PostgreSQL: one per person and question, scoped, filtered by time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store import Store
from tests.conftest import Clock


def test_a_second_vote_on_the_same_question_replaces_the_first(store: Store, clock: Clock) -> None:
    first = store.feedback.record(workspace_id="W1", user_id="U1", question="q one", vote="good", result_ids=["A.SP1.1", "B.SP1.1"])
    clock.advance(minutes=5)
    again = store.feedback.record(workspace_id="W1", user_id="U1", question="q one", vote="bad", result_ids=["A.SP1.1"])
    other = store.feedback.record(workspace_id="W1", user_id="U2", question="q one", vote="good", result_ids=["A.SP1.1"])
    assert again.id == first.id and (again.vote, again.result_ids, again.created_at) == ("bad", ("A.SP1.1",), clock.now)
    assert [(v.user_id, v.vote) for v in store.feedback.votes(workspace_id="W1")] == [("U1", "bad"), ("U2", "good")]
    assert other.id != first.id


def test_votes_are_read_per_workspace_and_from_a_time(store: Store, clock: Clock) -> None:
    store.feedback.record(workspace_id="slack:T1", user_id="U1", question="old", vote="good", result_ids=["A.SP1.1"])
    clock.advance(days=2)
    store.feedback.record(workspace_id="teams:x", user_id="U1", question="new", vote="bad", result_ids=[])
    assert [v.question for v in store.feedback.votes()] == ["old", "new"]
    assert [v.question for v in store.feedback.votes(workspace_id="teams:x")] == ["new"]
    assert [v.question for v in store.feedback.votes(since=clock.now - timedelta(days=1))] == ["new"]
    assert store.feedback.votes(workspace_id="W-none") == []


def test_only_good_and_bad_are_votes(store: Store) -> None:
    with pytest.raises(ValueError):
        store.feedback.record(workspace_id="W1", user_id="U1", question="q", vote="meh", result_ids=[])
    assert store.feedback.votes() == []
