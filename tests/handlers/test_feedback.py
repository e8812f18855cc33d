"""👍/👎 through dispatch, on SQLite and PostgreSQL: the vote is kept with the question, the answer's results and the workspace."""

from __future__ import annotations

import pytest

from handlers import Context, Request, UserError, dispatch, writes
from handlers.support.actions import Kind, permits


def say(ctx: Context, text: str, user: str = "U1", ws: str = "W1", via: str = "typed"):
    return dispatch(Request(text=text, user_id=user, workspace_id=ws, channel_id="C1", transport="test", via=via), ctx)


def test_the_thumbs_under_an_answer_store_the_vote_with_its_results(db_ctx: Context) -> None:
    question = "how do we track customer requests?"
    answer = say(db_ctx, question)
    thumbs = {a.label: a for a in answer.actions if a.id == Kind.FEEDBACK}
    assert set(thumbs) == {"👍 Helpful", "👎 Not helpful"}
    command = thumbs["👎 Not helpful"].command
    assert permits(Kind.FEEDBACK, command) and writes(command)
    reply = say(db_ctx, command, via="action")
    assert "\n" not in reply.text and len(reply.sections) == 1 and "👎" in reply.text
    [vote] = db_ctx.store.feedback.votes()
    shown = [h.id for h in db_ctx.index.search(question).hits[:5]]
    assert (vote.workspace_id, vote.user_id, vote.question, vote.vote, list(vote.result_ids)) == ("W1", "U1", question, "bad", shown)
    assert list(vote.result_ids[:1]) == [answer.data["results"][0]["id"]]  # the answer the person saw
    assert db_ctx.store.feedback.votes(workspace_id="W2") == []


def test_changing_ones_mind_keeps_one_vote(db_ctx: Context) -> None:
    say(db_ctx, "feedback good where do postmortems go?")
    say(db_ctx, "feedback   BAD  where do   postmortems go?")  # spacing and case as a person might type them
    say(db_ctx, "feedback good where do postmortems go?", user="U2")
    assert sorted((v.user_id, v.vote) for v in db_ctx.store.feedback.votes()) == [("U1", "bad"), ("U2", "good")]


def test_a_question_that_starts_with_feedback_is_still_a_question(db_ctx: Context) -> None:
    reply = say(db_ctx, "feedback from customers: which process area?")
    assert reply.data["results"] and db_ctx.store.feedback.votes() == []


@pytest.mark.parametrize(
    ("text", "said"),
    [("feedback good", "Say which question"), ("feedback bad " + "x" * 1501, "up to 1,500")],
)
def test_a_vote_without_a_sound_question_is_refused_and_nothing_stored(db_ctx: Context, text: str, said: str) -> None:
    with pytest.raises(UserError, match=said):
        say(db_ctx, text)
    assert db_ctx.store.feedback.votes() == []
