"""Thread context on SQLite and PostgreSQL: what each thread is about, per workspace, channel and thread."""

from __future__ import annotations

import threading

from store import Store
from tests.conftest import Clock


def test_a_thread_remembers_the_last_element_answered(store: Store, clock: Clock) -> None:
    where = {"workspace_id": "slack:T1", "channel_id": "C1", "thread_id": "1700000000.000100"}
    assert store.threads.topic(**where) is None
    store.threads.remember(**where, element_id="WMC.SP1.6")
    first = store.threads.topic(**where)
    assert first is not None and first.element_id == "WMC.SP1.6" and first.updated_at == clock.now
    clock.advance(minutes=5)
    store.threads.remember(**where, element_id="WMC.SG1")  # "and its goal?" moves the thread on
    later = store.threads.topic(**where)
    assert later is not None and (later.element_id, later.updated_at) == ("WMC.SG1", clock.now)


def test_threads_are_apart_by_workspace_channel_and_thread(store: Store) -> None:
    store.threads.remember(workspace_id="slack:T1", channel_id="C1", thread_id="1.0", element_id="CAM")
    assert store.threads.topic(workspace_id="slack:T2", channel_id="C1", thread_id="1.0") is None
    assert store.threads.topic(workspace_id="slack:T1", channel_id="C2", thread_id="1.0") is None
    assert store.threads.topic(workspace_id="slack:T1", channel_id="C1", thread_id="2.0") is None
    assert store.threads.topic(workspace_id="teams:T1", channel_id="C1", thread_id="1.0") is None


def test_answers_racing_in_one_thread_leave_one_row_with_one_of_them(store: Store) -> None:
    where = {"workspace_id": "slack:T1", "channel_id": "C9", "thread_id": "9.0"}
    elements = [f"WMC.SP1.{n}" for n in range(1, 7)]
    start = threading.Barrier(len(elements))
    errors: list[BaseException] = []

    def answer(element: str) -> None:
        start.wait()
        try:
            store.threads.remember(**where, element_id=element)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    workers = [threading.Thread(target=answer, args=(e,)) for e in elements]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert errors == []
    topic = store.threads.topic(**where)
    assert topic is not None and topic.element_id in elements
