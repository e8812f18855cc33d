"""feedback good|bad QUESTION: say whether an answer helped (the 👍 and 👎 under answers send this).

Examples:
  feedback good how do we track customer requests?
  feedback bad where do postmortems go?
The vote is kept with the question, the answer's top results and the workspace, so the questions people really
ask become test data for the answers (the host exports them with `cmmi-bot feedback export`). Voting again on
the same question changes your vote.
"""

from __future__ import annotations

from functools import partial

from handlers.core import Context, Reply, Request, Section, UserError, Verbs
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


def _record(vote: str, words: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    question = " ".join(words[0].split()) if words else ""
    if not question:
        raise UserError(f"Say which question the answer was for: {USAGE}")
    if len(question) > MAX_QUESTION:
        raise UserError(f"That question is {len(question):,} characters long; feedback takes questions of up to {MAX_QUESTION:,}.")
    # The answer is found again rather than taken from the press: a button's value is the presser's to forge.
    result_ids = [hit.id for hit in ctx.index.search(question).hits[:TOP]]
    store.feedback.record(workspace_id=request.workspace_id, user_id=request.user_id, question=question, vote=vote, result_ids=result_ids)
    return Reply(text=THANKS[vote], sections=(Section(body=THANKS[vote]),), data={"vote": vote, "results": result_ids})


VERBS = Verbs({vote: partial(_record, vote) for vote in VOTES}, unknown=f"Say good or bad, then the question the answer was for: {USAGE}")


def handle(request: Request, ctx: Context) -> Reply:
    need_store(ctx)
    # Split only twice, not split_words: the question is kept as typed, quotes and all.
    return VERBS(request.text.split(maxsplit=2)[1:], request, ctx)
