"""CMMI_ADMINS: parsing the list, deciding who is an admin, and `cmmi-bot say` honouring it in a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.admins import NO_ADMINS, Admins
from handlers import Request
from store import sqlite_url

AAD = "8f3a1c2e-4b5d-4e6f-9a0b-1c2d3e4f5a6b"


def test_entries_are_trimmed_and_empty_ones_ignored() -> None:
    admins = Admins.parse(" U0BOSS ,, alice ,  ")
    assert admins.user_ids == {"U0BOSS", "alice"} and admins.emails == frozenset()
    assert admins.includes("U0BOSS") and admins.includes("alice")
    assert not admins.includes("") and not admins.includes(" U0BOSS ") and not admins.includes("u0boss")  # IDs as given
    assert not Admins.parse("") and not Admins.parse(" , ") and not NO_ADMINS.includes("U0BOSS")


def test_email_addresses_and_aad_object_ids_match_in_any_case() -> None:
    admins = Admins.parse(f"Boss@Example.COM, {AAD.upper()}")
    assert admins.includes("U0SOMEONE", email="boss@example.com")
    assert admins.includes("U0SOMEONE", email=" BOSS@example.com ")
    assert admins.includes(AAD) and admins.includes(AAD.upper())
    assert not admins.includes("U0SOMEONE", email="other@example.com")
    assert not admins.includes("U0SOMEONE") and not admins.includes("boss@example.com")  # an e-mail is not a user ID
    assert not admins.includes("", email="")


def test_apply_grants_and_never_takes_away() -> None:
    admins = Admins.parse("U0BOSS")
    assert admins.apply(Request(text="x", user_id="U0BOSS")).is_admin
    assert not admins.apply(Request(text="x", user_id="U0BOB")).is_admin
    platform_admin = Request(text="x", user_id="U0OWNER", is_admin=True)
    assert admins.apply(platform_admin) is platform_admin


def say(tmp_path: Path, user: str, text: str, admins: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CMMI_", "SLACK_"))}
    env.update(CMMI_DATABASE_URL=sqlite_url(tmp_path / "say.db"), XDG_DATA_HOME=str(tmp_path / "data"))
    if admins is not None:
        env["CMMI_ADMINS"] = admins
    return subprocess.run(
        [sys.executable, "-m", "bot", "say", "--user", user, *text.split()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_say_treats_a_listed_user_as_an_admin(tmp_path: Path) -> None:
    assert say(tmp_path, "alice", "group add Desk").returncode == 0
    added = say(tmp_path, "alice", "evidence add WMC.SP1.6 https://wiki.example.com/review --group Desk")
    assert added.returncode == 0, added.stderr
    evidence_id = added.stdout.split("#")[1].split()[0]
    refused = say(tmp_path, "boss", f"evidence remove {evidence_id}", admins="carol")
    assert refused.returncode == 1 and "Only the person who logged" in refused.stdout
    removed = say(tmp_path, "boss", f"evidence remove {evidence_id}", admins="carol, boss")
    assert removed.returncode == 0 and removed.stdout.startswith(f"Removed evidence #{evidence_id}\n"), removed.stdout + removed.stderr
