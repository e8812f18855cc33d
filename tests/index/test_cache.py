"""The built index kept in the user's cache folder: reused while current, rebuilt when its inputs change, never read from a
folder others could have written to, safe when processes start at once, and in memory when the folder cannot be used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from index import ModelIndex, build_index
from index import engine as engine_module
from index.cache import BUILDING, PREFIX
from model_data import Model, loader

QUESTIONS = ("WMC.SP1.6", "how do we run a postmortem after an outage", "practices of IRP", "OPF vs OPD", "trainig recrods", "VER SP2.2")


def cached_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(PREFIX)) if folder.exists() else []


def same_answers(a: ModelIndex, b: ModelIndex) -> bool:
    return all(a.search(q) == b.search(q) for q in QUESTIONS)


def no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(documents: list[dict]) -> None:
        raise AssertionError("built again although a current index was cached")

    monkeypatch.setattr(engine_module, "_build_whoosh", refuse)


def test_the_index_is_built_once_then_read_from_the_cache(model: Model, index: ModelIndex, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "cache" / "cmmi-bot"
    first = build_index(model, cache_dir=folder)
    [stored] = cached_folders(folder)
    assert folder.stat().st_mode & 0o777 == 0o700
    no_build(monkeypatch)
    second = build_index(model, cache_dir=folder)
    assert cached_folders(folder) == [stored]
    assert same_answers(first, index) and same_answers(second, index)  # as a freshly built in-memory index answers
    assert not [p for p in folder.iterdir() if p.name.startswith(BUILDING)]


def test_a_change_to_the_model_or_hints_makes_a_new_index(model: Model, tmp_path: Path) -> None:
    folder = tmp_path / "cmmi-bot"
    build_index(model, cache_dir=folder)
    files = resources.files("model_data")
    raw = json.loads(files.joinpath(loader.MODEL_FILE).read_text(encoding="utf-8"))
    outside = json.loads(files.joinpath(loader.NOT_IN_SVC_FILE).read_text(encoding="utf-8"))
    hints = loader._read_hints()
    hints["WMC.SP1.6"] = {**hints.get("WMC.SP1.6", {}), "keywords": ["zebra crossing review"]}
    rebuilt = build_index(loader.parse_model(raw, hints, outside), cache_dir=folder)
    assert len(cached_folders(folder)) == 2
    assert rebuilt.search("zebra crossing").hits[0].id == "WMC.SP1.6"
    assert build_index(model, cache_dir=folder).search("zebra crossing").hits[0].id != "WMC.SP1.6"


def test_a_damaged_cache_is_rebuilt_not_trusted(model: Model, index: ModelIndex, tmp_path: Path) -> None:
    folder = tmp_path / "cmmi-bot"
    build_index(model, cache_dir=folder)
    [stored] = cached_folders(folder)
    for file in stored.iterdir():
        file.write_bytes(b"not an index")
    again = build_index(model, cache_dir=folder)
    assert same_answers(again, index)
    [replaced] = cached_folders(folder)
    assert replaced.name == stored.name and all(f.read_bytes() != b"not an index" for f in replaced.iterdir())


def test_an_unusable_folder_means_an_index_in_memory(model: Model, index: ModelIndex, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    in_memory = build_index(model, cache_dir=blocker / "cmmi-bot")  # cannot be created under a file
    assert same_answers(in_memory, index)


@pytest.mark.parametrize("mode", [0o777, 0o750, 0o705])
def test_a_folder_others_can_enter_or_write_is_never_read(model: Model, tmp_path: Path, mode: int, monkeypatch) -> None:
    folder = tmp_path / "cmmi-bot"
    build_index(model, cache_dir=folder)
    folder.chmod(mode)
    called = []
    real = engine_module._build_whoosh
    monkeypatch.setattr(engine_module, "_build_whoosh", lambda documents: called.append(1) or real(documents))
    build_index(model, cache_dir=folder)
    assert called == [1]  # built in memory: what lies in that folder could have been planted
    assert folder.stat().st_mode & 0o777 == mode  # and the folder left as it was


def test_a_symlinked_folder_is_never_read(model: Model, tmp_path: Path, monkeypatch) -> None:
    real_folder = tmp_path / "real"
    build_index(model, cache_dir=real_folder)
    link = tmp_path / "link"
    link.symlink_to(real_folder)
    called = []
    real = engine_module._build_whoosh
    monkeypatch.setattr(engine_module, "_build_whoosh", lambda documents: called.append(1) or real(documents))
    build_index(model, cache_dir=link)
    assert called == [1]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the folder to another user")
def test_a_folder_of_another_user_is_never_read(model: Model, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "cmmi-bot"
    build_index(model, cache_dir=folder)
    os.chown(folder, 65534, 65534)
    called = []
    real = engine_module._build_whoosh
    monkeypatch.setattr(engine_module, "_build_whoosh", lambda documents: called.append(1) or real(documents))
    build_index(model, cache_dir=folder)
    assert called == [1]


def test_processes_starting_at_once_share_one_cache_safely(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    command = [sys.executable, "-m", "bot", "ask", "--json", "how do we run a postmortem after an outage"]
    root = Path(__file__).parents[2]
    processes = [subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, [err for _, err in outputs]
    answers = [json.loads(out) for out, _ in outputs]
    assert all(a == answers[0] for a in answers) and answers[0]["results"]
    folder = tmp_path / "cmmi-bot"
    assert len(cached_folders(folder)) == 1
    assert not [p for p in folder.iterdir() if p.name.startswith(BUILDING)]  # the losers' copies are gone
    again = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert json.loads(again.stdout) == answers[0]
