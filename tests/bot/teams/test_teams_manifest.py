"""The Teams app package: the manifest, with an app ID written in, is valid against its own schema version and declares
what the bot handles; the placeholders are only ever replaced by a GUID; the icons are what Teams accepts."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from PIL import Image

from bot.teams import package
from bot.teams.listeners.extension import COMMAND_ID
from handlers import COMMANDS

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
APP_ID = "2F1C6D7E-8A9B-4C0D-9E1F-203142536475"
SOURCE = json.loads((package.PACKAGE_DIR / "manifest.json").read_text(encoding="utf-8"))


def validator() -> jsonschema.protocols.Validator:
    """The manifest's own schema version, checked in (schemas/README.md). It declares draft-04 but uses draft-06's
    `const`, which Teams' own validator honours: draft-04 with `const` added."""
    version = SOURCE["manifestVersion"]
    schema = json.loads((SCHEMA_DIR / f"MicrosoftTeams.v{version}.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    draft4 = jsonschema.validators.extend(jsonschema.Draft4Validator, {"const": jsonschema.Draft6Validator.VALIDATORS["const"]})
    return draft4(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def errors(manifest: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(manifest)]


def test_the_manifest_names_its_schema_version() -> None:
    version = SOURCE["manifestVersion"]
    assert SOURCE["$schema"] == f"https://developer.microsoft.com/json-schemas/teams/v{version}/MicrosoftTeams.schema.json"


def test_the_packaged_manifest_is_valid_against_its_schema(tmp_path: Path) -> None:
    out = package.build(APP_ID, tmp_path / "cmmi-teams.zip")
    with zipfile.ZipFile(out) as zipped:
        assert sorted(zipped.namelist()) == ["color.png", "manifest.json", "outline.png"]
        made = json.loads(zipped.read("manifest.json"))
    assert errors(made) == []
    assert made["id"] == made["bots"][0]["botId"] == made["composeExtensions"][0]["botId"] == APP_ID.lower()
    assert "{{" not in json.dumps(made)


def test_the_validation_fails_on_a_broken_manifest() -> None:
    made = package.manifest(APP_ID)
    broken = json.loads(json.dumps(made))
    broken["bots"][0]["scopes"].append("everywhere")
    del broken["developer"]["privacyUrl"]
    broken["composeExtensions"][0]["commands"][0]["type"] = "shortcut"
    found = errors(broken)
    assert any("everywhere" in e for e in found) and any("privacyUrl" in e for e in found) and any("shortcut" in e for e in found)
    assert errors({**made, "manifestVersion": "1.21"})  # the schema's `const`
    assert errors({**made, "id": "not-a-guid"})


def test_the_unreplaced_manifest_is_not_a_valid_package() -> None:
    assert any(e.startswith("id:") for e in errors(SOURCE))  # so it cannot be uploaded by mistake


@pytest.mark.parametrize("app_id", ["", "00000000-0000-0000-0000-00000000000", "xyz", '2f1c6d7e-8a9b-4c0d-9e1f-203142536475"}'])
def test_only_a_guid_is_written_into_the_package(tmp_path: Path, app_id: str) -> None:
    with pytest.raises(package.PackageError, match="GUID"):
        package.build(app_id, tmp_path / "x.zip")
    assert package.main(["--app-id", app_id, "--out", str(tmp_path / "y.zip")]) == 2
    assert not (tmp_path / "x.zip").exists() and not (tmp_path / "y.zip").exists()


def test_the_manifest_declares_the_bot_its_commands_files_and_the_message_extension() -> None:
    [bot] = SOURCE["bots"]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"} and bot["supportsFiles"] is True
    listed = {c["title"] for c in bot["commandLists"][0]["commands"]}
    assert listed <= set(COMMANDS)
    [extension] = SOURCE["composeExtensions"]
    [command] = extension["commands"]
    assert (command["id"], command["type"], command["context"], command["fetchTask"]) == (COMMAND_ID, "action", ["message"], True)


def test_the_icons_are_what_teams_accepts() -> None:
    with Image.open(package.PACKAGE_DIR / SOURCE["icons"]["color"]) as color:
        assert (color.format, color.size) == ("PNG", (192, 192))
    with Image.open(package.PACKAGE_DIR / SOURCE["icons"]["outline"]) as opened:
        assert opened.format == "PNG"
        outline = opened.convert("RGBA")
    assert outline.size == (32, 32)
    pixels = [outline.getpixel((x, y)) for x in range(32) for y in range(32)]
    assert {p[:3] for p in pixels if p[3]} == {(255, 255, 255)}  # white on a transparent background
    assert any(p[3] == 0 for p in pixels)
