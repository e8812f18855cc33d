"""The cmmi-bot command line as other tools call it: real processes, real output."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import console, edge
from handlers import Context

pytestmark = pytest.mark.calendar  # also run with the clock a year ahead (make test-future)

CLI = [sys.executable, "-m", "bot"]
KINDS = {"process_area", "specific_goal", "specific_practice", "generic_goal", "generic_practice"}


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every process here keeps its SQLite file in a folder of the test's own, never the real home."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("CMMI_DATABASE_URL", raising=False)
    return tmp_path / "data"


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
        env={**os.environ, **(env or {})},
    )


def test_ask_prints_an_answer() -> None:
    out = run("ask", "what does WMC.SP1.6 require")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("WMC.SP1.6 Conduct Progress Reviews")
    assert "Traceback" not in out.stdout + out.stderr


def test_ask_json_contract() -> None:
    out = run("ask", "--json", "which PA covers disaster recovery?")
    data = json.loads(out.stdout)
    assert data["question"] == "which PA covers disaster recovery?"
    assert 1 <= len(data["results"]) <= 5
    assert data["results"][0] == {**data["results"][0], "id": "SCON", "kind": "process_area"}
    for r in data["results"]:
        assert set(r) == {"id", "kind", "title", "score"} and r["kind"] in KINDS
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_json_not_in_model_and_suggestions() -> None:
    out = run("ask", "--json", "-", stdin="what does VER SP 2.2 require\nOPF vs OPD\n")
    ver, compare = (json.loads(line) for line in out.stdout.splitlines())
    assert ver["results"] == [] and ver["not_in_model"].startswith("VER (Verification)")
    assert "SSD.SP3.3" in [s["id"] for s in ver["suggestions"]]
    assert "not_in_model" not in compare and compare["suggestions"] == []
    assert [r["id"] for r in compare["results"][:2]] == ["OPF", "OPD"]


def test_ask_json_stdin_one_line_per_question_in_order() -> None:
    questions = ["GP2.8", "", "what is CAM", "zxqv blorft", "SP1.2 of CM"]
    out = run("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["question"] for line in lines] == questions
    assert [line["results"][0]["id"] if line["results"] else None for line in lines] == ["GP2.8", None, "CAM", None, "CM.SP1.2"]


def test_ask_empty_is_a_clear_error() -> None:
    out = run("ask", "")
    assert out.returncode == 1
    assert "Please type a question" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


def test_model_export(model) -> None:
    out = run("model", "export")
    data = json.loads(out.stdout)
    assert len(data["process_areas"]) == 24
    assert sum(len(g["practices"]) for pa in data["process_areas"] for g in pa["goals"]) == 181
    assert sum(len(g["practices"]) for g in data["generic_goals"]) == 13
    wmc = next(pa for pa in data["process_areas"] if pa["abbr"] == "WMC")
    assert set(wmc) == {"abbr", "name", "category", "maturity_level", "optional", "purpose", "goals"}
    assert wmc["goals"][0]["practices"][5] == {
        "id": "WMC.SP1.6",
        "title": "Conduct Progress Reviews",
        "statement": model.get("WMC.SP1.6").statement,
    }
    assert "hint" not in out.stdout  # only model text is exported


def test_chat_reads_until_end_of_input() -> None:
    out = run("chat", stdin="what is CAM\nhelp\n\n   \nGP2.8\n")
    assert out.returncode == 0
    assert "CAM Capacity and Availability Management" in out.stdout
    assert "Commands" in out.stdout
    assert "GP2.8 Monitor and Control the Process" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


def test_eval_command_prints_hit_rates() -> None:
    out = run("eval", "tests/data/questions_team.jsonl")
    assert out.returncode == 0
    assert out.stdout.splitlines()[0].split() == ["kind", "n", "hit@1", "hit@3"]
    assert out.stdout.splitlines()[-1].startswith("overall")


def test_console_turns_unexpected_errors_into_an_apology(ctx: Context, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    def broken(request, ctx):
        raise RuntimeError("boom")

    monkeypatch.setattr(edge, "dispatch", broken)  # the console goes through the edge every transport shares
    ok, text = console.handle_line("anything", ctx)
    assert not ok
    assert text.startswith("Sorry, something went wrong") and "boom" not in text
    assert "Traceback" not in text
    assert any(r.exc_info for r in caplog.records)


def test_say_contract(data_home: Path) -> None:
    assert run("say", "group", "add", "Service Desk").returncode == 0
    assert run("say", "--channel", "C1", "group use Service Desk").returncode == 0
    added = run(
        "say",
        "--channel",
        "C1",
        "--user",
        "alice",
        "evidence",
        "add",
        "WMC.SP1.6",
        "https://wiki.example.com/x",
        "minutes",
        "--kind",
        "affirmation",
    )
    assert added.returncode == 0 and added.stdout.startswith("Logged evidence #1"), added.stdout + added.stderr
    assert (data_home / "cmmi-bot" / "cmmi-bot.db").exists()
    refused = run("say", "--user", "bob", "evidence remove 1")
    assert refused.returncode == 1 and "Only the person who logged" in refused.stdout
    other_ws = run("say", "--workspace", "W2", "--admin", "evidence remove 1")
    assert other_ws.returncode == 1 and "no evidence #1" in other_ws.stdout
    assert run("say", "--user", "bob", "--admin", "evidence remove 1").returncode == 0
    bad = run("say", "evidence add WMC.SP1.6 note --date yesterday")
    assert bad.returncode == 1 and "YYYY-MM-DD" in bad.stdout and "Traceback" not in bad.stdout + bad.stderr


def test_say_export_writes_the_workbook_or_csv_to_standard_output(data_home: Path) -> None:
    run("say", "group add Desk")
    run("say", "--channel", "C1", "group use Desk")
    run("say", "--channel", "C1", "rate WMC.SP1.6 FI")
    run("say", "--channel", "C1", "evidence add WMC.SP1.6 https://wiki.example.com/review minutes")
    out = run("say", "export", "WMC", "--format", "csv")
    lines = out.stdout.splitlines()
    assert lines[0].startswith("process_area,process_area_name,goal,practice")
    assert any(line.startswith("WMC,Work Monitoring and Control,WMC.SG1,WMC.SP1.6,") and ",FI," in line for line in lines)

    from openpyxl import load_workbook

    raw = subprocess.run([*CLI, "say", "export", "WMC"], capture_output=True, timeout=60, cwd=Path(__file__).parents[2], check=True)
    book = load_workbook(io.BytesIO(raw.stdout))  # the default: the workbook's bytes, as they are
    assert book.sheetnames == ["Summary", "Matrix", "Evidence"]
    matrix = {row[2].value: row for row in book["Matrix"].iter_rows(min_row=2)}
    assert matrix["WMC.SP1.6"][5].value == "FI · 1 item"
    evidence = list(book["Evidence"].iter_rows(min_row=2))
    assert [(r[2].value, r[6].hyperlink.target) for r in evidence] == [("WMC.SP1.6", "https://wiki.example.com/review")]


def test_say_status_chart_writes_the_png_to_standard_output(data_home: Path) -> None:
    from PIL import Image

    run("say", "group add Desk")
    raw = subprocess.run(
        [*CLI, "say", "status", "ML2", "--chart"], capture_output=True, timeout=60, cwd=Path(__file__).parents[2], check=True
    )
    image = Image.open(io.BytesIO(raw.stdout))
    assert image.format == "PNG" and image.width >= 600


def test_feedback_export_writes_what_eval_reads(data_home: Path, tmp_path: Path) -> None:
    good, bad = "what does WMC.SP1.6 require", "where do postmortems go?"
    assert run("say", "--now", "2026-01-05T10:00:00+00:00", "feedback", "good", good).returncode == 0
    assert run("say", "--user", "bob", "--now", "2026-01-05T11:00:00+00:00", "feedback good " + good).returncode == 0  # same row
    assert run("say", "--workspace", "slack:T1", "--now", "2026-02-10T09:00:00+00:00", "feedback bad " + bad).returncode == 0
    out = run("feedback", "export")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    shown = json.loads(run("ask", "--json", bad).stdout)["results"]
    assert rows == [
        {"q": good, "expect": ["WMC.SP1.6"], "kind": "feedback"},
        {"q": bad, "expect": [], "kind": "feedback_bad", "got": [r["id"] for r in shown]},
    ]
    assert [json.loads(x)["q"] for x in run("feedback", "export", "--since", "2026-02-01").stdout.splitlines()] == [bad]
    assert [json.loads(x)["q"] for x in run("feedback", "export", "--workspace", "local").stdout.splitlines()] == [good]
    exported = tmp_path / "feedback.jsonl"
    exported.write_text(out.stdout, encoding="utf-8")
    scored = run("eval", str(exported))
    assert scored.returncode == 0 and [line.split()[:2] for line in scored.stdout.splitlines()[1:]] == [["feedback", "1"], ["overall", "1"]]
    refused = run("feedback", "export", "--since", "last week")
    assert refused.returncode == 1 and "--since must be a date" in refused.stderr and not refused.stdout


def test_db_upgrade_on_postgres(postgres_url: str) -> None:
    out = run("db", "upgrade", env={"CMMI_DATABASE_URL": postgres_url})
    assert out.returncode == 0, out.stderr
    from alembic.script import ScriptDirectory

    from store import make_engine
    from store.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(make_engine(postgres_url))).get_current_head()
    assert f"database is at revision {head} " in out.stdout


def test_unreachable_database_is_a_clear_error() -> None:
    out = run("say", "group list", env={"CMMI_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/x?connect_timeout=2"})
    assert out.returncode == 2
    assert out.stderr.startswith("cmmi-bot: the database is busy or unreachable (") and "Traceback" not in out.stderr


def test_the_review_period_setting_reaches_the_core_and_a_bad_one_stops_start_up(data_home: Path) -> None:
    shown = run("say", "settings", env={"CMMI_EVIDENCE_REVIEW_MONTHS": "18"})
    assert shown.returncode == 0 and "review-months: 18 · the installation's default" in shown.stdout
    for bad in ("0", "121", "a year", "9" * 5000):
        out = run("say", "settings", env={"CMMI_EVIDENCE_REVIEW_MONTHS": bad})
        assert out.returncode == 2 and out.stdout == "", bad
        assert out.stderr.startswith("cmmi-bot: CMMI_EVIDENCE_REVIEW_MONTHS must be a whole number of months from 1 to 120")
        assert len(out.stderr.splitlines()) == 1 and len(out.stderr) < 200 and "Traceback" not in out.stderr
