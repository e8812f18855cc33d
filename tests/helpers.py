"""Builders shared by tests of every package: store rows written in one line, with the usual defaults."""

from __future__ import annotations

from datetime import date

from store import EvidenceItem, Group, Store


def log_evidence(
    store: Store,
    workspace_id: str,
    group: Group,
    practice_key: str = "WMC.SP1.6",
    *,
    actor: str,
    link: str | None = None,
    note: str | None = None,
    on: date | None = None,
    kind: str = "artifact",
) -> tuple[EvidenceItem, bool]:
    """store.evidence.add with the process area taken from the practice key and the date from the store's clock."""
    return store.evidence.add(
        workspace_id=workspace_id,
        group=group,
        practice_key=practice_key,
        process_area=practice_key.split(".")[0],
        kind=kind,
        link=link,
        note=note,
        evidence_date=on or store.clock().date(),
        actor=actor,
    )
