"""The Slack adapter: Bolt app (app.py), payload conversion (convert.py), Block Kit (render.py), serving (server.py)."""

from __future__ import annotations
