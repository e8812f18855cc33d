"""The terminal console: each line typed is handled as a chat message, through the same dispatch and edge as Slack and Teams.

A reply's actions are numbered ("→ 1 log evidence · 2 rate"): typing the number runs that action, checked as a pressed
button is. A reply with a form asks for each field in turn at the prompt and submits it, as a dialog would; fields the
form comes back with errors for are asked again, and only those."""

from __future__ import annotations

import getpass
import sys
from dataclasses import replace
from typing import TextIO

from bot import edge
from bot.render_text import notice, offered, render
from handlers import Action, Context, Field, Form, Reply, Request
from handlers.support.actions import permits
from index.picker import practice_choices

BANNER = "cmmi-bot: ask about CMMI-SVC V1.3 (e.g. 'what does WMC.SP1.6 require'). 'help' for commands, Ctrl-D to quit."
FORM_HELP = "Enter keeps the value in [brackets], '-' clears it, Ctrl-D closes the form."
NOT_OFFERED = "That action is not one cmmi-bot offered, so nothing was done."
CLOSED = "Form closed; nothing was sent."
PICK = 9  # practices listed when one is typed in words


def text_of(reply: Reply) -> str:
    """A reply as the terminal shows it: the rendered answer, then any file (text files inline, others by size)."""
    text = render(reply)
    for attachment in reply.attachments:
        if attachment.media_type.startswith("text/"):
            text += "\n\n" + attachment.content.decode("utf-8", errors="replace")
        else:
            text += f"\n\n[{attachment.filename}: {len(attachment.content):,} bytes; `cmmi-bot say` writes it to standard output]"
    return text


def handle(request: Request, ctx: Context) -> tuple[bool, Reply | None, str]:
    """Handle one message; returns (ok, reply, text to show). Errors are caught at the edge, as for every transport."""
    outcome = edge.run(request, ctx, kind=f"{request.via} message")
    if outcome.reply is None:
        return False, None, notice(outcome.notice or "")
    return True, outcome.reply, text_of(outcome.reply)


def handle_line(line: str, ctx: Context, request: Request | None = None) -> tuple[bool, str]:
    """Handle one typed line; `request` says who typed it and where (its text is replaced by the line)."""
    typed = Request(text=line) if request is None else replace(request, text=line)
    ok, _, text = handle(typed, ctx)
    return ok, text


class Session:
    """One person at the terminal: the actions the last answer offered, and forms filled in at the prompt."""

    def __init__(self, ctx: Context, request: Request, stdin: TextIO, stdout: TextIO, interactive: bool) -> None:
        self.ctx = ctx
        self.request = request  # who and where; each turn replaces its text
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = interactive
        self.offered: list[Action] = []

    def say(self, text: str) -> None:
        print(text, file=self.stdout)
        if not self.interactive:
            print(file=self.stdout)
        self.stdout.flush()

    def ask(self, prompt: str) -> str | None:
        """One answer at a prompt, stripped; None at end of input or Ctrl-C."""
        self.stdout.write(prompt)
        self.stdout.flush()
        try:
            line = self.stdin.readline()
        except KeyboardInterrupt:
            line = ""
        if not self.interactive:
            self.stdout.write("\n")  # scripted input is not echoed: keep each prompt on its own line
        return line.strip() if line else None

    def turn(self, line: str) -> None:
        """One typed line: the number of an action the last answer offered, or a message."""
        if line.isascii() and line.isdigit() and self.offered:
            number = int(line)
            if not 1 <= number <= len(self.offered):
                self.say(f"There is no action {number} here: the last answer offered 1 to {len(self.offered)}.")
                return
            self.press(self.offered[number - 1])
            return
        self.offered = []
        self.show(edge.run(replace(self.request, text=line), self.ctx, kind="console message"))

    def press(self, action: Action) -> None:
        """Run an action as a pressed button: only a command its kind could carry (what every transport checks)."""
        if action.choices or not permits(action.id, action.command):
            self.say(NOT_OFFERED)
            return
        self.show(edge.run(replace(self.request, text=action.command, via="action"), self.ctx, kind="console action"))

    def show(self, outcome: edge.Outcome) -> None:
        if outcome.reply is None:
            self.say(notice(outcome.notice or ""))
            return
        self.say(text_of(outcome.reply))
        self.offered = offered(outcome.reply)
        if outcome.reply.form is not None:
            self.fill(outcome.reply.form)

    def fill(self, form: Form) -> None:
        """Ask for each field, submit the form, and ask again only for the fields it comes back with errors for."""
        values = {f.name: f.value or "" for f in form.fields}
        asking = list(form.fields)
        self.say(f"{form.title}. {FORM_HELP}")
        while True:
            for field in asking:
                answer = self.field(field, values.get(field.name, ""), form.errors.get(field.name))
                if answer is None:
                    self.say(CLOSED)
                    return
                values[field.name] = answer
            request = replace(self.request, text=form.command, form={**values, **form.hidden}, via="form")
            outcome = edge.run(request, self.ctx, kind="console form")
            if outcome.form is None:
                self.show(outcome)
                return
            form = outcome.form
            asking = [f for f in form.fields if f.name in form.errors]
            if not asking:  # errors at no field we asked for: say them, and close
                self.say(notice(outcome.notice or ""))
                return
            self.say(f"Please fix {', '.join(f.label.lower() for f in asking)}; the other fields keep what you typed.")

    def field(self, field: Field, value: str, error: str | None) -> str | None:
        """One field's answer: Enter keeps `value`, '-' clears it; None when the form is closed."""
        if error:
            print(f"  ! {field.label}: {error}", file=self.stdout)
        if field.hint and not error:
            print(f"  ({field.hint})", file=self.stdout)
        choosing = field.kind != "practice" and bool(field.choices)
        if choosing:
            print("  " + " · ".join(f"{n} {c.label}" for n, c in enumerate(field.choices, 1)), file=self.stdout)
        shown = next((c.label for c in field.choices if c.value == value), value) if choosing else value
        label = field.label + ("" if field.required else " (optional)")
        prompt = f"{label} [{shown}]: " if value else f"{label}: "
        while True:
            typed = self.ask(prompt)
            if typed is None:
                return None
            if typed == "":
                return value
            if typed == "-":
                return ""
            if choosing:
                picked = self.choice(field, typed)
                if picked is not None:
                    return picked
                print(f"  Type a number from 1 to {len(field.choices)}, or one of the names shown.", file=self.stdout)
                continue
            if field.kind == "practice" and not any(ch.isdigit() for ch in typed):
                picked = self.practice(typed)
                if picked is None:
                    return None
                if picked:
                    return picked
                continue
            return typed

    @staticmethod
    def choice(field: Field, typed: str) -> str | None:
        if typed.isascii() and typed.isdigit() and 1 <= int(typed) <= len(field.choices):
            return field.choices[int(typed) - 1].value
        wanted = typed.casefold()
        return next((c.value for c in field.choices if wanted in (c.label.casefold(), c.value.casefold())), None)

    def practice(self, words: str) -> str | None:
        """A practice typed in words: the best matches, numbered, to pick from. '' asks again; None closes the form."""
        matches = practice_choices(self.ctx.index, words, limit=PICK)
        if not matches:
            print("  No practice matches those words. Type an ID such as WMC.SP1.6, or other words.", file=self.stdout)
            return ""
        for n, (key, title) in enumerate(matches, 1):
            print(f"  {n} {key} {title}", file=self.stdout)
        typed = self.ask("Which one? [1]: ")
        if typed is None:
            return None
        if typed == "":
            return matches[0][0]
        if typed.isascii() and typed.isdigit() and 1 <= int(typed) <= len(matches):
            return matches[int(typed) - 1][0]
        return ""


def run(ctx: Context, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, user: str | None = None) -> int:
    """The local chat: the person at the terminal owns the local workspace, so acts as its admin."""
    interactive = stdin.isatty()
    session = Session(ctx, Request(text="", user_id=user or getpass.getuser(), is_admin=True), stdin, stdout, interactive)
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
        session.turn(line)
