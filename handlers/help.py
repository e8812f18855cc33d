"""help [COMMAND]: what cmmi-bot can do, with examples.

Examples:
  help
  help ask
"""

from __future__ import annotations

from handlers.core import Command, Context, Reply, Request, Section, UserError

INTRO = (
    "cmmi-bot answers questions about CMMI for Services V1.3 (CMMI-SVC) from the model's quick reference: "
    "process areas, goals, specific and generic practices."
)


def _doc(module: Command) -> tuple[str, str]:
    doc = (module.__doc__ or "").strip()
    first, _, rest = doc.partition("\n")
    return first.strip(), rest.strip()


def handle(request: Request, ctx: Context) -> Reply:
    from handlers import COMMANDS  # the command table imports this module

    words = request.text.split()[1:]
    if words:
        name = words[0].lower()
        module = COMMANDS.get(name)
        if module is None:
            raise UserError(f"There is no command '{name}'. Commands: {', '.join(COMMANDS)}. Type 'help' for the list.")
        first, rest = _doc(module)
        return Reply(text=first, sections=(Section(title=first, body=rest),))
    items = tuple(_doc(module)[0] for module in COMMANDS.values())
    return Reply(
        text="cmmi-bot commands",
        sections=(
            Section(body=INTRO),
            Section(title="Commands", items=items),
            Section(note="Type 'help COMMAND' for examples. Anything else you type is a question."),
        ),
    )
