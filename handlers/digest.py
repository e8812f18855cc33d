"""digest [on|off|preview|now]: a weekly status message for this channel.

Examples:
  digest
  digest on
  digest on friday 16:30 Europe/Berlin --group "Service Desk" --level ML2
  digest on --chart
  digest preview
  digest now
  digest off
`digest on` subscribes this channel (default: Mondays 09:00 in your time zone, or UTC; ML3; the whole
workspace, or --group NAME). The digest says what changed in the week (evidence added and removed,
ratings, who contributed), evidence coverage towards the level and its change since last week, the top
gaps, the oldest evidence past its review date, and a next step; with --chart, the readiness heatmap too.
A week without changes gets one line unless the subscription says --full. Each subscribed week is sent once; a digest the bot missed while down is sent
late when it is back, marked late, and one more than a week late is skipped.
On the nights the clocks change, a time that happens twice (the repeated hour in autumn) is sent at its
first occurrence, and a time the clocks skip (spring) is sent the moment they jump past it. A digest the
bot cannot schedule or deliver (an unknown time zone, a channel it can no longer post to) is paused, and
`digest` says why; `digest on` resumes it. Subscribing, turning off and pausing are in the audit log, and
the channel is told who turned its digest on, changed it or turned it off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.core import Attachment, Context, Inline, Person, Reply, Request, Section, Text, UserError, Verbs
from handlers.gaps import find_gaps
from handlers.support.freshness import due_line, review_of
from handlers.support.heatmap import render_heatmap
from handlers.support.parse import split_words, take_options
from handlers.support.readiness import Readiness, Snapshot, Target, percent
from handlers.support.review import Review
from handlers.support.schedule import DAYS, Weekly, parse_day, parse_time, parse_zone
from handlers.support.scope import need_store, resolve_group
from store import DueItem, Group, RatingItem, Store, Subscription
from store.digests import WorkspaceWeek

USAGE = "digest on [DAY] [HH:MM] [TIME ZONE] [--group NAME] [--level ML2|ML3] [--full] [--chart] | digest off | digest preview | digest now"
WRITES = frozenset({"on", "off", "--full", "--chart"})  # verbs that change stored data (see handlers.writes)
FLAGS = ("full", "chart")  # options written alone
TOP_GAPS = 5
OLDEST = 5  # evidence items to review named in a digest


@dataclass(frozen=True)
class DigestScope:
    """What one digest covers; digests with the same scope and week have the same content."""

    workspace_id: str
    group_id: int | None
    level: int
    quiet_full: bool
    chart: bool = False


@dataclass(frozen=True)
class DigestFacts:
    """What every digest of one workspace for one week is computed from, read in one pass (store.digests.workspace_week): a
    thousand channels of a workspace cost one set of aggregate queries, not a thousand."""

    workspace_id: str
    week_start: datetime
    week_end: datetime
    groups: tuple[Group, ...]  # in name order, as store.groups.list gives them
    ratings: dict[tuple[int, str], RatingItem]
    week: WorkspaceWeek
    review: Review  # the workspace's review period, as of week_end
    due: dict[int, tuple[int, list[DueItem]]]  # per group: evidence past its review date, and its OLDEST oldest

    @classmethod
    def load(cls, ctx: Context, store: Store, workspace_id: str, week_start: datetime, week_end: datetime) -> DigestFacts:
        groups = tuple(store.groups.list(workspace_id=workspace_id))
        ratings = store.ratings.current(workspace_id=workspace_id)
        week = store.digests.workspace_week(workspace_id=workspace_id, start=week_start, end=week_end)
        review = review_of(ctx, store, workspace_id, week_end.date())
        due = store.digests.due_by_group(workspace_id=workspace_id, before=review.needs_review_before, sample=OLDEST)
        return cls(workspace_id, week_start, week_end, groups, ratings, week, review, due)

    def due_evidence(self, group_ids: set[int]) -> tuple[int, list[DueItem]]:
        """What store.freshness.due says for these groups: how many items are past their review date, and the OLDEST
        oldest (by base date, then number). A workspace's oldest are among its groups' oldest."""
        parts = [self.due[g] for g in group_ids if g in self.due]
        oldest = sorted((item for _, items in parts for item in items), key=lambda i: (i.base, i.id))[:OLDEST]
        return sum(n for n, _ in parts), oldest

    def snapshot(self, ctx: Context, group: Group | None) -> Snapshot:
        """What Snapshot.load would read for the workspace, or for one of its groups."""
        if group is None:
            counts, ratings = self.week.counts, self.ratings
        else:
            counts = {k: n for k, n in self.week.counts.items() if k[0] == group.id}
            ratings = {k: r for k, r in self.ratings.items() if k[0] == group.id}
        optional = {pa.abbr for pa in ctx.model.process_areas if pa.optional}
        used = frozenset({key.split(".")[0] for _, key in (*counts, *ratings)} & optional)
        return Snapshot([group] if group else list(self.groups), counts, ratings, used)


class DigestBatch:
    """Digests for many subscriptions in one scheduler run. Keeps the facts of one workspace and week at a time, and the
    digests built from them (channels with the same scope share one): give it subscriptions grouped by workspace and week,
    and memory stays bounded by one workspace, however many channels there are."""

    def __init__(self, ctx: Context, store: Store) -> None:
        self.ctx, self.store = ctx, store
        self._facts: DigestFacts | None = None
        self._built: dict[tuple[DigestScope, bool], Reply] = {}

    def build(self, scope: DigestScope, week_start: datetime, week_end: datetime, late: bool = False) -> Reply:
        facts = self._facts
        if facts is None or (facts.workspace_id, facts.week_start, facts.week_end) != (scope.workspace_id, week_start, week_end):
            facts = self._facts = DigestFacts.load(self.ctx, self.store, scope.workspace_id, week_start, week_end)
            self._built = {}
        key = (scope, late)
        if key not in self._built:
            self._built[key] = build_digest(self.ctx, self.store, scope, week_start, week_end, late, facts=facts)
        return self._built[key]


def build_digest(
    ctx: Context, store: Store, scope: DigestScope, week_start: datetime, week_end: datetime, late: bool = False,
    facts: DigestFacts | None = None,
) -> Reply:  # fmt: skip
    """The digest for the week [week_start, week_end). Counting happens in the database, once per workspace and week
    (`facts`, read here when not given)."""
    ws = scope.workspace_id
    facts = facts or DigestFacts.load(ctx, store, ws, week_start, week_end)
    groups = {g.id: g for g in facts.groups}
    group = groups.get(scope.group_id) if scope.group_id is not None else None
    target = Target(level=scope.level)
    snapshot = facts.snapshot(ctx, group)
    readiness = Readiness.of(ctx.model, snapshot, target)
    covered, total = readiness.coverage()
    keys = {p.key for p in readiness.practices}
    group_ids = {g.id for g in readiness.groups}
    before = sum(1 for gid, key in facts.week.covered_as_of_start(scope.group_id) if key in keys and gid in group_ids)
    activity = facts.week.activity(scope.group_id)
    gaps = [g for g in find_gaps(readiness) if not g[2].startswith("rated FI") and not g[2].startswith("rated LI")]
    titles = {p.key: p.title for p in readiness.practices}
    who = group.name if group else "the workspace"
    late_mark = " (late)" if late else ""
    review = facts.review
    stale_total, stale = facts.due_evidence(group_ids)
    attachments: tuple[Attachment, ...] = ()
    if scope.chart:
        png = render_heatmap(readiness, today=week_end.date(), title=f"ML{scope.level} readiness: {who}")
        name = f"cmmi-readiness-ML{scope.level}-{week_end.date().isoformat()}.png"
        attachments = (Attachment(filename=name, media_type="image/png", content=png, title=f"ML{scope.level} readiness, {who}"),)
    headline = f"ML{scope.level} evidence {percent(covered, total)}, {covered - before:+d} since last week"
    next_step = (
        f"Next step: log evidence for {gaps[0][1]} {titles[gaps[0][1]]} ({gaps[0][0]}), e.g. evidence add {gaps[0][1]} LINK what it shows"
        if gaps
        else f"Next step: every ML{scope.level} practice has evidence; rate the ones still unrated (status ML{scope.level})."
    )
    title = f"Weekly CMMI digest for {who}{late_mark}"
    data = {
        "covered": covered,
        "total": total,
        "change": covered - before,
        "quiet": activity.quiet,
        "gaps": len(gaps),
        "stale": stale_total,
    }
    if activity.quiet and not scope.quiet_full:
        line = f"No changes this week. {headline}." + (f" Top gap: {gaps[0][1]} {titles[gaps[0][1]]}." if gaps else "")
        line += f" {stale_total} evidence item(s) past their review date, the oldest #{stale[0].id}." if stale else ""
        return Reply(
            text=f"{title}: {line}", sections=(Section(title=title, body=line),), data=data, in_channel=True, attachments=attachments
        )
    changes: Text = "No changes this week."
    if not activity.quiet:
        counts = f"{activity.added} evidence added, {activity.removed} removed, {activity.ratings} rating(s) given"
        people: list[Inline] = []
        for i, contributor in enumerate(activity.contributors):
            people += [", " if i else "", Person(contributor)]
        # People as Person: each transport names them its way (Teams by their name, Slack as a mention).
        changes = (counts, f" by {len(activity.contributors)} contributor(s): ", *people) if people else counts
    sections = [
        Section(title=title, fields=(("This week", changes), (f"Towards ML{scope.level}", headline))),
        Section(
            title=f"Top gaps ({len(gaps)} in all)",
            items=tuple(f"{key} {titles[key]} · {name}: {reason}" for name, key, reason in gaps[:TOP_GAPS]),
        )
        if gaps
        else Section(title="Top gaps", body=f"None: every ML{scope.level} practice in scope has evidence and none is rated PI or NI."),
    ]
    if stale:
        sections.append(
            Section(
                title=f"Evidence past its review date: {stale_total}" + (f", the oldest {OLDEST}" if stale_total > OLDEST else ""),
                items=tuple(due_line(i, review) for i in stale[:OLDEST]),
                note=f"Reviewed every {review.months} months. Still valid? evidence renew N; gaps ML{scope.level} lists them all.",
            )
        )
    sections.append(Section(body=next_step))
    return Reply(text=f"{title}: {headline}", sections=tuple(sections), data=data, in_channel=True, attachments=attachments)


def describe(sub: Subscription, ctx: Context, store: Store, now: datetime) -> str:
    weekly = Weekly(sub.weekday, sub.local_time, sub.timezone)
    group = (
        next((g.name for g in store.groups.list(workspace_id=sub.workspace_id) if g.id == sub.work_group_id), None)
        if sub.work_group_id
        else None
    )
    what = f"{group}, ML{sub.level}" if group else f"the whole workspace, ML{sub.level}"
    quiet = "full report even in quiet weeks" if sub.quiet_full else "one line in quiet weeks"
    quiet += ", with the readiness chart" if sub.chart else ""
    if weekly.problem():  # saved elsewhere (another replica, newer tzdata): say what it is, not when it is due
        day = f"{DAYS[sub.weekday].capitalize()}s" if sub.weekday in range(7) else "Weekly"
        return f"{day} at {sub.local_time} {sub.timezone} for {what} ({quiet})."
    nxt = weekly.next_slot(now).astimezone(weekly.zone)
    return f"{weekly.describe()} for {what} ({quiet}). Next: {nxt:%a %Y-%m-%d %H:%M %Z}."


def clock_note(weekly: Weekly, now: datetime) -> str:
    """Warn about the coming year's nights when the clocks skip or repeat the digest's time."""
    changes = weekly.clock_changes(now)
    skipped = [d for d, kind in changes if kind == "skipped"]
    repeated = [d for d, kind in changes if kind == "repeated"]
    note = ""
    if skipped:
        note += f" On {skipped[0]:%d %b %Y} the clocks skip {weekly.local_time}: that digest goes out the moment they jump past it."
    if repeated:
        note += f" On {repeated[0]:%d %b %Y} {weekly.local_time} happens twice: that digest goes out at the first."
    return note


def _scope(sub: Subscription) -> DigestScope:
    return DigestScope(sub.workspace_id, sub.work_group_id, sub.level, sub.quiet_full, sub.chart)


def _subscription(request: Request, ctx: Context) -> tuple[Store, Subscription | None]:
    """The store, and this channel's subscription if it has one."""
    store = need_store(ctx)
    sub = store.digests.subscription(workspace_id=request.workspace_id, channel_id=request.channel_id)
    return store, sub


def _show(words: list[str], request: Request, ctx: Context) -> Reply:
    store, sub = _subscription(request, ctx)
    if sub is None:
        return Reply(
            text="No digest here.",
            sections=(Section(body=f"This channel has no weekly digest. Subscribe with: digest on (or {USAGE.split(' | ')[0]})"),),
        )
    state = "" if sub.enabled else f" It is paused: {sub.disabled_reason}. Subscribe again with digest on."
    text = f"This channel gets a weekly digest: {describe(sub, ctx, store, store.clock())}{state}"
    return Reply(text=text, sections=(Section(body=text),))


def _on(words: list[str], request: Request, ctx: Context) -> Reply:
    store, before = _subscription(request, ctx)
    positional, options = take_options(words, ("group", "level", *FLAGS), USAGE)
    weekday, local_time, zone = 0, "09:00", None
    for word in positional:
        day, time = parse_day(word), parse_time(word)
        if day is not None:
            weekday = day
        elif time is not None:
            local_time = time
        elif "/" in word or word.upper() in ("UTC", "GMT"):
            zone = parse_zone(word)
        else:
            raise UserError(f"'{word}' is not a day, a time (HH:MM) or a time zone (e.g. Europe/Berlin). Usage: {USAGE}")
    zone = zone or (parse_zone(request.timezone) if request.timezone else "UTC")
    level_text = options.get("level", "ML3").upper().replace(" ", "")
    if level_text not in ("ML2", "ML3", "ML4", "ML5"):
        raise UserError(f"--level must be ML2, ML3, ML4 or ML5, not '{options['level']}'.")
    quiet_full = options.get("full", "no").lower() in ("yes", "true", "on", "1")
    chart = options.get("chart", "no").lower() in ("yes", "true", "on", "1")
    group = resolve_group(ctx, request, options["group"], USAGE) if "group" in options else None
    sub = store.digests.subscribe(
        workspace_id=request.workspace_id,
        channel_id=request.channel_id,
        transport=request.transport,
        weekday=weekday,
        local_time=local_time,
        timezone=zone,
        group_id=group.id if group else None,
        level=int(level_text[2]),
        quiet_full=quiet_full,
        address=request.address,
        actor=request.user_id,
        chart=chart,
    )
    now = store.clock()
    described = describe(sub, ctx, store, now)
    text = f"This channel gets a weekly digest: {described}{clock_note(Weekly(weekday, local_time, zone), now)}"
    change = "changed this channel's weekly CMMI digest" if before is not None and before.enabled else "turned on a weekly CMMI digest here"
    return Reply(
        text=text,
        sections=(Section(body=text),),
        data={"subscription_id": sub.id},
        announce=(Person(request.user_id), f" {change}: {described}"),
    )


def _off(words: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    if not store.digests.unsubscribe(workspace_id=request.workspace_id, channel_id=request.channel_id, actor=request.user_id):
        raise UserError("This channel has no weekly digest to turn off.")
    return Reply(
        text="Weekly digest turned off for this channel.",
        sections=(Section(body="Weekly digest turned off for this channel."),),
        announce=(Person(request.user_id), " turned off this channel's weekly CMMI digest."),
    )


def _now(words: list[str], request: Request, ctx: Context) -> Reply:
    """The digest of the last seven days, as the channel would get it."""
    store, sub = _subscription(request, ctx)
    now = store.clock()
    if sub is not None:
        scope = _scope(sub)
    else:
        group = store.groups.for_channel(workspace_id=request.workspace_id, channel_id=request.channel_id)
        scope = DigestScope(request.workspace_id, group.id if group else None, 3, True)
    return build_digest(ctx, store, scope, now - timedelta(days=7), now)


def _preview(words: list[str], request: Request, ctx: Context) -> Reply:
    """digest now, shown only to the asker."""
    reply = _now(words, request, ctx)
    return Reply(text=reply.text, sections=reply.sections, data=reply.data, in_channel=False)


VERBS = Verbs(
    {"on": _on, "off": _off, "preview": _preview, "now": _now},
    empty=_show,
    unknown=f"Use: {USAGE}. Days: {', '.join(d[:3] for d in DAYS)}.",
)


def handle(request: Request, ctx: Context) -> Reply:
    need_store(ctx)
    words = split_words(request.text)[1:]
    if words and words[0].lower() in ("--full", "--chart"):  # "digest --chart" reads naturally: it means digest on --chart
        words = ["on", *words]
    # The flags are written alone; take_options reads --name=VALUE, so give them one.
    words = [f"{w.lower()}=yes" if w.lower() in ("--full", "--chart") else w for w in words]
    return VERBS(words, request, ctx)
