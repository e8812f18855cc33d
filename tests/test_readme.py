"""The README's tables stay true to the code: commands, command line and settings."""

from __future__ import annotations

import re
from pathlib import Path

from bot.cli import build_parser
from bot.settings import SETTINGS, load_settings, setting_attributes
from handlers import COMMANDS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def table(heading: str) -> list[list[str]]:
    """Rows of the first table under a '## heading', as lists of cell texts."""
    section = README.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[c.strip() for c in row.strip("|").split("|")] for row in rows[2:]]


def test_quick_start_is_the_two_make_commands() -> None:
    block = README.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make run", "make test"]


def test_commands_table_matches_the_command_table() -> None:
    words = [row[0].strip("`") for row in table("Commands")]
    assert words == list(COMMANDS)


def test_command_line_table_matches_the_parser() -> None:
    documented = {row[0].strip("`").split()[1] for row in table("Command line")}
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert documented == set(subparsers.choices)


def test_settings_table_matches_the_settings() -> None:
    rows = table("Settings")
    assert [row[0].strip("`") for row in rows] == [s.name for s in SETTINGS]
    for row, setting in zip(rows, SETTINGS, strict=True):
        assert row[1].strip("`") == setting.default
        assert row[2] == setting.help


def test_readme_never_shows_a_token() -> None:
    assert not re.search(r"xox[abp]-[0-9A-Za-z-]{10,}", README)


def test_every_setting_has_a_typed_attribute_and_a_default_it_accepts() -> None:
    assert [s.attr for s in SETTINGS] == setting_attributes()  # the table and Settings are one definition
    defaults = load_settings({})
    for setting in SETTINGS:
        assert getattr(defaults, setting.attr) == setting.parse(setting.name, setting.default), setting.name
