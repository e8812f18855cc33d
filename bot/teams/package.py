"""Make the Teams app package (the zip to sideload): the manifest with your bot's app ID written in, and the two icons.

The checked-in manifest says {{APP_ID}} wherever the bot's Microsoft app (client) ID belongs (the app's own id, the
bot, the message extension); this writes yours there, refusing anything that is not a GUID.
Usage: python -m bot.teams.package --app-id CLIENT_ID [--out build/cmmi-teams.zip]   (or: make teams-package APP_ID=...)"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent / "appPackage"
PLACEHOLDER = "{{APP_ID}}"
ICONS = ("color.png", "outline.png")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class PackageError(Exception):
    """The app ID or the package's files are not usable; the message says what to fix."""


def manifest(app_id: str, source: Path = PACKAGE_DIR / "manifest.json") -> dict[str, Any]:
    """The manifest with the app ID in every place that names it. Raises PackageError."""
    app_id = app_id.strip()
    if not _GUID.match(app_id):
        raise PackageError(f"The app ID must be the bot's Microsoft app (client) ID, a GUID such as 2f1c...-..., not {app_id!r}.")
    text = source.read_text(encoding="utf-8")
    if PLACEHOLDER not in text:
        raise PackageError(f"{source} has no {PLACEHOLDER} to replace: restore it from the repository.")
    return json.loads(text.replace(PLACEHOLDER, app_id.lower()))


def build(app_id: str, out: Path, source_dir: Path = PACKAGE_DIR) -> Path:
    """Write the zip Teams sideloads: manifest.json and the icons at its top level. Raises PackageError."""
    made = manifest(app_id, source_dir / "manifest.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(made, indent=2, ensure_ascii=False) + "\n")
        for icon in ICONS:
            package.write(source_dir / icon, icon)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.teams.package", description="Make the Teams app package to sideload.")
    parser.add_argument("--app-id", required=True, help="the bot's Microsoft app (client) ID: CLIENT_ID")
    parser.add_argument("--out", default="build/cmmi-teams.zip", help="where to write the zip (default: build/cmmi-teams.zip)")
    args = parser.parse_args(argv)
    try:
        out = build(args.app_id, Path(args.out))
    except PackageError as exc:
        print(f"cmmi-bot: {exc}", file=sys.stderr)
        return 2
    print(f"cmmi-bot: wrote {out}; upload it in Teams (Apps, Manage your apps, Upload an app).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
