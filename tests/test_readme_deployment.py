"""The README's production section stays true: its metrics, probe paths, settings and commands are the real ones."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from prometheus_client import REGISTRY

from bot import ops
from bot.cli import build_parser
from bot.settings import SETTINGS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Running in production\n", 1)[1].split("\n## ", 1)[0]


def table(heading_cell: str) -> list[list[str]]:
    """Rows of the section's table whose header row starts with `heading_cell`."""
    lines = SECTION.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {heading_cell} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def cmmi_metrics() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every cmmi_* metric this process exposes: name -> (type, label names)."""
    found = {}
    for collector in list(REGISTRY._collector_to_names):
        for family in collector.describe() if hasattr(collector, "describe") else ():
            if family.name.startswith("cmmi_"):
                name = family.name + ("_total" if family.type == "counter" else "")
                found[name] = (family.type, tuple(getattr(collector, "_labelnames", ())))
    return found


def test_the_metrics_table_lists_exactly_the_metrics_served_with_their_types_and_labels() -> None:
    served = cmmi_metrics()
    rows = table("Metric")
    documented = {row[0].strip("`"): (row[1], tuple(label.strip("` ") for label in row[2].split(","))) for row in rows}
    assert documented == served


def test_every_metric_named_anywhere_in_the_section_exists() -> None:
    served = cmmi_metrics()
    for name in set(re.findall(r"\bcmmi_[a-z_]+", SECTION)):
        assert name in served, name


def test_the_probe_paths_are_the_ones_served() -> None:
    documented = {row[0].strip("`") for row in table("Path")}
    assert documented == {ops.HEALTH_PATH, ops.READY_PATH, ops.METRICS_PATH}
    assert {route.path for route in ops.ops_routes(None)} == documented  # type: ignore[arg-type]


def test_every_setting_named_in_the_section_exists() -> None:
    names = {s.name for s in SETTINGS}
    for name in set(re.findall(r"\bCMMI_[A-Z_]+", SECTION)):
        assert name in names, name


def test_the_systemd_unit_runs_a_real_command() -> None:
    unit = SECTION.split("```ini\n", 1)[1].split("```", 1)[0]
    [exec_start] = [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("ExecStart=")]
    argv = shlex.split(exec_start)
    assert Path(argv[0]).name == "cmmi-bot"
    args = build_parser().parse_args(argv[1:])
    assert args.command == "serve"
    assert "[Service]" in unit and "[Install]" in unit
    settings = dict(line.split("=", 1)[1].split("=", 1) for line in unit.splitlines() if line.startswith("Environment="))
    assert settings["CMMI_LOG_FORMAT"] in ("json", "text")


def test_the_cron_line_runs_a_real_command() -> None:
    [line] = [line for line in SECTION.splitlines() if line.startswith("*/")]
    command = line.split("&&")[-1]
    argv = shlex.split(command)
    assert Path(argv[0]).name == "cmmi-bot"
    args = build_parser().parse_args(argv[1:])
    assert (args.command, args.digest_command) == ("digest", "run-due")


def test_the_section_names_what_the_settings_table_describes_for_probes() -> None:
    port = next(s for s in SETTINGS if s.name == "CMMI_HTTP_PORT")
    for path in (ops.HEALTH_PATH, ops.READY_PATH, ops.METRICS_PATH):
        assert path in port.help
