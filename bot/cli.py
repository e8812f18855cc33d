"""The cmmi-bot command line: ask, chat, run, say, model export, feedback export, eval."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.logs import configure_logging
from bot.settings import load_settings
from bot.wiring import Runtime, build_context, build_model_index, build_runtime, build_store

# Imported where they are used: a fresh `cmmi-bot ask --json` needs the model and its index only, not the handlers, the
# database layer (SQLAlchemy's ORM, Alembic) or any transport, which would more than double its start-up time.
if TYPE_CHECKING:
    from datetime import datetime

    from model_data import GenericGoal, GenericPractice, Goal, Practice


def cmd_ask(args: argparse.Namespace, runtime: Runtime) -> int:
    question = " ".join(args.question)
    if args.json:
        _, index = build_model_index()
        questions = (line.rstrip("\n") for line in sys.stdin) if question == "-" else [question]
        for text in questions:
            print(json.dumps(index.search(text).as_json(), ensure_ascii=False), flush=True)
        return 0
    from bot import console

    ctx = build_context(runtime.settings, with_store=False)
    ok, text = console.handle_line("ask " + question, ctx)
    print(text)
    return 0 if ok else 1


def cmd_model_export(args: argparse.Namespace, runtime: Runtime) -> int:
    from model_data import load_model

    model = load_model()

    def practice(p: Practice | GenericPractice | Goal | GenericGoal) -> dict[str, object]:
        return {"id": p.id, "title": p.title, "statement": p.statement}

    out = {
        "model": {"name": model.name, "version": model.version, "categories": list(model.categories)},
        "process_areas": [
            {
                "abbr": pa.abbr,
                "name": pa.name,
                "category": pa.category,
                "maturity_level": pa.maturity_level,
                "optional": pa.optional,
                "purpose": pa.purpose,
                "goals": [{**practice(g), "practices": [practice(p) for p in g.practices]} for g in pa.goals],
            }
            for pa in model.process_areas
        ],
        "generic_goals": [
            {
                **practice(g),
                "capability_level": g.capability_level,
                "practices": [{**practice(p), "supported_by": list(p.supported_by)} for p in g.practices],
            }
            for g in model.generic_goals
        ],
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def cmd_chat(args: argparse.Namespace, runtime: Runtime) -> int:
    from bot import console

    return console.run(runtime.context)


def cmd_run(args: argparse.Namespace, runtime: Runtime) -> int:
    """Slack and/or Teams when their credentials are configured (environment or .env), else the console chat."""
    from bot import console

    if runtime.settings.slack_configured or runtime.settings.teams_configured:
        return cmd_serve(args, runtime)
    return console.run(runtime.context)


def cmd_serve(args: argparse.Namespace, runtime: Runtime) -> int:
    """Slack and Teams in one process when both are configured, else whichever is; exit 2 when neither is."""
    # Imported here: Bolt, the Teams SDK, Starlette and uvicorn cost start-up time that the other commands do not need.
    from bot.server import serve
    from bot.settings import ConfigError

    try:
        return serve(runtime)
    except ConfigError as exc:  # Slack's and Teams' configuration errors alike
        print(f"cmmi-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def cmd_say(args: argparse.Namespace, runtime: Runtime) -> int:
    """Handle TEXT as `/cmmi TEXT` typed by --user in --channel of --workspace; exit 1 on a user error."""
    if not args.text:
        print("Say what? e.g. cmmi-bot say evidence list", file=sys.stderr)
        return 1
    from bot import console
    from handlers import Request

    ctx = runtime.context
    if args.now:
        now = parse_now(args.now)
        runtime.store.clock = lambda: now  # the whole command happens at the given moment (scripts, tests)
    request = runtime.settings.admins.apply(
        Request(
            text=" ".join(args.text),
            user_id=args.user,
            workspace_id=args.workspace,
            channel_id=args.channel,
            is_admin=args.admin,
            transport="console",
        )
    )
    ok, reply, text = console.handle(request, ctx)
    if ok and reply is not None and reply.attachments:
        # A file's bytes go to standard output, as they are: `cmmi-bot say export > matrix.csv`.
        sys.stdout.flush()
        for attachment in reply.attachments:
            sys.stdout.buffer.write(attachment.content)
        sys.stdout.buffer.flush()
        return 0
    print(text)
    return 0 if ok else 1


def cmd_db_upgrade(args: argparse.Namespace, runtime: Runtime) -> int:
    from store.db import current_revision

    store = build_store(runtime.settings)
    print(f"database is at revision {current_revision(store.engine)} ({store.engine.url.render_as_string(hide_password=True)})")
    return 0


def parse_now(value: str | None) -> datetime:
    """--now as an aware datetime (None: the real clock); raises UserError when it is not ISO 8601 with an offset."""
    from datetime import UTC, datetime

    from handlers import UserError

    if not value:
        return datetime.now(UTC)
    try:
        now = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(f"--now must be an ISO 8601 time such as 2026-11-30T09:05:00+01:00, not {value!r}") from None
    if now.tzinfo is None:
        raise UserError("--now needs a UTC offset, e.g. 2026-11-30T08:05:00+00:00")
    return now


def cmd_digest_run_due(args: argparse.Namespace, runtime: Runtime) -> int:
    from bot.scheduler import run_due

    now = parse_now(args.now)
    store = runtime.store
    store.clock = lambda: now  # the whole run happens at the given moment
    report = run_due(runtime.context, store, runtime.deliverers, now)
    print(f"digests: {report}", file=sys.stderr)  # reminders too: "digests: sent 2; reminders: sent 5"
    return 0


def cmd_eval(args: argparse.Namespace, runtime: Runtime) -> int:
    from index.evaluate import evaluate, format_summary

    _, index = build_model_index()
    rows, summary = evaluate(index, Path(args.file))
    if args.verbose:
        for row in rows:
            if not row.hit3 or not row.hit1:
                mark = "MISS@3" if not row.hit3 else "miss@1"
                print(f"{mark} [{row.kind}] {row.question}\n        expected {list(row.expect)} got {list(row.got[:3])}")
    print(format_summary(summary))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return 0


def parse_since(value: str) -> datetime:
    """--since as the start of that day in UTC; raises UserError when it is not YYYY-MM-DD."""
    from datetime import UTC, date, datetime

    from handlers import UserError

    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UserError(f"--since must be a date such as 2026-11-01, not {value!r}") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def cmd_feedback_export(args: argparse.Namespace, runtime: Runtime) -> int:
    """Votes as JSONL for `cmmi-bot eval`, oldest first; the same row from several people is written once."""
    from index.evaluate import from_feedback

    since = parse_since(args.since) if args.since else None
    written: set[str] = set()
    for vote in runtime.store.feedback.votes(workspace_id=args.workspace, since=since):
        line = json.dumps(from_feedback(vote.question, vote.vote, vote.result_ids), ensure_ascii=False)
        if line not in written:
            written.add(line)
            print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cmmi-bot", description="A chat assistant for CMMI for Services V1.3.")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer one question and exit")
    ask.add_argument("--json", action="store_true", help="print the ranked results as JSON; with '-' read one question per line from stdin")
    ask.add_argument("question", nargs="+", help="the question, or '-' with --json")
    ask.set_defaults(func=cmd_ask, needs_context=False)
    model = sub.add_parser("model", help="the model as data")
    model_sub = model.add_subparsers(dest="model_command", required=True)
    export = model_sub.add_parser("export", help="print the whole model as JSON")
    export.set_defaults(func=cmd_model_export, needs_context=False)
    sub.add_parser("chat", help="interactive console chat").set_defaults(func=cmd_chat, needs_store=True)
    sub.add_parser("run", help="start the assistant (the console when no chat credentials are configured)").set_defaults(
        func=cmd_run, needs_store=True
    )
    sub.add_parser(
        "serve", help="run the Slack and/or Teams apps and the digest scheduler (HTTP on CMMI_HTTP_PORT, or Slack Socket Mode)"
    ).set_defaults(func=cmd_serve, needs_store=True)
    say = sub.add_parser("say", help="handle one chat message as /cmmi TEXT and print the reply")
    say.add_argument("--workspace", default="local", help="workspace (Slack team or Teams tenant) ID (default: local)")
    say.add_argument("--user", default=_os_user(), help="user ID (default: the current OS user)")
    say.add_argument("--channel", default="console", help="channel ID (default: console)")
    say.add_argument("--admin", action="store_true", help="act as a workspace admin")
    say.add_argument("--now", help="the current time, ISO 8601 with offset (default: now); for scripts and tests")
    say.add_argument("text", nargs=argparse.REMAINDER, help="the command or question, as typed after /cmmi (options after it belong to it)")
    say.set_defaults(func=cmd_say, needs_store=True)
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply database migrations (also done at start-up)").set_defaults(
        func=cmd_db_upgrade, needs_context=False
    )
    digest = sub.add_parser("digest", help="weekly digests")
    digest_sub = digest.add_subparsers(dest="digest_command", required=True)
    due = digest_sub.add_parser(
        "run-due", help="send every weekly digest and evidence reminder that is due and exit (for cron; --now fixes the clock)"
    )
    due.add_argument("--now", help="the current time, ISO 8601 with offset (default: now)")
    due.set_defaults(func=cmd_digest_run_due, needs_store=True)
    feedback = sub.add_parser("feedback", help="what people said of answers (👍/👎)")
    feedback_sub = feedback.add_subparsers(dest="feedback_command", required=True)
    fb_export = feedback_sub.add_parser("export", help="print the votes as JSONL that `cmmi-bot eval` reads")
    fb_export.add_argument("--since", metavar="DATE", help="only votes given on or after this day (YYYY-MM-DD, UTC)")
    fb_export.add_argument("--workspace", metavar="W", help="only this workspace's votes (default: every workspace)")
    fb_export.set_defaults(func=cmd_feedback_export, needs_store=True)
    ev = sub.add_parser("eval", help="measure retrieval: hit@1 and hit@3 on a JSONL question set")
    ev.add_argument("file", help="JSONL file of {q, expect, kind}")
    ev.add_argument("--verbose", "-v", action="store_true", help="also list the misses")
    ev.add_argument("--json", metavar="PATH", help="also write the summary as JSON")
    ev.set_defaults(func=cmd_eval, needs_context=False)
    return parser


def _os_user() -> str:
    import getpass

    return getpass.getuser()


def load_dotenv_file(path: Path | None = None) -> None:
    """Add the settings in .env (in the working directory) to the environment; variables already set win."""
    path = path or Path.cwd() / ".env"
    if not path.exists():
        return  # python-dotenv is imported only when there is a file to read
    from dotenv import load_dotenv

    load_dotenv(path, override=False)


def _cannot_start(message: str) -> int:
    """One line on stderr (a database's own messages may span several) and exit status 2."""
    print("cmmi-bot: " + " ".join(message.split()), file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    load_dotenv_file()
    try:
        settings = load_settings()  # the one place the environment is read: a bad value stops here, named
        configure_logging(settings)
        runtime = build_runtime(settings, with_context=getattr(args, "needs_context", True), with_store=getattr(args, "needs_store", False))
        status: int = args.func(args, runtime)
        return status
    except BrokenPipeError:
        return 0
    except Exception as exc:
        known = _known_failure(exc)
        if known is None:
            raise
        return known


def _known_failure(exc: Exception) -> int | None:
    """The exit status for a failure that has words for the person (after saying them), or None. Imported here: had these
    modules not been loaded, they could not have raised."""
    from bot.settings import SettingError
    from handlers import UserError
    from store import StoreUnavailable
    from store.db import BadDatabaseURL, DatabaseRefused

    if isinstance(exc, UserError):
        print(exc, file=sys.stderr)
        return 1
    if isinstance(exc, SettingError):
        return _cannot_start(str(exc))
    if isinstance(exc, BadDatabaseURL):
        return _cannot_start(f"CMMI_DATABASE_URL is not a valid database URL: {exc}.")
    if isinstance(exc, DatabaseRefused):
        return _cannot_start(f"the database server refused CMMI_DATABASE_URL: {exc}. Check the user, password and database name in it.")
    if isinstance(exc, StoreUnavailable):
        return _cannot_start(f"the database is busy or unreachable ({exc}). Nothing was changed; try again in a moment.")
    return None


if __name__ == "__main__":
    sys.exit(main())
