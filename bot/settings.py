"""Settings as data: one table of (name, default, help), read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("CMMI_LOG_LEVEL", "WARNING", "Log level: DEBUG, INFO, WARNING or ERROR. Message text is never logged at INFO or above."),
)


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, str]

    def __getitem__(self, name: str) -> str:
        return self.values[name]


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read every known setting from the environment (or a given mapping), falling back to defaults."""
    env = os.environ if environ is None else environ
    return Settings({s.name: env.get(s.name, s.default) for s in SETTINGS})
