"""The dependency rules of ARCHITECTURE.md, checked by reading the imports."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ("handlers", "index", "model_data", "store")
CHAT_SDKS = ("slack_bolt", "slack_sdk", "microsoft_teams", "botbuilder")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def core_files() -> list[Path]:
    return [p for package in CORE for p in (ROOT / package).rglob("*.py")]


def test_core_never_imports_a_chat_sdk_or_bot() -> None:
    for path in core_files():
        for name in imports(path):
            assert not name.startswith(CHAT_SDKS), f"{path} imports {name}"
            assert name.split(".")[0] != "bot", f"{path} imports {name}"


def test_core_never_reads_the_environment() -> None:
    for path in core_files():
        text = path.read_text(encoding="utf-8")
        assert "os.environ" not in text and "getenv" not in text, path


def test_whoosh_stays_inside_index() -> None:
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("handlers").rglob("*.py"), *ROOT.joinpath("model_data").rglob("*.py")]:
        assert not any(n.startswith("whoosh") for n in imports(path)), path


def test_arrows_point_one_way() -> None:
    for path in ROOT.joinpath("model_data").rglob("*.py"):
        assert not any(n.split(".")[0] in {"index", "handlers", "store", "bot"} for n in imports(path)), path
    for path in ROOT.joinpath("index").rglob("*.py"):
        assert not any(n.split(".")[0] in {"handlers", "store", "bot"} for n in imports(path)), path


def test_every_module_starts_with_a_docstring() -> None:
    for package in (*CORE, "bot"):
        for path in ROOT.joinpath(package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            assert ast.get_docstring(tree), f"{path} has no module docstring"
