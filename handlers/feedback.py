"""feedback good|bad QUESTION: say whether an answer helped (the 👍 and 👎 under answers send this).

Examples:
  feedback good how do we track customer requests?
  feedback bad where do postmortems go?
The vote is kept with the question, the answer's top results and the workspace, so the questions people really
ask become test data for the answers (the host exports them with `cmmi-bot feedback export`). Voting again on
the same question changes your vote.
"""

from __future__ import annotations

from handlers.core import Context, Reply, Request, Section, UserError
from handlers.support.scope import need_store
from store.feedback import VOTES

USAGE = "feedback good|bad QUESTION"
WRITES = frozenset(VOTES)  # verbs that change stored data (see handlers.writes)
MAX_QUESTION = 1500  # what a 👍/👎 button carries (handlers.support.actions.feedback)
TOP = 5  # results kept with a vote: what `cmmi-bot eval` scores
THANKS = {
    "good": "Thanks: your 👍 is kept with the question, so answers like it stay right.",
    "bad": "Thanks: your 👎 is kept with the question and what was shown, so the answer can be put right.",
}


def handle(request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    words = request.text.split(maxsplit=2)
    vote = words[1].lower() if len(words) > 1 else ""
    if vote not in VOTES:
        raise UserError(f"Say good or bad, then the question the answer was for: {USAGE}")
    question = " ".join(words[2].split()) if len(words) > 2 else ""
    if not question:
        raise UserError(f"Say which question the answer was for: {USAGE}")
    if len(question) > MAX_QUESTION:
        raise UserError(f"That question is {len(question):,} characters long; feedback takes questions of up to {MAX_QUESTION:,}.")
    # The answer is found again rather than taken from the press: a button's value is the presser's to forge.
    result_ids = [hit.id for hit in ctx.index.search(question).hits[:TOP]]
    store.feedback.record(workspace_id=request.workspace_id, user_id=request.user_id, question=question, vote=vote, result_ids=result_ids)
    return Reply(text=THANKS[vote], sections=(Section(body=THANKS[vote]),), data={"vote": vote, "results": result_ids})
