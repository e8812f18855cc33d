"""Draw docs/heatmap.png, the README's picture: a made-up service organisation's ML2 ratings and evidence, entered
through the commands, then `status ML2 --chart`. Run from the repository root: .venv/bin/python docs/heatmap.py"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from handlers import Context, Reply, Request, dispatch
from handlers.support.readiness import Target, practices_in_scope
from index import build_index
from model_data import load_model
from store import Store, make_engine, sqlite_url, upgrade

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a fixed day, so the picture only changes when the drawing does
# work group -> process area -> the rating of each of its practices (None: unrated), and the share with evidence
PLAN = {
    "Service Desk": ({"SD": "FI", "WMC": "LI", "REQM": "LI", "CM": "PI", "WP": "LI", "SAM": "FI"}, 0.8),
    "Field Ops": ({"SD": "LI", "WMC": "PI", "REQM": "NI", "CM": "PI", "PPQA": "NY"}, 0.4),
    "Network Ops": ({"SD": "FI", "WMC": "FI", "REQM": "LI", "CM": "FI", "WP": "LI", "MA": "PI", "PPQA": "LI", "SAM": "LI"}, 1.0),
    "Data Centre": ({"CM": "LI"}, 0.15),
}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(sqlite_url(Path(folder) / "demo.db"))
        upgrade(engine)
        model = load_model()
        ctx = Context(model=model, index=build_index(model), store=Store(engine, lambda: NOW))

        def say(text: str) -> Reply:
            return dispatch(Request(text=text, workspace_id="demo", user_id="lead"), ctx)

        keys: dict[str, list[str]] = {}
        for p in practices_in_scope(model, Target(level=2), set()):
            keys.setdefault(p.pa, []).append(p.key)
        for group, (ratings, share) in PLAN.items():
            say(f'group add "{group}"')
            for pa, practices in keys.items():
                for i, key in enumerate(practices):
                    if pa in ratings:
                        say(f'rate {key} {ratings[pa]} --group "{group}"')
                    if i < len(practices) * share:
                        say(f'evidence add {key} https://wiki.example.com/{key} record --group "{group}"')
        say('rate WMC.SP1.1 NI --group "Network Ops"')  # one NI among FIs: team judgement
        chart = say("status ML2 --chart").attachments[0]
        engine.dispose()
    Path(__file__).with_name("heatmap.png").write_bytes(chart.content)


if __name__ == "__main__":
    main()
