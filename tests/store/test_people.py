"""People's names on real SQLite and PostgreSQL: written when new or changed, scoped to their workspace."""

from __future__ import annotations

from store import Store
from tests.conftest import Clock


def test_a_name_is_stored_once_and_again_only_when_it_changes(store: Store, clock: Clock) -> None:
    people = store.people
    assert people.remember(workspace_id="teams:t1", user_id="aad-1", name="Alice Example") is True
    first = people.get(workspace_id="teams:t1", user_id="aad-1")
    assert first is not None and first.name == "Alice Example"
    clock.advance(minutes=5)
    assert people.remember(workspace_id="teams:t1", user_id="aad-1", name=" Alice   Example ") is False  # the same, spaced
    assert people.get(workspace_id="teams:t1", user_id="aad-1").updated_at == first.updated_at
    assert people.remember(workspace_id="teams:t1", user_id="aad-1", name="Alice Married-Name") is True
    again = people.get(workspace_id="teams:t1", user_id="aad-1")
    assert again.name == "Alice Married-Name" and again.updated_at > first.updated_at


def test_names_are_per_workspace_and_unknown_people_are_left_out(store: Store) -> None:
    people = store.people
    people.remember(workspace_id="teams:t1", user_id="aad-1", name="Alice")
    people.remember(workspace_id="teams:t2", user_id="aad-1", name="Alice in another tenant")
    people.remember(workspace_id="teams:t1", user_id="aad-2", name="Bob")
    assert people.names(workspace_id="teams:t1", user_ids=["aad-1", "aad-2", "aad-3", ""]) == {"aad-1": "Alice", "aad-2": "Bob"}
    assert people.names(workspace_id="teams:t2", user_ids=["aad-1", "aad-2"]) == {"aad-1": "Alice in another tenant"}
    assert people.names(workspace_id="teams:t3", user_ids=[]) == {}


def test_empty_or_odd_names_and_oversized_ids_are_never_stored(store: Store) -> None:
    people = store.people
    assert people.remember(workspace_id="teams:t1", user_id="aad-1", name="  \n ") is False
    assert people.remember(workspace_id="teams:t1", user_id="x" * 256, name="Long ID") is False
    assert people.remember(workspace_id="teams:t1", user_id="aad-2", name="Eve\x00\u202e\nSmith" + "y" * 400) is True
    stored = people.names(workspace_id="teams:t1", user_ids=["aad-1", "aad-2", "x" * 256])
    assert list(stored) == ["aad-2"] and stored["aad-2"].startswith("Eve Smith") and len(stored["aad-2"]) == 255


def test_many_people_are_looked_up_in_batches(store: Store) -> None:
    for i in range(620):
        store.people.remember(workspace_id="teams:t1", user_id=f"aad-{i}", name=f"Person {i}")
    names = store.people.names(workspace_id="teams:t1", user_ids=[f"aad-{i}" for i in range(700)])
    assert len(names) == 620 and names["aad-619"] == "Person 619"
