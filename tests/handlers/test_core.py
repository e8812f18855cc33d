"""The one way commands dispatch their verbs (Verbs), and which commands have verbs."""

from __future__ import annotations

import pytest

from handlers import COMMANDS, Context, Reply, Request, UserError
from handlers.core import Verbs


def echo(name: str):  # a verb that says which function ran and with which words
    return lambda words, request, ctx: Reply(text=name, data={"words": words})


VERBS = Verbs({"add": echo("add"), "list": echo("list")}, unknown=lambda word: f"No verb '{word}'. Use add or list.")


def run(verbs: Verbs, text: str, ctx: Context) -> Reply:
    return verbs(text.split(), Request(text=text), ctx)


def test_the_first_word_picks_the_verb_whatever_its_case_and_gets_the_words_after_it(ctx: Context) -> None:
    reply = run(VERBS, "ADD WMC.SP1.6 minutes", ctx)
    assert (reply.text, reply.data["words"]) == ("add", ["WMC.SP1.6", "minutes"])
    assert run(VERBS, "list", ctx).data["words"] == []


@pytest.mark.parametrize(("text", "message"), [("remove 12", "No verb 'remove'. Use add or list."), ("", "No verb ''. Use add or list.")])
def test_an_unknown_or_missing_verb_is_refused_with_what_to_type(ctx: Context, text: str, message: str) -> None:
    with pytest.raises(UserError) as raised:
        run(VERBS, text, ctx)
    assert str(raised.value) == message
    with pytest.raises(UserError) as fixed:
        run(Verbs({"add": echo("add")}, unknown="Use add."), text, ctx)
    assert str(fixed.value) == "Use add."


def test_no_words_runs_empty_and_a_word_that_is_no_verb_goes_to_the_default_with_all_words(ctx: Context) -> None:
    verbs = Verbs({"form": echo("form")}, empty=echo("empty"), default=echo("default"))
    assert run(verbs, "", ctx).text == "empty"
    assert (run(verbs, "Form WMC", ctx).text, run(verbs, "WMC.SP1.6 LI", ctx).data["words"]) == ("form", ["WMC.SP1.6", "LI"])
    assert run(Verbs({}, default=echo("default")), "", ctx).text == "default"  # without `empty`, no words go to the default


def test_every_command_that_names_its_writing_verbs_dispatches_with_verbs() -> None:
    """A command with verbs says which of them write (WRITES); each of those dispatches through one Verbs table."""
    with_verbs = {name for name, module in COMMANDS.items() if isinstance(getattr(module, "VERBS", None), Verbs)}
    assert with_verbs == {"evidence", "rate", "group", "digest", "settings", "feedback"}
    for name in with_verbs:
        writes = COMMANDS[name].WRITES - {"*", "--full", "--chart"}  # digest's flags alone mean "digest on"
        assert writes <= set(COMMANDS[name].VERBS.table), name
