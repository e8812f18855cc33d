"""Shared fixtures: the real model and one real Whoosh index built from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers import Context
from index import ModelIndex, build_index
from model_data import Model, load_model

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT.parent / "shared" / "eval" / "questions_dev.jsonl"
TEAM_SET = ROOT / "tests" / "data" / "questions_team.jsonl"


@pytest.fixture(scope="session")
def model() -> Model:
    return load_model()


@pytest.fixture(scope="session")
def index(model: Model) -> ModelIndex:
    return build_index(model)


@pytest.fixture(scope="session")
def ctx(model: Model, index: ModelIndex) -> Context:
    return Context(model=model, index=index)
