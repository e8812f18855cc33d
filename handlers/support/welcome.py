"""The welcome a transport says when cmmi-bot is added to a chat, a channel or a team: what it does and how to start."""

from __future__ import annotations

from handlers.core import Action, Reply, Section
from handlers.support.actions import Kind

EXAMPLES = (
    "what does WMC.SP1.6 require",
    "how do we show that incidents are analysed for root causes",
    "difference between IRP and CAR",
)
START_LOGGING = (
    'Create a work group and bind this channel to it: group add "Service Desk", then group use Service Desk',
    "Log evidence: evidence add WMC.SP1.6 https://wiki.example.com/review weekly review minutes",
    "Or turn any message into evidence from its ⋯ menu: Log as CMMI evidence",
    "See where you stand: status and gaps; a weekly digest in a channel: digest on",
)


def welcome() -> Reply:
    """What cmmi-bot does, three example questions and how to start logging evidence, with two questions as buttons."""
    return Reply(
        text="Hello! I'm cmmi-bot, your CMMI for Services V1.3 assistant.",
        sections=(
            Section(
                title="Hello! I'm cmmi-bot",
                body="I answer questions about CMMI for Services V1.3 and keep your appraisal evidence: log evidence and ratings "
                "per work group, see readiness and gaps, export the evidence matrix, and get a weekly digest.",
            ),
            Section(title="Ask me, for example", items=EXAMPLES),
            Section(title="Start logging evidence", items=START_LOGGING, note="Type help for every command."),
        ),
        actions=(Action(Kind.SHOW, "What does WMC.SP1.6 require?", "ask WMC.SP1.6"), Action(Kind.SHOW, "Process area IRP", "ask IRP")),
    )
