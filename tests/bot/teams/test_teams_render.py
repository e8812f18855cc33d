"""Rendering Replies for Teams: card or text, escaping, size limits, exports."""

from __future__ import annotations

import html
import json
import re
import shlex
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import build_parser
from bot.teams import render
from handlers import Attachment, Context, Reply, Request, Section, dispatch


def test_escape_makes_markup_and_mentions_inert() -> None:
    escaped = render.escape("<at>everyone</at> <b>x</b> & *bold* [link](http://x) _i_ `c`")
    assert "<" not in escaped and ">" not in escaped
    assert "&lt;at&gt;" in escaped and "&amp;" in escaped
    assert "\\*bold\\*" in escaped and "\\[link\\]" in escaped and "\\_i\\_" in escaped and "\\`c\\`" in escaped
    assert render.escape("# title\n- item\n1. one") == "\\# title\n\\- item\n\\1. one"


def test_an_answer_is_a_card_with_the_asked_question_and_a_factset(ctx: Context) -> None:
    request = Request(text="what does WMC.SP1.6 require", transport="teams")
    message = render.message(dispatch(request, ctx), request)
    card = message["attachments"][0]["content"]
    assert card["version"] == render.CARD_VERSION
    assert card["body"][0]["text"] == "You asked: what does WMC.SP1.6 require"
    assert any(e["type"] == "FactSet" for e in card["body"])


def test_help_and_confirmations_are_text(ctx: Context) -> None:
    request = Request(text="help", transport="teams")
    message = render.message(dispatch(request, ctx), request)
    assert "attachments" not in message and message["textFormat"] == "markdown"


def test_a_huge_reply_is_cut_to_fit_and_says_so() -> None:
    sections = tuple(Section(title=f"S{i}", items=tuple("x" * 200 for _ in range(20))) for i in range(30))
    card = render.card(Reply(text="big", sections=sections))
    assert len(json.dumps(card)) < render.MAX_MESSAGE_CHARS + 2000
    assert "more not shown" in card["body"][-1]["text"]
    text = render.text_message(Reply(text="big", sections=sections))["text"]
    assert len(text) < render.MAX_MESSAGE_CHARS + 100 and text.endswith("(shortened to fit one Teams message)")


def test_export_shows_the_first_rows_and_how_to_get_the_file() -> None:
    csv = "practice,group,note\r\n" + "".join(f"WMC.SP1.{i},Desk,<at>x</at>\r\n" for i in range(25))
    reply = Reply(text="Evidence matrix ML2", attachments=(Attachment("m.csv", "text/csv", csv.encode()),))
    request = Request(text="export ML2", workspace_id="teams:t1", channel_id="19:c@thread.tacv2", transport="teams")
    text = render.message(reply, request)["text"]
    assert "the first 10 of 25 rows" in text
    assert "WMC.SP1.9" in text and "WMC.SP1.10" not in text
    assert "cmmi-bot say --workspace=teams:t1 --channel=19:c@thread.tacv2 export ML2 &gt; matrix.csv" in text
    assert "<at>" not in text


# ---- the export suggestion is a command line: nothing typed may become shell syntax -----------------------

HOSTILE_EXPORTS = [
    "export ML2 --group “b & touch PWNED”",
    "export --group=a&touch&PWNED",
    'export --group "b & touch PWNED"',
    "export --group 'x'\\''; touch PWNED; echo '",
    "export $(touch PWNED) `touch PWNED` ${IFS}touch${IFS}PWNED",
    "export ML3 ; touch PWNED # > /dev/null | tee PWNED",
    "export --group ‘Service Desk’ && touch PWNED || touch PWNED",
]


def unescape_markdown(text: str) -> str:
    """What Teams shows for the escaped suggestion: backslash escapes and entities undone."""
    return html.unescape(re.sub(r"\\(.)", r"\1", text))


@pytest.mark.parametrize("typed", HOSTILE_EXPORTS)
def test_a_real_shell_runs_the_suggestion_with_exactly_the_typed_words(tmp_path, typed: str) -> None:
    request = Request(text=typed, workspace_id="teams:t-1", channel_id="a:1-x_y", transport="teams")
    message = render.message(
        Reply(text="Evidence matrix", attachments=(Attachment("m.csv", "text/csv", b"practice\r\nWMC.SP1.1\r\n"),)), request
    )
    shown = unescape_markdown(message["text"].rsplit("\n\n", 1)[-1])
    assert shown == render.export_command(request) + " > matrix.csv"
    # The command as a person would paste it, with a `cmmi-bot` on PATH that prints the arguments it was given.
    bin_dir, work = tmp_path / "bin", tmp_path / "work"
    bin_dir.mkdir()
    work.mkdir()
    (bin_dir / "cmmi-bot").write_text('#!/bin/sh\nfor a in "$@"; do printf \'%s\\000\' "$a"; done\n')
    (bin_dir / "cmmi-bot").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    subprocess.run(["/bin/sh", "-c", shown], cwd=work, env=env, capture_output=True, check=True)
    assert (work / "matrix.csv").read_text().split("\0")[:-1] == render.export_argv(request)[1:]
    assert sorted(p.name for p in work.iterdir()) == ["matrix.csv"]  # the redirection, and nothing typed, ran


ids = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), min_size=1, max_size=255)
typed_after_export = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=200)


@settings(max_examples=300, deadline=None)
@given(workspace=ids, channel=ids, typed=typed_after_export)
def test_the_suggested_command_splits_back_into_exactly_the_intended_arguments(workspace: str, channel: str, typed: str) -> None:
    request = Request(text="export " + typed, workspace_id=workspace, channel_id=channel, transport="teams")
    argv = shlex.split(render.export_command(request))
    assert argv == ["cmmi-bot", "say", f"--workspace={workspace}", f"--channel={channel}", "export", *typed.split()]
    args = build_parser().parse_args(argv[1:])  # and cmmi-bot's own parser reads them as the chat request
    assert (args.workspace, args.channel) == (workspace, channel)
    assert " ".join(args.text) == " ".join(["export", *typed.split()])
