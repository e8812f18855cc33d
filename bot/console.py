"""The terminal console: each line typed is handled as a chat message, through the same dispatch."""

from __future__ import annotations

import getpass
import logging
import sys
import uuid
from typing import TextIO

from bot.render_text import render
from handlers import Context, Reply, Request, UserError, dispatch

log = logging.getLogger("cmmi_bot.console")

BANNER = "cmmi-bot: ask about CMMI-SVC V1.3 (e.g. 'what does WMC.SP1.6 require'). 'help' for commands, Ctrl-D to quit."


def handle(request: Request, ctx: Context) -> tuple[bool, Reply | None, str]:
    """Handle one message; returns (ok, reply, text to show). Errors are caught here, at the edge."""
    try:
        reply = dispatch(request, ctx)
    except UserError as exc:
        return False, None, str(exc)
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("unhandled error handling a console message (ref %s)", ref)
        return False, None, f"Sorry, something went wrong on my side (error reference {ref}). Please try again."
    text = render(reply)
    for attachment in reply.attachments:
        if attachment.media_type.startswith("text/"):
            text += "\n\n" + attachment.content.decode("utf-8", errors="replace")
        else:
            text += f"\n\n[{attachment.filename}: {len(attachment.content):,} bytes; `cmmi-bot say` writes it to standard output]"
    return True, reply, text


def handle_line(line: str, ctx: Context, request: Request) -> tuple[bool, str]:
    ok, _, text = handle(request, ctx)
    return ok, text


def run(ctx: Context, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, user: str | None = None) -> int:
    """The local chat: the person at the terminal owns the local workspace, so acts as its admin."""
    user = user or getpass.getuser()
    interactive = stdin.isatty()
    if interactive:
        print(BANNER, file=stdout)
    while True:
        if interactive:
            stdout.write("cmmi> ")
            stdout.flush()
        try:
            line = stdin.readline()
        except KeyboardInterrupt:
            print(file=stdout)
            return 0
        if not line:
            return 0
        line = line.strip()
        if not line:
            continue
        if line.lower() in {"quit", "exit", "bye"}:
            return 0
        _, text = handle_line(line, ctx, Request(text=line, user_id=user, is_admin=True))
        print(text, file=stdout)
        if not interactive:
            print(file=stdout)
        stdout.flush()
